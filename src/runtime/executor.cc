#include "runtime/executor.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_join.h"
#include "format/saved_model.h"
#include "runtime/function.h"
#include "runtime/op_support.h"
#include "runtime/resource_mgr.h"

namespace tfmodel::runtime {
namespace {

enum class Kind : uint8_t {
  kKernel,  // an ordinary kernel
  kSkip,    // a fed placeholder/_Arg: nothing to run, its value comes from the feed
  kSwitch,  // data to output `pred`, the other output dead
  kMerge,   // first live input; output 1 = its index
  kEnter,   // into a child frame
  kExit,    // out to the parent frame
  kNextIteration,
  kLoopCond,        // passes its bool input through
  kControlTrigger,  // runs even when its inputs are dead
};

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

// ---------------------------------------------------------------------------------------
// The compiled plan.

struct InputEdge {
  int slot;
  bool deref;    // a TF1 ref read as a value
  bool forward;  // this is the value's last use: the kernel may take its buffer
};

struct Item {
  std::string name;
  std::string op;
  Kind kind = Kind::kKernel;
  std::unique_ptr<OpKernel> kernel;
  int in_begin = 0, in_count = 0;    // into Plan::inputs
  int ctl_begin = 0, ctl_count = 0;  // into Plan::controls (item positions)
  int out_slot = 0, num_out = 0;     // value slots [out_slot, out_slot + num_out)
  int rel_begin = 0, rel_count = 0;  // into Plan::releases: slots dead after this item
  // While loops.
  std::string frame_name;  // Enter
  bool is_constant = false;
  int parallel_iterations = 10;
};

struct Executor::Plan {
  std::string context;
  std::vector<std::string> feed_names, fetch_names;
  std::vector<DType> feed_dtypes;  // kInvalid = unchecked
  std::vector<Item> items;         // topological order (straight-line plans)
  std::vector<InputEdge> inputs;
  std::vector<int> controls;
  std::vector<int> releases;
  std::vector<InputEdge> fetch_edges;
  std::vector<char> slot_is_ref;
  int num_slots = 0;
  int max_inputs = 0;
  bool has_control_flow = false;  // Switch/Merge: dead tensors possible
  bool has_loops = false;
  // Dataflow (loop) plans: consumers of each item.
  struct OutEdge {
    int item;
    int input;  // -1 = control edge
    int src_output;
  };
  std::vector<std::vector<OutEdge>> out_edges;
  std::vector<int> num_data_inputs_pending;  // per item: data + control input count
  std::vector<int> root_items;               // items with no inputs

  absl::Status RunStraight(const RunContext& ctx, absl::Span<const Tensor> feeds,
                           std::vector<Tensor>* outputs) const;
  absl::Status RunDataflow(const RunContext& ctx, absl::Span<const Tensor> feeds,
                           std::vector<Tensor>* outputs) const;
  absl::Status Deref(const Tensor& ref, Tensor* out, const Item* consumer) const;
  absl::Status Compute(const RunContext& ctx, const Item& item, absl::Span<const Tensor* const> in,
                       absl::Span<Tensor* const> fwd, std::vector<Tensor>* out) const;
  std::string Where() const { return context.empty() ? "" : absl::StrCat(context, ": "); }
};

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

absl::StatusOr<std::unique_ptr<Executor>> Executor::Create(
    const tensorflow::GraphDef& graph, const tensorflow::FunctionDefLibrary* library,
    const std::vector<std::string>& feeds, const std::vector<std::string>& fetches,
    const std::vector<std::string>& targets, const ExecutorOptions& options) {
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
    std::vector<char> pinned(num_slots, 0);
    for (size_t f = 0; f < feeds.size(); ++f) pinned[f] = 1;
    for (const auto& e : plan->fetch_edges) pinned[e.slot] = 1;
    for (size_t p = 0; p < plan->items.size(); ++p) {
      const Item& item = plan->items[p];
      for (int k = 0; k < item.in_count; ++k) {
        int s = plan->inputs[item.in_begin + k].slot;
        last_use[s] = static_cast<int>(p);
        ++uses[s];
      }
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
        e.forward = !pinned[e.slot] && !e.deref && last_use[e.slot] == static_cast<int>(p) &&
                    count_here[e.slot] == 1;
      }
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

// ---------------------------------------------------------------------------------------
// Running.

absl::Status Executor::Plan::Deref(const Tensor& ref, Tensor* out, const Item* consumer) const {
  if (ref.dtype() != DType::kResource || ref.NumElements() != 1) {
    *out = ref;
    return absl::OkStatus();
  }
  const ResourceHandle& h = ref.scalar<ResourceHandle>();
  if (h.type_name != kRefTypeName || !h.resource) {
    *out = ref;
    return absl::OkStatus();
  }
  Var* v = static_cast<Var*>(h.resource.get());
  std::lock_guard<std::mutex> l(v->mu);
  if (!v->initialized) {
    return absl::FailedPreconditionError(absl::StrCat(
        Where(), "Attempting to use uninitialized value ", h.name,
        consumer ? absl::StrCat(" (read by node '", consumer->name, "')") : std::string()));
  }
  *out = v->tensor;
  return absl::OkStatus();
}

absl::Status Executor::Plan::Compute(const RunContext& ctx, const Item& item,
                                     absl::Span<const Tensor* const> in,
                                     absl::Span<Tensor* const> fwd,
                                     std::vector<Tensor>* out) const {
  KernelContext kctx(&item.name, &item.op, in, fwd, out, ctx.resources, ctx.functions, ctx.device,
                     ctx.step_id);
  absl::Status s = item.kernel->Compute(&kctx);
  if (!s.ok()) {
    absl::string_view msg = s.message();
    if (msg.find(absl::StrCat("node '", item.name, "'")) == absl::string_view::npos) {
      return absl::Status(s.code(),
                          absl::StrCat(Where(), "node '", item.name, "' (", item.op, "): ", msg));
    }
    if (!context.empty()) return absl::Status(s.code(), absl::StrCat(Where(), msg));
    return s;
  }
  return absl::OkStatus();
}

absl::Status Executor::Run(const RunContext& ctx, absl::Span<const Tensor> feeds,
                           std::vector<Tensor>* outputs) const {
  const Plan& p = *plan_;
  if (feeds.size() != p.feed_names.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(p.Where(), "expected ", p.feed_names.size(), " feeds, got ", feeds.size()));
  }
  for (size_t f = 0; f < feeds.size(); ++f) {
    if (!feeds[f].valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat(p.Where(), "feed '", p.feed_names[f], "' is not a valid tensor"));
    }
    if (p.feed_dtypes[f] != DType::kInvalid && feeds[f].dtype() != p.feed_dtypes[f]) {
      return absl::InvalidArgumentError(absl::StrCat(
          p.Where(), "feed '", p.feed_names[f], "' has dtype ", DTypeName(feeds[f].dtype()),
          " but the placeholder expects ", DTypeName(p.feed_dtypes[f])));
    }
  }
  if (p.has_loops) return p.RunDataflow(ctx, feeds, outputs);
  return p.RunStraight(ctx, feeds, outputs);
}

absl::Status Executor::Plan::RunStraight(const RunContext& ctx, absl::Span<const Tensor> feeds,
                                         std::vector<Tensor>* outputs) const {
  // Small graphs keep their values on the stack.
  absl::InlinedVector<Tensor, 16> vals(num_slots);
  for (size_t f = 0; f < feeds.size(); ++f) vals[f] = feeds[f];
  std::vector<char> dead_slot, dead_item;
  if (has_control_flow) {
    dead_slot.assign(num_slots, 0);
    dead_item.assign(items.size(), 0);
  }
  absl::InlinedVector<const Tensor*, 8> in;
  absl::InlinedVector<Tensor*, 8> fwd;
  std::vector<Tensor> out;
  // Dereferenced TF1 refs live here for the duration of one node.
  absl::InlinedVector<Tensor, 4> derefs;
  in.reserve(max_inputs);
  fwd.reserve(max_inputs);

  for (size_t pos = 0; pos < items.size(); ++pos) {
    const Item& item = items[pos];
    if (item.kind == Kind::kSkip) continue;
    const InputEdge* edges = inputs.data() + item.in_begin;
    bool dead = false;
    if (has_control_flow) {
      for (int c = 0; c < item.ctl_count && !dead; ++c)
        dead = dead_item[controls[item.ctl_begin + c]];
      if (item.kind == Kind::kMerge) {
        int live = -1;
        for (int k = 0; k < item.in_count; ++k) {
          if (!dead_slot[edges[k].slot]) {
            live = k;
            break;
          }
        }
        if (live < 0) dead = true;
        if (!dead) {
          Tensor v;
          if (edges[live].deref) {
            TFM_RETURN_IF_ERROR(Deref(vals[edges[live].slot], &v, &item));
          } else {
            v = vals[edges[live].slot];
          }
          if (item.num_out > 0) vals[item.out_slot] = std::move(v);
          if (item.num_out > 1) vals[item.out_slot + 1] = Tensor::Scalar<int32_t>(live);
        }
      } else if (item.kind != Kind::kControlTrigger) {
        for (int k = 0; k < item.in_count && !dead; ++k) dead = dead_slot[edges[k].slot];
      }
      if (dead) {
        dead_item[pos] = 1;
        for (int o = 0; o < item.num_out; ++o) dead_slot[item.out_slot + o] = 1;
      }
    }
    if (!dead && item.kind != Kind::kMerge) {
      in.clear();
      fwd.clear();
      derefs.clear();
      for (int k = 0; k < item.in_count; ++k) {
        const InputEdge& e = edges[k];
        if (e.deref) derefs.emplace_back();
      }
      size_t d = 0;
      for (int k = 0; k < item.in_count; ++k) {
        const InputEdge& e = edges[k];
        if (e.deref) {
          TFM_RETURN_IF_ERROR(Deref(vals[e.slot], &derefs[d], &item));
          in.push_back(&derefs[d]);
          fwd.push_back(nullptr);
          ++d;
        } else {
          in.push_back(&vals[e.slot]);
          fwd.push_back(e.forward ? &vals[e.slot] : nullptr);
        }
      }
      switch (item.kind) {
        case Kind::kKernel: {
          out.clear();
          TFM_RETURN_IF_ERROR(Compute(ctx, item, in, fwd, &out));
          if (static_cast<int>(out.size()) < item.num_out) {
            for (int o = static_cast<int>(out.size()); o < item.num_out; ++o) {
              if (!out.empty() || item.num_out > 0) {
                return absl::InternalError(absl::StrCat(Where(), "node '", item.name, "' (",
                                                        item.op, ") produced ", out.size(),
                                                        " outputs but output ", o, " is used"));
              }
            }
          }
          for (int o = 0; o < item.num_out; ++o) {
            if (!out[o].valid()) {
              return absl::InternalError(absl::StrCat(Where(), "node '", item.name, "' (", item.op,
                                                      ") did not set output ", o));
            }
            vals[item.out_slot + o] = std::move(out[o]);
          }
          break;
        }
        case Kind::kSwitch: {
          const Tensor& pred = *in[1];
          if (pred.dtype() != DType::kBool || pred.NumElements() != 1) {
            return absl::InvalidArgumentError(absl::StrCat(
                Where(), "node '", item.name, "' (Switch): pred must be a bool scalar, got ",
                DTypeName(pred.dtype()), " ", pred.shape().ToString()));
          }
          int taken = pred.data<bool>()[0] ? 1 : 0;
          vals[item.out_slot + taken] = *in[0];
          dead_slot[item.out_slot + (1 - taken)] = 1;
          break;
        }
        case Kind::kLoopCond:
        case Kind::kControlTrigger:
          if (item.num_out > 0 && item.in_count > 0) vals[item.out_slot] = *in[0];
          break;
        default:
          return absl::InternalError(absl::StrCat(Where(), "node '", item.name, "' (", item.op,
                                                  ") cannot run outside a while loop"));
      }
    }
    for (int r = 0; r < item.rel_count; ++r) vals[releases[item.rel_begin + r]] = Tensor();
  }

  outputs->clear();
  outputs->reserve(fetch_edges.size());
  for (size_t f = 0; f < fetch_edges.size(); ++f) {
    const InputEdge& e = fetch_edges[f];
    if (has_control_flow && dead_slot[e.slot]) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(), "fetched tensor '", fetch_names[f],
                       "' was not computed: it is on a branch that was not taken (dead)"));
    }
    if (e.deref) {
      Tensor t;
      TFM_RETURN_IF_ERROR(Deref(vals[e.slot], &t, nullptr));
      outputs->push_back(std::move(t));
    } else {
      outputs->push_back(vals[e.slot]);
    }
  }
  return absl::OkStatus();
}

// Dataflow execution for graphs with v1 while loops. Values live per (frame, iteration):
// Enter moves a value into a child frame (iteration 0; constant Enters into every
// iteration), NextIteration into the next iteration, Exit back to the parent. Dead values
// from NextIteration are dropped (that ends the loop); dead Exits reach the parent only
// when the frame never produced a live value for them.
namespace {

struct IterState {
  explicit IterState(const std::vector<int>& pending_init, int num_slots)
      : vals(num_slots),
        dead(num_slots, 0),
        pending(pending_init),
        node_dead(pending_init.size(), 0),
        merge_live(pending_init.size(), 0),
        merge_dead(pending_init.size(), 0),
        merge_ctl(pending_init.size(), 0),
        done(pending_init.size(), 0) {}
  std::vector<Tensor> vals;
  std::vector<char> dead;
  std::vector<int> pending;
  std::vector<char> node_dead;
  std::vector<int> merge_live;  // 1 + index of the first live input, 0 = none yet
  std::vector<int> merge_dead;  // dead data inputs seen
  std::vector<int> merge_ctl;   // control inputs seen
  std::vector<char> done;
};

struct Frame {
  std::string name;
  Frame* parent = nullptr;
  int64_t parent_iter = 0;
  std::map<int64_t, std::unique_ptr<IterState>> iters;
  // Constant Enters: (item, value, dead) delivered to every new iteration.
  struct Constant {
    int item;
    Tensor value;
    bool dead;
  };
  std::vector<Constant> constants;
  std::set<int> exits_live, exits_dead, exits_dead_sent;
};

struct Task {
  int item;
  Frame* frame;
  int64_t iter;
};

}  // namespace

absl::Status Executor::Plan::RunDataflow(const RunContext& ctx, absl::Span<const Tensor> feeds,
                                         std::vector<Tensor>* outputs) const {
  const int num_items = static_cast<int>(items.size());
  // Merge data-input counts that can arrive in iteration 0 (NextIteration back edges never do).
  std::vector<int> merge_inputs(num_items, 0), merge_ctls(num_items, 0);
  std::vector<char> from_next(inputs.size(), 0);
  for (int p = 0; p < num_items; ++p) {
    for (const auto& e : out_edges[p]) {
      if (e.input >= 0 && items[p].kind == Kind::kNextIteration)
        from_next[items[e.item].in_begin + e.input] = 1;
    }
  }
  for (int p = 0; p < num_items; ++p) {
    const Item& it = items[p];
    if (it.kind != Kind::kMerge) continue;
    for (int k = 0; k < it.in_count; ++k) {
      if (!from_next[it.in_begin + k]) ++merge_inputs[p];
    }
    merge_ctls[p] = it.ctl_count;
  }

  std::map<std::tuple<std::string, Frame*, int64_t>, std::unique_ptr<Frame>> frames;
  Frame root;
  std::deque<Task> ready;
  auto iter_state = [&](Frame* f, int64_t i) -> IterState* {
    auto& st = f->iters[i];
    if (!st) st = std::make_unique<IterState>(num_data_inputs_pending, num_slots);
    return st.get();
  };

  // Deliver output `o` of item `p` (or its completion, for control edges: o = -1).
  std::function<void(int, int, const Tensor*, bool, Frame*, int64_t)> deliver;
  auto arrive = [&](int c, int input, bool is_dead, Frame* f, int64_t i, IterState* st) {
    const Item& ci = items[c];
    if (st->done[c]) return;
    if (ci.kind == Kind::kMerge) {
      if (input < 0) {
        ++st->merge_ctl[c];
        if (is_dead) st->node_dead[c] = 1;
      } else if (is_dead) {
        ++st->merge_dead[c];
      } else if (st->merge_live[c] == 0) {
        st->merge_live[c] = input + 1;
      }
      bool ctl_ok = st->merge_ctl[c] >= merge_ctls[c];
      if (ctl_ok && (st->merge_live[c] > 0 || st->merge_dead[c] >= merge_inputs[c])) {
        st->done[c] = 1;
        ready.push_back({c, f, i});
      }
      return;
    }
    if (is_dead && ci.kind != Kind::kControlTrigger) st->node_dead[c] = 1;
    if (--st->pending[c] == 0) {
      st->done[c] = 1;
      ready.push_back({c, f, i});
    }
  };
  deliver = [&](int p, int o, const Tensor* v, bool is_dead, Frame* f, int64_t i) {
    IterState* st = iter_state(f, i);
    if (o >= 0) {
      int slot = items[p].out_slot + o;
      if (v) st->vals[slot] = *v;
      st->dead[slot] = is_dead;
    }
    for (const auto& e : out_edges[p]) {
      if (o >= 0 ? (e.input >= 0 && e.src_output == o) : e.input < 0)
        arrive(e.item, e.input, is_dead, f, i, st);
    }
  };
  auto new_iteration = [&](Frame* f, int64_t i) {
    bool fresh = f->iters.find(i) == f->iters.end();
    iter_state(f, i);
    if (fresh) {
      for (const auto& c : f->constants) {
        deliver(c.item, 0, &c.value, c.dead, f, i);
        deliver(c.item, -1, nullptr, c.dead, f, i);
      }
    }
  };

  iter_state(&root, 0);
  for (int p : root_items) {
    iter_state(&root, 0)->done[p] = 1;
    ready.push_back({p, &root, 0});
  }

  absl::InlinedVector<const Tensor*, 8> in;
  absl::InlinedVector<Tensor*, 8> fwd;
  std::vector<Tensor> out;
  absl::InlinedVector<Tensor, 4> derefs;
  while (true) {
    while (!ready.empty()) {
      Task t = ready.front();
      ready.pop_front();
      const Item& item = items[t.item];
      IterState* st = iter_state(t.frame, t.iter);
      bool dead = st->node_dead[t.item];
      const InputEdge* edges = inputs.data() + item.in_begin;
      auto input_dead = [&](int k) {
        return edges[k].slot >= static_cast<int>(feeds.size()) && st->dead[edges[k].slot];
      };
      auto input_val = [&](int k) -> const Tensor& {
        return edges[k].slot < static_cast<int>(feeds.size()) ? feeds[edges[k].slot]
                                                              : st->vals[edges[k].slot];
      };
      if (item.kind == Kind::kMerge) {
        int live = st->merge_live[t.item] - 1;
        if (dead || live < 0) {
          for (int o = 0; o < item.num_out; ++o) deliver(t.item, o, nullptr, true, t.frame, t.iter);
        } else {
          Tensor v;
          if (edges[live].deref) {
            TFM_RETURN_IF_ERROR(Deref(input_val(live), &v, &item));
          } else {
            v = input_val(live);
          }
          Tensor idx = Tensor::Scalar<int32_t>(live);
          if (item.num_out > 0) deliver(t.item, 0, &v, false, t.frame, t.iter);
          if (item.num_out > 1) deliver(t.item, 1, &idx, false, t.frame, t.iter);
        }
        deliver(t.item, -1, nullptr, dead || live < 0, t.frame, t.iter);
        continue;
      }
      if (!dead && item.kind != Kind::kControlTrigger) {
        for (int k = 0; k < item.in_count && !dead; ++k) dead = input_dead(k);
      }
      if (item.kind == Kind::kEnter || item.kind == Kind::kExit ||
          item.kind == Kind::kNextIteration) {
        Tensor v;
        if (!dead) {
          if (edges[0].deref) {
            TFM_RETURN_IF_ERROR(Deref(input_val(0), &v, &item));
          } else {
            v = input_val(0);
          }
        }
        if (item.kind == Kind::kEnter) {
          auto key = std::make_tuple(item.frame_name, t.frame, t.iter);
          auto& fr = frames[key];
          if (!fr) {
            fr = std::make_unique<Frame>();
            fr->name = item.frame_name;
            fr->parent = t.frame;
            fr->parent_iter = t.iter;
          }
          Frame* child = fr.get();
          if (item.is_constant) {
            child->constants.push_back({t.item, v, dead});
            for (auto& [i, s] : child->iters) {
              (void)s;
              deliver(t.item, 0, &v, dead, child, i);
              deliver(t.item, -1, nullptr, dead, child, i);
            }
            if (child->iters.empty()) new_iteration(child, 0);
          } else {
            new_iteration(child, 0);
            deliver(t.item, 0, &v, dead, child, 0);
            deliver(t.item, -1, nullptr, dead, child, 0);
          }
        } else if (item.kind == Kind::kExit) {
          if (t.frame->parent == nullptr) {
            return absl::InvalidArgumentError(
                absl::StrCat(Where(), "node '", item.name, "' (Exit) is not inside a while loop"));
          }
          if (dead) {
            t.frame->exits_dead.insert(t.item);
          } else {
            t.frame->exits_live.insert(t.item);
            deliver(t.item, 0, &v, false, t.frame->parent, t.frame->parent_iter);
            deliver(t.item, -1, nullptr, false, t.frame->parent, t.frame->parent_iter);
          }
        } else {  // NextIteration
          if (!dead) {
            new_iteration(t.frame, t.iter + 1);
            deliver(t.item, 0, &v, false, t.frame, t.iter + 1);
            deliver(t.item, -1, nullptr, false, t.frame, t.iter + 1);
          }
        }
        continue;
      }
      if (dead) {
        for (int o = 0; o < item.num_out; ++o) deliver(t.item, o, nullptr, true, t.frame, t.iter);
        deliver(t.item, -1, nullptr, true, t.frame, t.iter);
        continue;
      }
      in.clear();
      fwd.clear();
      derefs.clear();
      for (int k = 0; k < item.in_count; ++k) {
        if (edges[k].deref) derefs.emplace_back();
      }
      size_t d = 0;
      for (int k = 0; k < item.in_count; ++k) {
        if (edges[k].deref) {
          TFM_RETURN_IF_ERROR(Deref(input_val(k), &derefs[d], &item));
          in.push_back(&derefs[d++]);
        } else {
          in.push_back(&input_val(k));
        }
        fwd.push_back(nullptr);
      }
      switch (item.kind) {
        case Kind::kKernel: {
          out.clear();
          TFM_RETURN_IF_ERROR(Compute(ctx, item, in, fwd, &out));
          if (static_cast<int>(out.size()) < item.num_out) {
            return absl::InternalError(absl::StrCat(Where(), "node '", item.name, "' (", item.op,
                                                    ") produced ", out.size(), " outputs but ",
                                                    item.num_out, " are used"));
          }
          for (int o = 0; o < item.num_out; ++o)
            deliver(t.item, o, &out[o], false, t.frame, t.iter);
          break;
        }
        case Kind::kSwitch: {
          const Tensor& pred = *in[1];
          if (pred.dtype() != DType::kBool || pred.NumElements() != 1) {
            return absl::InvalidArgumentError(absl::StrCat(
                Where(), "node '", item.name, "' (Switch): pred must be a bool scalar, got ",
                DTypeName(pred.dtype()), " ", pred.shape().ToString()));
          }
          int taken = pred.data<bool>()[0] ? 1 : 0;
          Tensor v = *in[0];
          deliver(t.item, taken, &v, false, t.frame, t.iter);
          deliver(t.item, 1 - taken, nullptr, true, t.frame, t.iter);
          break;
        }
        default: {  // LoopCond, ControlTrigger
          if (item.num_out > 0 && item.in_count > 0) {
            Tensor v = *in[0];
            deliver(t.item, 0, &v, false, t.frame, t.iter);
          }
          break;
        }
      }
      deliver(t.item, -1, nullptr, false, t.frame, t.iter);
    }
    // Frames whose Exits never produced a live value pass dead values out.
    bool more = false;
    for (auto& [key, fr] : frames) {
      for (int x : fr->exits_dead) {
        if (fr->exits_live.count(x) || fr->exits_dead_sent.count(x)) continue;
        fr->exits_dead_sent.insert(x);
        deliver(x, 0, nullptr, true, fr->parent, fr->parent_iter);
        deliver(x, -1, nullptr, true, fr->parent, fr->parent_iter);
        more = true;
      }
    }
    if (!more) break;
  }

  IterState* st = iter_state(&root, 0);
  outputs->clear();
  for (size_t f = 0; f < fetch_edges.size(); ++f) {
    const InputEdge& e = fetch_edges[f];
    if (e.slot < static_cast<int>(feeds.size())) {
      outputs->push_back(feeds[e.slot]);
      continue;
    }
    if (st->dead[e.slot]) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(), "fetched tensor '", fetch_names[f],
                       "' was not computed: it is on a branch that was not taken (dead)"));
    }
    if (!st->vals[e.slot].valid()) {
      return absl::InternalError(absl::StrCat(Where(), "fetched tensor '", fetch_names[f],
                                              "' was never produced (malformed loop?)"));
    }
    Tensor t;
    if (e.deref) {
      TFM_RETURN_IF_ERROR(Deref(st->vals[e.slot], &t, nullptr));
    } else {
      t = st->vals[e.slot];
    }
    outputs->push_back(std::move(t));
  }
  return absl::OkStatus();
}

}  // namespace tfmodel::runtime
