// Ragged -> dense and ragged -> sparse conversions, as TF's ragged_tensor_to_tensor_op.cc
// and ragged_tensor_to_sparse_kernel.cc:
//   RaggedTensorToTensor   pad (with a broadcast default value) or truncate a ragged tensor
//                          given by row partitions (ROW_SPLITS, or FIRST_DIM_SIZE then
//                          VALUE_ROWIDS) to `shape`; -1 dims take the longest row.
//   RaggedTensorToSparse   the SparseTensor (indices, values, dense_shape) of a ragged tensor.
// Every partition is validated first (splits start at 0, never decrease, end at the size
// of the level below; row ids sorted and in range): bad input is InvalidArgument.
#include <algorithm>
#include <string>
#include <vector>

#include "runtime/kernels/array_util.h"
#include "runtime/kernels/ragged_util.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using array_util::DispatchElem;
using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

enum class Partition { kFirstDimSize, kValueRowIds, kRowSplits };

absl::StatusOr<Partition> ParsePartition(const KernelInit& init, const std::string& s) {
  if (s == "FIRST_DIM_SIZE") return Partition::kFirstDimSize;
  if (s == "VALUE_ROWIDS") return Partition::kValueRowIds;
  if (s == "ROW_SPLITS") return Partition::kRowSplits;
  if (s == "ROW_LENGTHS" || s == "ROW_LIMITS" || s == "ROW_STARTS") {
    return init.Error(absl::StrCat("Cannot handle partition type ", s));
  }
  return init.Error(absl::StrCat("Unknown string for partition info type: ", s));
}

// The `shape` input: a scalar -1 (unknown rank: *known_rank false) or a vector with -1
// for unknown dims.
absl::Status ShapeInput(const KernelContext* ctx, const Tensor& t, bool* known_rank,
                        std::vector<int64_t>* dims) {
  if (t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64) {
    return ctx->Error(absl::StrCat("shape must be int32 or int64, got ", DTypeName(t.dtype())));
  }
  if (t.rank() > 1) {
    return ctx->Error(
        absl::StrCat("shape must be a scalar or vector, got shape ", t.shape().ToString()));
  }
  TFM_ASSIGN_OR_RETURN(*dims, array_util::ReadInts(ctx, t, "shape"));
  *known_rank = t.rank() == 1;
  if (!*known_rank) {
    if ((*dims)[0] != -1) {
      return ctx->Error(
          "The only valid scalar shape tensor is the fully unknown shape specified as -1.");
    }
    dims->clear();
    return absl::OkStatus();
  }
  for (int64_t d : *dims) {
    if (d < -1) return ctx->Error(absl::StrCat("Invalid dimension size: ", d));
  }
  return absl::OkStatus();
}

// TF's ValidateDefaultValueShape (which compares dims left-aligned), then a numpy
// broadcast of the default to one value element (`elem` = values.shape[1:]): the
// broadcast default as a flat index map into default_value.
absl::StatusOr<std::vector<int64_t>> DefaultIndexMap(const KernelContext* ctx, const Tensor& def,
                                                     const Tensor& values) {
  const int dr = def.rank(), vr = values.rank();
  if (dr >= vr) {
    return ctx->Error(absl::StrCat("default_value.shape=", def.shape().ToString(),
                                   " and rt_input.flat_values.shape=", values.shape().ToString(),
                                   " are incompatible: default_value.rank = ", dr,
                                   "  must be less than rt_input.flat_values.rank = ", vr));
  }
  for (int i = 0; i < dr; ++i) {
    const int64_t d = def.dim(i), v = values.dim(i + 1);
    if (d != 1 && d != v) {
      return ctx->Error(absl::StrCat("default_value.shape=", def.shape().ToString(),
                                     " and rt_input.flat_values.shape=", values.shape().ToString(),
                                     " are incompatible"));
    }
  }
  // Right-aligned broadcast of def.shape onto elem.
  std::vector<int64_t> elem(values.shape().dim_sizes().begin() + 1,
                            values.shape().dim_sizes().end());
  int64_t n = 1;
  for (int64_t d : elem) n *= d;
  std::vector<int64_t> map(static_cast<size_t>(n), 0);
  const int off = static_cast<int>(elem.size()) - dr;
  for (int i = 0; i < dr; ++i) {
    if (def.dim(i) != 1 && def.dim(i) != elem[off + i]) {
      return ctx->Error(absl::StrCat("Error broadcasting default_value of shape ",
                                     def.shape().ToString(), " to ", values.shape().ToString()));
    }
  }
  std::vector<int64_t> def_strides = array_util::Strides(def.shape());
  for (int64_t flat = 0; flat < n; ++flat) {
    int64_t rem = flat, src = 0;
    for (int d = static_cast<int>(elem.size()) - 1; d >= 0; --d) {
      const int64_t coord = rem % elem[d];
      rem /= elem[d];
      const int di = d - off;
      if (di >= 0 && def.dim(di) != 1) src += coord * def_strides[di];
    }
    map[static_cast<size_t>(flat)] = src;
  }
  return map;
}

// One ragged level: how the elements of level k-1 group into the elements of level k.
struct Level {
  Partition type;
  std::vector<int64_t> data;  // row splits or value row ids
};

int64_t MaxWidth(const Level& l) {
  int64_t best = 0;
  if (l.type == Partition::kRowSplits) {
    for (size_t i = 1; i < l.data.size(); ++i) best = std::max(best, l.data[i] - l.data[i - 1]);
  } else {
    int64_t run = 0;
    for (size_t i = 0; i < l.data.size(); ++i) {
      run = (i > 0 && l.data[i] == l.data[i - 1]) ? run + 1 : 1;
      best = std::max(best, run);
    }
  }
  return best;
}

// Checks level k against the parent count; returns the number of its elements.
absl::StatusOr<int64_t> CheckLevel(const KernelContext* ctx, const Level& l, int64_t parents,
                                   int k) {
  const std::string what = absl::StrCat("row_partition_tensors[", k, "]");
  if (l.type == Partition::kRowSplits) {
    if (static_cast<int64_t>(l.data.size()) != parents + 1) {
      return ctx->Error(absl::StrCat(what, ": row splits have ", l.data.size(), " entries for ",
                                     parents, " rows"));
    }
    const int64_t last = l.data.empty() ? 0 : l.data.back();
    TFM_RETURN_IF_ERROR(ragged_util::ValidateSplits(ctx, l.data, last, what));
    return last;
  }
  for (size_t i = 0; i < l.data.size(); ++i) {
    if (l.data[i] < 0 || l.data[i] >= parents) {
      return ctx->Error(absl::StrCat(what, ": value_rowids[", i, "] = ", l.data[i],
                                     " is not in [0, ", parents, ")"));
    }
    if (i > 0 && l.data[i] < l.data[i - 1]) {
      return ctx->Error(absl::StrCat(what, ": value_rowids must be sorted, got ", l.data[i - 1],
                                     " followed by ", l.data[i]));
    }
  }
  return static_cast<int64_t>(l.data.size());
}

// Output block index of each element of `l`, from the parents' block indices (-1 = cut
// off by truncation).
std::vector<int64_t> ChildPositions(const Level& l, const std::vector<int64_t>& parent_pos,
                                    int64_t width, int64_t mult) {
  std::vector<int64_t> pos;
  if (l.type == Partition::kRowSplits) {
    pos.reserve(static_cast<size_t>(l.data.back()));
    for (size_t r = 0; r + 1 < l.data.size(); ++r) {
      for (int64_t c = 0; c < l.data[r + 1] - l.data[r]; ++c) {
        pos.push_back(parent_pos[r] < 0 || c >= width ? -1 : parent_pos[r] + c * mult);
      }
    }
  } else {
    pos.reserve(l.data.size());
    int64_t c = 0;
    for (size_t j = 0; j < l.data.size(); ++j) {
      c = (j > 0 && l.data[j] == l.data[j - 1]) ? c + 1 : 0;
      const int64_t p = parent_pos[static_cast<size_t>(l.data[j])];
      pos.push_back(p < 0 || c >= width ? -1 : p + c * mult);
    }
  }
  return pos;
}

class RaggedTensorToTensorKernel : public OpKernel {
 public:
  explicit RaggedTensorToTensorKernel(std::vector<Partition> types) : types_(std::move(types)) {
    first_dim_given_ = types_[0] == Partition::kFirstDimSize;
    ragged_rank_ = static_cast<int>(types_.size()) - (first_dim_given_ ? 1 : 0);
  }

  absl::Status Compute(KernelContext* ctx) const override {
    if (ctx->num_inputs() != 3 + static_cast<int>(types_.size())) {
      return ctx->Error(
          absl::StrCat("expected ", 3 + types_.size(), " inputs, got ", ctx->num_inputs()));
    }
    bool known_rank = false;
    std::vector<int64_t> want;
    TFM_RETURN_IF_ERROR(ShapeInput(ctx, ctx->input(0), &known_rank, &want));
    const Tensor& values = ctx->input(1);
    const Tensor& def = ctx->input(2);
    if (values.dtype() != def.dtype()) {
      return ctx->Error(absl::StrCat("values are ", DTypeName(values.dtype()),
                                     " but default_value is ", DTypeName(def.dtype())));
    }
    if (values.rank() < 1) return ctx->Error("values must have rank >= 1");
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> def_map, DefaultIndexMap(ctx, def, values));

    // Partitions and the element count of every level.
    int64_t nrows = 0;
    std::vector<Level> levels;
    for (size_t i = 0; i < types_.size(); ++i) {
      const Tensor& t = ctx->input(3 + static_cast<int>(i));
      if (types_[i] == Partition::kFirstDimSize) {
        TFM_ASSIGN_OR_RETURN(nrows, array_util::ReadIntScalar(ctx, t, "first_dim_size", false));
        if (nrows < 0) return ctx->Error(absl::StrCat("first_dim_size must be >= 0, got ", nrows));
        continue;
      }
      Level l{types_[i], {}};
      TFM_ASSIGN_OR_RETURN(
          l.data, ragged_util::ReadSplits(ctx, t, absl::StrCat("row_partition_tensors[", i, "]")));
      levels.push_back(std::move(l));
    }
    if (!first_dim_given_) {
      if (levels[0].data.empty()) return ctx->Error("row_partition_tensors[0]: empty row splits");
      nrows = static_cast<int64_t>(levels[0].data.size()) - 1;
    }
    int64_t count = nrows;
    for (int k = 0; k < ragged_rank_; ++k) {
      TFM_ASSIGN_OR_RETURN(count,
                           CheckLevel(ctx, levels[k], count, k + (first_dim_given_ ? 1 : 0)));
    }
    if (count != values.dim(0)) {
      return ctx->Error(absl::StrCat("the innermost row partition describes ", count,
                                     " values, which must match the length of the values (",
                                     values.dim(0), ")"));
    }

    // Output shape.
    const int out_rank = ragged_rank_ + values.rank();
    const std::string want_str = known_rank ? TensorShape(want).ToString() : "<unknown>";
    if (known_rank && static_cast<int>(want.size()) != out_rank) {
      return ctx->Error(absl::StrCat("rt_input.shape and shape=", want_str,
                                     " are incompatible: rt_input.rank = ", out_rank,
                                     " but shape.rank = ", want.size()));
    }
    std::vector<int64_t> dims(static_cast<size_t>(out_rank), -1);
    if (known_rank) dims = want;
    for (int i = 1; i < values.rank(); ++i) {
      int64_t& d = dims[ragged_rank_ + i];
      if (d >= 0 && d != values.dim(i)) {
        return ctx->Error(absl::StrCat(
            "rt_input.shape and shape=", want_str, " are incompatible: rt_input.shape[",
            ragged_rank_ + i, "] = ", values.dim(i), " but shape[", ragged_rank_ + i, "] = ", d));
      }
      d = values.dim(i);
    }
    if (dims[0] < 0) dims[0] = nrows;
    for (int k = 1; k <= ragged_rank_; ++k) {
      if (dims[k] < 0) dims[k] = MaxWidth(levels[k - 1]);
    }
    TensorShape out_shape(dims);
    TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
    Tensor out = Tensor::Empty(values.dtype(), out_shape);

    // Block (one values row) multipliers of each outer dim, and block positions.
    std::vector<int64_t> mult(static_cast<size_t>(ragged_rank_ + 1), 1);
    for (int k = ragged_rank_ - 1; k >= 0; --k) mult[k] = mult[k + 1] * dims[k + 1];
    std::vector<int64_t> pos(static_cast<size_t>(nrows));
    for (int64_t r = 0; r < nrows; ++r) pos[r] = r < dims[0] ? r * mult[0] : -1;
    for (int k = 1; k <= ragged_rank_; ++k) {
      pos = ChildPositions(levels[k - 1], pos, dims[k], mult[k]);
    }

    const int64_t block = static_cast<int64_t>(def_map.size());
    const int64_t nblocks = block == 0 ? 0 : out.NumElements() / block;
    bool ok = DispatchElem(values.dtype(), [&]<typename T>() {
      T* o = out.data<T>();
      const T* v = values.data<T>();
      const T* d = def.data<T>();
      for (int64_t b = 0; b < nblocks; ++b) {
        for (int64_t e = 0; e < block; ++e) o[b * block + e] = d[def_map[e]];
      }
      for (size_t j = 0; j < pos.size(); ++j) {
        if (pos[j] < 0) continue;
        array_util::CopyN(v + static_cast<int64_t>(j) * block, block, o + pos[j] * block);
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, values.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  }

 private:
  std::vector<Partition> types_;
  bool first_dim_given_ = false;
  int ragged_rank_ = 0;
};

Result MakeRaggedTensorToTensor(const KernelInit& init) {
  std::vector<std::string> names;
  TFM_RETURN_IF_ERROR(init.GetAttr("row_partition_types", &names));
  if (names.empty()) return init.Error("No row_partition_types given.");
  std::vector<Partition> types;
  for (const auto& n : names) {
    TFM_ASSIGN_OR_RETURN(Partition p, ParsePartition(init, n));
    types.push_back(p);
  }
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i] == Partition::kFirstDimSize && i != 0) {
      return init.Error("FIRST_DIM_SIZE may only be the first row partition type");
    }
  }
  if (types[0] == Partition::kValueRowIds) {
    return init.Error("Cannot handle VALUE_ROWIDS in first dimension.");
  }
  if (types.size() == 1 && types[0] == Partition::kFirstDimSize) {
    return init.Error("row_partition_types must describe at least one ragged dimension");
  }
  int64_t num = static_cast<int64_t>(types.size());
  TFM_RETURN_IF_ERROR(init.GetAttrOr("num_row_partition_tensors", &num));
  if (num != static_cast<int64_t>(types.size())) {
    return init.Error(absl::StrCat("num_row_partition_tensors (", num,
                                   ") does not match the number of row_partition_types (",
                                   types.size(), ")"));
  }
  return std::unique_ptr<OpKernel>(std::make_unique<RaggedTensorToTensorKernel>(types));
}

// ---------------------------------------------------------------------------------------
// RaggedTensorToSparse

Result MakeRaggedTensorToSparse(const KernelInit& init) {
  int64_t ragged_rank = init.num_inputs() - 1;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("RAGGED_RANK", &ragged_rank));
  if (ragged_rank < 1) return init.Error("rt_nested_splits must be non empty");
  if (ragged_rank != init.num_inputs() - 1) {
    return init.Error(absl::StrCat("RAGGED_RANK is ", ragged_rank, " but the node has ",
                                   init.num_inputs(), " inputs"));
  }
  const int rr = static_cast<int>(ragged_rank);
  return MakeKernel([rr](KernelContext* ctx) -> absl::Status {
    std::vector<std::vector<int64_t>> splits(static_cast<size_t>(rr));
    for (int k = 0; k < rr; ++k) {
      TFM_ASSIGN_OR_RETURN(
          splits[k],
          ragged_util::ReadSplits(ctx, ctx->input(k), absl::StrCat("rt_nested_splits[", k, "]")));
    }
    const Tensor& values = ctx->input(rr);
    TFM_RETURN_IF_ERROR(ragged_util::ValidateNestedSplits(ctx, splits, values, "rt_nested_splits"));

    // Parent row and column of every element of each ragged level.
    std::vector<std::vector<int64_t>> parent(static_cast<size_t>(rr)), column(parent.size());
    for (int k = 0; k < rr; ++k) {
      const auto& s = splits[k];
      parent[k].resize(static_cast<size_t>(s.back()));
      column[k].resize(parent[k].size());
      for (size_t r = 0; r + 1 < s.size(); ++r) {
        for (int64_t j = s[r]; j < s[r + 1]; ++j) {
          parent[k][j] = static_cast<int64_t>(r);
          column[k][j] = j - s[r];
        }
      }
    }
    const int vr = values.rank();
    const int64_t inner = values.dim(0) == 0 ? 0 : values.NumElements() / values.dim(0);
    const int64_t ndims = rr + vr;
    const int64_t nvals = values.NumElements();
    Tensor indices = Tensor::Empty(DType::kInt64, TensorShape{nvals, ndims});
    int64_t* ix = indices.data<int64_t>();
    std::vector<int64_t> inner_dims(values.shape().dim_sizes().begin() + 1,
                                    values.shape().dim_sizes().end());
    for (int64_t j = 0; j < values.dim(0); ++j) {
      // Prefix: outer row, then the column at each ragged level.
      std::vector<int64_t> prefix(static_cast<size_t>(rr + 1));
      int64_t e = j;
      for (int k = rr - 1; k >= 0; --k) {
        prefix[k + 1] = column[k][e];
        e = parent[k][e];
      }
      prefix[0] = e;
      for (int64_t s = 0; s < inner; ++s) {
        int64_t* row = ix + (j * inner + s) * ndims;
        std::copy(prefix.begin(), prefix.end(), row);
        int64_t rem = s;
        for (int d = vr - 2; d >= 0; --d) {
          row[rr + 1 + d] = rem % inner_dims[d];
          rem /= inner_dims[d];
        }
      }
    }
    TFM_ASSIGN_OR_RETURN(Tensor flat_values, values.Reshaped(TensorShape{nvals}));
    std::vector<int64_t> dense_shape;
    dense_shape.push_back(static_cast<int64_t>(splits[0].size()) - 1);
    for (int k = 0; k < rr; ++k) {
      int64_t w = 0;
      for (size_t i = 1; i < splits[k].size(); ++i)
        w = std::max(w, splits[k][i] - splits[k][i - 1]);
      dense_shape.push_back(w);
    }
    for (int64_t d : inner_dims) dense_shape.push_back(d);
    ctx->set_output(0, std::move(indices));
    ctx->set_output(1, std::move(flat_values));
    ctx->set_output(2, Tensor::FromVector(dense_shape));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterRaggedDenseKernels(KernelRegistry& r) {
  r.Register("RaggedTensorToTensor", MakeRaggedTensorToTensor);
  r.Register("RaggedTensorToSparse", MakeRaggedTensorToSparse);
}

}  // namespace tfmodel::runtime
