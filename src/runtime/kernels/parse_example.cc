// tf.Example parsing: ParseExample (v1, keys as scalar input lists), ParseExampleV2 (keys
// as 1-D tensors, ragged outputs, scalar or vector `serialized`) and ParseSingleExample
// (keys as attrs). Semantics follow TF's FastParseExample / FastParseSingleExample:
//  - a feature is looked up by key; when a key occurs twice in an Example's map the last
//    entry wins (protobuf map semantics); a Feature with no list set counts as missing;
//  - fixed-shape dense features must hold exactly prod(shape) values, else the default is
//    used, or, when the default is empty, "Feature: k (data type: t) is required but could
//    not be found.";
//  - dense shapes whose first dim is -1 are variable length: values are padded (with the
//    one-element default) to the longest example, and must be a multiple of the stride;
//  - sparse outputs are indices [N,2] (example, position), values [N], shape
//    [batch, max count]; ragged outputs are values and row_splits [batch+1].
// Supported feature dtypes: float, int64, string.
#include <algorithm>
#include <string>
#include <vector>

#include "runtime/kernel.h"
#include "runtime/kernels/register_all.h"
#include "tensorflow/core/example/example.pb.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

enum class Version { kV1, kV2, kSingle };

struct DenseAttr {
  DType dtype;
  PartialShape shape;
  bool variable_length = false;
  int64_t stride = 1;  // values per row (per example if fixed; per first-dim step if varlen)
};

struct ParseAttrs {
  Version version;
  std::vector<DType> sparse_types;
  std::vector<DenseAttr> dense;
  std::vector<DType> ragged_value_types;
  std::vector<DType> ragged_split_types;
  // ParseSingleExample only: keys come from attrs.
  std::vector<std::string> sparse_keys, dense_keys;
};

bool IsFeatureDType(DType d) {
  return d == DType::kFloat || d == DType::kInt64 || d == DType::kString;
}

absl::Status CheckFeatureDType(const KernelInit& init, DType d) {
  if (IsFeatureDType(d)) return absl::OkStatus();
  return init.Error(absl::StrCat("Invalid config dtype: ", DTypeName(d)));
}

absl::StatusOr<ParseAttrs> ReadAttrs(const KernelInit& init, Version version) {
  ParseAttrs a;
  a.version = version;
  std::vector<DType> dense_types;
  std::vector<PartialShape> dense_shapes;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("sparse_types", &a.sparse_types));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("Tdense", &dense_types));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("dense_shapes", &dense_shapes));
  int64_t num_sparse = static_cast<int64_t>(a.sparse_types.size());
  int64_t num_dense = static_cast<int64_t>(dense_types.size());
  if (version == Version::kV1) {
    TFM_RETURN_IF_ERROR(init.GetAttrOr("Nsparse", &num_sparse));
    TFM_RETURN_IF_ERROR(init.GetAttrOr("Ndense", &num_dense));
  } else if (version == Version::kV2) {
    TFM_RETURN_IF_ERROR(init.GetAttrOr("num_sparse", &num_sparse));
    TFM_RETURN_IF_ERROR(init.GetAttrOr("ragged_value_types", &a.ragged_value_types));
    TFM_RETURN_IF_ERROR(init.GetAttrOr("ragged_split_types", &a.ragged_split_types));
  } else {
    TFM_RETURN_IF_ERROR(init.GetAttrOr("num_sparse", &num_sparse));
    TFM_RETURN_IF_ERROR(init.GetAttrOr("sparse_keys", &a.sparse_keys));
    TFM_RETURN_IF_ERROR(init.GetAttrOr("dense_keys", &a.dense_keys));
    if (static_cast<int64_t>(a.sparse_keys.size()) != num_sparse) {
      return init.Error(absl::StrCat("len(sparse_keys) != num_sparse: ", a.sparse_keys.size(),
                                     " vs. ", num_sparse));
    }
    if (a.dense_keys.size() != dense_types.size()) {
      return init.Error(absl::StrCat("len(dense_keys) != len(dense_types): ", a.dense_keys.size(),
                                     " vs. ", dense_types.size()));
    }
  }
  if (num_sparse != static_cast<int64_t>(a.sparse_types.size())) {
    return init.Error(absl::StrCat("len(sparse_keys) != len(sparse_types): ", num_sparse, " vs. ",
                                   a.sparse_types.size()));
  }
  if (num_dense != static_cast<int64_t>(dense_types.size())) {
    return init.Error(absl::StrCat("len(dense_keys) != len(dense_types): ", num_dense, " vs. ",
                                   dense_types.size()));
  }
  if (dense_types.size() != dense_shapes.size()) {
    return init.Error(absl::StrCat("len(dense_types) != len(dense_shapes): ", dense_types.size(),
                                   " vs. ", dense_shapes.size()));
  }
  if (a.ragged_value_types.size() != a.ragged_split_types.size()) {
    return init.Error(absl::StrCat(
        "len(ragged_value_types) != len(ragged_split_types): ", a.ragged_value_types.size(),
        " vs. ", a.ragged_split_types.size()));
  }
  for (DType t : a.sparse_types) TFM_RETURN_IF_ERROR(CheckFeatureDType(init, t));
  for (DType t : a.ragged_value_types) TFM_RETURN_IF_ERROR(CheckFeatureDType(init, t));
  for (DType t : a.ragged_split_types) {
    if (t != DType::kInt32 && t != DType::kInt64) {
      return init.Error(absl::StrCat("Invalid ragged_split_type: ", DTypeName(t)));
    }
  }
  for (size_t d = 0; d < dense_types.size(); ++d) {
    TFM_RETURN_IF_ERROR(CheckFeatureDType(init, dense_types[d]));
    DenseAttr da;
    da.dtype = dense_types[d];
    da.shape = dense_shapes[d];
    const PartialShape& s = da.shape;
    if (s.unknown_rank()) {
      return init.Error(absl::StrCat("dense_shapes[", d, "] has unknown rank"));
    }
    da.variable_length = s.rank() > 0 && s.dim(0) == -1;
    int64_t stride = 1;
    for (int i = da.variable_length ? 1 : 0; i < s.rank(); ++i) {
      if (s.dim(i) < 0) {
        return init.Error(absl::StrCat(
            da.variable_length ? "dense_shapes["
                               : "All dimensions of dense_shapes must be known, "
                                 "but found dense_shapes[",
            d, "]", da.variable_length ? " has unknown inner dimensions: " : ": ", s.ToString()));
      }
      if (s.dim(i) > 0 && stride > kMaxTensorElements / s.dim(i)) {
        return init.Error(absl::StrCat("dense_shapes[", d, "] is too large: ", s.ToString()));
      }
      stride *= s.dim(i);
    }
    da.stride = stride;
    a.dense.push_back(std::move(da));
  }
  return a;
}

// The values of one feature across the batch: flat values plus, per example, the end
// offset of its values (as TF's SparseBuffer).
struct Buffer {
  std::vector<float> f;
  std::vector<int64_t> i;
  std::vector<std::string> s;
  std::vector<size_t> ends;
  size_t size(DType t) const {
    return t == DType::kFloat ? f.size() : t == DType::kInt64 ? i.size() : s.size();
  }
};

DType FeatureDType(const tensorflow::Feature& f) {
  switch (f.kind_case()) {
    case tensorflow::Feature::kBytesList:
      return DType::kString;
    case tensorflow::Feature::kFloatList:
      return DType::kFloat;
    case tensorflow::Feature::kInt64List:
      return DType::kInt64;
    default:
      return DType::kInvalid;
  }
}

size_t FeatureSize(const tensorflow::Feature& f) {
  switch (f.kind_case()) {
    case tensorflow::Feature::kBytesList:
      return f.bytes_list().value_size();
    case tensorflow::Feature::kFloatList:
      return f.float_list().value_size();
    case tensorflow::Feature::kInt64List:
      return f.int64_list().value_size();
    default:
      return 0;
  }
}

void AppendFeature(const tensorflow::Feature& f, Buffer* b) {
  switch (f.kind_case()) {
    case tensorflow::Feature::kBytesList:
      for (const auto& v : f.bytes_list().value()) b->s.push_back(v);
      break;
    case tensorflow::Feature::kFloatList:
      for (float v : f.float_list().value()) b->f.push_back(v);
      break;
    case tensorflow::Feature::kInt64List:
      for (int64_t v : f.int64_list().value()) b->i.push_back(v);
      break;
    default:
      break;
  }
}

// Writes feature values into out[offset...] (the caller checked the size and dtype).
void WriteFeature(const tensorflow::Feature& f, Tensor* out, int64_t offset) {
  switch (f.kind_case()) {
    case tensorflow::Feature::kBytesList: {
      std::string* o = out->data<std::string>() + offset;
      for (const auto& v : f.bytes_list().value()) *o++ = v;
      break;
    }
    case tensorflow::Feature::kFloatList: {
      float* o = out->data<float>() + offset;
      for (float v : f.float_list().value()) *o++ = v;
      break;
    }
    case tensorflow::Feature::kInt64List: {
      int64_t* o = out->data<int64_t>() + offset;
      for (int64_t v : f.int64_list().value()) *o++ = v;
      break;
    }
    default:
      break;
  }
}

// Copies buffer values [begin, end) into out starting at element `offset`.
void CopyBuffer(const Buffer& b, DType t, size_t begin, size_t end, Tensor* out, int64_t offset) {
  if (t == DType::kFloat) {
    std::copy(b.f.begin() + begin, b.f.begin() + end, out->data<float>() + offset);
  } else if (t == DType::kInt64) {
    std::copy(b.i.begin() + begin, b.i.begin() + end, out->data<int64_t>() + offset);
  } else {
    std::copy(b.s.begin() + begin, b.s.begin() + end, out->data<std::string>() + offset);
  }
}

// Fills out[begin, end) with element 0 of `value`.
void FillWith(const Tensor& value, Tensor* out, int64_t begin, int64_t end) {
  if (value.dtype() == DType::kFloat) {
    std::fill(out->data<float>() + begin, out->data<float>() + end, value.data<float>()[0]);
  } else if (value.dtype() == DType::kInt64) {
    std::fill(out->data<int64_t>() + begin, out->data<int64_t>() + end, value.data<int64_t>()[0]);
  } else {
    std::fill(out->data<std::string>() + begin, out->data<std::string>() + end,
              value.data<std::string>()[0]);
  }
}

void CopyTensor(const Tensor& in, Tensor* out, int64_t offset) {
  const int64_t n = in.NumElements();
  if (in.dtype() == DType::kFloat) {
    std::copy_n(in.data<float>(), n, out->data<float>() + offset);
  } else if (in.dtype() == DType::kInt64) {
    std::copy_n(in.data<int64_t>(), n, out->data<int64_t>() + offset);
  } else {
    std::copy_n(in.data<std::string>(), n, out->data<std::string>() + offset);
  }
}

class ParseExampleKernel : public OpKernel {
 public:
  explicit ParseExampleKernel(ParseAttrs a) : a_(std::move(a)) {}

  absl::Status Compute(KernelContext* ctx) const override {
    const size_t ns = a_.sparse_types.size(), nd = a_.dense.size(),
                 nr = a_.ragged_value_types.size();
    // Gather inputs by version.
    size_t expected = 0;
    switch (a_.version) {
      case Version::kV1:
        expected = 2 + ns + 2 * nd;
        break;
      case Version::kV2:
        expected = 5 + nd;
        break;
      case Version::kSingle:
        expected = 1 + nd;
        break;
    }
    if (static_cast<size_t>(ctx->num_inputs()) != expected) {
      return ctx->Error(absl::StrCat("expected ", expected, " inputs, got ", ctx->num_inputs()));
    }
    const Tensor& serialized = ctx->input(0);
    if (serialized.dtype() != DType::kString) {
      return ctx->Error(
          absl::StrCat("serialized must be string, got ", DTypeName(serialized.dtype())));
    }
    std::vector<std::string> sparse_keys, dense_keys, ragged_keys;
    std::vector<const Tensor*> defaults;
    const Tensor* names = nullptr;
    if (a_.version == Version::kV1) {
      names = &ctx->input(1);
      for (size_t i = 0; i < ns + nd; ++i) {
        const Tensor& k = ctx->input(static_cast<int>(2 + i));
        if (k.dtype() != DType::kString || k.NumElements() != 1) {
          return ctx->Error(absl::StrCat(i < ns ? "sparse_keys[" : "dense_keys[",
                                         i < ns ? i : i - ns, "] must be a string scalar, got ",
                                         DTypeName(k.dtype()), " ", k.shape().ToString()));
        }
        (i < ns ? sparse_keys : dense_keys).push_back(k.data<std::string>()[0]);
      }
      for (size_t d = 0; d < nd; ++d)
        defaults.push_back(&ctx->input(static_cast<int>(2 + ns + nd + d)));
    } else if (a_.version == Version::kV2) {
      names = &ctx->input(1);
      const char* what[3] = {"sparse_keys", "dense_keys", "ragged_keys"};
      std::vector<std::string>* dst[3] = {&sparse_keys, &dense_keys, &ragged_keys};
      for (int j = 0; j < 3; ++j) {
        const Tensor& k = ctx->input(2 + j);
        if (k.dtype() != DType::kString || k.rank() > 1) {
          return ctx->Error(absl::StrCat(what[j], " must be a string vector, got ",
                                         DTypeName(k.dtype()), " ", k.shape().ToString()));
        }
        for (const auto& s : k.flat<std::string>()) dst[j]->push_back(s);
      }
      for (size_t d = 0; d < nd; ++d) defaults.push_back(&ctx->input(static_cast<int>(5 + d)));
      if (dense_keys.size() != nd) {
        return ctx->Error(absl::StrCat("Expected len(dense_keys) == len(dense_types) but got: ",
                                       dense_keys.size(), " vs. ", nd));
      }
      if (sparse_keys.size() != ns) {
        return ctx->Error(absl::StrCat(
            "Expected len(sparse_keys) == num_sparse but got: ", sparse_keys.size(), " vs. ", ns));
      }
      if (ragged_keys.size() != nr) {
        return ctx->Error(absl::StrCat(
            "Expected len(ragged_keys) == len(ragged_value_types) but got: ", ragged_keys.size(),
            " vs. ", nr));
      }
    } else {
      sparse_keys = a_.sparse_keys;
      dense_keys = a_.dense_keys;
      for (size_t d = 0; d < nd; ++d) defaults.push_back(&ctx->input(static_cast<int>(1 + d)));
    }

    // Shape checks.
    if (a_.version == Version::kV1 && serialized.rank() != 1) {
      return ctx->Error(absl::StrCat("Expected serialized to be a vector, got shape: ",
                                     serialized.shape().ToString()));
    }
    if (a_.version == Version::kV2 && serialized.rank() > 1) {
      return ctx->Error(absl::StrCat("Expected serialized to be a scalar or vector, got shape: ",
                                     serialized.shape().ToString()));
    }
    if (a_.version == Version::kSingle && serialized.rank() != 0) {
      return ctx->Error(absl::StrCat("Expected serialized to be a scalar, got shape: ",
                                     serialized.shape().ToString()));
    }
    if (names && names->NumElements() > 0) {
      if (names->shape() != serialized.shape() || names->dtype() != DType::kString) {
        return ctx->Error(absl::StrCat(
            "Expected names have the same shape as serialized: name.shape=",
            names->shape().ToString(), ", serialized.shape=", serialized.shape().ToString()));
      }
    }
    for (size_t d = 0; d < nd; ++d) {
      const Tensor& def = *defaults[d];
      const DenseAttr& da = a_.dense[d];
      if (da.variable_length) {
        if (def.NumElements() != 1) {
          return ctx->Error(absl::StrCat(
              "dense_shape[", d, "] is a variable length shape: ", da.shape.ToString(),
              ", therefore def_value[", d,
              "] must contain a single element (the padding element).  But its shape is: ",
              def.shape().ToString()));
        }
      } else if (def.NumElements() > 0 && !da.shape.IsCompatibleWith(def.shape())) {
        return ctx->Error(absl::StrCat("def_value[", d, "].shape() == ", def.shape().ToString(),
                                       " is not compatible with dense_shapes_[", d,
                                       "] == ", da.shape.ToString()));
      }
      if (def.dtype() != da.dtype) {
        return ctx->Error(absl::StrCat("dense_defaults[", d,
                                       "].dtype() == ", DTypeName(def.dtype()), " != dense_types_[",
                                       d, "] == ", DTypeName(da.dtype)));
      }
    }

    const bool single = serialized.rank() == 0;
    const int64_t batch = single ? 1 : serialized.dim(0);

    // Fixed-shape dense outputs are written in place.
    std::vector<Tensor> dense_out(nd);
    for (size_t d = 0; d < nd; ++d) {
      if (a_.dense[d].variable_length) continue;
      TensorShape shape;
      if (!single) shape.AddDim(batch);
      for (int64_t x : a_.dense[d].shape.dims()) shape.AddDim(x);
      TFM_ASSIGN_OR_RETURN(dense_out[d], Tensor::Create(a_.dense[d].dtype, shape));
    }
    std::vector<Buffer> sparse_buf(ns), varlen_buf(nd), ragged_buf(nr);

    tensorflow::Example example;
    for (int64_t e = 0; e < batch; ++e) {
      const std::string& bytes = serialized.data<std::string>()[e];
      const std::string name = (names && names->NumElements() > 0) ? names->data<std::string>()[e]
                                                                   : std::string("<unknown>");
      example.Clear();
      if (!example.ParseFromString(bytes)) {
        return ctx->Error(absl::StrCat("Could not parse example input, value: '", bytes, "'"));
      }
      const auto& fmap = example.features().feature();
      auto prefix = [&](absl::string_view key) {
        return single ? absl::StrCat("Key: ", key, ".  ")
                      : absl::StrCat("Name: ", name, ", Key: ", key, ", Index: ", e, ".  ");
      };
      auto find = [&](const std::string& key) -> const tensorflow::Feature* {
        auto it = fmap.find(key);
        if (it == fmap.end() || FeatureDType(it->second) == DType::kInvalid) return nullptr;
        return &it->second;
      };

      for (size_t d = 0; d < nd; ++d) {
        const DenseAttr& da = a_.dense[d];
        const tensorflow::Feature* f = find(dense_keys[d]);
        if (da.variable_length) {
          Buffer& b = varlen_buf[d];
          if (f) {
            DType ft = FeatureDType(*f);
            if (ft != da.dtype) {
              return ctx->Error(
                  absl::StrCat(prefix(dense_keys[d]),
                               "Data types don't match. Expected type: ", DTypeName(da.dtype)));
            }
            size_t n = FeatureSize(*f);
            if (da.stride == 0 ? n != 0 : n % static_cast<size_t>(da.stride) != 0) {
              return ctx->Error(absl::StrCat(prefix(dense_keys[d]), "Number of ",
                                             ft == DType::kString ? "bytes" : DTypeName(ft),
                                             " values is not a multiple of stride length. Saw ", n,
                                             " values but output shape is: ", da.shape.ToString()));
            }
            AppendFeature(*f, &b);
          }
          b.ends.push_back(b.size(da.dtype));
          continue;
        }
        const int64_t offset = single ? 0 : e * da.stride;
        if (f) {
          DType ft = FeatureDType(*f);
          if (ft != da.dtype) {
            return ctx->Error(absl::StrCat(prefix(dense_keys[d]),
                                           "Data types don't match. Data type: ", DTypeName(ft),
                                           " but expected type: ", DTypeName(da.dtype)));
          }
          size_t n = FeatureSize(*f);
          if (n != static_cast<size_t>(da.stride)) {
            return ctx->Error(absl::StrCat(prefix(dense_keys[d]), "Number of ",
                                           ft == DType::kString ? "bytes" : DTypeName(ft),
                                           " values != expected.  Values size: ", n,
                                           " but output shape: ", da.shape.ToString()));
          }
          WriteFeature(*f, &dense_out[d], offset);
        } else {
          const Tensor& def = *defaults[d];
          if (def.NumElements() == 0) {
            return ctx->Error(absl::StrCat(
                single ? "" : absl::StrCat("Name: ", name, ", "), "Feature: ", dense_keys[d],
                " (data type: ", DTypeName(da.dtype), ")", " is required but could not be found."));
          }
          CopyTensor(def, &dense_out[d], offset);
        }
      }
      for (int kind = 0; kind < 2; ++kind) {
        const auto& keys = kind == 0 ? sparse_keys : ragged_keys;
        const auto& types = kind == 0 ? a_.sparse_types : a_.ragged_value_types;
        auto& bufs = kind == 0 ? sparse_buf : ragged_buf;
        for (size_t d = 0; d < keys.size(); ++d) {
          const tensorflow::Feature* f = find(keys[d]);
          if (f) {
            DType ft = FeatureDType(*f);
            if (ft != types[d]) {
              return ctx->Error(absl::StrCat(
                  prefix(keys[d]), "Data types don't match. Expected type: ", DTypeName(types[d]),
                  ", Actual type: ", DTypeName(ft)));
            }
            AppendFeature(*f, &bufs[d]);
          }
          bufs[d].ends.push_back(bufs[d].size(types[d]));
        }
      }
    }

    // Variable-length dense: pad every example to the longest.
    for (size_t d = 0; d < nd; ++d) {
      const DenseAttr& da = a_.dense[d];
      if (!da.variable_length) continue;
      const Buffer& b = varlen_buf[d];
      size_t max_values = 0, prev = 0;
      for (size_t end : b.ends) {
        max_values = std::max(max_values, end - prev);
        prev = end;
      }
      const int64_t rows = da.stride == 0 ? 0 : static_cast<int64_t>(max_values) / da.stride;
      TensorShape shape;
      if (!single) shape.AddDim(batch);
      shape.AddDim(rows);
      for (int i = 1; i < da.shape.rank(); ++i) shape.AddDim(da.shape.dim(i));
      TFM_ASSIGN_OR_RETURN(Tensor out, Tensor::Create(da.dtype, shape));
      const int64_t per_example = rows * da.stride;
      if (out.NumElements() > 0) {
        FillWith(*defaults[d], &out, 0, out.NumElements());
        prev = 0;
        for (size_t j = 0; j < b.ends.size(); ++j) {
          CopyBuffer(b, da.dtype, prev, b.ends[j], &out, static_cast<int64_t>(j) * per_example);
          prev = b.ends[j];
        }
      }
      dense_out[d] = std::move(out);
    }

    // Outputs: sparse_indices, sparse_values, sparse_shapes, dense_values, ragged_values,
    // ragged_row_splits.
    for (size_t d = 0; d < ns; ++d) {
      const Buffer& b = sparse_buf[d];
      const DType t = a_.sparse_types[d];
      const int64_t total = static_cast<int64_t>(b.size(t));
      const int64_t cols = single ? 1 : 2;
      Tensor indices(DType::kInt64, TensorShape{total, cols});
      Tensor values(t, TensorShape{total});
      int64_t* ix = indices.data<int64_t>();
      size_t prev = 0, max_count = 0;
      for (size_t e = 0; e < b.ends.size(); ++e) {
        max_count = std::max(max_count, b.ends[e] - prev);
        for (size_t k = prev; k < b.ends[e]; ++k) {
          if (!single) *ix++ = static_cast<int64_t>(e);
          *ix++ = static_cast<int64_t>(k - prev);
        }
        prev = b.ends[e];
      }
      CopyBuffer(b, t, 0, static_cast<size_t>(total), &values, 0);
      Tensor shape = single ? Tensor::FromVector<int64_t>({total})
                            : Tensor::FromVector<int64_t>({batch, static_cast<int64_t>(max_count)});
      ctx->set_output(static_cast<int>(d), std::move(indices));
      ctx->set_output(static_cast<int>(ns + d), std::move(values));
      ctx->set_output(static_cast<int>(2 * ns + d), std::move(shape));
    }
    for (size_t d = 0; d < nd; ++d) {
      ctx->set_output(static_cast<int>(3 * ns + d), std::move(dense_out[d]));
    }
    for (size_t d = 0; d < nr; ++d) {
      const Buffer& b = ragged_buf[d];
      const DType t = a_.ragged_value_types[d];
      const int64_t total = static_cast<int64_t>(b.size(t));
      Tensor values(t, TensorShape{total});
      CopyBuffer(b, t, 0, static_cast<size_t>(total), &values, 0);
      const DType st = a_.ragged_split_types[d];
      const int64_t nsplits = single ? 0 : batch + 1;
      Tensor splits(st, TensorShape{nsplits});
      for (int64_t j = 0; j < nsplits; ++j) {
        int64_t v = j == 0 ? 0 : static_cast<int64_t>(b.ends[j - 1]);
        if (st == DType::kInt64) {
          splits.data<int64_t>()[j] = v;
        } else {
          splits.data<int32_t>()[j] = static_cast<int32_t>(v);
        }
      }
      ctx->set_output(static_cast<int>(3 * ns + nd + d), std::move(values));
      ctx->set_output(static_cast<int>(3 * ns + nd + nr + d), std::move(splits));
    }
    return absl::OkStatus();
  }

 private:
  ParseAttrs a_;
};

KernelFactory MakeParse(Version v) {
  return [v](const KernelInit& init) -> Result {
    TFM_ASSIGN_OR_RETURN(ParseAttrs a, ReadAttrs(init, v));
    return std::unique_ptr<OpKernel>(std::make_unique<ParseExampleKernel>(std::move(a)));
  };
}

}  // namespace

void RegisterParseExampleKernels(KernelRegistry& r) {
  r.Register("ParseExample", MakeParse(Version::kV1));
  r.Register("ParseExampleV2", MakeParse(Version::kV2));
  r.Register("ParseSingleExample", MakeParse(Version::kSingle));
}

}  // namespace tfmodel::runtime
