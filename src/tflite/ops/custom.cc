// Custom operators that run a TF kernel: flex ops ("Flex" + TF op name) and TFLite's
// TF-kernel-backed custom ops store a FlexBuffer vector [op name, serialized NodeDef] in
// custom_options; TFLite's ParseExample / ParseExampleV2 may carry no NodeDef, and then the
// TF attributes follow from the operator's inputs and outputs.
#include <string>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "flatbuffers/flexbuffers.h"
#include "runtime/kernel.h"
#include "tensorflow/core/framework/node_def.pb.h"
#include "tflite/ops/ops.h"
#include "tflite/tf_steps.h"

namespace tfmodel::tflite {
namespace {

// The TF attributes of ParseExampleV2 derived as TFLite's own kernel does: dense types from
// the dense defaults, dense shapes from the dense outputs without the batch dimension,
// sparse types from the sparse value outputs.
PrepareResult ParseExampleV2FromOperands(OpBuilder& b) {
  const auto& in = b.inputs();
  const auto& out = b.outputs();
  // Inputs: serialized, names, sparse_keys, dense_keys, ragged_keys, dense_defaults...
  if (in.size() < 5) return b.Error("ParseExampleV2 needs at least 5 inputs");
  const Tensor* sparse_keys = b.ConstInput(2);
  const Tensor* dense_keys = b.ConstInput(3);
  const Tensor* ragged_keys = b.ConstInput(4);
  if (!sparse_keys || !dense_keys || !ragged_keys) {
    return b.Unsupported("ParseExampleV2 with non-constant keys");
  }
  if (ragged_keys->NumElements() != 0) return b.Unsupported("ParseExampleV2 with ragged features");
  const int64_t num_sparse = sparse_keys->NumElements();
  const int64_t num_dense = dense_keys->NumElements();
  if (static_cast<int64_t>(in.size()) != 5 + num_dense ||
      static_cast<int64_t>(out.size()) != 3 * num_sparse + num_dense) {
    return b.Error(absl::StrCat("ParseExampleV2 with ", num_sparse, " sparse and ", num_dense,
                                " dense keys has ", in.size(), " inputs and ", out.size(),
                                " outputs"));
  }
  tensorflow::AttrValue tdense, dense_shapes, sparse_types, empty_types;
  empty_types.mutable_list();
  tdense.mutable_list();
  dense_shapes.mutable_list();
  sparse_types.mutable_list();
  for (int64_t k = 0; k < num_dense; ++k) {
    tdense.mutable_list()->add_type(
        static_cast<tensorflow::DataType>(static_cast<int>(b.TypeOf(in[5 + k]))));
    const auto& sig = b.SignatureShape(out[3 * num_sparse + k]);
    auto* shape = dense_shapes.mutable_list()->add_shape();
    for (size_t d = 1; d < sig.size(); ++d) shape->add_dim()->set_size(sig[d]);
  }
  for (int64_t k = 0; k < num_sparse; ++k) {
    sparse_types.mutable_list()->add_type(
        static_cast<tensorflow::DataType>(static_cast<int>(b.TypeOf(out[num_sparse + k]))));
  }
  AttrMap a;
  a["num_sparse"] = AttrI(num_sparse);
  a["Tdense"] = tdense;
  a["dense_shapes"] = dense_shapes;
  a["sparse_types"] = sparse_types;
  a["ragged_value_types"] = empty_types;
  a["ragged_split_types"] = empty_types;
  auto s = std::make_shared<TfSteps>(b);
  std::vector<int> ins, outs;
  for (size_t i = 0; i < in.size(); ++i) ins.push_back(s->In(i));
  for (size_t k = 0; k < out.size(); ++k) outs.push_back(s->Out(k));
  TFM_RETURN_IF_ERROR(s->AddTf("ParseExampleV2", std::move(a), std::move(ins), std::move(outs)));
  return s;
}

// For flex ops (custom code "Flex" + TF op name, written by TFLite's converter with
// select TF ops), what they are, to prefix errors with.
std::string FlexNote(const OpBuilder& b) {
  if (b.custom_name().rfind("Flex", 0) != 0) return "";
  return "flex op (a TensorFlow op kept by TFLite's converter with select TF ops, run by "
         "TFLite's Flex delegate): ";
}

// The flex path; `fallback` (may be null) handles options that are a vector but not
// [name, NodeDef].
PrepareResult PrepareNodeDefOp(OpBuilder& b, PrepareFn fallback) {
  const auto* opts = b.op().custom_options();
  const std::string flex = FlexNote(b);
  if (!opts || opts->size() == 0) {
    return b.Unsupported(flex + "custom operator without a NodeDef in its options");
  }
  if (!flexbuffers::VerifyBuffer(opts->data(), opts->size())) {
    return b.Error("custom options are not a valid FlexBuffer");
  }
  auto root = flexbuffers::GetRoot(opts->data(), opts->size());
  if (!root.IsVector()) {
    return b.Unsupported(absl::StrCat(flex, "custom options (", opts->size(),
                                      " bytes, FlexBuffer type ", static_cast<int>(root.GetType()),
                                      ") are not a [name, NodeDef] vector"));
  }
  auto vec = root.AsVector();
  if (vec.size() < 2 || !vec[1].IsString()) {
    if (fallback) return fallback(b);
    return b.Unsupported(absl::StrCat(flex, "custom options are not a [name, NodeDef] vector (",
                                      vec.size(), " elements)"));
  }
  auto nd = vec[1].AsString();
  tensorflow::NodeDef node;
  if (!node.ParseFromArray(nd.c_str(), static_cast<int>(nd.size()))) {
    return b.Error("custom options hold a malformed NodeDef");
  }
  if (!runtime::KernelRegistry::Global().Has(node.op())) {
    return b.Unsupported(absl::StrCat(flex, "TF op ", node.op(),
                                      " has no tfmodel kernel, so tfmodel cannot run it"));
  }
  AttrMap attrs(node.attr().begin(), node.attr().end());
  auto s = std::make_shared<TfSteps>(b);
  std::vector<int> ins, outs;
  for (size_t i = 0; i < b.inputs().size(); ++i) ins.push_back(s->In(i));
  for (size_t k = 0; k < b.outputs().size(); ++k) outs.push_back(s->Out(k));
  TFM_RETURN_IF_ERROR(s->AddTf(node.op(), std::move(attrs), std::move(ins), std::move(outs)));
  return s;
}

}  // namespace

PrepareResult PrepareFlexOp(OpBuilder& b) { return PrepareNodeDefOp(b, nullptr); }

PrepareResult PrepareEdgeTpuOp(OpBuilder& b) {
  return b.Unsupported(
      "Edge TPU operator: the model was compiled by edgetpu_compiler for a Coral Edge TPU and "
      "this operator holds an Edge TPU executable that only that accelerator runs (TFLite "
      "needs the libedgetpu delegate); tfmodel cannot run it - use the model as it was before "
      "edgetpu_compiler");
}

PrepareResult PrepareParseExample(OpBuilder& b) {
  const auto* opts = b.op().custom_options();
  if (!opts || opts->size() == 0) return b.Unsupported("ParseExample (v1) without options");
  return PrepareNodeDefOp(b, nullptr);
}

PrepareResult PrepareParseExampleV2(OpBuilder& b) {
  const auto* opts = b.op().custom_options();
  if (!opts || opts->size() == 0) return ParseExampleV2FromOperands(b);
  return PrepareNodeDefOp(b, ParseExampleV2FromOperands);
}

}  // namespace tfmodel::tflite
