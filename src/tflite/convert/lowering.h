// What TF-op lowering functions work with while converting a frozen GraphDef to TFLite
// (tflite/converter.h): the TFLite model under construction, the value of every TF tensor
// converted so far (a constant folded at conversion time, or a TFLite tensor), and the
// probe runs that give each TF tensor's dtype and shape.
//
// A lowering function turns one TF node into TFLite operators:
//
//   absl::Status LowerSqueeze(Lowering& l, const tensorflow::NodeDef& n) {
//     TFM_ASSIGN_OR_RETURN(int x, l.InputTensor(n, 0));
//     l.AddOp(B::SQUEEZE, {x}, {l.OutputTensor(n, 0)}, options);
//     return absl::OkStatus();
//   }
//
// and is listed by TF op name in the flat table of lowering_table.cc.
#ifndef TFMODEL_TFLITE_CONVERT_LOWERING_H_
#define TFMODEL_TFLITE_CONVERT_LOWERING_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "format/tflite.h"
#include "tensorflow/core/framework/node_def.pb.h"
#include "tflite/converter.h"

namespace tfmodel::tflite {

// "node" for output 0, "node:k" otherwise.
std::string TensorKey(const std::string& node, int index);
// A TF input name ("x", "x:1", "^ctrl") in TensorKey form.
std::string CanonicalTensorName(const std::string& name);

// A converted TF tensor.
struct Value {
  bool is_const = false;
  Tensor value;     // constant value (is_const)
  int tensor = -1;  // TFLite tensor (materialized constant or computed)
};

class Lowering {
 public:
  using B = tflite_fb::BuiltinOperator;
  using Act = tflite_fb::ActivationFunctionType;

  Lowering(const TfLiteConvertOptions& options, TfLiteConvertReport* report);

  // ---- The TFLite model.
  int NewTensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                const std::vector<int64_t>& signature);
  int ConstTensor(const std::string& name, const Tensor& v);
  int AddOp(B code, std::vector<int> inputs, std::vector<int> outputs,
            tflite_fb::BuiltinOptionsUnion options = {});
  // A CUSTOM operator with FlexBuffer options.
  int AddCustomOp(const std::string& custom_code, std::vector<int> inputs, std::vector<int> outputs,
                  std::vector<uint8_t> options);
  uint32_t OpcodeIndex(B code, const std::string& custom = "");
  B CodeOf(int op) const;
  tflite_fb::ModelT& model() { return model_; }
  tflite_fb::SubGraphT& subgraph() { return *model_.subgraphs[0]; }

  // ---- TF values.
  // The value of input i of `node`; constants are not materialized.
  absl::StatusOr<Value*> Input(const tensorflow::NodeDef& node, int i);
  // The TFLite tensor of input i (a constant becomes a constant tensor, once).
  absl::StatusOr<int> InputTensor(const tensorflow::NodeDef& node, int i);
  // The tensors of every data input (control inputs skipped).
  absl::StatusOr<std::vector<int>> DataInputTensors(const tensorflow::NodeDef& node);
  // The constant value of input i, or null.
  const Tensor* ConstInput(const tensorflow::NodeDef& node, int i);
  // A new TFLite tensor for output k of `node`, typed and shaped from the probe runs
  // (dimensions that differ between the two runs are -1 in shape_signature).
  int OutputTensor(const tensorflow::NodeDef& node, int k);
  // Output k of `node` is TFLite tensor `tensor` (renamed after it).
  void Alias(const tensorflow::NodeDef& node, int k, int tensor);
  // TF tensor `key` is TFLite tensor `tensor`, a constant, or the same value as another.
  void SetTensor(const std::string& key, int tensor);
  void SetConst(const std::string& key, const Tensor& value);
  void SetValue(const std::string& key, const Value& v) { values_[key] = v; }
  // The TFLite tensor of TF tensor `key` (a constant becomes a constant tensor, once).
  int TensorOf(const std::string& key);
  const std::map<std::string, Value>& values() const { return values_; }

  // ---- Fusion.
  // The operator producing input i when nothing else consumes that tensor (so it may
  // absorb this node), or -1.
  int FusableProducer(const tensorflow::NodeDef& node, int i);
  // Sets the fused activation of operator `op` if it has one and it is NONE.
  bool SetActivation(int op, Act act);
  // Whether operator `op`'s fused activation is NONE (true for ops without one).
  bool ActivationIsNone(int op);

  // ---- Graph facts (filled by the converter before lowering).
  std::map<std::string, int>& consumers() { return consumers_; }  // tensor key -> count
  std::set<std::string>& outputs() { return outputs_; }           // output tensor keys
  std::map<std::string, Tensor>& probe1() { return probe1_; }     // unknown dims = 1
  std::map<std::string, Tensor>& probe2() { return probe2_; }     // unknown dims = 2
  // Probed output count of `node` (at least 1).
  int NumOutputs(const tensorflow::NodeDef& node) const;

  // ---- Reporting.
  const TfLiteConvertOptions& options() const { return opt_; }
  TfLiteConvertReport* report() { return report_; }
  void CountFused() {
    if (report_) report_->fused_ops++;
  }
  // An InvalidArgument error naming the node.
  absl::Status Fail(const tensorflow::NodeDef& node, const std::string& why) const;
  // Records a node with no lowering (all are reported together at the end) and gives its
  // output a placeholder tensor so conversion can go on.
  void NoLowering(const tensorflow::NodeDef& node);
  const std::map<std::string, std::vector<std::string>>& unsupported() const {
    return unsupported_;
  }
  // One [out, in] FULLY_CONNECTED weights tensor per TF weights constant (and layout).
  std::map<std::string, int>& fc_weights() { return fc_weights_; }

 private:
  const TfLiteConvertOptions& opt_;
  TfLiteConvertReport* report_;
  tflite_fb::ModelT model_;
  std::map<std::string, Value> values_;
  std::map<int, int> producer_;  // TFLite tensor -> op index
  std::map<std::string, int> consumers_;
  std::set<std::string> outputs_;
  std::map<std::string, Tensor> probe1_, probe2_;
  std::map<std::string, int> fc_weights_;
  std::map<std::string, std::vector<std::string>> unsupported_;  // op -> nodes
};

// Lowers one TF node; the table maps TF op names to these.
using LowerFn = absl::Status (*)(Lowering& l, const tensorflow::NodeDef& n);

// The lowering of TF op `op` (the flat table, then the shared element-wise table), or null.
LowerFn FindLowering(const std::string& op);

// ---- NodeDef attribute readers (defaults when absent).
std::vector<int64_t> IntsOf(const tensorflow::NodeDef& n, const char* attr);
std::string StrOf(const tensorflow::NodeDef& n, const char* attr, const std::string& def = "");
int64_t IntOf(const tensorflow::NodeDef& n, const char* attr, int64_t def = 0);
bool BoolOf(const tensorflow::NodeDef& n, const char* attr, bool def = false);
// The value of a constant int32/int64 scalar.
absl::StatusOr<int64_t> ScalarInt(const Tensor* t);
// int64 -> int32 (other dtypes unchanged).
Tensor ToInt32(const Tensor& t);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_CONVERT_LOWERING_H_
