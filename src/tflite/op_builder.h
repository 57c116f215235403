// What a prepare function (op_registry.h) sees of the operator it prepares: its inputs and
// outputs, their types, constant values and quantization, its options, and errors that name
// the file, subgraph and operator.
#ifndef TFMODEL_TFLITE_OP_BUILDER_H_
#define TFMODEL_TFLITE_OP_BUILDER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "format/tflite.h"
#include "tflite/plan.h"

namespace tfmodel::tflite {

// A tensor's quantization: one scale and zero point per tensor, or per channel along `dim`.
struct QuantParams {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;  // same size as scale
  int dim = 0;
  bool present() const { return !scale.empty(); }
};

class OpBuilder {
 public:
  // `plans` holds every subgraph's plan (this one's tensors already filled in); `weights`
  // caches dequantized weights across the subgraph's operators.
  OpBuilder(const TfLiteFile& file, int subgraph, int op_index,
            const std::vector<SubgraphPlan>& plans, std::map<int, Tensor>* weights);

  const TfLiteFile& file() const { return file_; }
  const tflite_fb::Operator& op() const { return op_; }
  tflite_fb::BuiltinOperator code() const { return code_; }
  const std::string& label() const { return label_; }  // "operator 3 (CONV_2D)"
  std::string custom_name() const;                     // CUSTOM operators' custom code

  // Tensor indices of the inputs (-1 = optional input not given) and outputs.
  const std::vector<int>& inputs() const { return in_; }
  const std::vector<int>& outputs() const { return out_; }
  bool has_input(size_t i) const { return i < in_.size() && in_[i] >= 0; }
  // kInvalid when absent or of a type tfmodel has no dtype for.
  DType input_type(size_t i) const { return has_input(i) ? TypeOf(in_[i]) : DType::kInvalid; }
  DType output_type(size_t k) const { return k < out_.size() ? TypeOf(out_[k]) : DType::kInvalid; }
  DType TypeOf(int tensor) const;
  // The value of input i when it is a constant tensor, else null.
  const Tensor* ConstInput(size_t i) const;
  // Whether a tensor carries sparsity parameters (a sparse constant; its value in
  // ConstInput is already densified).
  bool IsSparse(int tensor) const;
  QuantParams Quant(int tensor) const;
  QuantParams InputQuant(size_t i) const { return has_input(i) ? Quant(in_[i]) : QuantParams{}; }
  QuantParams OutputQuant(size_t k) const {
    return k < out_.size() ? Quant(out_[k]) : QuantParams{};
  }
  // shape_signature (else shape) of a tensor.
  const std::vector<int64_t>& SignatureShape(int tensor) const;
  // The plan of another subgraph (control flow); its steps may not be built yet.
  const SubgraphPlan* subgraph(int index) const;
  int subgraph_index() const { return subgraph_; }
  // The resources the file's subgraphs share (tflite/resources.h).
  const std::shared_ptr<ResourceStore>& resources() const { return plans_[subgraph_].resources; }
  // The intra-op thread pool kernels may use (null: the calling thread).
  const Eigen::ThreadPoolDevice* device() const { return plans_[subgraph_].device; }

  // Ok when the operator has at least `ni` inputs (the first ni all given) and `no` outputs.
  absl::Status Expect(size_t ni, size_t no) const;
  // Float weights for a float operator whose constant input i is int8/uint8/float16
  // (dynamic-range / float16 quantized models), dequantized once per subgraph; nullopt when
  // input i is used as it is (not constant, already float, or the operator is not float).
  absl::StatusOr<std::optional<Tensor>> FloatWeights(size_t i);

  // InvalidArgument / Unimplemented errors naming file, subgraph and operator.
  absl::Status Error(const std::string& msg) const;
  absl::Status Unsupported(const std::string& msg) const;

 private:
  absl::StatusOr<Tensor> Dequantize(int tensor) const;

  const TfLiteFile& file_;
  int subgraph_;
  const tflite_fb::Operator& op_;
  tflite_fb::BuiltinOperator code_;
  std::string label_;
  std::vector<int> in_;
  std::vector<int> out_;
  const std::vector<SubgraphPlan>& plans_;
  std::map<int, Tensor>* weights_;
};

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_OP_BUILDER_H_
