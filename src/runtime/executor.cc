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
#include "core/close_names.h"
#include "format/saved_model.h"
#include "graph/fold_batch_norm.h"
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

}  // namespace

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

namespace {

// Builds a Plan from a graph, one phase per method (Executor::Create runs them in order).
class PlanBuilder {
 public:
  PlanBuilder(const tensorflow::GraphDef& graph, const tensorflow::FunctionDefLibrary* library,
              const ExecutorOptions& options, Executor::Plan* plan)
      : graph_(graph),
        library_(library),
        options_(options),
        plan_(plan),
        where_(plan->Where()),
        n_(graph.node_size()) {}

  // Node names -> indices; duplicate names are an error.
  absl::Status IndexNodes() {
    index_.reserve(n_);
    all_names_.reserve(n_);
    for (int i = 0; i < n_; ++i) {
      const auto& nd = graph_.node(i);
      if (!index_.emplace(nd.name(), i).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(where_, "graph has two nodes named '", nd.name(), "'"));
      }
      all_names_.push_back(nd.name());
    }
    return absl::OkStatus();
  }

  // Checks and records the feeds (with the dtype a placeholder declares), fetches and
  // targets.
  absl::Status ResolveEndpoints(const std::vector<std::string>& feeds,
                                const std::vector<std::string>& fetches,
                                const std::vector<std::string>& targets) {
    num_feeds_ = static_cast<int>(feeds.size());
    for (size_t f = 0; f < feeds.size(); ++f) {
      TensorId id = ParseTensorName(feeds[f]);
      if (id.index < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(where_, "feed '", feeds[f], "' is not a tensor name"));
      }
      if (!index_.count(id.node)) return Unknown("unknown feed", feeds[f], id.node);
      if (!fed_.emplace(id, static_cast<int>(f)).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(where_, "tensor '", id.ToString(), "' is fed twice"));
      }
      plan_->feed_names.push_back(id.ToString());
      const auto& nd = graph_.node(index_[id.node]);
      DType want = DType::kInvalid;
      if (IsPlaceholderLike(nd.op()) && id.index == 0) {
        const char* attr = nd.op() == "_Arg" ? "T" : "dtype";
        auto it = nd.attr().find(attr);
        if (it != nd.attr().end() && it->second.value_case() == tensorflow::AttrValue::kType &&
            DTypeIsValid(it->second.type())) {
          want = BaseDType(it->second.type());
        }
      }
      plan_->feed_dtypes.push_back(want);
    }
    for (const auto& f : fetches) {
      TensorId id = ParseTensorName(f);
      if (id.index < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(where_, "fetch '", f, "' is not a tensor name"));
      }
      if (!index_.count(id.node)) return Unknown("unknown fetch", f, id.node);
      fetch_ids_.push_back(id);
      plan_->fetch_names.push_back(id.ToString());
    }
    for (const auto& t : targets) {
      TensorId id = ParseTensorName(t);
      auto it = index_.find(id.node);
      if (it == index_.end()) return Unknown("unknown target", t, id.node);
      target_nodes_.push_back(it->second);
    }
    return absl::OkStatus();
  }

  // Parses the inputs of every node the fetches and targets need (walking backwards, fed
  // tensors cut the walk) and marks fed placeholders as not run.
  absl::Status FindNeededNodes() {
    parsed_.resize(n_);
    parsed_done_.assign(n_, 0);
    needed_.assign(n_, 0);
    if (options_.keep_all_nodes) {
      for (int i = 0; i < n_; ++i) Need(i);
    }
    for (const auto& id : fetch_ids_) {
      if (!fed_.count(id)) Need(index_[id.node]);
    }
    for (int t : target_nodes_) Need(t);
    while (!stack_.empty()) {
      int i = stack_.back();
      stack_.pop_back();
      TFM_RETURN_IF_ERROR(Parse(i));
      for (const auto& id : parsed_[i].data) {
        if (!fed_.count(id)) Need(index_[id.node]);
      }
      for (int c : parsed_[i].control) Need(c);
    }
    // Fed placeholders are not run at all: the feed is their value.
    skip_.assign(n_, 0);
    for (const auto& [id, f] : fed_) {
      int i = index_[id.node];
      if (IsPlaceholderLike(graph_.node(i).op())) skip_[i] = 1;
    }
    return absl::OkStatus();
  }

  // Topological order (Kahn). NextIteration back edges are cut: with them a loop is a
  // cycle by construction.
  absl::Status Order() {
    std::vector<int> kept;
    for (int i = 0; i < n_; ++i) {
      if (needed_[i]) kept.push_back(i);
    }
    pos_of_.assign(n_, -1);
    std::vector<int> indeg(n_, 0);
    std::vector<std::vector<int>> succ(n_);
    for (int i : kept) {
      Kind k = KindOf(graph_.node(i).op());
      if (k == Kind::kEnter || k == Kind::kExit || k == Kind::kNextIteration ||
          k == Kind::kLoopCond) {
        has_loops_ = true;
      }
    }
    auto add_edge = [&](int from, int to) {
      if (KindOf(graph_.node(from).op()) == Kind::kNextIteration) return;  // back edge
      succ[from].push_back(to);
      ++indeg[to];
    };
    for (int i : kept) {
      if (skip_[i]) continue;
      for (const auto& id : parsed_[i].data) {
        if (!fed_.count(id)) add_edge(index_[id.node], i);
      }
      for (int c : parsed_[i].control) add_edge(c, i);
    }
    order_.reserve(kept.size());
    std::deque<int> q;
    for (int i : kept) {
      if (indeg[i] == 0) q.push_back(i);
    }
    while (!q.empty()) {
      int i = q.front();
      q.pop_front();
      pos_of_[i] = static_cast<int>(order_.size());
      order_.push_back(i);
      for (int s : succ[i]) {
        if (--indeg[s] == 0) q.push_back(s);
      }
    }
    if (order_.size() == kept.size()) return absl::OkStatus();
    std::vector<std::string> cyc;
    for (int i : kept) {
      if (pos_of_[i] < 0 && cyc.size() < 5) {
        cyc.push_back(absl::StrCat("'", graph_.node(i).name(), "'"));
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat(where_, "graph has a cycle that is not a while loop, through nodes ",
                     absl::StrJoin(cyc, ", ")));
  }

  // Reports every unsupported op at once, in this graph and in every function it calls
  // (transitively), before building any kernel.
  absl::Status CheckOpsSupported() const {
    std::vector<const tensorflow::NodeDef*> run_nodes;
    for (int i : order_) {
      if (!skip_[i]) run_nodes.push_back(&graph_.node(i));
    }
    std::vector<MissingOp> missing = FindMissingOps(run_nodes, library_);
    if (missing.empty()) return absl::OkStatus();
    return absl::UnimplementedError(absl::StrCat(where_, MissingOpsMessage(missing)));
  }

  // Output slots: feeds first, then per node as many as are referenced.
  void AssignSlots() {
    num_out_.assign(n_, 0);
    auto reference = [&](const TensorId& id) {
      if (fed_.count(id)) return;
      int p = index_[id.node];
      num_out_[p] = std::max(num_out_[p], id.index + 1);
    };
    for (int i : order_) {
      if (skip_[i]) continue;
      for (const auto& id : parsed_[i].data) reference(id);
    }
    for (const auto& id : fetch_ids_) reference(id);
    for (int i : order_) {
      Kind k = KindOf(graph_.node(i).op());
      if (k == Kind::kSwitch || k == Kind::kMerge) num_out_[i] = std::max(num_out_[i], 2);
    }
    int num_slots = num_feeds_;
    slot_base_.assign(n_, -1);
    for (int i : order_) {
      slot_base_[i] = num_slots;
      num_slots += num_out_[i];
    }
    plan_->num_slots = num_slots;
    plan_->slot_is_ref.assign(num_slots, 0);
  }

  // One item per ordered node, with its kernel built (attrs checked once, here).
  absl::Status BuildItems() {
    const KernelRegistry& registry = KernelRegistry::Global();
    plan_->items.resize(order_.size());
    for (size_t p = 0; p < order_.size(); ++p) {
      int i = order_[p];
      const auto& nd = graph_.node(i);
      Item& item = plan_->items[p];
      item.name = nd.name();
      item.op = nd.op();
      item.kind = skip_[i] ? Kind::kSkip : KindOf(nd.op());
      item.out_slot = slot_base_[i];
      item.num_out = num_out_[i];
      if (item.kind == Kind::kSwitch || item.kind == Kind::kMerge) has_cond_ = true;
      if (!skip_[i] && ProducesRef(nd.op()) && num_out_[i] > 0) {
        plan_->slot_is_ref[slot_base_[i]] = 1;
      }
      if (item.kind == Kind::kSkip) continue;
      if (item.kind == Kind::kKernel) {
        KernelInit init(nd, library_, static_cast<int>(parsed_[i].data.size()));
        const KernelFactory* factory = registry.Find(nd.op());
        auto k = factory ? (*factory)(init) : MakeFunctionCallKernel(init);
        if (!k.ok()) {
          absl::string_view msg = k.status().message();
          if (msg.find(absl::StrCat("node '", nd.name(), "'")) != absl::string_view::npos) {
            return absl::Status(k.status().code(), absl::StrCat(where_, msg));
          }
          return absl::Status(k.status().code(), absl::StrCat(where_, "node '", nd.name(), "' (",
                                                              nd.op(), "): ", msg));
        }
        item.kernel = std::move(*k);
      } else if (item.kind == Kind::kEnter) {
        auto it = nd.attr().find("frame_name");
        if (it == nd.attr().end()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where_, "node '", nd.name(), "' (Enter): missing attr 'frame_name'"));
        }
        item.frame_name = it->second.s();
        auto c = nd.attr().find("is_constant");
        item.is_constant = c != nd.attr().end() && c->second.b();
      }
      TFM_RETURN_IF_ERROR(CheckControlFlowArity(item, nd, parsed_[i].data.size()));
    }
    return absl::OkStatus();
  }

  // Input and control edges per item (after BuildItems: slot_is_ref of producers is known).
  void WireInputs() {
    for (size_t p = 0; p < order_.size(); ++p) {
      int i = order_[p];
      Item& item = plan_->items[p];
      if (item.kind == Kind::kSkip) continue;
      item.in_begin = static_cast<int>(plan_->inputs.size());
      int j = 0;
      for (const auto& id : parsed_[i].data) {
        int s = SlotOf(id);
        bool deref = plan_->slot_is_ref[s] && !AcceptsRef(item.op, j);
        plan_->inputs.push_back({s, deref, false});
        ++j;
      }
      item.in_count = j;
      plan_->max_inputs = std::max(plan_->max_inputs, j);
      item.ctl_begin = static_cast<int>(plan_->controls.size());
      for (int c : parsed_[i].control) {
        if (pos_of_[c] >= 0) plan_->controls.push_back(pos_of_[c]);
      }
      item.ctl_count = static_cast<int>(plan_->controls.size()) - item.ctl_begin;
    }
    for (const auto& id : fetch_ids_) {
      int s = SlotOf(id);
      plan_->fetch_edges.push_back({s, plan_->slot_is_ref[s] != 0, false});
    }
    plan_->has_control_flow = has_cond_ || has_loops_;
    plan_->has_loops = has_loops_;
  }

  // Straight-line plans: where each value is last used, so it is released there and its
  // last consumer may take its buffer. Feeds and fetched slots are never released early.
  void PlanReleases() {
    const int num_slots = plan_->num_slots;
    std::vector<int> last_use(num_slots, -1);
    std::vector<char> pinned(num_slots, 0), fetched(num_slots, 0);
    for (int f = 0; f < num_feeds_; ++f) pinned[f] = 1;
    for (const auto& e : plan_->fetch_edges) pinned[e.slot] = fetched[e.slot] = 1;
    for (size_t p = 0; p < plan_->items.size(); ++p) {
      const Item& item = plan_->items[p];
      for (int k = 0; k < item.in_count; ++k) {
        last_use[plan_->inputs[item.in_begin + k].slot] = static_cast<int>(p);
      }
    }
    // Donated feeds die at their last use (unless fetched).
    std::vector<std::vector<int>> feed_rel(plan_->items.size());
    for (int f = 0; f < num_feeds_; ++f) {
      if (!fetched[f] && last_use[f] >= 0) feed_rel[last_use[f]].push_back(f);
    }
    std::vector<std::vector<int>> rel(plan_->items.size());
    for (size_t p = 0; p < plan_->items.size(); ++p) {
      const Item& item = plan_->items[p];
      for (int s = item.out_slot; s < item.out_slot + item.num_out; ++s) {
        if (pinned[s]) continue;
        // Unused outputs are dropped right after the node runs.
        rel[last_use[s] < 0 ? p : last_use[s]].push_back(s);
      }
    }
    for (size_t p = 0; p < plan_->items.size(); ++p) {
      Item& item = plan_->items[p];
      std::map<int, int> count_here;
      for (int k = 0; k < item.in_count; ++k) ++count_here[plan_->inputs[item.in_begin + k].slot];
      for (int k = 0; k < item.in_count; ++k) {
        InputEdge& e = plan_->inputs[item.in_begin + k];
        const bool last =
            !e.deref && last_use[e.slot] == static_cast<int>(p) && count_here[e.slot] == 1;
        e.forward = !pinned[e.slot] && last;
        e.forward_donated = e.slot < num_feeds_ && !fetched[e.slot] && last;
      }
      item.feed_rel_begin = static_cast<int>(plan_->feed_releases.size());
      plan_->feed_releases.insert(plan_->feed_releases.end(), feed_rel[p].begin(),
                                  feed_rel[p].end());
      item.feed_rel_count = static_cast<int>(feed_rel[p].size());
      item.rel_begin = static_cast<int>(plan_->releases.size());
      plan_->releases.insert(plan_->releases.end(), rel[p].begin(), rel[p].end());
      item.rel_count = static_cast<int>(rel[p].size());
    }
  }

  // Plans with while loops: consumers per item and pending input counts.
  void PlanDataflow() {
    plan_->out_edges.resize(plan_->items.size());
    plan_->num_data_inputs_pending.assign(plan_->items.size(), 0);
    std::unordered_map<int, std::pair<int, int>> slot_owner;  // slot -> (item, output)
    for (size_t p = 0; p < plan_->items.size(); ++p) {
      const Item& item = plan_->items[p];
      for (int o = 0; o < item.num_out; ++o) {
        slot_owner[item.out_slot + o] = {static_cast<int>(p), o};
      }
    }
    for (size_t p = 0; p < plan_->items.size(); ++p) {
      const Item& item = plan_->items[p];
      int pending = 0;
      for (int k = 0; k < item.in_count; ++k) {
        auto it = slot_owner.find(plan_->inputs[item.in_begin + k].slot);
        if (it == slot_owner.end()) continue;  // a feed: available from the start
        plan_->out_edges[it->second.first].push_back({static_cast<int>(p), k, it->second.second});
        ++pending;
      }
      for (int c = 0; c < item.ctl_count; ++c) {
        plan_->out_edges[plan_->controls[item.ctl_begin + c]].push_back(
            {static_cast<int>(p), -1, -1});
        ++pending;
      }
      plan_->num_data_inputs_pending[p] = pending;
      if (pending == 0) plan_->root_items.push_back(static_cast<int>(p));
    }
  }

  bool has_loops() const { return has_loops_; }

 private:
  struct ParsedInputs {
    std::vector<TensorId> data;
    std::vector<int> control;  // node indices
  };

  absl::Status Unknown(absl::string_view what, const std::string& tensor,
                       const std::string& node) const {
    return absl::NotFoundError(absl::StrCat(where_, what, " '", tensor, "': no node named '", node,
                                            "' in the graph", DidYouMean(node, all_names_)));
  }

  void Need(int i) {
    if (!needed_[i]) {
      needed_[i] = 1;
      stack_.push_back(i);
    }
  }

  absl::Status Parse(int i) {
    if (parsed_done_[i]) return absl::OkStatus();
    parsed_done_[i] = 1;
    const auto& nd = graph_.node(i);
    for (const auto& in : nd.input()) {
      TensorId id = ParseTensorName(in);
      auto it = index_.find(id.node);
      if (it == index_.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where_, "node '", nd.name(), "' (", nd.op(), ") has input '", in,
                         "' from unknown node '", id.node, "'", DidYouMean(id.node, all_names_)));
      }
      if (id.index < 0) {
        parsed_[i].control.push_back(it->second);
      } else {
        if (!parsed_[i].control.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(
              where_, "node '", nd.name(), "' lists data input '", in, "' after a control input"));
        }
        parsed_[i].data.push_back(std::move(id));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckControlFlowArity(const Item& item, const tensorflow::NodeDef& nd,
                                     size_t num_data) const {
    const bool one_input = item.kind == Kind::kEnter || item.kind == Kind::kExit ||
                           item.kind == Kind::kNextIteration || item.kind == Kind::kLoopCond;
    if ((item.kind == Kind::kSwitch && num_data != 2) || (one_input && num_data != 1) ||
        (item.kind == Kind::kMerge && num_data == 0)) {
      return absl::InvalidArgumentError(absl::StrCat(where_, "node '", nd.name(), "' (", nd.op(),
                                                     ") has ", num_data, " data inputs"));
    }
    return absl::OkStatus();
  }

  int SlotOf(const TensorId& id) const {
    auto f = fed_.find(id);
    if (f != fed_.end()) return f->second;
    return slot_base_[index_.at(id.node)] + id.index;
  }

  const tensorflow::GraphDef& graph_;
  const tensorflow::FunctionDefLibrary* library_;
  const ExecutorOptions& options_;
  Executor::Plan* plan_;
  const std::string where_;
  const int n_;
  int num_feeds_ = 0;
  std::unordered_map<std::string, int> index_;
  std::vector<std::string> all_names_;
  std::map<TensorId, int> fed_;  // tensor -> feed index
  std::vector<TensorId> fetch_ids_;
  std::vector<int> target_nodes_;
  std::vector<ParsedInputs> parsed_;
  std::vector<char> parsed_done_, needed_, skip_;
  std::vector<int> stack_;
  std::vector<int> order_, pos_of_, num_out_, slot_base_;
  bool has_loops_ = false;
  bool has_cond_ = false;
};

}  // namespace

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
    std::optional<FoldResult> folded = FoldBatchNorms(graph, keep);
    std::optional<FusionResult> fused = FuseBiasActivation(folded ? folded->graph : graph, keep);
    if (folded || fused) {
      ExecutorOptions o = options;
      o.optimize_graph = false;
      return Create(fused ? fused->graph : folded->graph, library, feeds, fetches, targets, o);
    }
  }
  auto plan = std::make_unique<Plan>();
  plan->context = options.context;
  PlanBuilder b(graph, library, options, plan.get());
  TFM_RETURN_IF_ERROR(b.IndexNodes());
  TFM_RETURN_IF_ERROR(b.ResolveEndpoints(feeds, fetches, targets));
  TFM_RETURN_IF_ERROR(b.FindNeededNodes());
  TFM_RETURN_IF_ERROR(b.Order());
  TFM_RETURN_IF_ERROR(b.CheckOpsSupported());
  b.AssignSlots();
  TFM_RETURN_IF_ERROR(b.BuildItems());
  b.WireInputs();
  if (b.has_loops()) {
    b.PlanDataflow();
  } else {
    b.PlanReleases();
  }
  return std::unique_ptr<Executor>(new Executor(std::move(plan)));
}

}  // namespace tfmodel::runtime
