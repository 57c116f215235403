#include "format/tensor_proto.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace tfmodel {
namespace {

// Fills n elements of `out` from a repeated field using TF's "repeat the last value" rule.
template <typename Out, typename Field, typename Convert>
absl::Status FillRepeated(const Field& field, int64_t n, Out* out, const char* field_name,
                          Convert convert) {
  int64_t have = field.size();
  if (have > n) {
    return absl::InvalidArgumentError(absl::StrCat("TensorProto has ", have, " values in ",
                                                   field_name, " but the shape holds only ", n));
  }
  for (int64_t i = 0; i < have; ++i) out[i] = convert(field.Get(static_cast<int>(i)));
  if (have > 0) {
    Out last = out[have - 1];
    for (int64_t i = have; i < n; ++i) out[i] = last;
  }  // else: the tensor was zero-initialised already
  return absl::OkStatus();
}

template <typename T>
T Same(T v) {
  return v;
}

}  // namespace

absl::StatusOr<TensorShape> ShapeFromProto(const tensorflow::TensorShapeProto& proto) {
  if (proto.unknown_rank()) {
    return absl::InvalidArgumentError("shape has unknown rank where a concrete shape is needed");
  }
  TensorShape::Dims dims;
  for (const auto& d : proto.dim()) dims.push_back(d.size());
  TFM_RETURN_IF_ERROR(TensorShape::Validate(dims));
  return TensorShape(dims);
}

PartialShape PartialShapeFromProto(const tensorflow::TensorShapeProto& proto) {
  if (proto.unknown_rank()) return PartialShape();
  TensorShape::Dims dims;
  for (const auto& d : proto.dim()) dims.push_back(d.size() < 0 ? -1 : d.size());
  return PartialShape(dims);
}

void ShapeToProto(const TensorShape& shape, tensorflow::TensorShapeProto* proto) {
  proto->Clear();
  for (int64_t d : shape.dim_sizes()) proto->add_dim()->set_size(d);
}

void PartialShapeToProto(const PartialShape& shape, tensorflow::TensorShapeProto* proto) {
  proto->Clear();
  if (shape.unknown_rank()) {
    proto->set_unknown_rank(true);
    return;
  }
  for (int64_t d : shape.dims()) proto->add_dim()->set_size(d);
}

absl::StatusOr<Tensor> TensorFromProto(const tensorflow::TensorProto& proto) {
  int dtype_value = static_cast<int>(proto.dtype());
  if (!DTypeIsValid(dtype_value) || dtype_value >= kDTypeRefOffset) {
    return absl::InvalidArgumentError(absl::StrCat("TensorProto has invalid dtype ", dtype_value));
  }
  DType dtype = static_cast<DType>(dtype_value);
  auto shape_or = ShapeFromProto(proto.tensor_shape());
  if (!shape_or.ok()) return Annotate(shape_or.status(), "TensorProto");
  TFM_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, *shape_or));
  const int64_t n = t.NumElements();

  if (!proto.tensor_content().empty()) {
    if (!DTypeIsPod(dtype)) {
      return absl::InvalidArgumentError(
          absl::StrCat("TensorProto of dtype ", DTypeName(dtype), " cannot use tensor_content"));
    }
    if (proto.tensor_content().size() != t.TotalBytes()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "TensorProto tensor_content has ", proto.tensor_content().size(), " bytes but ",
          DTypeName(dtype), " ", t.shape().ToString(), " needs ", t.TotalBytes()));
    }
    std::memcpy(t.raw_data(), proto.tensor_content().data(), t.TotalBytes());
    return t;
  }

  switch (dtype) {
    case DType::kFloat:
      TFM_RETURN_IF_ERROR(
          FillRepeated(proto.float_val(), n, t.data<float>(), "float_val", Same<float>));
      break;
    case DType::kDouble:
      TFM_RETURN_IF_ERROR(
          FillRepeated(proto.double_val(), n, t.data<double>(), "double_val", Same<double>));
      break;
    case DType::kInt32:
    case DType::kQInt32:
      TFM_RETURN_IF_ERROR(FillRepeated(proto.int_val(), n, static_cast<int32_t*>(t.raw_data()),
                                       "int_val", Same<int32_t>));
      break;
    case DType::kInt16:
    case DType::kQInt16:
      TFM_RETURN_IF_ERROR(FillRepeated(proto.int_val(), n, static_cast<int16_t*>(t.raw_data()),
                                       "int_val",
                                       [](int32_t v) { return static_cast<int16_t>(v); }));
      break;
    case DType::kInt8:
    case DType::kQInt8:
      TFM_RETURN_IF_ERROR(FillRepeated(proto.int_val(), n, static_cast<int8_t*>(t.raw_data()),
                                       "int_val",
                                       [](int32_t v) { return static_cast<int8_t>(v); }));
      break;
    case DType::kUInt8:
    case DType::kQUInt8:
      TFM_RETURN_IF_ERROR(FillRepeated(proto.int_val(), n, static_cast<uint8_t*>(t.raw_data()),
                                       "int_val",
                                       [](int32_t v) { return static_cast<uint8_t>(v); }));
      break;
    case DType::kUInt16:
    case DType::kQUInt16:
      TFM_RETURN_IF_ERROR(FillRepeated(proto.int_val(), n, static_cast<uint16_t*>(t.raw_data()),
                                       "int_val",
                                       [](int32_t v) { return static_cast<uint16_t>(v); }));
      break;
    case DType::kInt64:
      TFM_RETURN_IF_ERROR(
          FillRepeated(proto.int64_val(), n, t.data<int64_t>(), "int64_val", Same<int64_t>));
      break;
    case DType::kUInt32:
      TFM_RETURN_IF_ERROR(
          FillRepeated(proto.uint32_val(), n, t.data<uint32_t>(), "uint32_val", Same<uint32_t>));
      break;
    case DType::kUInt64:
      TFM_RETURN_IF_ERROR(
          FillRepeated(proto.uint64_val(), n, t.data<uint64_t>(), "uint64_val", Same<uint64_t>));
      break;
    case DType::kBool:
      TFM_RETURN_IF_ERROR(
          FillRepeated(proto.bool_val(), n, t.data<bool>(), "bool_val", Same<bool>));
      break;
    case DType::kHalf:
      TFM_RETURN_IF_ERROR(
          FillRepeated(proto.half_val(), n, t.data<Half>(), "half_val", [](int32_t v) {
            Half h;
            h.bits = static_cast<uint16_t>(v);
            return h;
          }));
      break;
    case DType::kBFloat16:
      TFM_RETURN_IF_ERROR(
          FillRepeated(proto.half_val(), n, t.data<BFloat16>(), "half_val", [](int32_t v) {
            BFloat16 h;
            h.bits = static_cast<uint16_t>(v);
            return h;
          }));
      break;
    case DType::kString:
      TFM_RETURN_IF_ERROR(FillRepeated(proto.string_val(), n, t.data<std::string>(), "string_val",
                                       [](const std::string& s) { return s; }));
      break;
    case DType::kComplex64:
    case DType::kComplex128: {
      bool is64 = dtype == DType::kComplex64;
      int have = is64 ? proto.scomplex_val_size() : proto.dcomplex_val_size();
      if (have % 2 != 0 || have / 2 > n) {
        return absl::InvalidArgumentError(
            absl::StrCat("TensorProto has ", have, " complex components for ", n, " elements"));
      }
      for (int64_t i = 0; i < n && have > 0; ++i) {
        int64_t j = std::min<int64_t>(i, have / 2 - 1);
        if (is64) {
          t.data<complex64>()[i] =
              complex64(proto.scomplex_val(2 * j), proto.scomplex_val(2 * j + 1));
        } else {
          t.data<complex128>()[i] =
              complex128(proto.dcomplex_val(2 * j), proto.dcomplex_val(2 * j + 1));
        }
      }
      break;
    }
    case DType::kResource: {
      if (proto.resource_handle_val_size() > n)
        return absl::InvalidArgumentError("too many resource handles");
      for (int i = 0; i < proto.resource_handle_val_size(); ++i) {
        const auto& h = proto.resource_handle_val(i);
        ResourceHandle& r = t.data<ResourceHandle>()[i];
        r.device = h.device();
        r.container = h.container();
        r.name = h.name();
        r.type_name = h.maybe_type_name();
      }
      break;
    }
    case DType::kVariant:
      // Variant payloads are opaque here; the runtime interprets type_name when needed.
      for (int i = 0; i < proto.variant_val_size() && i < n; ++i) {
        t.data<Variant>()[i].type_name = proto.variant_val(i).type_name();
      }
      break;
    default:
      return absl::UnimplementedError(
          absl::StrCat("TensorProto dtype ", DTypeName(dtype), " is not supported"));
  }
  return t;
}

void TensorToProto(const Tensor& t, tensorflow::TensorProto* proto, TensorEncoding encoding) {
  proto->Clear();
  proto->set_dtype(static_cast<tensorflow::DataType>(t.dtype()));
  ShapeToProto(t.shape(), proto->mutable_tensor_shape());
  const int64_t n = t.NumElements();
  if (DTypeIsPod(t.dtype()) && encoding == TensorEncoding::kContent) {
    proto->set_tensor_content(static_cast<const char*>(t.raw_data()), t.TotalBytes());
    return;
  }
  switch (t.dtype()) {
    case DType::kFloat:
      proto->mutable_float_val()->Add(t.data<float>(), t.data<float>() + n);
      break;
    case DType::kDouble:
      proto->mutable_double_val()->Add(t.data<double>(), t.data<double>() + n);
      break;
    case DType::kInt32:
    case DType::kQInt32:
      proto->mutable_int_val()->Add(static_cast<const int32_t*>(t.raw_data()),
                                    static_cast<const int32_t*>(t.raw_data()) + n);
      break;
    case DType::kInt16:
    case DType::kQInt16:
      for (int64_t i = 0; i < n; ++i)
        proto->add_int_val(static_cast<const int16_t*>(t.raw_data())[i]);
      break;
    case DType::kInt8:
    case DType::kQInt8:
      for (int64_t i = 0; i < n; ++i)
        proto->add_int_val(static_cast<const int8_t*>(t.raw_data())[i]);
      break;
    case DType::kUInt8:
    case DType::kQUInt8:
      for (int64_t i = 0; i < n; ++i)
        proto->add_int_val(static_cast<const uint8_t*>(t.raw_data())[i]);
      break;
    case DType::kUInt16:
    case DType::kQUInt16:
      for (int64_t i = 0; i < n; ++i)
        proto->add_int_val(static_cast<const uint16_t*>(t.raw_data())[i]);
      break;
    case DType::kInt64:
      proto->mutable_int64_val()->Add(t.data<int64_t>(), t.data<int64_t>() + n);
      break;
    case DType::kUInt32:
      proto->mutable_uint32_val()->Add(t.data<uint32_t>(), t.data<uint32_t>() + n);
      break;
    case DType::kUInt64:
      proto->mutable_uint64_val()->Add(t.data<uint64_t>(), t.data<uint64_t>() + n);
      break;
    case DType::kBool:
      for (int64_t i = 0; i < n; ++i) proto->add_bool_val(t.data<bool>()[i]);
      break;
    case DType::kHalf:
      for (int64_t i = 0; i < n; ++i) proto->add_half_val(t.data<Half>()[i].bits);
      break;
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) proto->add_half_val(t.data<BFloat16>()[i].bits);
      break;
    case DType::kComplex64:
      for (int64_t i = 0; i < n; ++i) {
        proto->add_scomplex_val(t.data<complex64>()[i].real());
        proto->add_scomplex_val(t.data<complex64>()[i].imag());
      }
      break;
    case DType::kComplex128:
      for (int64_t i = 0; i < n; ++i) {
        proto->add_dcomplex_val(t.data<complex128>()[i].real());
        proto->add_dcomplex_val(t.data<complex128>()[i].imag());
      }
      break;
    case DType::kString:
      for (int64_t i = 0; i < n; ++i) proto->add_string_val(t.data<std::string>()[i]);
      break;
    case DType::kResource:
      for (int64_t i = 0; i < n; ++i) {
        const ResourceHandle& r = t.data<ResourceHandle>()[i];
        auto* h = proto->add_resource_handle_val();
        h->set_device(r.device);
        h->set_container(r.container);
        h->set_name(r.name);
        h->set_maybe_type_name(r.type_name);
      }
      break;
    case DType::kVariant:
      for (int64_t i = 0; i < n; ++i)
        proto->add_variant_val()->set_type_name(t.data<Variant>()[i].type_name);
      break;
    default:
      break;
  }
}

}  // namespace tfmodel
