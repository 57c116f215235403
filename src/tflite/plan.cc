#include "tflite/plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "format/tflite.h"
#include "tflite/op_builder.h"
#include "tflite/op_registry.h"
#include "tflite/quant_check.h"
#include "tflite/resources.h"
#include "tflite/subgraph_calls.h"

namespace tfmodel::tflite {
namespace {

// The value a variable tensor holds before a run: TFLite's ResetVariableTensor fills int8
// tensors with their zero point and everything else with zero bytes. Invalid (no value)
// for types tfmodel has no dtype for or shapes with unknown dimensions.
absl::Status InitialVariableValue(const SubgraphPlan& plan, int i, const tflite_fb::Tensor& t,
                                  Tensor* out) {
  const DType dt = plan.dtypes[i];
  const auto& shape = plan.shapes[i];
  if (dt == DType::kInvalid || dt == DType::kString) return absl::OkStatus();
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || d > (int64_t{1} << 31)) return absl::OkStatus();
    n *= d;
    if (n > (int64_t{1} << 31)) {
      return absl::InvalidArgumentError(
          absl::StrCat(plan.file_name, ": variable tensor '", plan.names[i], "' is too large"));
    }
  }
  Tensor v(dt, TensorShape(shape));  // zero-filled
  if (dt == DType::kInt8 && t.quantization() && t.quantization()->zero_point() &&
      t.quantization()->zero_point()->size() > 0) {
    const int64_t zp = t.quantization()->zero_point()->Get(0);
    std::fill_n(v.data<int8_t>(), n, static_cast<int8_t>(zp));
  }
  *out = std::move(v);
  return absl::OkStatus();
}

// Names, types, shapes and constant values of a subgraph's tensors.
absl::Status ReadTensors(const TfLiteFile& file, int sg_index, SubgraphPlan* plan) {
  const auto& sg = *file.model().subgraphs()->Get(sg_index);
  const size_t n = sg.tensors() ? sg.tensors()->size() : 0;
  plan->file_name = file.name();
  plan->index = sg_index;
  plan->names.resize(n);
  plan->dtypes.resize(n, DType::kInvalid);
  plan->shapes.resize(n);
  plan->signature_shapes.resize(n);
  plan->has_shape_signature.resize(n, false);
  for (size_t i = 0; i < n; ++i) {
    const auto* t = sg.tensors()->Get(i);
    plan->names[i] = t->name() ? t->name()->str() : absl::StrCat("tensor_", i);
    auto dt = DTypeFromTfLite(t->type());
    if (dt.ok()) plan->dtypes[i] = *dt;
    plan->shapes[i] = TfLiteShape(*t);
    plan->signature_shapes[i] = TfLiteShapeSignature(*t);
    plan->has_shape_signature[i] = t->shape_signature() && t->shape_signature()->size() > 0;
    const bool has_data = !file.BufferData(t->buffer()).empty();
    if (t->is_variable()) {
      // As in TFLite, variable tensors start from zeros and cannot have initial values.
      if (has_data) {
        return absl::InvalidArgumentError(
            absl::StrCat(file.name(), ": subgraph ", sg_index, ": variable tensor '",
                         plan->names[i], "' has a constant buffer, which TFLite does not allow"));
      }
      Tensor v;
      TFM_RETURN_IF_ERROR(InitialVariableValue(*plan, static_cast<int>(i), *t, &v));
      if (v.valid()) plan->variables[static_cast<int>(i)] = std::move(v);
    } else if (has_data) {
      auto c = TfLiteConstant(file, *t);
      if (!c.ok()) return c.status();
      plan->constants[static_cast<int>(i)] = std::move(*c);
    }
  }
  if (sg.inputs()) plan->inputs.assign(sg.inputs()->begin(), sg.inputs()->end());
  if (sg.outputs()) plan->outputs.assign(sg.outputs()->begin(), sg.outputs()->end());
  return absl::OkStatus();
}

// Prepares every operator of a subgraph.
// State of a step standing for an unsupported operator (PlanOptions::defer_unsupported).
struct DeferredState : OpState {
  absl::Status error;
};

absl::Status Deferred(const OpState& state, const std::vector<const Tensor*>&,
                      std::vector<Tensor>*) {
  return static_cast<const DeferredState&>(state).error;
}

// DEQUANTIZE and DENSIFY of a constant (float16 or int8 weights, sparse weights) run once
// here: their output becomes a constant, so the operators reading it see constant weights
// (prepacked filters) and no run converts them again. True when `step` was folded.
absl::StatusOr<bool> FoldConstantStep(const OpBuilder& b, const Step& step, SubgraphPlan* plan) {
  using B = tflite_fb::BuiltinOperator;
  if (b.code() != B::DEQUANTIZE && b.code() != B::DENSIFY) return false;
  if (step.outputs.size() != 1 || step.outputs[0] < 0) return false;
  std::vector<const Tensor*> in;
  for (size_t i = 0; i < step.inputs.size(); ++i) {
    const Tensor* c = b.ConstInput(i);
    if (!c) return false;
    in.push_back(c);
  }
  std::vector<Tensor> out(1);
  absl::Status st = step.eval(*step.state, in, &out);
  if (!st.ok()) return Annotate(st, absl::StrCat(plan->file_name, ": ", step.label));
  if (!out[0].valid() || out[0].dtype() != plan->dtypes[step.outputs[0]]) return false;
  plan->constants[step.outputs[0]] = std::move(out[0]);
  return true;
}

absl::Status BuildSteps(const TfLiteFile& file, int sg_index, const PlanOptions& options,
                        std::vector<SubgraphPlan>* plans) {
  const auto& sg = *file.model().subgraphs()->Get(sg_index);
  if (!sg.operators()) return absl::OkStatus();
  std::vector<Step> steps;
  std::map<int, Tensor> float_weights;  // shared by the subgraph's operators
  std::vector<std::string> unsupported;
  for (size_t i = 0; i < sg.operators()->size(); ++i) {
    OpBuilder b(file, sg_index, static_cast<int>(i), *plans, &float_weights);
    const OpRegistration* r = FindOpRegistration(b);
    absl::StatusOr<std::shared_ptr<const OpState>> state =
        absl::UnimplementedError("no registration");
    if (!r) {
      state = b.Unsupported("no tfmodel implementation");
    } else if (absl::Status raw =
                   r->types == OpTypes::kAny ? CheckRawQuantizedOperator(b) : absl::OkStatus();
               !raw.ok()) {
      // A type-generic kernel would compute on the raw integers of quantized tensors.
      state = raw;
    } else {
      state = r->prepare(b);
    }
    if (absl::IsUnimplemented(state.status())) {
      if (options.defer_unsupported) {
        auto d = std::make_shared<DeferredState>();
        d->error = state.status();
        steps.push_back(Step{b.label(), b.inputs(), b.outputs(), Deferred, std::move(d)});
        continue;
      }
      unsupported.push_back(std::string(state.status().message()));
      continue;
    }
    TFM_RETURN_IF_ERROR(state.status());
    Step step{b.label(), b.inputs(), b.outputs(), r->eval, std::move(*state)};
    TFM_ASSIGN_OR_RETURN(bool folded, FoldConstantStep(b, step, &(*plans)[sg_index]));
    if (!folded) steps.push_back(std::move(step));
  }
  if (!unsupported.empty()) {
    return absl::UnimplementedError(
        absl::StrCat("unsupported TFLite operators:\n  ", absl::StrJoin(unsupported, "\n  ")));
  }
  (*plans)[sg_index].steps = std::move(steps);
  return absl::OkStatus();
}

}  // namespace

absl::Status BuildPlans(const TfLiteFile& file, std::vector<SubgraphPlan>* plans,
                        const PlanOptions& options) {
  const int n = static_cast<int>(file.model().subgraphs()->size());
  plans->clear();
  plans->resize(n);
  TFM_RETURN_IF_ERROR(CheckSubgraphCalls(file));
  auto resources = std::make_shared<ResourceStore>();
  // Every subgraph's tensors first, so operators can look at other subgraphs (control flow).
  for (int s = 0; s < n; ++s) {
    TFM_RETURN_IF_ERROR(ReadTensors(file, s, &(*plans)[s]));
    (*plans)[s].resources = resources;
    (*plans)[s].device = options.device;
  }
  for (int s = 0; s < n; ++s) TFM_RETURN_IF_ERROR(BuildSteps(file, s, options, plans));
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
