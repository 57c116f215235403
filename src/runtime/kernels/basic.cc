// Basic graph plumbing ops: constants, placeholders, identities, string helpers used by
// saver graphs.
#include <cstdio>

#include "absl/strings/str_format.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

Result MakeConst(const KernelInit& init) {
  Tensor value;
  TFM_RETURN_IF_ERROR(init.GetAttr("value", &value));
  DType dtype = value.dtype();
  TFM_RETURN_IF_ERROR(init.GetAttrOr("dtype", &dtype));
  if (dtype != value.dtype()) {
    return init.Error(absl::StrCat("attr 'dtype' is ", DTypeName(dtype), " but 'value' holds ",
                                   DTypeName(value.dtype())));
  }
  return MakeKernel([value](KernelContext* ctx) {
    ctx->set_output(0, value);
    return absl::OkStatus();
  });
}

Result MakePlaceholder(const KernelInit& init) {
  DType dtype = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("dtype", &dtype));
  PartialShape shape;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("shape", &shape));
  std::string msg = absl::StrCat("You must feed a value for placeholder tensor '", init.name(),
                                 "' with dtype ", DTypeName(dtype));
  if (!shape.unknown_rank()) absl::StrAppend(&msg, " and shape ", shape.ToString());
  return MakeKernel([msg](KernelContext* ctx) { return absl::InvalidArgumentError(msg); });
}

// Passes every input through unchanged (buffers are shared, nothing is copied).
Result MakeIdentity(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) {
    for (int i = 0; i < ctx->num_inputs(); ++i) {
      Tensor t = ctx->ForwardInput(i);
      ctx->set_output(i, t.valid() ? std::move(t) : ctx->input(i));
    }
    return absl::OkStatus();
  });
}

Result MakeIdentityOne(const KernelInit& init) {
  if (init.num_inputs() != 1) {
    return init.Error(absl::StrCat("expects 1 input, has ", init.num_inputs()));
  }
  return MakeIdentity(init);
}

Result MakeNoOp(const KernelInit& init) {
  return MakeKernel([](KernelContext*) { return absl::OkStatus(); });
}

// Snapshot returns a copy that later in-place updates of the input cannot affect.
Result MakeSnapshot(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) {
    Tensor t = ctx->ForwardInput(0);
    ctx->set_output(0, t.valid() ? std::move(t) : ctx->input(0).DeepCopy());
    return absl::OkStatus();
  });
}

Result MakeStringJoin(const KernelInit& init) {
  std::string sep;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("separator", &sep));
  return MakeKernel([sep](KernelContext* ctx) -> absl::Status {
    const Tensor* shaped = nullptr;
    for (int i = 0; i < ctx->num_inputs(); ++i) {
      const Tensor& t = ctx->input(i);
      if (t.dtype() != DType::kString) {
        return ctx->Error(absl::StrCat("input ", i, " is ", DTypeName(t.dtype()), ", not string"));
      }
      if (t.rank() == 0) continue;
      if (shaped && shaped->shape() != t.shape()) {
        return ctx->Error(absl::StrCat("inputs must be scalars or have the same shape: ",
                                       shaped->shape().ToString(), " vs ", t.shape().ToString()));
      }
      shaped = &t;
    }
    TensorShape shape = shaped ? shaped->shape() : TensorShape{};
    Tensor* out = ctx->allocate_output(0, DType::kString, shape);
    int64_t n = out->NumElements();
    auto o = out->flat<std::string>();
    for (int64_t e = 0; e < n; ++e) {
      std::string s;
      for (int i = 0; i < ctx->num_inputs(); ++i) {
        const Tensor& t = ctx->input(i);
        if (i > 0) s += sep;
        s += t.rank() == 0 ? t.scalar<std::string>() : t.flat<std::string>()[e];
      }
      o[e] = std::move(s);
    }
    return absl::OkStatus();
  });
}

absl::Status ScalarString(KernelContext* ctx, int i, std::string* v) {
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DType::kString || t.NumElements() != 1) {
    return ctx->Error(absl::StrCat("input ", i, " must be a string scalar, got ",
                                   DTypeName(t.dtype()), " ", t.shape().ToString()));
  }
  *v = t.flat<std::string>()[0];
  return absl::OkStatus();
}

absl::Status ScalarInt(KernelContext* ctx, int i, int64_t* v) {
  const Tensor& t = ctx->input(i);
  if (t.NumElements() != 1 || (t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64)) {
    return ctx->Error(absl::StrCat("input ", i, " must be an int32 scalar, got ",
                                   DTypeName(t.dtype()), " ", t.shape().ToString()));
  }
  *v = t.dtype() == DType::kInt32 ? t.flat<int32_t>()[0] : t.flat<int64_t>()[0];
  return absl::OkStatus();
}

Result MakeShardedFilename(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    std::string base;
    int64_t shard, num;
    TFM_RETURN_IF_ERROR(ScalarString(ctx, 0, &base));
    TFM_RETURN_IF_ERROR(ScalarInt(ctx, 1, &shard));
    TFM_RETURN_IF_ERROR(ScalarInt(ctx, 2, &num));
    ctx->set_output(0, Tensor::StringScalar(absl::StrFormat("%s-%05d-of-%05d", base, shard, num)));
    return absl::OkStatus();
  });
}

Result MakeShardedFilespec(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    std::string base;
    int64_t num;
    TFM_RETURN_IF_ERROR(ScalarString(ctx, 0, &base));
    TFM_RETURN_IF_ERROR(ScalarInt(ctx, 1, &num));
    ctx->set_output(0, Tensor::StringScalar(absl::StrFormat("%s-????"
                                                            "?-of-%05d",
                                                            base, num)));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterBasicKernels(KernelRegistry& r) {
  r.Register("Const", MakeConst);
  r.Register("HostConst", MakeConst);
  r.Register("Placeholder", MakePlaceholder);
  r.Register("PlaceholderV2", MakePlaceholder);
  r.Register("_Arg", MakePlaceholder);
  r.Register("PlaceholderWithDefault", MakeIdentityOne);
  for (const char* op : {"Identity", "StopGradient", "PreventGradient"}) {
    r.Register(op, MakeIdentityOne);
  }
  r.Register("IdentityN", MakeIdentity);
  r.Register("NoOp", MakeNoOp);
  r.Register("Snapshot", MakeSnapshot);
  r.Register("StringJoin", MakeStringJoin);
  r.Register("ShardedFilename", MakeShardedFilename);
  r.Register("ShardedFilespec", MakeShardedFilespec);
}

}  // namespace tfmodel::runtime
