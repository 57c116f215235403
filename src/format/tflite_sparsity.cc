#include "format/tflite_sparsity.h"

#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace tfmodel {
namespace {

namespace fb = ::tfmodel::tflite_fb;

// Dense tensors made from sparse ones are bounded like variable tensors: their size comes
// from the shape, not from bytes present in the file.
constexpr int64_t kMaxDenseElements = int64_t{1} << 31;

absl::Status Bad(const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("malformed sparsity: ", why));
}

// One SparseIndexVector union member as int64 values; nullopt when absent.
std::optional<std::vector<int64_t>> IndexVector(fb::SparseIndexVector type, const void* table) {
  if (table == nullptr) return std::nullopt;
  std::vector<int64_t> v;
  auto copy = [&v](const auto* values) {
    if (values) v.assign(values->begin(), values->end());
  };
  switch (type) {
    case fb::SparseIndexVector::Int32Vector:
      copy(static_cast<const fb::Int32Vector*>(table)->values());
      return v;
    case fb::SparseIndexVector::Uint16Vector:
      copy(static_cast<const fb::Uint16Vector*>(table)->values());
      return v;
    case fb::SparseIndexVector::Uint8Vector:
      copy(static_cast<const fb::Uint8Vector*>(table)->values());
      return v;
    default:
      return std::nullopt;
  }
}

// One traversal level, resolved against the dense shape.
struct Level {
  bool sparse = false;
  int64_t size = 0;    // coordinates along this level
  int64_t stride = 0;  // dense elements one coordinate step moves
  std::vector<int64_t> segments, indices;
};

// Checks traversal order and block map; fills block sizes per original dimension.
absl::Status CheckOrder(const fb::SparsityParameters& sp, int64_t n, std::vector<int>* order,
                        std::vector<int>* block_map) {
  if (sp.traversal_order())
    order->assign(sp.traversal_order()->begin(), sp.traversal_order()->end());
  if (sp.block_map()) block_map->assign(sp.block_map()->begin(), sp.block_map()->end());
  const int64_t k = static_cast<int64_t>(block_map->size());
  if (static_cast<int64_t>(order->size()) != n + k) {
    return Bad(absl::StrCat("traversal_order has ", order->size(), " entries, expected ", n + k,
                            " (rank ", n, " + ", k, " block dimensions)"));
  }
  std::vector<bool> seen(static_cast<size_t>(n + k), false);
  for (int64_t l = 0; l < n + k; ++l) {
    const int t = (*order)[l];
    const bool ok = l < n ? (t >= 0 && t < n) : (t >= n && t < n + k);
    if (!ok || seen[t]) {
      return Bad(absl::StrCat("traversal_order is not a permutation (entry ", l, " is ", t,
                              "; the first ", n, " entries must order dimensions 0..", n - 1,
                              ", the rest the block dimensions)"));
    }
    seen[t] = true;
  }
  std::vector<bool> blocked(static_cast<size_t>(n), false);
  for (int64_t j = 0; j < k; ++j) {
    const int d = (*block_map)[j];
    if (d < 0 || d >= n || blocked[d]) {
      return Bad(
          absl::StrCat("block_map entry ", j, " is ", d, ", not a distinct dimension below ", n));
    }
    blocked[d] = true;
  }
  return absl::OkStatus();
}

// Resolves every level: sizes, strides, index vectors, and the block sizes.
absl::Status ResolveLevels(const fb::SparsityParameters& sp, absl::Span<const int64_t> dims,
                           const std::vector<int>& order, const std::vector<int>& block_map,
                           std::vector<Level>* levels) {
  const int64_t n = static_cast<int64_t>(dims.size());
  const int64_t k = static_cast<int64_t>(block_map.size());
  const auto* meta = sp.dim_metadata();
  const int64_t given = meta ? static_cast<int64_t>(meta->size()) : 0;
  if (given != n + k) {
    return Bad(absl::StrCat("dim_metadata has ", given, " entries, expected ", n + k));
  }
  std::vector<int64_t> stride(static_cast<size_t>(n), 1);
  for (int64_t d = n - 2; d >= 0; --d) stride[d] = stride[d + 1] * dims[d + 1];
  // Block sizes come from the DENSE level of each block dimension.
  std::vector<int64_t> block(static_cast<size_t>(n), 1);
  for (int64_t l = 0; l < n + k; ++l) {
    if (order[l] < n) continue;
    const int64_t j = order[l] - n;
    const fb::DimensionMetadata* m = meta->Get(static_cast<uint32_t>(l));
    if (!m || m->format() != fb::DimensionType::DENSE) {
      return Bad(absl::StrCat("level ", l, " (block dimension ", j, ") must be DENSE"));
    }
    const int64_t d = block_map[j];
    if (m->dense_size() <= 0 || dims[d] % m->dense_size() != 0) {
      return Bad(absl::StrCat("block size ", m->dense_size(), " of block dimension ", j,
                              " does not divide dimension ", d, " (size ", dims[d], ")"));
    }
    block[d] = m->dense_size();
  }
  levels->assign(static_cast<size_t>(n + k), Level{});
  for (int64_t l = 0; l < n + k; ++l) {
    Level& lv = (*levels)[l];
    const int t = order[l];
    const fb::DimensionMetadata* m = meta->Get(static_cast<uint32_t>(l));
    if (!m) return Bad(absl::StrCat("dim_metadata ", l, " is missing"));
    if (t < n) {
      lv.size = dims[t] / block[t];
      lv.stride = stride[t] * block[t];
    } else {
      lv.size = block[block_map[t - n]];
      lv.stride = stride[block_map[t - n]];
    }
    if (m->format() == fb::DimensionType::DENSE) {
      if (m->dense_size() != lv.size) {
        return Bad(absl::StrCat("level ", l, " (dimension ", t, ") is DENSE of size ",
                                m->dense_size(), ", expected ", lv.size));
      }
      continue;
    }
    if (m->format() != fb::DimensionType::SPARSE_CSR) {
      return Bad(absl::StrCat("level ", l, " has unknown format ", static_cast<int>(m->format())));
    }
    lv.sparse = true;
    auto seg = IndexVector(m->array_segments_type(), m->array_segments());
    auto idx = IndexVector(m->array_indices_type(), m->array_indices());
    if (!seg || !idx) {
      return Bad(absl::StrCat("SPARSE_CSR level ", l, " lacks array_segments or array_indices"));
    }
    lv.segments = std::move(*seg);
    lv.indices = std::move(*idx);
  }
  return absl::OkStatus();
}

// Checks the index vectors level by level; returns the number of stored values.
absl::StatusOr<int64_t> CountStored(const std::vector<Level>& levels) {
  int64_t count = 1;  // positions at the level above
  for (size_t l = 0; l < levels.size(); ++l) {
    const Level& lv = levels[l];
    if (!lv.sparse) {
      if (lv.size != 0 && count > std::numeric_limits<int64_t>::max() / lv.size) {
        return Bad(absl::StrCat("level ", l, " has too many positions"));
      }
      count *= lv.size;
      continue;
    }
    if (static_cast<int64_t>(lv.segments.size()) != count + 1) {
      return Bad(absl::StrCat("level ", l, " has ", lv.segments.size(),
                              " array_segments, expected ", count + 1, " (one more than the ",
                              count, " positions of the level above)"));
    }
    if (lv.segments.front() != 0) {
      return Bad(
          absl::StrCat("level ", l, " array_segments start at ", lv.segments.front(), ", not 0"));
    }
    for (size_t p = 1; p < lv.segments.size(); ++p) {
      if (lv.segments[p] < lv.segments[p - 1]) {
        return Bad(absl::StrCat("level ", l, " array_segments decrease at entry ", p, " (",
                                lv.segments[p - 1], " then ", lv.segments[p], ")"));
      }
    }
    if (lv.segments.back() != static_cast<int64_t>(lv.indices.size())) {
      return Bad(absl::StrCat("level ", l, " array_segments end at ", lv.segments.back(), " but ",
                              lv.indices.size(), " array_indices are given"));
    }
    for (size_t i = 0; i < lv.indices.size(); ++i) {
      if (lv.indices[i] < 0 || lv.indices[i] >= lv.size) {
        return Bad(absl::StrCat("level ", l, " array_indices[", i, "] = ", lv.indices[i],
                                " is out of range [0, ", lv.size, ")"));
      }
    }
    count = static_cast<int64_t>(lv.indices.size());
  }
  return count;
}

}  // namespace

absl::StatusOr<Tensor> DensifyTfLiteSparse(const fb::SparsityParameters& sp, DType dtype,
                                           const TensorShape& shape, absl::string_view data) {
  const size_t elem = DTypeSize(dtype);
  if (elem == 0 || dtype == DType::kString) {
    return absl::UnimplementedError(
        absl::StrCat("sparse tensors of type ", DTypeName(dtype), " are not supported"));
  }
  if (shape.NumElements() > kMaxDenseElements) {
    return absl::InvalidArgumentError(
        absl::StrCat("dense shape ", shape.ToString(), " is too large (more than 2^31 elements)"));
  }
  const int64_t n = shape.rank();
  std::vector<int> order, block_map;
  TFM_RETURN_IF_ERROR(CheckOrder(sp, n, &order, &block_map));
  std::vector<Level> levels;
  TFM_RETURN_IF_ERROR(ResolveLevels(sp, shape.dim_sizes(), order, block_map, &levels));
  TFM_ASSIGN_OR_RETURN(const int64_t stored, CountStored(levels));
  if (stored > kMaxDenseElements || static_cast<uint64_t>(stored) * elem != data.size()) {
    return Bad(absl::StrCat(stored, " stored values of ", DTypeName(dtype), " need ",
                            static_cast<uint64_t>(stored) * elem, " bytes, the buffer has ",
                            data.size()));
  }
  // Dense offsets of the positions of each level, in storage order.
  std::vector<int64_t> offsets = {0};
  for (const Level& lv : levels) {
    std::vector<int64_t> next;
    if (!lv.sparse) {
      next.reserve(offsets.size() * static_cast<size_t>(lv.size));
      for (int64_t o : offsets) {
        for (int64_t c = 0; c < lv.size; ++c) next.push_back(o + c * lv.stride);
      }
    } else {
      next.reserve(lv.indices.size());
      for (size_t p = 0; p < offsets.size(); ++p) {
        for (int64_t i = lv.segments[p]; i < lv.segments[p + 1]; ++i) {
          next.push_back(offsets[p] + lv.indices[i] * lv.stride);
        }
      }
    }
    offsets = std::move(next);
  }
  Tensor out(dtype, shape);  // zero-filled
  char* dst = static_cast<char*>(out.raw_data());
  for (size_t v = 0; v < offsets.size(); ++v) {
    std::memcpy(dst + offsets[v] * elem, data.data() + v * elem, elem);
  }
  return out;
}

}  // namespace tfmodel
