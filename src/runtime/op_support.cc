#include "runtime/op_support.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/function_graph.h"
#include "runtime/function.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime {
namespace {

// Names of the library functions one node refers to: its op (a direct call) and every
// function-valued attr (f, then_branch, else_branch, cond, body, branches, ...).
void FunctionsOf(const tensorflow::NodeDef& n, const std::set<std::string>& library,
                 std::vector<std::string>* out) {
  if (library.count(n.op())) out->push_back(n.op());
  for (const auto& [name, v] : n.attr()) {
    if (v.value_case() == tensorflow::AttrValue::kFunc) out->push_back(v.func().name());
    if (v.value_case() == tensorflow::AttrValue::kList) {
      for (const auto& f : v.list().func()) out->push_back(f.name());
    }
  }
}

}  // namespace

bool IsExecutorBuiltinOp(const std::string& op) {
  static const std::set<std::string>* kOps = new std::set<std::string>{
      "Switch",   "RefSwitch",      "Merge",   "RefMerge",      "Enter",
      "RefEnter", "Exit",           "RefExit", "NextIteration", "RefNextIteration",
      "LoopCond", "ControlTrigger", "_Arg",    "_Retval"};
  return kOps->count(op) > 0;
}

std::vector<MissingOp> FindMissingOps(const std::vector<const tensorflow::NodeDef*>& nodes,
                                      const tensorflow::FunctionDefLibrary* library) {
  const KernelRegistry& registry = KernelRegistry::Global();
  std::vector<MissingOp> missing;
  std::set<std::string> names;  // the library's function names
  std::map<std::string, const tensorflow::FunctionDef*> functions;
  if (library != nullptr) {
    for (const auto& f : library->function()) {
      names.insert(f.signature().name());
      functions.emplace(f.signature().name(), &f);
    }
  }
  std::set<std::string> seen_functions;
  std::deque<std::string> queue;
  auto visit = [&](const tensorflow::NodeDef& n, const std::string& where) {
    std::vector<std::string> calls;
    FunctionsOf(n, names, &calls);
    bool is_call = !calls.empty() && calls.front() == n.op();
    // A GPU-only op inside a function (an If branch Keras takes on a GPU) fails only
    // when that branch runs; the function-call kernels report it then.
    bool deferred = !where.empty() && IsGpuOnlyOp(n.op());
    if (!is_call && !deferred && !IsExecutorBuiltinOp(n.op()) && !registry.Has(n.op())) {
      missing.push_back({n.op(), n.name(), where});
    }
    for (const auto& requested : calls) {
      // Calls of a GPU implementation run its CPU twin (as the executor arranges).
      std::string f = SelectCpuImplementation(library, requested);
      if (names.count(f) && seen_functions.insert(f).second) queue.push_back(f);
    }
  };
  for (const auto* n : nodes) visit(*n, "");
  while (!queue.empty()) {
    std::string name = queue.front();
    queue.pop_front();
    for (const auto& n : functions.at(name)->node_def()) visit(n, name);
  }
  std::sort(missing.begin(), missing.end(), [](const MissingOp& a, const MissingOp& b) {
    return std::tie(a.op, a.function, a.node) < std::tie(b.op, b.function, b.node);
  });
  return missing;
}

std::string MissingOpsMessage(const std::vector<MissingOp>& missing) {
  constexpr size_t kPlacesShown = 3;
  std::vector<std::string> parts;
  for (size_t i = 0; i < missing.size();) {
    size_t j = i;
    while (j < missing.size() && missing[j].op == missing[i].op) ++j;
    std::vector<std::string> places;
    for (size_t k = i; k < j && places.size() < kPlacesShown; ++k) {
      places.push_back(absl::StrCat("node ", missing[k].node));
      if (!missing[k].function.empty()) {
        absl::StrAppend(&places.back(), " in function '", missing[k].function, "'");
      }
    }
    std::string s = absl::StrCat(missing[i].op, " (", absl::StrJoin(places, ", "));
    if (j - i > kPlacesShown) absl::StrAppend(&s, " and ", j - i - kPlacesShown, " more");
    parts.push_back(s + ")");
    i = j;
  }
  return absl::StrCat("unsupported ops: ", absl::StrJoin(parts, ", "));
}

}  // namespace tfmodel::runtime
