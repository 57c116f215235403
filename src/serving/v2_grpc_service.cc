#include "serving/v2_grpc_service.h"

#include <limits>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/status.h"
#include "serving/echo_text.h"
#include "serving/grpc_service.h"
#include "serving/v2_protocol.h"

namespace tfmodel::serving {
namespace {

// Copies `values` into a new tensor, each checked to fit T.
template <typename T, typename Repeated>
absl::StatusOr<Tensor> FromRepeated(absl::string_view name, DType dtype, const TensorShape& shape,
                                    const Repeated& values, const char* field) {
  const int64_t n = shape.NumElements();
  if (values.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat("input '", EchoText(name), "': ", field,
                                                   " holds ", values.size(), " values, but shape ",
                                                   shape.ToString(), " needs ", n));
  }
  Tensor t(dtype, shape);
  T* out = t.data<T>();
  for (int64_t i = 0; i < n; ++i) {
    const auto v = values.Get(static_cast<int>(i));
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
        return absl::InvalidArgumentError(absl::StrCat("input '", EchoText(name), "': value ", v,
                                                       " at ", i, " is out of range for ",
                                                       v2::DatatypeName(dtype)));
      }
    }
    out[i] = static_cast<T>(v);
  }
  return t;
}

}  // namespace

absl::StatusOr<Tensor> TensorFromContents(absl::string_view name, DType dtype,
                                          const TensorShape& shape,
                                          const inference::InferTensorContents& c) {
  switch (dtype) {
    case DType::kBool:
      return FromRepeated<bool>(name, dtype, shape, c.bool_contents(), "bool_contents");
    case DType::kInt8:
      return FromRepeated<int8_t>(name, dtype, shape, c.int_contents(), "int_contents");
    case DType::kInt16:
      return FromRepeated<int16_t>(name, dtype, shape, c.int_contents(), "int_contents");
    case DType::kInt32:
      return FromRepeated<int32_t>(name, dtype, shape, c.int_contents(), "int_contents");
    case DType::kInt64:
      return FromRepeated<int64_t>(name, dtype, shape, c.int64_contents(), "int64_contents");
    case DType::kUInt8:
      return FromRepeated<uint8_t>(name, dtype, shape, c.uint_contents(), "uint_contents");
    case DType::kUInt16:
      return FromRepeated<uint16_t>(name, dtype, shape, c.uint_contents(), "uint_contents");
    case DType::kUInt32:
      return FromRepeated<uint32_t>(name, dtype, shape, c.uint_contents(), "uint_contents");
    case DType::kUInt64:
      return FromRepeated<uint64_t>(name, dtype, shape, c.uint64_contents(), "uint64_contents");
    case DType::kFloat:
      return FromRepeated<float>(name, dtype, shape, c.fp32_contents(), "fp32_contents");
    case DType::kDouble:
      return FromRepeated<double>(name, dtype, shape, c.fp64_contents(), "fp64_contents");
    case DType::kString: {
      const int64_t n = shape.NumElements();
      if (c.bytes_contents_size() != n) {
        return absl::InvalidArgumentError(absl::StrCat(
            "input '", EchoText(name), "': bytes_contents holds ", c.bytes_contents_size(),
            " values, but shape ", shape.ToString(), " needs ", n));
      }
      Tensor t(dtype, shape);
      for (int64_t i = 0; i < n; ++i) {
        t.data<std::string>()[i] = c.bytes_contents(static_cast<int>(i));
      }
      return t;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("input '", EchoText(name), "': ", v2::DatatypeName(dtype),
                       " values can only be sent in raw_input_contents"));
  }
}

grpc::Status V2GrpcService::ServerLive(grpc::ServerContext*, const inference::ServerLiveRequest*,
                                       inference::ServerLiveResponse* response) {
  response->set_live(true);
  return grpc::Status::OK;
}

grpc::Status V2GrpcService::ServerReady(grpc::ServerContext*, const inference::ServerReadyRequest*,
                                        inference::ServerReadyResponse* response) {
  response->set_ready(v2::ServerReady(*manager_));
  return grpc::Status::OK;
}

grpc::Status V2GrpcService::ModelReady(grpc::ServerContext*,
                                       const inference::ModelReadyRequest* request,
                                       inference::ModelReadyResponse* response) {
  auto ready = v2::ModelReady(*manager_, request->name(), request->version());
  if (!ready.ok()) return ToGrpcStatus(ready.status());
  response->set_ready(*ready);
  return grpc::Status::OK;
}

grpc::Status V2GrpcService::ServerMetadata(grpc::ServerContext*,
                                           const inference::ServerMetadataRequest*,
                                           inference::ServerMetadataResponse* response) {
  response->set_name(v2::kServerName);
  response->set_version(v2::kServerVersion);
  response->add_extensions(v2::kBinaryDataExtension);
  return grpc::Status::OK;
}

grpc::Status V2GrpcService::ModelMetadata(grpc::ServerContext*,
                                          const inference::ModelMetadataRequest* request,
                                          inference::ModelMetadataResponse* response) {
  auto m = v2::GetModelMetadata(*manager_, request->name(), request->version());
  if (!m.ok()) return ToGrpcStatus(m.status());
  response->set_name(m->name);
  for (const auto& v : m->versions) response->add_versions(v);
  response->set_platform(m->platform);
  auto fill = [](const v2::TensorMetadata& t, inference::ModelMetadataResponse::TensorMetadata* o) {
    o->set_name(t.name);
    o->set_datatype(t.datatype);
    for (int64_t d : t.shape) o->add_shape(d);
  };
  for (const auto& t : m->inputs) fill(t, response->add_inputs());
  for (const auto& t : m->outputs) fill(t, response->add_outputs());
  return grpc::Status::OK;
}

grpc::Status V2GrpcService::ModelInfer(grpc::ServerContext*,
                                       const inference::ModelInferRequest* request,
                                       inference::ModelInferResponse* response) {
  const absl::Time start = absl::Now();
  absl::Status s = [&]() -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto spec, v2::SpecFor(request->model_name(), request->model_version()));
    // The version the request resolves to is held for the whole request.
    TFM_ASSIGN_OR_RETURN(auto servable, manager_->GetServable(spec));
    TFM_ASSIGN_OR_RETURN(const InputDTypeMap* signature, servable->InputDTypes(""));
    const bool raw = request->raw_input_contents_size() > 0;
    if (raw && request->raw_input_contents_size() != request->inputs_size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("raw_input_contents has ", request->raw_input_contents_size(),
                       " entries, but the request has ", request->inputs_size(), " inputs"));
    }
    v2::InferRequest infer;
    infer.id = request->id();
    for (int i = 0; i < request->inputs_size(); ++i) {
      const auto& in = request->inputs(i);
      TFM_ASSIGN_OR_RETURN(const DType dtype, v2::DTypeFromDatatype(in.datatype()));
      TFM_RETURN_IF_ERROR(v2::CheckInput(*servable, *signature, infer.inputs, in.name(), dtype));
      TFM_ASSIGN_OR_RETURN(
          const TensorShape shape,
          v2::ShapeFromDims(in.name(), {in.shape().data(), static_cast<size_t>(in.shape_size())}));
      Tensor t;
      if (raw) {
        if (in.has_contents()) {
          return absl::InvalidArgumentError(
              absl::StrCat("input '", EchoText(in.name()),
                           "' has contents although the request uses raw_input_contents"));
        }
        TFM_ASSIGN_OR_RETURN(
            t, v2::TensorFromRaw(in.name(), dtype, shape, request->raw_input_contents(i)));
      } else {
        TFM_ASSIGN_OR_RETURN(t, TensorFromContents(in.name(), dtype, shape, in.contents()));
      }
      infer.inputs.emplace(in.name(), std::move(t));
    }
    for (const auto& o : request->outputs()) infer.outputs.push_back({o.name(), true});
    TFM_ASSIGN_OR_RETURN(auto outputs, v2::RunInfer(*servable, infer));
    response->set_model_name(servable->name());
    response->set_model_version(absl::StrCat(servable->version()));
    response->set_id(request->id());
    for (const auto& [name, t] : outputs) {
      const absl::string_view datatype = v2::DatatypeName(t.dtype());
      auto* o = response->add_outputs();
      o->set_name(name);
      o->set_datatype(std::string(datatype));
      for (int64_t d : t.shape().dim_sizes()) o->add_shape(d);
      TFM_RETURN_IF_ERROR(v2::AppendRaw(name, t, response->add_raw_output_contents()));
    }
    return absl::OkStatus();
  }();
  if (metrics_) {
    metrics_->RecordRequest(request->model_name(), "v2_infer", "GRPC",
                            absl::StatusCodeToString(s.code()),
                            absl::ToInt64Microseconds(absl::Now() - start));
  }
  if (!s.ok()) response->Clear();
  return ToGrpcStatus(s);
}

}  // namespace tfmodel::serving
