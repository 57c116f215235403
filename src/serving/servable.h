// One loaded model version and TF Serving's inference APIs over it (Predict, Classify,
// Regress, MultiInference, metadata). Requests hold a shared_ptr<Servable>, so a version
// that is unloaded while a request runs stays alive until that request finishes.
#ifndef TFMODEL_SERVING_SERVABLE_H_
#define TFMODEL_SERVING_SERVABLE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "runtime/model.h"
#include "serving/batching.h"
#include "tensorflow_serving/apis/classification.pb.h"
#include "tensorflow_serving/apis/get_model_metadata.pb.h"
#include "tensorflow_serving/apis/inference.pb.h"
#include "tensorflow_serving/apis/input.pb.h"
#include "tensorflow_serving/apis/predict.pb.h"
#include "tensorflow_serving/apis/regression.pb.h"

namespace tfmodel::serving {

inline constexpr char kDefaultSignatureKey[] = "serving_default";
inline constexpr char kPredictMethodName[] = "tensorflow/serving/predict";
inline constexpr char kClassifyMethodName[] = "tensorflow/serving/classify";
inline constexpr char kRegressMethodName[] = "tensorflow/serving/regress";

struct ServableOptions {
  // TF Serving's --enable_signature_method_name_check.
  bool check_method_name = false;
  // --enable_serialization_as_tensor_content.
  bool tensor_content_outputs = false;
  // --enable_batching: Predict, Classify, Regress (and MultiInference) runs are batched
  // across concurrent requests by this scheduler (owned by the server). Null = unbatched.
  BatchScheduler* batch_scheduler = nullptr;
};

class Servable {
 public:
  Servable(std::string name, int64_t version, std::shared_ptr<runtime::Model> model,
           ServableOptions options = {});

  const std::string& name() const { return name_; }
  int64_t version() const { return version_; }
  runtime::Model& model() const { return *model_; }

  // Input dtypes (by alias) of the signature for a request's name ("" = serving_default),
  // computed at load, or TF Serving's REST error for an unknown signature.
  absl::StatusOr<const std::map<std::string, DType>*> InputDTypes(
      const std::string& signature_name) const;

  // Runs a signature on tensors (by alias); used by the REST path.
  absl::StatusOr<std::map<std::string, Tensor>> RunPredict(
      const std::string& signature_name, const std::map<std::string, Tensor>& inputs,
      const std::vector<std::string>& output_filter = {}) const;

  absl::Status Predict(const tensorflow::serving::PredictRequest& request,
                       tensorflow::serving::PredictResponse* response) const;
  absl::Status Classify(const std::string& signature_name, const tensorflow::serving::Input& input,
                        tensorflow::serving::ClassificationResult* result) const;
  absl::Status Regress(const std::string& signature_name, const tensorflow::serving::Input& input,
                       tensorflow::serving::RegressionResult* result) const;
  // All tasks must name this servable's model; runs each on the shared input.
  absl::Status MultiInference(const tensorflow::serving::MultiInferenceRequest& request,
                              tensorflow::serving::MultiInferenceResponse* response) const;
  // GetModelMetadata for field "signature_def".
  absl::Status GetMetadata(const tensorflow::serving::GetModelMetadataRequest& request,
                           tensorflow::serving::GetModelMetadataResponse* response) const;

  // Fills model_spec of a response: name, resolved version, signature name.
  void FillModelSpec(const std::string& signature_name, tensorflow::serving::ModelSpec* spec) const;

 private:
  // Every signature run goes through here: batched when a scheduler is set.
  // by_tensor_names: feed and fetch the signature's tensors by name (classify/regress,
  // where the SignatureDef's declared input dtype is not checked).
  absl::StatusOr<std::map<std::string, Tensor>> RunSignature(
      const std::string& key, const std::map<std::string, Tensor>& inputs,
      const std::vector<std::string>& outputs, bool by_tensor_names = false) const;
  absl::StatusOr<std::map<std::string, Tensor>> RunExamples(const runtime::Signature& sig,
                                                            const tensorflow::serving::Input& input,
                                                            const std::vector<std::string>& outputs,
                                                            int64_t* num_examples) const;

  std::string name_;
  int64_t version_;
  std::shared_ptr<runtime::Model> model_;
  ServableOptions options_;
  std::unique_ptr<BatchingRunner> batching_;
  // Input dtypes by signature key, then alias.
  std::map<std::string, std::map<std::string, DType>, std::less<>> input_dtypes_;
};

// Serialized tf.Examples of an Input as a DT_STRING [N] tensor (context merged into each
// example the way protobuf merges concatenated messages). Empty input is an error.
absl::StatusOr<Tensor> InputToExampleTensor(const tensorflow::serving::Input& input);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_SERVABLE_H_
