#include "tflite/interpreter.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"

namespace tfmodel::tflite {
namespace {

absl::Status CheckFeed(const SubgraphPlan& plan, int t, const Tensor& v) {
  if (t < 0 || t >= static_cast<int>(plan.names.size())) {
    return absl::InvalidArgumentError(absl::StrCat("no tensor ", t));
  }
  if (v.dtype() != plan.dtypes[t]) {
    return absl::InvalidArgumentError(
        absl::StrCat(plan.file_name, ": input tensor '", plan.names[t], "' is ",
                     DTypeName(plan.dtypes[t]), ", got ", DTypeName(v.dtype())));
  }
  if (plan.has_shape_signature[t]) {
    const auto& sig = plan.signature_shapes[t];
    bool ok = static_cast<int>(sig.size()) == v.rank();
    for (size_t d = 0; ok && d < sig.size(); ++d) ok = sig[d] < 0 || sig[d] == v.dim(d);
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(plan.file_name, ": input tensor '", plan.names[t], "' has shape signature [",
                       absl::StrJoin(sig, ","), "], got ", v.shape().ToString()));
    }
  }
  return absl::OkStatus();
}

// Which steps compute the `wanted` tensors (walking the steps backwards). Steps without
// outputs act on resources (CALL_ONCE, ASSIGN_VARIABLE, HASHTABLE_IMPORT) and always run.
std::vector<bool> NeededSteps(const SubgraphPlan& plan, const std::vector<int>& wanted) {
  std::vector<bool> needed_tensor(plan.names.size(), false);
  for (int t : wanted) {
    if (t >= 0 && t < static_cast<int>(needed_tensor.size())) needed_tensor[t] = true;
  }
  std::vector<bool> run(plan.steps.size(), false);
  for (size_t i = plan.steps.size(); i-- > 0;) {
    const Step& step = plan.steps[i];
    run[i] = step.outputs.empty();
    for (int o : step.outputs) run[i] = run[i] || (o >= 0 && needed_tensor[o]);
    if (!run[i]) continue;
    for (int s : step.inputs) {
      if (s >= 0 && s < static_cast<int>(needed_tensor.size())) needed_tensor[s] = true;
    }
  }
  return run;
}

}  // namespace

absl::StatusOr<std::vector<Tensor>> RunSubgraph(const SubgraphPlan& plan,
                                                const std::map<int, Tensor>& feeds,
                                                const std::vector<int>* wanted) {
  std::vector<Tensor> slots(plan.names.size());
  for (const auto& [t, v] : plan.constants) slots[t] = v;
  for (const auto& [t, v] : plan.variables) slots[t] = v;
  for (const auto& [t, v] : feeds) {
    TFM_RETURN_IF_ERROR(CheckFeed(plan, t, v));
    slots[t] = v;
  }
  for (int t : plan.inputs) {
    if (!slots[t].valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat(plan.file_name, ": input tensor '", plan.names[t], "' was not fed"));
    }
  }
  const std::vector<bool> run =
      wanted ? NeededSteps(plan, *wanted) : std::vector<bool>(plan.steps.size(), true);
  std::vector<const Tensor*> in;
  std::vector<Tensor> out;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (!run[i]) continue;
    const Step& step = plan.steps[i];
    in.clear();
    for (int s : step.inputs) {
      if (s < 0) {
        in.push_back(nullptr);
        continue;
      }
      if (!slots[s].valid()) {
        return absl::InternalError(absl::StrCat(plan.file_name, ": ", step.label, ": input tensor ",
                                                plan.names[s], " has no value"));
      }
      in.push_back(&slots[s]);
    }
    out.clear();
    out.resize(step.outputs.size());
    absl::Status st = step.eval(*step.state, in, &out);
    if (!st.ok()) return Annotate(st, absl::StrCat(plan.file_name, ": ", step.label));
    for (size_t k = 0; k < step.outputs.size(); ++k) {
      if (!out[k].valid()) {
        return absl::InternalError(
            absl::StrCat(plan.file_name, ": ", step.label, ": output ", k, " not produced"));
      }
      const int s = step.outputs[k];
      if (plan.dtypes[s] != DType::kInvalid && out[k].dtype() != plan.dtypes[s]) {
        return absl::InternalError(
            absl::StrCat(plan.file_name, ": ", step.label, ": produced ", DTypeName(out[k].dtype()),
                         " for tensor '", plan.names[s], "' of type ", DTypeName(plan.dtypes[s])));
      }
      slots[s] = std::move(out[k]);
    }
  }
  return slots;
}

}  // namespace tfmodel::tflite
