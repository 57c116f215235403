#include "graph/output_candidates.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "format/saved_model.h"

namespace tfmodel {
namespace {

bool IsOptimizerOp(const std::string& op) {
  for (const char* p : {"Apply", "ResourceApply", "SparseApply", "ResourceSparseApply"}) {
    if (absl::StartsWith(op, p)) return true;
  }
  return false;
}

bool IsSummaryOp(const std::string& op) { return absl::StrContains(op, "Summary"); }

bool IsInputPipelineOp(const std::string& op) {
  return absl::StrContains(op, "Dataset") || absl::StrContains(op, "Iterator") ||
         op == "MatchingFiles";
}

bool IsGradientOp(const std::string& op) {
  return absl::EndsWith(op, "Grad") || op == "BroadcastGradientArgs";
}

// Ops that are never a model's prediction: state, saving, setup, no outputs.
bool IsMachineryOp(const std::string& op) {
  static const std::set<std::string>* kOps = new std::set<std::string>{
      "NoOp", "Assign", "AssignAdd", "AssignSub", "AssignVariableOp", "AssignAddVariableOp",
      "AssignSubVariableOp", "SaveV2", "Save", "SaveSlices", "RestoreV2", "Restore",
      "RestoreSlice", "MergeV2Checkpoints", "ShardedFilename", "ShardedFilespec", "Const",
      "Placeholder", "PlaceholderWithDefault", "VariableV2", "Variable", "VarHandleOp",
      "ReadVariableOp", "VarIsInitializedOp", "IsVariableInitialized", "Assert", "Print",
      "PrintV2", "HashTable", "HashTableV2", "MutableHashTable", "MutableHashTableV2",
      "MutableHashTableOfTensors", "MutableHashTableOfTensorsV2", "InitializeTable",
      "InitializeTableV2", "InitializeTableFromTextFile", "InitializeTableFromTextFileV2",
      "LookupTableImportV2", "LookupTableInsertV2", "DestroyResourceOp", "ControlTrigger"};
  return kOps->count(op) > 0 || IsOptimizerOp(op) || IsSummaryOp(op) || IsInputPipelineOp(op) ||
         IsGradientOp(op);
}

bool IsMachineryName(const std::string& name) {
  for (const char* p : {"gradients/", "gradients_", "save/", "training/", "init_all_tables",
                        "report_uninitialized", "global_step", "summaries/", "Merge/"}) {
    if (absl::StartsWith(name, p)) return true;
  }
  for (const char* p : {"/gradients/", "/save/", "/Assign", "/read", "/Initializer/"}) {
    if (absl::StrContains(name, p)) return true;
  }
  return name == "init" || name == "train_op" || name == "train" || name == "init_1" ||
         name == "group_deps";
}

bool IsPredictionWord(absl::string_view w) {
  static const std::set<std::string, std::less<>>* kWords = new std::set<std::string, std::less<>>{
      "predictions", "prediction", "probabilities", "probs", "logits",  "logistic", "class_ids",
      "classes",     "scores",     "output",        "outputs", "y_pred", "softmax"};
  return kWords->count(w) > 0;
}

struct Reach {
  bool placeholder = false;  // depends on a Placeholder without passing an iterator
  bool iterator = false;     // depends on an IteratorGetNext
};

}  // namespace

OutputRanking RankOutputCandidates(const tensorflow::GraphDef& graph) {
  OutputRanking r;
  const int n = graph.node_size();
  std::map<std::string, int> index;
  for (int i = 0; i < n; ++i) index[graph.node(i).name()] = i;
  std::vector<char> consumed(n, 0);
  std::vector<std::vector<int>> inputs(n);
  for (int i = 0; i < n; ++i) {
    const auto& nd = graph.node(i);
    if (absl::StartsWith(nd.name(), "gradients/") || IsOptimizerOp(nd.op()) ||
        IsSummaryOp(nd.op())) {
      r.training_graph = true;
    }
    for (const auto& in : nd.input()) {
      auto it = index.find(ParseTensorName(in).node);
      if (it == index.end()) continue;
      consumed[it->second] = 1;
      if (!in.empty() && in[0] != '^') inputs[i].push_back(it->second);
    }
  }
  // Where each node's data comes from (iterative DFS; loop back edges contribute nothing).
  std::vector<Reach> reach(n);
  std::vector<char> state(n, 0);  // 0 new, 1 on stack, 2 done
  for (int root = 0; root < n; ++root) {
    if (state[root]) continue;
    std::vector<std::pair<int, size_t>> stack{{root, 0}};
    state[root] = 1;
    while (!stack.empty()) {
      auto& [i, next] = stack.back();
      if (next < inputs[i].size()) {
        int j = inputs[i][next++];
        if (state[j] == 0) {
          state[j] = 1;
          stack.emplace_back(j, 0);
        }
        continue;
      }
      const std::string& op = graph.node(i).op();
      Reach me;
      if (op == "Placeholder" || op == "PlaceholderWithDefault") me.placeholder = true;
      if (op == "IteratorGetNext" || op == "IteratorGetNextSync") me.iterator = true;
      if (!IsInputPipelineOp(op)) {
        for (int j : inputs[i]) {
          if (state[j] != 2) continue;
          me.placeholder |= reach[j].placeholder;
          me.iterator |= reach[j].iterator;
        }
      }
      reach[i] = me;
      state[i] = 2;
      stack.pop_back();
    }
  }

  for (int i = 0; i < n; ++i) {
    const auto& nd = graph.node(i);
    if (IsMachineryOp(nd.op()) || IsMachineryName(nd.name())) continue;
    OutputCandidate c;
    c.node = nd.name();
    c.op = nd.op();
    c.unconsumed = !consumed[i];
    std::vector<std::string> why;
    if (c.unconsumed) {
      c.score += r.training_graph ? 10 : 50;
      why.push_back("consumed by no node");
    }
    if (nd.op() == "Softmax") c.score += 30, why.push_back("Softmax");
    if (nd.op() == "Sigmoid") c.score += 25, why.push_back("Sigmoid");
    if (nd.op() == "ArgMax") c.score += 20, why.push_back("ArgMax");
    std::vector<absl::string_view> parts = absl::StrSplit(nd.name(), '/');
    std::string lower_last = absl::AsciiStrToLower(parts.back());
    if (IsPredictionWord(lower_last)) {
      c.score += 40;
      why.push_back(absl::StrCat("named '", parts.back(), "'"));
    } else {
      for (size_t p = 0; p + 1 < parts.size(); ++p) {
        if (IsPredictionWord(absl::AsciiStrToLower(parts[p]))) {
          c.score += 15;
          why.push_back(absl::StrCat("under '", parts[p], "/'"));
          break;
        }
      }
    }
    if (c.score == 0) continue;
    if (reach[i].placeholder) {
      c.score += 10;
      why.push_back("computed from a placeholder");
    } else if (reach[i].iterator) {
      why.push_back("input comes from IteratorGetNext (feed its outputs, e.g. --synthetic_inputs)");
    }
    if (nd.name().find("loss") != std::string::npos) c.score -= 20, why.push_back("loss");
    c.reason = absl::StrJoin(why, ", ");
    r.candidates.push_back(std::move(c));
  }
  std::stable_sort(r.candidates.begin(), r.candidates.end(),
                   [](const OutputCandidate& a, const OutputCandidate& b) {
                     return a.score > b.score;
                   });
  return r;
}

std::vector<std::string> DefaultFetches(const OutputRanking& ranking) {
  std::vector<std::string> out;
  if (!ranking.training_graph) {
    for (const auto& c : ranking.candidates) {
      if (c.unconsumed) out.push_back(c.node + ":0");
    }
    if (!out.empty()) return out;
  }
  if (ranking.candidates.empty()) return out;
  int best = ranking.candidates.front().score;
  for (const auto& c : ranking.candidates) {
    if (c.score < best || out.size() >= 4) break;
    out.push_back(c.node + ":0");
  }
  return out;
}

}  // namespace tfmodel
