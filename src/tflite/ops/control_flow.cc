// Control flow: operators that run other subgraphs of the file (TFLite's while.cc, if.cc and
// call_once.cc semantics).
// - WHILE(v...) -> v...: runs the cond subgraph on the loop values; while its bool output
//   is true, the body subgraph maps the values to the next ones. Shapes may change between
//   iterations.
// - IF(c, a...) -> r...: runs the then or else subgraph on a..., by the single bool c.
// - CALL_ONCE(): runs an initializer subgraph (no inputs, no outputs) the first time it is
//   reached in the model's life; later runs skip it (tflite/resources.h).
// The subgraphs called are checked for recursion and depth at load (subgraph_calls.h).
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tflite/interpreter.h"
#include "tflite/ops/ops.h"
#include "tflite/resources.h"

namespace tfmodel::tflite {
namespace {

// A loop that runs this often is taken for one that never ends.
constexpr int64_t kMaxWhileIterations = 100'000'000;

struct CallState : OpState {
  const SubgraphPlan* first = nullptr;   // WHILE cond, IF then, CALL_ONCE init
  const SubgraphPlan* second = nullptr;  // WHILE body, IF else
  std::shared_ptr<ResourceStore> resources;
};

// Runs `plan` on `args` (its inputs, in order) and returns its outputs.
absl::StatusOr<std::vector<Tensor>> Call(const SubgraphPlan& plan,
                                         const std::vector<Tensor>& args) {
  std::map<int, Tensor> feeds;
  for (size_t i = 0; i < plan.inputs.size(); ++i) feeds[plan.inputs[i]] = args[i];
  absl::StatusOr<std::vector<Tensor>> slots = RunSubgraph(plan, feeds, &plan.outputs);
  if (!slots.ok()) return Annotate(slots.status(), absl::StrCat("subgraph ", plan.index));
  std::vector<Tensor> results;
  results.reserve(plan.outputs.size());
  for (int t : plan.outputs) {
    if (!(*slots)[t].valid()) {
      return absl::InternalError(absl::StrCat(plan.file_name, ": subgraph ", plan.index,
                                              ": output '", plan.names[t], "' has no value"));
    }
    results.push_back(std::move((*slots)[t]));
  }
  return results;
}

// The single bool a WHILE cond subgraph or an IF condition gives.
absl::StatusOr<bool> Truth(const Tensor& t, const char* what) {
  if (t.dtype() != DType::kBool || t.NumElements() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " must be a single bool, got ", DTypeName(t.dtype()), " ", t.shape().ToString()));
  }
  return t.data<bool>()[0];
}

// The called subgraph `index` must take `num_in` inputs and give `num_out` outputs, of the
// types `in_types` / `out_types` where those are known.
absl::StatusOr<const SubgraphPlan*> Callee(OpBuilder& b, const char* role, int index,
                                           const std::vector<DType>& in_types,
                                           const std::vector<DType>& out_types) {
  const SubgraphPlan* p = b.subgraph(index);
  if (!p) return b.Error(absl::StrCat("no ", role, " subgraph ", index));
  if (p->inputs.size() != in_types.size() || p->outputs.size() != out_types.size()) {
    return b.Error(absl::StrCat(role, " subgraph ", index, " takes ", p->inputs.size(),
                                " inputs and gives ", p->outputs.size(), " outputs; expected ",
                                in_types.size(), " and ", out_types.size()));
  }
  auto check = [&](const std::vector<int>& tensors, const std::vector<DType>& want,
                   const char* kind) -> absl::Status {
    for (size_t i = 0; i < want.size(); ++i) {
      const DType got = p->dtypes[tensors[i]];
      if (want[i] != DType::kInvalid && got != DType::kInvalid && got != want[i]) {
        return b.Error(absl::StrCat(role, " subgraph ", index, " ", kind, " ", i, " ('",
                                    p->names[tensors[i]], "') is ", DTypeName(got), ", expected ",
                                    DTypeName(want[i])));
      }
    }
    return absl::OkStatus();
  };
  TFM_RETURN_IF_ERROR(check(p->inputs, in_types, "input"));
  TFM_RETURN_IF_ERROR(check(p->outputs, out_types, "output"));
  return p;
}

std::vector<DType> InputTypes(const OpBuilder& b, size_t from) {
  std::vector<DType> t;
  for (size_t i = from; i < b.inputs().size(); ++i) t.push_back(b.input_type(i));
  return t;
}

std::vector<DType> OutputTypes(const OpBuilder& b) {
  std::vector<DType> t;
  for (size_t k = 0; k < b.outputs().size(); ++k) t.push_back(b.output_type(k));
  return t;
}

}  // namespace

PrepareResult PrepareWhile(OpBuilder& b) {
  const auto* o = b.op().builtin_options_as_WhileOptions();
  if (!o) return b.Error("WhileOptions are missing");
  const size_t n = b.inputs().size();
  TFM_RETURN_IF_ERROR(b.Expect(n, n));
  if (b.outputs().size() != n) {
    return b.Error(absl::StrCat("has ", n, " inputs but ", b.outputs().size(),
                                " outputs; a loop gives back every loop value"));
  }
  const std::vector<DType> types = InputTypes(b, 0);
  auto s = std::make_shared<CallState>();
  TFM_ASSIGN_OR_RETURN(s->first,
                       Callee(b, "cond", o->cond_subgraph_index(), types, {DType::kBool}));
  TFM_ASSIGN_OR_RETURN(s->second, Callee(b, "body", o->body_subgraph_index(), types, types));
  return s;
}

absl::Status EvalWhile(const OpState& state, const std::vector<const Tensor*>& in,
                       std::vector<Tensor>* out) {
  const auto& s = static_cast<const CallState&>(state);
  std::vector<Tensor> values;
  values.reserve(in.size());
  for (const Tensor* t : in) values.push_back(*t);
  for (int64_t iteration = 0;; ++iteration) {
    TFM_ASSIGN_OR_RETURN(std::vector<Tensor> cond, Call(*s.first, values));
    TFM_ASSIGN_OR_RETURN(bool go, Truth(cond[0], "the cond subgraph's output"));
    if (!go) break;
    if (iteration == kMaxWhileIterations) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the loop ran ", kMaxWhileIterations, " times without ending"));
    }
    TFM_ASSIGN_OR_RETURN(values, Call(*s.second, values));
  }
  for (size_t k = 0; k < out->size(); ++k) (*out)[k] = std::move(values[k]);
  return absl::OkStatus();
}

PrepareResult PrepareIf(OpBuilder& b) {
  const auto* o = b.op().builtin_options_as_IfOptions();
  if (!o) return b.Error("IfOptions are missing");
  TFM_RETURN_IF_ERROR(b.Expect(1, 0));
  for (size_t i = 1; i < b.inputs().size(); ++i) {
    if (!b.has_input(i)) return b.Error(absl::StrCat("input ", i, " is missing"));
  }
  if (b.input_type(0) != DType::kBool) {
    return b.Error(
        absl::StrCat("the condition (input 0) is ", DTypeName(b.input_type(0)), ", expected bool"));
  }
  const std::vector<DType> in_types = InputTypes(b, 1);
  const std::vector<DType> out_types = OutputTypes(b);
  auto s = std::make_shared<CallState>();
  TFM_ASSIGN_OR_RETURN(s->first, Callee(b, "then", o->then_subgraph_index(), in_types, out_types));
  TFM_ASSIGN_OR_RETURN(s->second, Callee(b, "else", o->else_subgraph_index(), in_types, out_types));
  return s;
}

absl::Status EvalIf(const OpState& state, const std::vector<const Tensor*>& in,
                    std::vector<Tensor>* out) {
  const auto& s = static_cast<const CallState&>(state);
  TFM_ASSIGN_OR_RETURN(bool which, Truth(*in[0], "the condition"));
  std::vector<Tensor> args;
  for (size_t i = 1; i < in.size(); ++i) args.push_back(*in[i]);
  TFM_ASSIGN_OR_RETURN(std::vector<Tensor> results, Call(which ? *s.first : *s.second, args));
  for (size_t k = 0; k < out->size(); ++k) (*out)[k] = std::move(results[k]);
  return absl::OkStatus();
}

PrepareResult PrepareCallOnce(OpBuilder& b) {
  const auto* o = b.op().builtin_options_as_CallOnceOptions();
  if (!o) return b.Error("CallOnceOptions are missing");
  if (!b.inputs().empty() || !b.outputs().empty()) {
    return b.Error("CALL_ONCE takes no inputs and gives no outputs");
  }
  auto s = std::make_shared<CallState>();
  TFM_ASSIGN_OR_RETURN(s->first, Callee(b, "init", o->init_subgraph_index(), {}, {}));
  s->resources = b.resources();
  return s;
}

absl::Status EvalCallOnce(const OpState& state, const std::vector<const Tensor*>&,
                          std::vector<Tensor>*) {
  const auto& s = static_cast<const CallState&>(state);
  const SubgraphPlan& init = *s.first;
  return s.resources->CallOnce(init.index, [&init]() -> absl::Status {
    // Every operator of the initializer runs, as in TFLite.
    absl::StatusOr<std::vector<Tensor>> r = RunSubgraph(init, {});
    if (!r.ok()) return Annotate(r.status(), absl::StrCat("initializer subgraph ", init.index));
    return absl::OkStatus();
  });
}

}  // namespace tfmodel::tflite
