#include "serving/grpc_service.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/status.h"
#include "serving/echo_text.h"

namespace tfmodel::serving {

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(s.code())),
                      BoundErrorMessage(s.message()));
}

grpc::Status PredictionServiceImpl::Finish(const std::string& model, const char* api,
                                           absl::Time start, const absl::Status& s) {
  if (metrics_) {
    metrics_->RecordRequest(model, api, "GRPC", absl::StatusCodeToString(s.code()),
                            absl::ToInt64Microseconds(absl::Now() - start));
  }
  return ToGrpcStatus(s);
}

grpc::Status PredictionServiceImpl::Classify(
    grpc::ServerContext*, const tensorflow::serving::ClassificationRequest* request,
    tensorflow::serving::ClassificationResponse* response) {
  const absl::Time start = absl::Now();
  absl::Status s = [&]() -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto servable, manager_->GetServable(request->model_spec()));
    TFM_RETURN_IF_ERROR(servable->Classify(request->model_spec().signature_name(), request->input(),
                                           response->mutable_result()));
    servable->FillModelSpec(request->model_spec().signature_name().empty()
                                ? kDefaultSignatureKey
                                : request->model_spec().signature_name(),
                            response->mutable_model_spec());
    return absl::OkStatus();
  }();
  return Finish(request->model_spec().name(), "classify", start, s);
}

grpc::Status PredictionServiceImpl::Regress(grpc::ServerContext*,
                                            const tensorflow::serving::RegressionRequest* request,
                                            tensorflow::serving::RegressionResponse* response) {
  const absl::Time start = absl::Now();
  absl::Status s = [&]() -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto servable, manager_->GetServable(request->model_spec()));
    TFM_RETURN_IF_ERROR(servable->Regress(request->model_spec().signature_name(), request->input(),
                                          response->mutable_result()));
    servable->FillModelSpec(request->model_spec().signature_name().empty()
                                ? kDefaultSignatureKey
                                : request->model_spec().signature_name(),
                            response->mutable_model_spec());
    return absl::OkStatus();
  }();
  return Finish(request->model_spec().name(), "regress", start, s);
}

grpc::Status PredictionServiceImpl::Predict(grpc::ServerContext*,
                                            const tensorflow::serving::PredictRequest* request,
                                            tensorflow::serving::PredictResponse* response) {
  const absl::Time start = absl::Now();
  absl::Status s = [&]() -> absl::Status {
    TFM_ASSIGN_OR_RETURN(auto servable, manager_->GetServable(request->model_spec()));
    return servable->Predict(*request, response);
  }();
  return Finish(request->model_spec().name(), "predict", start, s);
}

grpc::Status PredictionServiceImpl::MultiInference(
    grpc::ServerContext*, const tensorflow::serving::MultiInferenceRequest* request,
    tensorflow::serving::MultiInferenceResponse* response) {
  const absl::Time start = absl::Now();
  std::string model;
  absl::Status s = [&]() -> absl::Status {
    if (request->tasks_size() == 0) {
      return absl::InvalidArgumentError("Found no tasks in MultiInferenceRequest");
    }
    const auto& spec = request->tasks(0).model_spec();
    model = spec.name();
    for (const auto& task : request->tasks()) {
      if (task.model_spec().name() != spec.name()) {
        return absl::InvalidArgumentError(
            "All ModelSpecs in a MultiInferenceRequest must access the same model name.");
      }
      if (task.model_spec().has_version() != spec.has_version() ||
          task.model_spec().version().value() != spec.version().value() ||
          task.model_spec().version_label() != spec.version_label()) {
        return absl::InvalidArgumentError(
            "All ModelSpecs in a MultiInferenceRequest must access the same model version.");
      }
    }
    TFM_ASSIGN_OR_RETURN(auto servable, manager_->GetServable(spec));
    return servable->MultiInference(*request, response);
  }();
  return Finish(model, "multi_inference", start, s);
}

grpc::Status PredictionServiceImpl::GetModelMetadata(
    grpc::ServerContext*, const tensorflow::serving::GetModelMetadataRequest* request,
    tensorflow::serving::GetModelMetadataResponse* response) {
  const absl::Time start = absl::Now();
  absl::Status s = [&]() -> absl::Status {
    if (!request->has_model_spec()) return absl::InvalidArgumentError("Missing model_spec");
    TFM_ASSIGN_OR_RETURN(auto servable, manager_->GetServable(request->model_spec()));
    return servable->GetMetadata(*request, response);
  }();
  return Finish(request->model_spec().name(), "get_model_metadata", start, s);
}

grpc::Status ModelServiceImpl::GetModelStatus(
    grpc::ServerContext*, const tensorflow::serving::GetModelStatusRequest* request,
    tensorflow::serving::GetModelStatusResponse* response) {
  return ToGrpcStatus(manager_->GetModelStatus(*request, response));
}

grpc::Status ModelServiceImpl::HandleReloadConfigRequest(
    grpc::ServerContext*, const tensorflow::serving::ReloadConfigRequest* request,
    tensorflow::serving::ReloadConfigResponse* response) {
  absl::Status s;
  if (request->config().config_case() != tensorflow::serving::ModelServerConfig::kModelConfigList) {
    // Also an unset config: never read as "serve no models" (the models stay as they are).
    s = absl::InvalidArgumentError(
        "ServerModelConfig type not supported by HandleReloadConfigRequest. Only "
        "ModelConfigList is currently supported");
  } else if (!reload_) {
    s = absl::UnimplementedError("config reload is not available");
  } else {
    s = reload_(request->config());
  }
  if (!s.ok()) std::fprintf(stderr, "ReloadConfig failed: %s\n", std::string(s.message()).c_str());
  response->mutable_status()->set_error_code(
      static_cast<tensorflow::error::Code>(static_cast<int>(s.code())));
  response->mutable_status()->set_error_message(BoundErrorMessage(s.message()));
  return ToGrpcStatus(s);
}

}  // namespace tfmodel::serving
