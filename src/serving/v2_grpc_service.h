// The Open Inference Protocol's (KServe v2) gRPC service inference.GRPCInferenceService,
// served on the gRPC port beside TF Serving's PredictionService and ModelService.
// ModelInfer takes typed `contents` or raw_input_contents and answers with
// raw_output_contents (the layout in serving/v2_protocol.h), as Triton does.
#ifndef TFMODEL_SERVING_V2_GRPC_SERVICE_H_
#define TFMODEL_SERVING_V2_GRPC_SERVICE_H_

#include "grpcpp/grpcpp.h"
#include "inference/open_inference_grpc.grpc.pb.h"
#include "serving/manager.h"
#include "serving/metrics.h"

namespace tfmodel::serving {

class V2GrpcService final : public inference::GRPCInferenceService::Service {
 public:
  V2GrpcService(ServableManager* manager, Metrics* metrics)
      : manager_(manager), metrics_(metrics) {}

  grpc::Status ServerLive(grpc::ServerContext* context, const inference::ServerLiveRequest* request,
                          inference::ServerLiveResponse* response) override;
  grpc::Status ServerReady(grpc::ServerContext* context,
                           const inference::ServerReadyRequest* request,
                           inference::ServerReadyResponse* response) override;
  grpc::Status ModelReady(grpc::ServerContext* context, const inference::ModelReadyRequest* request,
                          inference::ModelReadyResponse* response) override;
  grpc::Status ServerMetadata(grpc::ServerContext* context,
                              const inference::ServerMetadataRequest* request,
                              inference::ServerMetadataResponse* response) override;
  grpc::Status ModelMetadata(grpc::ServerContext* context,
                             const inference::ModelMetadataRequest* request,
                             inference::ModelMetadataResponse* response) override;
  grpc::Status ModelInfer(grpc::ServerContext* context, const inference::ModelInferRequest* request,
                          inference::ModelInferResponse* response) override;

 private:
  ServableManager* manager_;
  Metrics* metrics_;
};

// The typed contents of one input as a tensor of `dtype` and `shape` (exported for tests).
absl::StatusOr<Tensor> TensorFromContents(absl::string_view name, DType dtype,
                                          const TensorShape& shape,
                                          const inference::InferTensorContents& contents);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_V2_GRPC_SERVICE_H_
