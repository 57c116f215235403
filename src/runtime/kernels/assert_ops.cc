// Graph hygiene ops: run-time checks (Assert, CheckNumerics, CheckNumericsV2, EnsureShape),
// printing (Print, PrintV2, StringFormat, Timestamp) and debugger pass-throughs
// (DebugIdentity, DebugIdentityV2, DebugIdentityV3, DebugNanCount, GuaranteeConst).
//
// Assert fails the run with TF's text "assertion failed: [data0] [data1]", each data
// input summarized to `summarize` (default 3) values. CheckNumerics passes its input
// through and fails with "<message> : Tensor had NaN values" ("Inf", "Inf and NaN";
// V2 names "-Inf", "+Inf" and "NaN" separately).
//
// Printing is off by default: a server must not write model-controlled text to its logs.
// With TFMODEL_PRINT_OPS=1 in the environment Print and PrintV2 write to stderr (every
// output_stream, including stdout and file://, goes to stderr). Either way Print passes its
// first input through and the attrs are checked as TF checks them.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "runtime/kernel.h"
#include "runtime/kernels/arity.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/summarize.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

bool PrintingEnabled() {
  const char* v = std::getenv("TFMODEL_PRINT_OPS");
  return v != nullptr && (std::strcmp(v, "1") == 0 || std::strcmp(v, "true") == 0);
}

void WriteStderr(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

void PassThrough(KernelContext* ctx) {
  Tensor t = ctx->ForwardInput(0);
  ctx->set_output(0, t.valid() ? std::move(t) : ctx->input(0));
}

// ---- Assert ----

Result MakeAssert(const KernelInit& init) {
  int32_t summarize = 3;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("summarize", &summarize));
  if (init.num_inputs() < 1) return init.Error("Assert needs a condition input");
  return MakeKernel([summarize](KernelContext* ctx) -> absl::Status {
    const Tensor& cond = ctx->input(0);
    if (cond.dtype() != DType::kBool) {
      return ctx->Error(absl::StrCat("condition must be bool, got ", DTypeName(cond.dtype())));
    }
    // TF's IsLegacyScalar: rank 0, or any shape with exactly one element.
    if (cond.NumElements() != 1) {
      return ctx->Error(absl::StrCat("In[0] should be a scalar: ", cond.shape().ToString()));
    }
    if (cond.data<bool>()[0]) return absl::OkStatus();
    std::string msg = "assertion failed: ";
    for (int i = 1; i < ctx->num_inputs(); ++i) {
      absl::StrAppend(&msg, "[", SummarizeTensor(ctx->input(i), summarize, false), "]");
      if (i < ctx->num_inputs() - 1) msg.push_back(' ');
    }
    return ctx->Error(msg);
  });
}

// ---- CheckNumerics / CheckNumericsV2 ----

enum : int { kNegInf = 1, kPosInf = 2, kNaN = 4 };

template <typename T>
int ScanNumerics(const T* p, int64_t n) {
  int props = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = [&] {
      if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
        return p[i].ToFloat();
      } else {
        return p[i];
      }
    }();
    if (std::isfinite(v)) continue;
    if (std::isnan(v)) {
      props |= kNaN;
    } else {
      props |= v < 0 ? kNegInf : kPosInf;
    }
  }
  return props;
}

std::string AnomalyText(int props, bool v2) {
  if (!v2) {
    const bool inf = props & (kNegInf | kPosInf), nan = props & kNaN;
    if (inf && nan) return "Inf and NaN";
    return inf ? "Inf" : "NaN";
  }
  std::vector<std::string> parts;
  if (props & kNegInf) parts.push_back("-Inf");
  if (props & kPosInf) parts.push_back("+Inf");
  if (props & kNaN) parts.push_back("NaN");
  if (parts.size() == 3) return absl::StrCat(parts[0], ", ", parts[1], ", and ", parts[2]);
  if (parts.size() == 2) return absl::StrCat(parts[0], " and ", parts[1]);
  return parts[0];
}

Result MakeCheckNumerics(const KernelInit& init) {
  std::string message;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("message", &message));
  const bool v2 = init.op() == "CheckNumericsV2";
  return MakeKernel([message, v2](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    const int64_t n = in.NumElements();
    int props = 0;
    switch (in.dtype()) {
      case DType::kFloat:
        props = ScanNumerics(in.data<float>(), n);
        break;
      case DType::kDouble:
        props = ScanNumerics(in.data<double>(), n);
        break;
      case DType::kHalf:
        props = ScanNumerics(in.data<Half>(), n);
        break;
      case DType::kBFloat16:
        props = ScanNumerics(in.data<BFloat16>(), n);
        break;
      default:
        return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(in.dtype()),
                                       " (CheckNumerics takes half, bfloat16, float, double)"));
    }
    if (props != 0) {
      return ctx->Error(absl::StrCat(message, " : Tensor had ", AnomalyText(props, v2), " values"));
    }
    PassThrough(ctx);
    return absl::OkStatus();
  });
}

// ---- EnsureShape ----

Result MakeEnsureShape(const KernelInit& init) {
  PartialShape shape;
  TFM_RETURN_IF_ERROR(init.GetAttr("shape", &shape));
  std::string input_name = init.node().input_size() > 0 ? init.node().input(0) : "";
  return MakeKernel([shape, input_name](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    if (!shape.IsCompatibleWith(in.shape())) {
      return ctx->Error(absl::StrCat("Shape of tensor ", input_name, " ", in.shape().ToString(),
                                     " is not compatible with expected shape ", shape.ToString(),
                                     "."));
    }
    PassThrough(ctx);
    return absl::OkStatus();
  });
}

// ---- Print / PrintV2 / StringFormat ----

Result MakePrint(const KernelInit& init) {
  std::string message;
  int64_t first_n = -1;
  int32_t summarize = 3;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("message", &message));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("first_n", &first_n));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("summarize", &summarize));
  const bool enabled = PrintingEnabled();
  auto calls = std::make_shared<std::atomic<int64_t>>(0);
  return MakeKernel([=](KernelContext* ctx) -> absl::Status {
    if (enabled && (first_n < 0 || calls->fetch_add(1) < first_n)) {
      std::string msg = message;
      for (int i = 1; i < ctx->num_inputs(); ++i) {
        absl::StrAppend(&msg, "[", SummarizeTensor(ctx->input(i), summarize, false), "]");
      }
      WriteStderr(msg + "\n");
    }
    PassThrough(ctx);
    return absl::OkStatus();
  });
}

Result MakePrintV2(const KernelInit& init) {
  std::string stream = "stderr", end = "\n";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("output_stream", &stream));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("end", &end));
  static const char* const kStreams[] = {"stdout", "stderr", "log(info)", "log(warning)",
                                         "log(error)"};
  if (!absl::StartsWith(stream, "file://")) {
    bool known = false;
    std::string valid;
    for (const char* s : kStreams) {
      known |= stream == s;
      absl::StrAppend(&valid, " ", s);
    }
    if (!known) {
      return init.Error(absl::StrCat("Unknown output stream: ", stream,
                                     ", Valid streams are:", valid, ", or file://<filename>"));
    }
  }
  const bool enabled = PrintingEnabled();
  return MakeKernel([enabled, end](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    if (in.dtype() != DType::kString || in.rank() != 0) {
      return ctx->Error(absl::StrCat("Input is expected to be scalar string, but got ",
                                     DTypeName(in.dtype()), " ", in.shape().ToString()));
    }
    if (enabled) WriteStderr(in.scalar<std::string>() + end);
    return absl::OkStatus();
  });
}

Result MakeStringFormat(const KernelInit& init) {
  std::string tmpl = "%s", placeholder = "%s";
  int32_t summarize = 3;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("template", &tmpl));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("placeholder", &placeholder));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("summarize", &summarize));
  if (placeholder.empty()) return init.Error("placeholder must not be empty");
  std::vector<std::string> pieces = absl::StrSplit(tmpl, placeholder);
  const int64_t placeholders = static_cast<int64_t>(pieces.size()) - 1;
  if (placeholders != init.num_inputs()) {
    return init.Error(absl::StrCat("num placeholders in template and num inputs must match: ",
                                   placeholders, " vs. ", init.num_inputs()));
  }
  return MakeKernel([pieces, summarize](KernelContext* ctx) -> absl::Status {
    std::string msg = pieces[0];
    for (int i = 0; i < ctx->num_inputs(); ++i) {
      absl::StrAppend(&msg, SummarizeTensor(ctx->input(i), summarize, true), pieces[i + 1]);
    }
    ctx->set_output(0, Tensor::StringScalar(std::move(msg)));
    return absl::OkStatus();
  });
}

Result MakeTimestamp(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const double us =
        static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
    ctx->set_output(0, Tensor::Scalar<double>(us / 1e6));
    return absl::OkStatus();
  });
}

// ---- pass-throughs ----

Result MakePassThrough(const KernelInit& init) {
  if (init.num_inputs() != 1) {
    return init.Error(absl::StrCat("expects 1 input, has ", init.num_inputs()));
  }
  return MakeKernel([](KernelContext* ctx) {
    PassThrough(ctx);
    return absl::OkStatus();
  });
}

// DebugNanCount: int64 scalar number of NaNs (TF registers it for the float types only).
Result MakeDebugNanCount(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& in0 = ctx->input(0);
    const DType dt = in0.dtype();
    if (dt != DType::kFloat && dt != DType::kDouble && !IsHalfLike(dt)) {
      return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(dt)));
    }
    Tensor in = IsHalfLike(dt) ? HalfLikeToFloat(in0) : in0;
    int64_t count = 0;
    if (in.dtype() == DType::kFloat) {
      for (float v : in.flat<float>()) count += std::isnan(v);
    } else {
      for (double v : in.flat<double>()) count += std::isnan(v);
    }
    ctx->set_output(0, Tensor::Scalar<int64_t>(count));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterAssertKernels(KernelRegistry& r) {
  r.Register("Assert", WithInputs(1, kAnyCount, MakeAssert));
  r.Register("CheckNumerics", WithInputs(1, MakeCheckNumerics));
  r.Register("CheckNumericsV2", WithInputs(1, MakeCheckNumerics));
  r.Register("EnsureShape", WithInputs(1, MakeEnsureShape));
  r.Register("Print", WithInputs(1, kAnyCount, MakePrint));
  r.Register("PrintV2", WithInputs(1, MakePrintV2));
  r.Register("StringFormat", MakeStringFormat);
  r.Register("Timestamp", WithInputs(0, MakeTimestamp));
  for (const char* op : {"DebugIdentity", "DebugIdentityV2", "DebugIdentityV3", "GuaranteeConst"}) {
    r.Register(op, MakePassThrough);
  }
  r.Register("DebugNanCount", WithInputs(1, MakeDebugNanCount));
}

}  // namespace tfmodel::runtime
