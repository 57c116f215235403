// Text kernels used by Keras TextVectorization and tf.Transform, as TF's
// string_ngrams_op.cc and reduce_join_op.cc:
//   StringNGrams  n-grams of each row of a ragged string tensor (data + row splits), with
//                 left/right padding, several widths and preserve_short_sequences
//   ReduceJoin    joins strings along the given axes (negative axes, keep_dims,
//                 separator)
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "runtime/kernels/array_util.h"
#include "runtime/kernels/ragged_util.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

// ---------------------------------------------------------------------------------------
// StringNGrams

struct NGramSpec {
  std::string separator, left_pad, right_pad;
  std::vector<int64_t> widths;
  int64_t pad_width = -1;
  bool preserve_short = false;
  DType splits_type = DType::kInt64;

  // Padding on each side for n-grams of `width`: never more than width - 1.
  int64_t PadFor(int64_t width) const {
    return std::min(pad_width < 0 ? width - 1 : pad_width, width - 1);
  }
  int64_t CountFor(int64_t length, int64_t width) const {
    return std::max<int64_t>(0, length + 2 * PadFor(width) - width + 1);
  }

  // Appends the `count` n-grams of `width` over tokens [data, data + length).
  void Emit(const std::string* data, int64_t count, int64_t width,
            std::vector<std::string>* out) const {
    const int64_t pad = PadFor(width);
    for (int64_t g = 0; g < count; ++g) {
      const int64_t left = std::max<int64_t>(0, pad - g);
      const int64_t right = std::max<int64_t>(0, pad - (count - (g + 1)));
      const int64_t ntok = width - left - right;
      const int64_t first = left > 0 ? 0 : g - pad;
      std::string s;
      for (int64_t i = 0; i < left; ++i) absl::StrAppend(&s, left_pad, separator);
      for (int64_t i = 0; i + 1 < ntok; ++i) absl::StrAppend(&s, data[first + i], separator);
      if (ntok > 0) {
        s += data[first + ntok - 1];
        for (int64_t i = 0; i < right; ++i) absl::StrAppend(&s, separator, right_pad);
      } else {
        for (int64_t i = 0; i + 1 < right; ++i) absl::StrAppend(&s, right_pad, separator);
        s += right_pad;
      }
      out->push_back(std::move(s));
    }
  }
};

absl::Status ComputeNGrams(KernelContext* ctx, const NGramSpec& spec) {
  if (ctx->num_inputs() != 2) return ctx->Error("expected 2 inputs (data, data_splits)");
  const Tensor& data_t = ctx->input(0);
  if (data_t.dtype() != DType::kString || data_t.rank() != 1) {
    return ctx->Error(absl::StrCat("data must be a string vector, got ", DTypeName(data_t.dtype()),
                                   " ", data_t.shape().ToString()));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> splits,
                       ragged_util::ReadSplits(ctx, ctx->input(1), "data_splits"));
  const int64_t n = data_t.NumElements();
  if (!splits.empty()) {
    if (splits[0] != 0) {
      return ctx->Error(absl::StrCat("First split value must be 0, got ", splits[0]));
    }
    for (size_t i = 1; i < splits.size(); ++i) {
      if (splits[i] < splits[i - 1] || splits[i] > n) {
        return ctx->Error(absl::StrCat("Invalid split value ", splits[i], ", must be in [",
                                       splits[i - 1], ", ", n, "]"));
      }
    }
    if (splits.back() != n) {
      return ctx->Error(absl::StrCat("Last split value must be data size. Expected ", n, ", got ",
                                     splits.back()));
    }
  }
  const int64_t rows = splits.empty() ? 0 : static_cast<int64_t>(splits.size()) - 1;
  std::vector<int64_t> out_splits(splits.size(), 0);
  std::vector<std::string> ngrams;
  const std::string* data = data_t.data<std::string>();
  for (int64_t r = 0; r < rows && n > 0; ++r) {
    const int64_t length = splits[r + 1] - splits[r];
    const std::string* row = data + splits[r];
    const size_t before = ngrams.size();
    for (int64_t w : spec.widths) spec.Emit(row, spec.CountFor(length, w), w, &ngrams);
    if (spec.preserve_short && length > 0 && ngrams.size() == before) {
      if (spec.pad_width < 0) {
        return ctx->Error(absl::StrCat(
            "Pad width should be >= 0 when preserve_short_sequences is True and ngram_widths "
            "are not provided, got ",
            spec.pad_width));
      }
      spec.Emit(row, 1, length + 2 * spec.pad_width, &ngrams);
    }
    out_splits[r + 1] = static_cast<int64_t>(ngrams.size());
  }
  if (spec.splits_type == DType::kInt32 &&
      ngrams.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return ctx->Error("too many n-grams for int32 splits");
  }
  ctx->set_output(0, Tensor::FromVector(ngrams));
  ctx->set_output(1, ragged_util::SplitsTensor(out_splits, spec.splits_type));
  return absl::OkStatus();
}

Result MakeStringNGrams(const KernelInit& init) {
  NGramSpec spec;
  TFM_RETURN_IF_ERROR(init.GetAttr("separator", &spec.separator));
  TFM_RETURN_IF_ERROR(init.GetAttr("ngram_widths", &spec.widths));
  TFM_RETURN_IF_ERROR(init.GetAttr("left_pad", &spec.left_pad));
  TFM_RETURN_IF_ERROR(init.GetAttr("right_pad", &spec.right_pad));
  TFM_RETURN_IF_ERROR(init.GetAttr("pad_width", &spec.pad_width));
  TFM_RETURN_IF_ERROR(init.GetAttr("preserve_short_sequences", &spec.preserve_short));
  TFM_RETURN_IF_ERROR(ragged_util::GetSplitsDType(init, "Tsplits", &spec.splits_type));
  for (int64_t w : spec.widths) {
    if (w <= 0) return init.Error("ngram_widths must contain positive values");
    if (w > (int64_t{1} << 20)) return init.Error(absl::StrCat("ngram width ", w, " is too large"));
  }
  if (spec.pad_width > (int64_t{1} << 20)) {
    return init.Error(absl::StrCat("pad_width ", spec.pad_width, " is too large"));
  }
  return MakeKernel([spec](KernelContext* ctx) { return ComputeNGrams(ctx, spec); });
}

// ---------------------------------------------------------------------------------------
// ReduceJoin

Result MakeReduceJoin(const KernelInit& init) {
  bool keep_dims = false;
  std::string separator;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("keep_dims", &keep_dims));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("separator", &separator));
  return MakeKernel([keep_dims, separator](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 2) return ctx->Error("expected 2 inputs");
    const Tensor& in = ctx->input(0);
    if (in.dtype() != DType::kString) {
      return ctx->Error(absl::StrCat("inputs must be string, got ", DTypeName(in.dtype())));
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> axes,
                         array_util::ReadInts(ctx, ctx->input(1), "reduction_indices"));
    const int rank = in.rank();
    std::vector<bool> reduced(static_cast<size_t>(rank), false);
    for (int64_t a : axes) {
      if (a < -rank || a >= rank) {
        return absl::OutOfRangeError(absl::StrCat("node '", ctx->node_name(), "' (", ctx->op(),
                                                  "): Invalid reduction dimension ", a,
                                                  " for input with ", rank, " dimension(s)"));
      }
      const int64_t d = a < 0 ? a + rank : a;
      if (reduced[d]) return ctx->Error(absl::StrCat("Duplicate reduction dimension ", a));
      reduced[d] = true;
    }
    // Like TF, the reduced dims are walked in the reverse of the given order, the last of
    // that list varying fastest (so axes [0, 1] of [[a, b], [c, d]] join "acbd").
    std::vector<int> red_dims, keep;
    for (auto it = axes.rbegin(); it != axes.rend(); ++it) {
      red_dims.push_back(static_cast<int>(*it < 0 ? *it + rank : *it));
    }
    TensorShape out_shape;
    for (int d = 0; d < rank; ++d) {
      if (!reduced[d]) {
        keep.push_back(d);
        out_shape.AddDim(in.dim(d));
      } else if (keep_dims) {
        out_shape.AddDim(1);
      }
    }
    const std::vector<int64_t> strides = array_util::Strides(in.shape());
    auto offset = [&](int64_t linear, const std::vector<int>& dims) {
      int64_t off = 0;
      for (int i = static_cast<int>(dims.size()) - 1; i >= 0; --i) {
        const int64_t size = in.dim(dims[i]);
        off += strides[dims[i]] * (linear % size);
        linear /= size;
      }
      return off;
    };
    int64_t per_output = 1;
    for (int d : red_dims) per_output *= in.dim(d);
    Tensor out(DType::kString, out_shape);
    const std::string* src = in.data<std::string>();
    std::string* dst = out.data<std::string>();
    for (int64_t o = 0; o < out.NumElements(); ++o) {
      const int64_t base = offset(o, keep);
      std::string joined;
      for (int64_t r = 0; r < per_output; ++r) {
        if (r > 0) joined += separator;
        joined += src[base + offset(r, red_dims)];
      }
      dst[o] = std::move(joined);
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterTextKernels(KernelRegistry& r) {
  r.Register("StringNGrams", MakeStringNGrams);
  r.Register("ReduceJoin", MakeReduceJoin);
}

}  // namespace tfmodel::runtime
