// A runtime::Model double for serving unit tests: behaves like TF Serving's
// half_plus_two test model (y = a*x + b) without the executor.
//   serving_default (predict): x float [-1,1] -> y
//   classify_x_to_y (classify): inputs (serialized Example with float x) -> scores [N,1]
//   regress_x_to_y (regress): inputs -> outputs [N,1]
//   echo_bytes (predict): s_bytes string -> s_bytes, n int64 -> n (two inputs, two outputs)
#ifndef TFMODEL_TESTS_FAKE_HALF_PLUS_TWO_MODEL_H_
#define TFMODEL_TESTS_FAKE_HALF_PLUS_TWO_MODEL_H_

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/model.h"
#include "tensorflow/core/example/example.pb.h"

namespace tfmodel::testing {

class FakeHalfPlusTwoModel : public runtime::Model {
 public:
  explicit FakeHalfPlusTwoModel(float a = 0.5f, float b = 2.0f) : a_(a), b_(b) {
    auto spec = [](const char* name, DType dt, std::vector<int64_t> dims) {
      runtime::TensorSpec s;
      s.tensor_name = name;
      s.dtype = dt;
      s.shape = PartialShape(dims);
      return s;
    };
    auto add = [&](const char* key, const char* method) -> runtime::Signature& {
      runtime::Signature& s = sigs_[key];
      s.key = key;
      s.method_name = method;
      return s;
    };
    auto& p = add("serving_default", "tensorflow/serving/predict");
    p.inputs["x"] = spec("x:0", DType::kFloat, {-1, 1});
    p.outputs["y"] = spec("y:0", DType::kFloat, {-1, 1});
    auto& c = add("classify_x_to_y", "tensorflow/serving/classify");
    c.inputs["inputs"] = spec("tf_example:0", DType::kString, {-1});
    c.outputs["scores"] = spec("y:0", DType::kFloat, {-1, 1});
    auto& r = add("regress_x_to_y", "tensorflow/serving/regress");
    r.inputs["inputs"] = spec("tf_example:0", DType::kString, {-1});
    r.outputs["outputs"] = spec("y:0", DType::kFloat, {-1, 1});
    auto& e = add("echo_bytes", "tensorflow/serving/predict");
    e.inputs["s_bytes"] = spec("s:0", DType::kString, {-1});
    e.inputs["n"] = spec("n:0", DType::kInt64, {-1});
    e.outputs["s_bytes"] = spec("s_out:0", DType::kString, {-1});
    e.outputs["n"] = spec("n_out:0", DType::kInt64, {-1});
    for (const auto& [key, sig] : sigs_) {
      auto& def = (*meta_.mutable_signature_def())[key];
      def.set_method_name(sig.method_name);
      for (const auto& [alias, ts] : sig.inputs) {
        (*def.mutable_inputs())[alias].set_name(ts.tensor_name);
        (*def.mutable_inputs())[alias].set_dtype(static_cast<tensorflow::DataType>(ts.dtype));
      }
      for (const auto& [alias, ts] : sig.outputs) {
        (*def.mutable_outputs())[alias].set_name(ts.tensor_name);
        (*def.mutable_outputs())[alias].set_dtype(static_cast<tensorflow::DataType>(ts.dtype));
      }
    }
  }

  const std::map<std::string, runtime::Signature>& signatures() const override { return sigs_; }
  const tensorflow::MetaGraphDef& meta_graph() const override { return meta_; }

  absl::StatusOr<std::map<std::string, Tensor>> RunSignature(
      const std::string& key, const std::map<std::string, Tensor>& inputs,
      const std::vector<std::string>& output_filter) override {
    ++runs;
    std::map<std::string, Tensor> out;
    if (key == "serving_default") {
      const Tensor& x = inputs.at("x");
      Tensor y(DType::kFloat, x.shape());
      for (int64_t i = 0; i < x.NumElements(); ++i)
        y.data<float>()[i] = a_ * x.data<float>()[i] + b_;
      out["y"] = y;
    } else if (key == "classify_x_to_y" || key == "regress_x_to_y") {
      const Tensor& in = inputs.at("inputs");
      Tensor y(DType::kFloat, TensorShape{in.dim(0), 1});
      for (int64_t i = 0; i < in.dim(0); ++i) {
        tensorflow::Example ex;
        if (!ex.ParseFromString(in.data<std::string>()[i])) {
          return absl::InvalidArgumentError("Could not parse example input");
        }
        const auto& f = ex.features().feature();
        auto it = f.find("x");
        if (it == f.end() || it->second.float_list().value_size() < 1) {
          return absl::InvalidArgumentError(
              absl::StrCat("Feature: x (data type: float) is required but could not be found."));
        }
        y.data<float>()[i] = a_ * it->second.float_list().value(0) + b_;
      }
      out[key == "classify_x_to_y" ? "scores" : "outputs"] = y;
    } else if (key == "echo_bytes") {
      out["s_bytes"] = inputs.at("s_bytes");
      out["n"] = inputs.at("n");
    } else {
      return absl::NotFoundError("no signature " + key);
    }
    if (!output_filter.empty()) {
      std::map<std::string, Tensor> filtered;
      for (const auto& k : output_filter) filtered[k] = out[k];
      return filtered;
    }
    return out;
  }

  absl::StatusOr<std::vector<Tensor>> Run(const std::vector<std::pair<std::string, Tensor>>&,
                                          const std::vector<std::string>&,
                                          const std::vector<std::string>&) override {
    return absl::UnimplementedError("FakeHalfPlusTwoModel::Run");
  }

  std::atomic<int> runs{0};

 private:
  float a_, b_;
  std::map<std::string, runtime::Signature> sigs_;
  tensorflow::MetaGraphDef meta_;
};

}  // namespace tfmodel::testing

#endif  // TFMODEL_TESTS_FAKE_HALF_PLUS_TWO_MODEL_H_
