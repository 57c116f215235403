// Counting values into bins, as TF's bincount_op.cc (tf.math.bincount, Keras
// CategoryEncoding "count" / "multi_hot"):
//   Bincount        int32 arr -> [size] counts or summed weights
//   DenseBincount   rank-1 or rank-2 input (per-row bins), binary_output
//   SparseBincount  a SparseTensor's values (per row when its rank is 2)
//   RaggedBincount  a ragged tensor's values, per row
// Values >= size are dropped (except in the rank-2 SparseBincount, where TF fails);
// negative values fail. `weights` is empty (count 1 each) or one weight per value;
// binary_output writes 1 for every bin hit.
#include <vector>

#include "runtime/kernels/array_util.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

bool IsWeightDType(DType d) {
  return d == DType::kInt32 || d == DType::kInt64 || d == DType::kFloat || d == DType::kDouble;
}

template <typename Fn>
bool DispatchWeight(DType d, Fn&& fn) {
  switch (d) {
    case DType::kInt32:
      fn.template operator()<int32_t>();
      return true;
    case DType::kInt64:
      fn.template operator()<int64_t>();
      return true;
    case DType::kFloat:
      fn.template operator()<float>();
      return true;
    case DType::kDouble:
      fn.template operator()<double>();
      return true;
    default:
      return false;
  }
}

// What every bincount kernel does once the (row, bin) pairs are known.
struct BinSpec {
  DType out_type;
  bool binary = false;
};

// Accumulates value i (bin `bin`, row `row`) into `out` of shape [rows, size].
template <typename T>
void AddTo(T* out, int64_t size, int64_t row, int64_t bin, const Tensor& weights, int64_t i,
           bool binary) {
  T& o = out[row * size + bin];
  if (binary) {
    o = T(1);
  } else if (weights.NumElements() > 0) {
    o += weights.data<T>()[i];
  } else {
    o += T(1);
  }
}

absl::StatusOr<int64_t> SizeInput(const KernelContext* ctx, const Tensor& t) {
  if (t.rank() != 0) {
    return ctx->Error(absl::StrCat("Shape must be rank 0 but is rank ", t.rank()));
  }
  TFM_ASSIGN_OR_RETURN(int64_t size, array_util::ReadIntScalar(ctx, t, "size", false));
  if (size < 0) return ctx->Error(absl::StrCat("size (", size, ") must be non-negative"));
  return size;
}

absl::Status CheckWeights(const KernelContext* ctx, const Tensor& weights, const Tensor& values,
                          const BinSpec& spec) {
  if (weights.dtype() != spec.out_type) {
    return ctx->Error(absl::StrCat("weights must be ", DTypeName(spec.out_type), ", got ",
                                   DTypeName(weights.dtype())));
  }
  if (weights.NumElements() != 0 && weights.shape() != values.shape()) {
    return ctx->Error(absl::StrCat(
        "Input indices and weights must have the same size; weights must be the same shape as "
        "the input or a length-0 Tensor, got ",
        weights.shape().ToString(), " and ", values.shape().ToString()));
  }
  return absl::OkStatus();
}

// Counts `bins` (already validated non-negative), whose rows are `rows` (or all row 0),
// into a [nrows, size] (or [size] when `rank1`) tensor.
absl::Status Count(KernelContext* ctx, const std::vector<int64_t>& bins,
                   const std::vector<int64_t>* rows, int64_t nrows, int64_t size, bool rank1,
                   const Tensor& weights, const BinSpec& spec) {
  TensorShape shape = rank1 ? TensorShape{size} : TensorShape{nrows, size};
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, shape));
  Tensor out(spec.out_type, shape);
  DispatchWeight(spec.out_type, [&]<typename T>() {
    T* o = out.data<T>();
    for (size_t i = 0; i < bins.size(); ++i) {
      if (bins[i] >= size) continue;
      AddTo<T>(o, size, rows ? (*rows)[i] : 0, bins[i], weights, static_cast<int64_t>(i),
               spec.binary);
    }
  });
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> ReadBins(const KernelContext* ctx, const Tensor& t,
                                              absl::string_view message) {
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> v, array_util::ReadInts(ctx, t, "input"));
  for (int64_t x : v) {
    if (x < 0) return ctx->Error(message);
  }
  return v;
}

absl::StatusOr<BinSpec> ReadSpec(const KernelInit& init, bool has_binary) {
  BinSpec spec;
  TFM_RETURN_IF_ERROR(init.GetAttr("T", &spec.out_type));
  if (!IsWeightDType(spec.out_type)) {
    return init.Error(
        absl::StrCat("T must be int32, int64, float or double, got ", DTypeName(spec.out_type)));
  }
  if (has_binary) TFM_RETURN_IF_ERROR(init.GetAttrOr("binary_output", &spec.binary));
  return spec;
}

Result MakeBincount(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(BinSpec spec, ReadSpec(init, false));
  return MakeKernel([spec](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 3) return ctx->Error("expected 3 inputs");
    const Tensor& arr = ctx->input(0);
    if (arr.dtype() != DType::kInt32) {
      return ctx->Error(absl::StrCat("arr must be int32, got ", DTypeName(arr.dtype())));
    }
    TFM_ASSIGN_OR_RETURN(int64_t size, SizeInput(ctx, ctx->input(1)));
    const Tensor& weights = ctx->input(2);
    if (weights.dtype() != spec.out_type) {
      return ctx->Error(absl::StrCat("weights must be ", DTypeName(spec.out_type)));
    }
    if (weights.NumElements() != 0 && weights.NumElements() != arr.NumElements()) {
      return ctx->Error("Input indices and weights must have the same size.");
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> bins,
                         ReadBins(ctx, arr, "Input arr must be non-negative!"));
    return Count(ctx, bins, nullptr, 1, size, true, weights, spec);
  });
}

Result MakeDenseBincount(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(BinSpec spec, ReadSpec(init, true));
  return MakeKernel([spec](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 3) return ctx->Error("expected 3 inputs");
    const Tensor& input = ctx->input(0);
    if (input.rank() > 2) {
      return ctx->Error(absl::StrCat("Shape must be at most rank 2 but is rank ", input.rank()));
    }
    TFM_ASSIGN_OR_RETURN(int64_t size, SizeInput(ctx, ctx->input(1)));
    const Tensor& weights = ctx->input(2);
    TFM_RETURN_IF_ERROR(CheckWeights(ctx, weights, input, spec));
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> bins,
                         ReadBins(ctx, input, "Input arr must be non-negative!"));
    if (input.rank() < 2) return Count(ctx, bins, nullptr, 1, size, true, weights, spec);
    const int64_t cols = input.dim(1);
    std::vector<int64_t> rows(bins.size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i) / cols;
    return Count(ctx, bins, &rows, input.dim(0), size, false, weights, spec);
  });
}

Result MakeSparseBincount(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(BinSpec spec, ReadSpec(init, true));
  return MakeKernel([spec](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 5) return ctx->Error("expected 5 inputs");
    const Tensor& indices = ctx->input(0);
    const Tensor& values = ctx->input(1);
    const Tensor& dense_shape = ctx->input(2);
    TFM_ASSIGN_OR_RETURN(int64_t size, SizeInput(ctx, ctx->input(3)));
    const Tensor& weights = ctx->input(4);
    if (indices.dtype() != DType::kInt64 || dense_shape.dtype() != DType::kInt64) {
      return ctx->Error("indices and dense_shape must be int64");
    }
    if (values.rank() != 1 || dense_shape.rank() != 1 || indices.rank() != 2 ||
        indices.dim(0) != values.dim(0) || indices.dim(1) != dense_shape.dim(0)) {
      return ctx->Error(
          absl::StrCat("indices, values and dense_shape do not form a SparseTensor: indices ",
                       indices.shape().ToString(), ", values ", values.shape().ToString(),
                       ", dense_shape ", dense_shape.shape().ToString()));
    }
    TFM_RETURN_IF_ERROR(CheckWeights(ctx, weights, values, spec));
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> bins,
                         ReadBins(ctx, values, "Input must be non-negative"));
    if (dense_shape.NumElements() == 1) {
      return Count(ctx, bins, nullptr, 1, size, true, weights, spec);
    }
    if (dense_shape.NumElements() != 2) {
      return ctx->Error(absl::StrCat("SparseBincount needs a rank 1 or 2 SparseTensor, got rank ",
                                     dense_shape.NumElements()));
    }
    const int64_t nrows = dense_shape.data<int64_t>()[0];
    std::vector<int64_t> rows(bins.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t batch = indices.data<int64_t>()[2 * i];
      if (batch < 0 || batch >= nrows) {
        return ctx->Error(absl::StrCat("Index out of bound. `batch` (", batch,
                                       ") must be less than the dimension size (", nrows, ")."));
      }
      if (bins[i] >= size) {
        return ctx->Error(absl::StrCat("Index out of bound. `bin` (", bins[i],
                                       ") must be less than the dimension size (", size, ")."));
      }
      rows[i] = batch;
    }
    return Count(ctx, bins, &rows, nrows, size, false, weights, spec);
  });
}

Result MakeRaggedBincount(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(BinSpec spec, ReadSpec(init, true));
  return MakeKernel([spec](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 4) return ctx->Error("expected 4 inputs");
    const Tensor& splits_t = ctx->input(0);
    const Tensor& values = ctx->input(1);
    TFM_ASSIGN_OR_RETURN(int64_t size, SizeInput(ctx, ctx->input(2)));
    const Tensor& weights = ctx->input(3);
    if (splits_t.dtype() != DType::kInt64 || splits_t.rank() != 1 || splits_t.NumElements() < 1) {
      return ctx->Error(absl::StrCat("splits must be a non-empty int64 vector, got ",
                                     DTypeName(splits_t.dtype()), " ",
                                     splits_t.shape().ToString()));
    }
    TFM_RETURN_IF_ERROR(CheckWeights(ctx, weights, values, spec));
    const int64_t* s = splits_t.data<int64_t>();
    const int64_t nrows = splits_t.NumElements() - 1;
    if (s[0] != 0) return ctx->Error(absl::StrCat("Splits must start with 0, not with ", s[0]));
    if (s[nrows] != values.NumElements()) {
      return ctx->Error(absl::StrCat("Splits must end with the number of values, got ", s[nrows],
                                     " instead of ", values.NumElements()));
    }
    for (int64_t i = 1; i <= nrows; ++i) {
      if (s[i] < s[i - 1]) {
        return ctx->Error(
            absl::StrCat("Splits must be non-decreasing, got ", s[i - 1], " followed by ", s[i]));
      }
    }
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> bins,
                         ReadBins(ctx, values, "Input must be non-negative"));
    std::vector<int64_t> rows(bins.size());
    for (int64_t r = 0; r < nrows; ++r) {
      for (int64_t i = s[r]; i < s[r + 1]; ++i) rows[i] = r;
    }
    return Count(ctx, bins, &rows, nrows, size, false, weights, spec);
  });
}

}  // namespace

void RegisterBincountKernels(KernelRegistry& r) {
  r.Register("Bincount", MakeBincount);
  r.Register("DenseBincount", MakeDenseBincount);
  r.Register("SparseBincount", MakeSparseBincount);
  r.Register("RaggedBincount", MakeRaggedBincount);
}

}  // namespace tfmodel::runtime
