#include "tflite/subgraph_calls.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace tfmodel::tflite {
namespace {

using B = tflite_fb::BuiltinOperator;

struct Walk {
  const TfLiteFile& file;
  std::vector<int> state;  // 0 unvisited, 1 on the current path, 2 done
  std::vector<int> depth;  // done subgraphs: deepest nesting of calls below them

  // Depth-first over the call graph from subgraph s, reached through `level` calls (the
  // recursion is as deep as the nesting it allows).
  absl::Status Visit(int s, int level) {
    if (level > kMaxSubgraphCallDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.name(), ": subgraph ", s, " is reached through more than ",
                       kMaxSubgraphCallDepth, " nested control-flow operators"));
    }
    state[s] = 1;
    const auto* ops = file.model().subgraphs()->Get(s)->operators();
    const int n = static_cast<int>(file.model().subgraphs()->size());
    int deepest = 0;
    for (size_t o = 0; ops && o < ops->size(); ++o) {
      const auto& op = *ops->Get(o);
      for (int callee : CalledSubgraphs(file, op)) {
        const std::string where = absl::StrCat(file.name(), ": subgraph ", s, " operator ", o, " (",
                                               file.OperatorName(op), ")");
        if (callee < 0 || callee >= n) {
          return absl::InvalidArgumentError(absl::StrCat(where, " runs subgraph ", callee,
                                                         ", but the file has ", n, " subgraphs"));
        }
        if (state[callee] == 1) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, " runs subgraph ", callee, ", which is already running it (recursion)"));
        }
        if (state[callee] == 0) TFM_RETURN_IF_ERROR(Visit(callee, level + 1));
        deepest = std::max(deepest, depth[callee] + 1);
        if (level + deepest > kMaxSubgraphCallDepth) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": control-flow operators nest more than ", kMaxSubgraphCallDepth, " deep"));
        }
      }
    }
    state[s] = 2;
    depth[s] = deepest;
    return absl::OkStatus();
  }
};

}  // namespace

std::vector<int> CalledSubgraphs(const TfLiteFile& file, const tflite_fb::Operator& op) {
  const auto* codes = file.model().operator_codes();
  if (!codes || op.opcode_index() >= codes->size()) return {};
  switch (TfLiteFile::BuiltinCode(*codes->Get(op.opcode_index()))) {
    case B::WHILE:
      if (const auto* w = op.builtin_options_as_WhileOptions()) {
        return {w->cond_subgraph_index(), w->body_subgraph_index()};
      }
      break;
    case B::IF:
      if (const auto* i = op.builtin_options_as_IfOptions()) {
        return {i->then_subgraph_index(), i->else_subgraph_index()};
      }
      break;
    case B::CALL_ONCE:
      if (const auto* c = op.builtin_options_as_CallOnceOptions()) {
        return {c->init_subgraph_index()};
      }
      break;
    default:
      break;
  }
  return {};
}

absl::Status CheckSubgraphCalls(const TfLiteFile& file) {
  const auto* sgs = file.model().subgraphs();
  const int n = sgs ? static_cast<int>(sgs->size()) : 0;
  Walk w{file, std::vector<int>(n, 0), std::vector<int>(n, 0)};
  for (int s = 0; s < n; ++s) {
    if (w.state[s] == 0) TFM_RETURN_IF_ERROR(w.Visit(s, 0));
  }
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
