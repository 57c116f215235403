// TF Serving's gRPC services: tensorflow.serving.PredictionService and ModelService.
#ifndef TFMODEL_SERVING_GRPC_SERVICE_H_
#define TFMODEL_SERVING_GRPC_SERVICE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "serving/manager.h"
#include "serving/metrics.h"
#include "tensorflow_serving/apis/model_service.grpc.pb.h"
#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"

namespace tfmodel::serving {

grpc::Status ToGrpcStatus(const absl::Status& s);

class PredictionServiceImpl final : public tensorflow::serving::PredictionService::Service {
 public:
  PredictionServiceImpl(ServableManager* manager, Metrics* metrics)
      : manager_(manager), metrics_(metrics) {}

  grpc::Status Classify(grpc::ServerContext* context,
                        const tensorflow::serving::ClassificationRequest* request,
                        tensorflow::serving::ClassificationResponse* response) override;
  grpc::Status Regress(grpc::ServerContext* context,
                       const tensorflow::serving::RegressionRequest* request,
                       tensorflow::serving::RegressionResponse* response) override;
  grpc::Status Predict(grpc::ServerContext* context,
                       const tensorflow::serving::PredictRequest* request,
                       tensorflow::serving::PredictResponse* response) override;
  grpc::Status MultiInference(grpc::ServerContext* context,
                              const tensorflow::serving::MultiInferenceRequest* request,
                              tensorflow::serving::MultiInferenceResponse* response) override;
  grpc::Status GetModelMetadata(grpc::ServerContext* context,
                                const tensorflow::serving::GetModelMetadataRequest* request,
                                tensorflow::serving::GetModelMetadataResponse* response) override;

 private:
  grpc::Status Finish(const std::string& model, const char* api, absl::Time start,
                      const absl::Status& s);
  ServableManager* manager_;
  Metrics* metrics_;
};

class ModelServiceImpl final : public tensorflow::serving::ModelService::Service {
 public:
  using Reloader = std::function<absl::Status(const tensorflow::serving::ModelServerConfig&)>;
  ModelServiceImpl(ServableManager* manager, Reloader reload)
      : manager_(manager), reload_(std::move(reload)) {}

  grpc::Status GetModelStatus(grpc::ServerContext* context,
                              const tensorflow::serving::GetModelStatusRequest* request,
                              tensorflow::serving::GetModelStatusResponse* response) override;
  // As TF Serving: only a config holding a model_config_list is accepted (an unset or
  // custom config is INVALID_ARGUMENT and changes nothing). A set but empty list unloads
  // every model, as it does in TF Serving.
  grpc::Status HandleReloadConfigRequest(
      grpc::ServerContext* context, const tensorflow::serving::ReloadConfigRequest* request,
      tensorflow::serving::ReloadConfigResponse* response) override;

 private:
  ServableManager* manager_;
  Reloader reload_;
};

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_GRPC_SERVICE_H_
