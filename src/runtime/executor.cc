#include "runtime/executor.h"

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_join.h"
#include "format/saved_model.h"
#include "graph/graph_optimize.h"
#include "runtime/executor_plan.h"
#include "runtime/function.h"
#include "runtime/op_support.h"
#include "runtime/resource_mgr.h"

namespace tfmodel::runtime {
using executor_internal::InputEdge;
using executor_internal::Item;
using executor_internal::Kind;

namespace {

Kind KindOf(absl::string_view op) {
  if (op == "Switch" || op == "RefSwitch") return Kind::kSwitch;
  if (op == "Merge" || op == "RefMerge") return Kind::kMerge;
  if (op == "Enter" || op == "RefEnter") return Kind::kEnter;
  if (op == "Exit" || op == "RefExit") return Kind::kExit;
  if (op == "NextIteration" || op == "RefNextIteration") return Kind::kNextIteration;
  if (op == "LoopCond") return Kind::kLoopCond;
  if (op == "ControlTrigger") return Kind::kControlTrigger;
  return Kind::kKernel;
}

// Ops whose output 0 is a TF1 reference (to a variable).
bool ProducesRef(absl::string_view op) {
  static const auto* ops = new std::set<std::string, std::less<>>{
      "VariableV2",   "Variable",    "TemporaryVariable", "Assign",     "AssignAdd",
      "AssignSub",    "RefIdentity", "ScatterUpdate",     "ScatterAdd", "ScatterSub",
      "ScatterMul",   "ScatterDiv",  "ScatterMin",        "ScatterMax", "ScatterNdUpdate",
      "ScatterNdAdd", "ScatterNdSub"};
  return ops->count(op) > 0;
}

// Ops whose input 0 takes a reference (the variable itself, not its value).
bool AcceptsRef(absl::string_view op, int input) {
  static const auto* ops = new std::set<std::string, std::less<>>{"Assign",
                                                                  "AssignAdd",
                                                                  "AssignSub",
                                                                  "IsVariableInitialized",
                                                                  "RefIdentity",
                                                                  "CountUpTo",
                                                                  "DestroyTemporaryVariable",
                                                                  "ScatterUpdate",
                                                                  "ScatterAdd",
                                                                  "ScatterSub",
                                                                  "ScatterMul",
                                                                  "ScatterDiv",
                                                                  "ScatterMin",
                                                                  "ScatterMax",
                                                                  "ScatterNdUpdate",
                                                                  "ScatterNdAdd",
                                                                  "ScatterNdSub"};
  return input == 0 && ops->count(op) > 0;
}

bool IsPlaceholderLike(absl::string_view op) {
  return op == "Placeholder" || op == "PlaceholderV2" || op == "PlaceholderWithDefault" ||
         op == "_Arg";
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Hint(const std::string& name, const std::vector<std::string>& candidates) {
  auto close = ClosestNames(name, candidates);
  if (close.empty()) return "";
  return absl::StrCat("; did you mean ",
                      absl::StrJoin(close, ", ",
                                    [](std::string* out, const std::string& s) {
                                      absl::StrAppend(out, "'", s, "'");
                                    }),
                      "?");
}

}  // namespace

std::vector<std::string> ClosestNames(const std::string& name,
                                      const std::vector<std::string>& candidates, int max_results) {
  // Long names would make the quadratic distance costly: compare bounded prefixes.
  constexpr size_t kMaxLen = 128;
  std::string a = name.substr(0, kMaxLen);
  std::vector<std::pair<size_t, const std::string*>> scored;
  size_t limit = std::max<size_t>(2, a.size() / 3);
  for (const auto& c : candidates) {
    size_t d = EditDistance(a, c.substr(0, kMaxLen));
    bool substring = a.size() >= 3 && c.find(a) != std::string::npos;
    if (d <= limit || substring) scored.emplace_back(substring ? std::min(d, limit) : d, &c);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (const auto& [d, c] : scored) {
    if (static_cast<int>(out.size()) >= max_results) break;
    if (std::find(out.begin(), out.end(), *c) == out.end()) out.push_back(*c);
  }
  return out;
}

bool IsExecutorControlFlowOp(absl::string_view op) { return KindOf(op) != Kind::kKernel; }

void RegisterControlFlowKernels(KernelRegistry& r) {
  for (const char* op :
       {"Switch", "RefSwitch", "Merge", "RefMerge", "Enter", "RefEnter", "Exit", "RefExit",
        "NextIteration", "RefNextIteration", "LoopCond", "ControlTrigger"}) {
    r.Register(op, [](const KernelInit& init) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
      // The executor runs these itself; this kernel only exists so the registry lists the op.
      return MakeKernel([](KernelContext* ctx) {
        return ctx->Error("control-flow op must be run by the executor");
      });
    });
  }
}

Executor::Executor(std::unique_ptr<Plan> plan) : plan_(std::move(plan)) {}
Executor::~Executor() = default;
const std::vector<std::string>& Executor::feed_names() const { return plan_->feed_names; }
const std::vector<std::string>& Executor::fetch_names() const { return plan_->fetch_names; }
int Executor::num_nodes() const { return static_cast<int>(plan_->items.size()); }
bool Executor::has_loops() const { return plan_->has_loops; }
std::vector<std::string> Executor::node_names() const {
  std::vector<std::string> out;
  for (const auto& it : plan_->items) out.push_back(it.name);
  return out;
}

bool GraphOptimizeEnabledByEnv() {
  static const bool enabled = [] {
    const char* v = std::getenv("TFMODEL_GRAPH_OPTIMIZE");
    if (v == nullptr) return true;
    const std::string s = v;
    return !(s == "0" || s == "false" || s == "off");
  }();
  return enabled;
}

absl::StatusOr<std::unique_ptr<Executor>> Executor::Create(
    const tensorflow::GraphDef& graph, const tensorflow::FunctionDefLibrary* library,
    const std::vector<std::string>& feeds, const std::vector<std::string>& fetches,
    const std::vector<std::string>& targets, const ExecutorOptions& options) {
  if (options.optimize_graph && GraphOptimizeEnabledByEnv()) {
    // Fed, fetched and target nodes keep their names and outputs.
    std::set<std::string> keep;
    for (const auto* names : {&feeds, &fetches, &targets}) {
      for (const auto& t : *names) {
        keep.insert(ParseTensorName(t).node);
        keep.insert(t);
      }
    }
    if (std::optional<FusionResult> fused = FuseBiasActivation(graph, keep)) {
      ExecutorOptions o = options;
      o.optimize_graph = false;
      return Create(fused->graph, library, feeds, fetches, targets, o);
    }
  }
  auto plan = std::make_unique<Plan>();
  plan->context = options.context;
  const std::string where = plan->Where();
  const int n = graph.node_size();

  std::unordered_map<std::string, int> index;
  index.reserve(n);
  std::vector<std::string> all_names;
  all_names.reserve(n);
  for (int i = 0; i < n; ++i) {
    const auto& nd = graph.node(i);
    if (!index.emplace(nd.name(), i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "graph has two nodes named '", nd.name(), "'"));
    }
    all_names.push_back(nd.name());
  }
  auto unknown = [&](absl::string_view what, const std::string& tensor, const std::string& node) {
    return absl::NotFoundError(absl::StrCat(where, what, " '", tensor, "': no node named '", node,
                                            "' in the graph", Hint(node, all_names)));
  };

  // Feeds.
  std::map<TensorId, int> fed;  // tensor -> feed index
  for (size_t f = 0; f < feeds.size(); ++f) {
    TensorId id = ParseTensorName(feeds[f]);
    if (id.index < 0)
      return absl::InvalidArgumentError(
          absl::StrCat(where, "feed '", feeds[f], "' is not a tensor name"));
    if (!index.count(id.node)) return unknown("unknown feed", feeds[f], id.node);
    if (!fed.emplace(id, static_cast<int>(f)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "tensor '", id.ToString(), "' is fed twice"));
    }
    plan->feed_names.push_back(id.ToString());
    const auto& nd = graph.node(index[id.node]);
    DType want = DType::kInvalid;
    if (IsPlaceholderLike(nd.op()) && id.index == 0) {
      const char* attr = nd.op() == "_Arg" ? "T" : "dtype";
      auto it = nd.attr().find(attr);
      if (it != nd.attr().end() && it->second.value_case() == tensorflow::AttrValue::kType &&
          DTypeIsValid(it->second.type())) {
        want = BaseDType(it->second.type());
      }
    }
    plan->feed_dtypes.push_back(want);
  }
  std::vector<TensorId> fetch_ids;
  for (const auto& f : fetches) {
    TensorId id = ParseTensorName(f);
    if (id.index < 0)
      return absl::InvalidArgumentError(
          absl::StrCat(where, "fetch '", f, "' is not a tensor name"));
    if (!index.count(id.node)) return unknown("unknown fetch", f, id.node);
    fetch_ids.push_back(id);
    plan->fetch_names.push_back(id.ToString());
  }
  std::vector<int> target_nodes;
  for (const auto& t : targets) {
    TensorId id = ParseTensorName(t);
    auto it = index.find(id.node);
    if (it == index.end()) return unknown("unknown target", t, id.node);
    target_nodes.push_back(it->second);
  }

  // Parse every needed node's inputs; prune backwards from fetches and targets.
  struct Parsed {
    std::vector<TensorId> data;
    std::vector<int> control;  // node indices
  };
  std::vector<Parsed> parsed(n);
  std::vector<char> parsed_done(n, 0);
  auto parse = [&](int i) -> absl::Status {
    if (parsed_done[i]) return absl::OkStatus();
    parsed_done[i] = 1;
    const auto& nd = graph.node(i);
    for (const auto& in : nd.input()) {
      TensorId id = ParseTensorName(in);
      auto it = index.find(id.node);
      if (it == index.end()) {
        return absl::InvalidArgumentError(absl::StrCat(where, "node '", nd.name(), "' (", nd.op(),
                                                       ") has input '", in, "' from unknown node '",
                                                       id.node, "'", Hint(id.node, all_names)));
      }
      if (id.index < 0) {
        parsed[i].control.push_back(it->second);
      } else {
        if (!parsed[i].control.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, "node '", nd.name(), "' lists data input '", in, "' after a control input"));
        }
        parsed[i].data.push_back(std::move(id));
      }
    }
    return absl::OkStatus();
  };
  std::vector<char> needed(n, 0);
  std::vector<int> stack;
  auto need = [&](int i) {
    if (!needed[i]) {
      needed[i] = 1;
      stack.push_back(i);
    }
  };
  if (options.keep_all_nodes) {
    for (int i = 0; i < n; ++i) need(i);
  }
  for (const auto& id : fetch_ids) {
    if (!fed.count(id)) need(index[id.node]);
  }
  for (int t : target_nodes) need(t);
  while (!stack.empty()) {
    int i = stack.back();
    stack.pop_back();
    TFM_RETURN_IF_ERROR(parse(i));
    for (const auto& id : parsed[i].data) {
      if (!fed.count(id)) need(index[id.node]);
    }
    for (int c : parsed[i].control) need(c);
  }

  // Fed placeholders are not run at all: the feed is their value.
  std::vector<char> skip(n, 0);
  for (const auto& [id, f] : fed) {
    int i = index[id.node];
    if (IsPlaceholderLike(graph.node(i).op())) skip[i] = 1;
  }

  // Topological order (Kahn). NextIteration back edges are cut: with them a loop is a
  // cycle by construction.
  std::vector<int> kept;
  for (int i = 0; i < n; ++i) {
    if (needed[i]) kept.push_back(i);
  }
  std::vector<int> pos_of(n, -1);
  std::vector<int> indeg(n, 0);
  std::vector<std::vector<int>> succ(n);
  bool has_loops = false;
  for (int i : kept) {
    Kind k = KindOf(graph.node(i).op());
    if (k == Kind::kEnter || k == Kind::kExit || k == Kind::kNextIteration ||
        k == Kind::kLoopCond) {
      has_loops = true;
    }
  }
  auto add_edge = [&](int from, int to) {
    if (KindOf(graph.node(from).op()) == Kind::kNextIteration) return;  // back edge
    succ[from].push_back(to);
    ++indeg[to];
  };
  for (int i : kept) {
    if (skip[i]) continue;
    for (const auto& id : parsed[i].data) {
      if (!fed.count(id)) add_edge(index[id.node], i);
    }
    for (int c : parsed[i].control) add_edge(c, i);
  }
  std::vector<int> order;
  order.reserve(kept.size());
  {
    std::deque<int> q;
    for (int i : kept) {
      if (indeg[i] == 0) q.push_back(i);
    }
    while (!q.empty()) {
      int i = q.front();
      q.pop_front();
      pos_of[i] = static_cast<int>(order.size());
      order.push_back(i);
      for (int s : succ[i]) {
        if (--indeg[s] == 0) q.push_back(s);
      }
    }
  }
  if (order.size() != kept.size()) {
    std::vector<std::string> cyc;
    for (int i : kept) {
      if (pos_of[i] < 0 && cyc.size() < 5)
        cyc.push_back(absl::StrCat("'", graph.node(i).name(), "'"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(where, "graph has a cycle that is not a while loop, through nodes ",
                     absl::StrJoin(cyc, ", ")));
  }

  // Kernels: report every unsupported op at once, in this graph and in every function it
  // calls (transitively), before building any kernel.
  {
    std::vector<const tensorflow::NodeDef*> run_nodes;
    for (int i : order) {
      if (!skip[i]) run_nodes.push_back(&graph.node(i));
    }
    std::vector<MissingOp> missing = FindMissingOps(run_nodes, library);
    if (!missing.empty()) {
      return absl::UnimplementedError(absl::StrCat(where, MissingOpsMessage(missing)));
    }
  }
  const KernelRegistry& registry = KernelRegistry::Global();

  // Output slots: feeds first, then per node as many as are referenced.
  std::vector<int> num_out(n, 0);
  for (int i : order) {
    if (skip[i]) continue;
    for (const auto& id : parsed[i].data) {
      if (!fed.count(id)) {
        int p = index[id.node];
        num_out[p] = std::max(num_out[p], id.index + 1);
      }
    }
  }
  for (const auto& id : fetch_ids) {
    if (!fed.count(id)) {
      int p = index[id.node];
      num_out[p] = std::max(num_out[p], id.index + 1);
    }
  }
  for (int i : order) {
    Kind k = KindOf(graph.node(i).op());
    if (k == Kind::kSwitch || k == Kind::kMerge) num_out[i] = std::max(num_out[i], 2);
  }
  int num_slots = static_cast<int>(feeds.size());
  std::vector<int> slot_base(n, -1);
  for (int i : order) {
    slot_base[i] = num_slots;
    num_slots += num_out[i];
  }
  plan->num_slots = num_slots;
  plan->slot_is_ref.assign(num_slots, 0);
  auto slot_of = [&](const TensorId& id) -> int {
    auto f = fed.find(id);
    if (f != fed.end()) return f->second;
    return slot_base[index.at(id.node)] + id.index;
  };

  // Items.
  plan->items.resize(order.size());
  bool has_cf = false;
  for (size_t p = 0; p < order.size(); ++p) {
    int i = order[p];
    const auto& nd = graph.node(i);
    Item& item = plan->items[p];
    item.name = nd.name();
    item.op = nd.op();
    item.kind = skip[i] ? Kind::kSkip : KindOf(nd.op());
    item.out_slot = slot_base[i];
    item.num_out = num_out[i];
    if (item.kind == Kind::kSwitch || item.kind == Kind::kMerge) has_cf = true;
    if (!skip[i] && ProducesRef(nd.op()) && num_out[i] > 0) plan->slot_is_ref[slot_base[i]] = 1;
    if (item.kind == Kind::kSkip) continue;
    if (item.kind == Kind::kKernel) {
      KernelInit init(nd, library, static_cast<int>(parsed[i].data.size()));
      const KernelFactory* factory = registry.Find(nd.op());
      auto k = factory ? (*factory)(init) : MakeFunctionCallKernel(init);
      if (!k.ok()) {
        absl::string_view msg = k.status().message();
        if (msg.find(absl::StrCat("node '", nd.name(), "'")) != absl::string_view::npos) {
          return absl::Status(k.status().code(), absl::StrCat(where, msg));
        }
        return absl::Status(k.status().code(),
                            absl::StrCat(where, "node '", nd.name(), "' (", nd.op(), "): ", msg));
      }
      item.kernel = std::move(*k);
    } else if (item.kind == Kind::kEnter) {
      auto it = nd.attr().find("frame_name");
      if (it == nd.attr().end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "node '", nd.name(), "' (Enter): missing attr 'frame_name'"));
      }
      item.frame_name = it->second.s();
      auto c = nd.attr().find("is_constant");
      item.is_constant = c != nd.attr().end() && c->second.b();
    }
    if ((item.kind == Kind::kSwitch && parsed[i].data.size() != 2) ||
        ((item.kind == Kind::kEnter || item.kind == Kind::kExit ||
          item.kind == Kind::kNextIteration || item.kind == Kind::kLoopCond) &&
         parsed[i].data.size() != 1) ||
        (item.kind == Kind::kMerge && parsed[i].data.empty())) {
      return absl::InvalidArgumentError(absl::StrCat(where, "node '", nd.name(), "' (", nd.op(),
                                                     ") has ", parsed[i].data.size(),
                                                     " data inputs"));
    }
  }
  // Inputs (second pass: slot_is_ref of producers is known now).
  for (size_t p = 0; p < order.size(); ++p) {
    int i = order[p];
    Item& item = plan->items[p];
    if (item.kind == Kind::kSkip) continue;
    item.in_begin = static_cast<int>(plan->inputs.size());
    int j = 0;
    for (const auto& id : parsed[i].data) {
      int s = slot_of(id);
      bool deref = plan->slot_is_ref[s] && !AcceptsRef(item.op, j);
      plan->inputs.push_back({s, deref, false});
      ++j;
    }
    item.in_count = j;
    plan->max_inputs = std::max(plan->max_inputs, j);
    item.ctl_begin = static_cast<int>(plan->controls.size());
    for (int c : parsed[i].control) {
      if (pos_of[c] >= 0) plan->controls.push_back(pos_of[c]);
    }
    item.ctl_count = static_cast<int>(plan->controls.size()) - item.ctl_begin;
  }
  for (const auto& id : fetch_ids) {
    int s = slot_of(id);
    plan->fetch_edges.push_back({s, plan->slot_is_ref[s] != 0, false});
  }
  plan->has_control_flow = has_cf || has_loops;
  plan->has_loops = has_loops;

  if (!has_loops) {
    // Last use of every slot (feeds and fetched slots are never released early).
    std::vector<int> last_use(num_slots, -1);
    std::vector<int> uses(num_slots, 0);
    std::vector<char> pinned(num_slots, 0), fetched(num_slots, 0);
    for (size_t f = 0; f < feeds.size(); ++f) pinned[f] = 1;
    for (const auto& e : plan->fetch_edges) pinned[e.slot] = fetched[e.slot] = 1;
    for (size_t p = 0; p < plan->items.size(); ++p) {
      const Item& item = plan->items[p];
      for (int k = 0; k < item.in_count; ++k) {
        int s = plan->inputs[item.in_begin + k].slot;
        last_use[s] = static_cast<int>(p);
        ++uses[s];
      }
    }
    // Donated feeds die at their last use (unless fetched).
    std::vector<std::vector<int>> feed_rel(plan->items.size());
    for (size_t f = 0; f < feeds.size(); ++f) {
      if (!fetched[f] && last_use[f] >= 0) feed_rel[last_use[f]].push_back(static_cast<int>(f));
    }
    std::vector<std::vector<int>> rel(plan->items.size());
    for (size_t p = 0; p < plan->items.size(); ++p) {
      const Item& item = plan->items[p];
      for (int s = item.out_slot; s < item.out_slot + item.num_out; ++s) {
        if (pinned[s]) continue;
        // Unused outputs are dropped right after the node runs.
        rel[last_use[s] < 0 ? p : last_use[s]].push_back(s);
      }
    }
    for (size_t p = 0; p < plan->items.size(); ++p) {
      Item& item = plan->items[p];
      std::map<int, int> count_here;
      for (int k = 0; k < item.in_count; ++k) ++count_here[plan->inputs[item.in_begin + k].slot];
      for (int k = 0; k < item.in_count; ++k) {
        InputEdge& e = plan->inputs[item.in_begin + k];
        const bool last =
            !e.deref && last_use[e.slot] == static_cast<int>(p) && count_here[e.slot] == 1;
        e.forward = !pinned[e.slot] && last;
        e.forward_donated = e.slot < static_cast<int>(feeds.size()) && !fetched[e.slot] && last;
      }
      item.feed_rel_begin = static_cast<int>(plan->feed_releases.size());
      plan->feed_releases.insert(plan->feed_releases.end(), feed_rel[p].begin(), feed_rel[p].end());
      item.feed_rel_count = static_cast<int>(feed_rel[p].size());
      item.rel_begin = static_cast<int>(plan->releases.size());
      plan->releases.insert(plan->releases.end(), rel[p].begin(), rel[p].end());
      item.rel_count = static_cast<int>(rel[p].size());
    }
  } else {
    // Dataflow plan: consumers per item, pending counts.
    plan->out_edges.resize(plan->items.size());
    plan->num_data_inputs_pending.assign(plan->items.size(), 0);
    std::unordered_map<int, std::pair<int, int>> slot_owner;  // slot -> (item, output)
    for (size_t p = 0; p < plan->items.size(); ++p) {
      const Item& item = plan->items[p];
      for (int o = 0; o < item.num_out; ++o)
        slot_owner[item.out_slot + o] = {static_cast<int>(p), o};
    }
    for (size_t p = 0; p < plan->items.size(); ++p) {
      const Item& item = plan->items[p];
      int pending = 0;
      for (int k = 0; k < item.in_count; ++k) {
        auto it = slot_owner.find(plan->inputs[item.in_begin + k].slot);
        if (it == slot_owner.end()) continue;  // a feed: available from the start
        plan->out_edges[it->second.first].push_back({static_cast<int>(p), k, it->second.second});
        ++pending;
      }
      for (int c = 0; c < item.ctl_count; ++c) {
        plan->out_edges[plan->controls[item.ctl_begin + c]].push_back(
            {static_cast<int>(p), -1, -1});
        ++pending;
      }
      plan->num_data_inputs_pending[p] = pending;
      if (pending == 0) plan->root_items.push_back(static_cast<int>(p));
    }
  }
  return std::unique_ptr<Executor>(new Executor(std::move(plan)));
}

}  // namespace tfmodel::runtime
