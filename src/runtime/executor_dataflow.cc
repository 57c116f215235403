// Running a plan with TF1 while loops (executor.h): dataflow over (frame, iteration) states.
#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_join.h"
#include "runtime/executor_plan.h"
#include "runtime/function.h"
#include "runtime/resource_mgr.h"

namespace tfmodel::runtime {

using executor_internal::InputEdge;
using executor_internal::Item;
using executor_internal::Kind;

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

// One RunDataflow call: the ready queue and the (frame, iteration) states.
class DataflowRun {
 public:
  DataflowRun(const Executor::Plan& plan, const RunContext& ctx, absl::Span<const Tensor> feeds)
      : plan_(plan),
        ctx_(ctx),
        feeds_(feeds),
        num_feeds_(static_cast<int>(feeds.size())),
        merge_inputs_(plan.items.size(), 0),
        merge_ctls_(plan.items.size(), 0) {
    CountMergeInputs();
  }

  absl::Status Run(std::vector<Tensor>* outputs) {
    IterAt(&root_, 0);
    for (int p : plan_.root_items) {
      IterAt(&root_, 0)->done[p] = 1;
      ready_.push_back({p, &root_, 0});
    }
    do {
      while (!ready_.empty()) {
        Task t = ready_.front();
        ready_.pop_front();
        TFM_RETURN_IF_ERROR(RunTask(t));
      }
    } while (SendDeadExits());
    return CollectOutputs(outputs);
  }

 private:
  // Merge data-input counts that can arrive in iteration 0 (NextIteration back edges never
  // do).
  void CountMergeInputs() {
    const int num_items = static_cast<int>(plan_.items.size());
    std::vector<char> from_next(plan_.inputs.size(), 0);
    for (int p = 0; p < num_items; ++p) {
      for (const auto& e : plan_.out_edges[p]) {
        if (e.input >= 0 && plan_.items[p].kind == Kind::kNextIteration) {
          from_next[plan_.items[e.item].in_begin + e.input] = 1;
        }
      }
    }
    for (int p = 0; p < num_items; ++p) {
      const Item& it = plan_.items[p];
      if (it.kind != Kind::kMerge) continue;
      for (int k = 0; k < it.in_count; ++k) {
        if (!from_next[it.in_begin + k]) ++merge_inputs_[p];
      }
      merge_ctls_[p] = it.ctl_count;
    }
  }

  IterState* IterAt(Frame* f, int64_t i) {
    auto& st = f->iters[i];
    if (!st) st = std::make_unique<IterState>(plan_.num_data_inputs_pending, plan_.num_slots);
    return st.get();
  }

  // Input `input` (-1: a control edge) of item `c` arrived in (f, i).
  void Arrive(int c, int input, bool is_dead, Frame* f, int64_t i, IterState* st) {
    const Item& ci = plan_.items[c];
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
      bool ctl_ok = st->merge_ctl[c] >= merge_ctls_[c];
      if (ctl_ok && (st->merge_live[c] > 0 || st->merge_dead[c] >= merge_inputs_[c])) {
        st->done[c] = 1;
        ready_.push_back({c, f, i});
      }
      return;
    }
    if (is_dead && ci.kind != Kind::kControlTrigger) st->node_dead[c] = 1;
    if (--st->pending[c] == 0) {
      st->done[c] = 1;
      ready_.push_back({c, f, i});
    }
  }

  // Delivers output `o` of item `p` (or its completion, for control edges: o = -1).
  void Deliver(int p, int o, const Tensor* v, bool is_dead, Frame* f, int64_t i) {
    IterState* st = IterAt(f, i);
    if (o >= 0) {
      int slot = plan_.items[p].out_slot + o;
      if (v) st->vals[slot] = *v;
      st->dead[slot] = is_dead;
    }
    for (const auto& e : plan_.out_edges[p]) {
      if (o >= 0 ? (e.input >= 0 && e.src_output == o) : e.input < 0) {
        Arrive(e.item, e.input, is_dead, f, i, st);
      }
    }
  }

  // Output 0 and completion together.
  void DeliverValue(int p, const Tensor* v, bool is_dead, Frame* f, int64_t i) {
    Deliver(p, 0, v, is_dead, f, i);
    Deliver(p, -1, nullptr, is_dead, f, i);
  }

  void NewIteration(Frame* f, int64_t i) {
    bool fresh = f->iters.find(i) == f->iters.end();
    IterAt(f, i);
    if (!fresh) return;
    for (const auto& c : f->constants) DeliverValue(c.item, &c.value, c.dead, f, i);
  }

  bool InputDead(const IterState* st, const InputEdge& e) const {
    return e.slot >= num_feeds_ && st->dead[e.slot];
  }
  const Tensor& InputValue(const IterState* st, const InputEdge& e) const {
    return e.slot < num_feeds_ ? feeds_[e.slot] : st->vals[e.slot];
  }
  absl::Status ReadInput(const IterState* st, const InputEdge& e, const Item& item, Tensor* v) {
    if (e.deref) return plan_.Deref(InputValue(st, e), v, &item);
    *v = InputValue(st, e);
    return absl::OkStatus();
  }

  absl::Status RunTask(const Task& t) {
    const Item& item = plan_.items[t.item];
    IterState* st = IterAt(t.frame, t.iter);
    bool dead = st->node_dead[t.item];
    const InputEdge* edges = plan_.inputs.data() + item.in_begin;
    if (item.kind == Kind::kMerge) return RunMerge(t, item, st, dead, edges);
    if (!dead && item.kind != Kind::kControlTrigger) {
      for (int k = 0; k < item.in_count && !dead; ++k) dead = InputDead(st, edges[k]);
    }
    if (item.kind == Kind::kEnter || item.kind == Kind::kExit ||
        item.kind == Kind::kNextIteration) {
      Tensor v;
      if (!dead) TFM_RETURN_IF_ERROR(ReadInput(st, edges[0], item, &v));
      return MoveAcrossFrames(t, item, v, dead);
    }
    if (dead) {
      for (int o = 0; o < item.num_out; ++o) Deliver(t.item, o, nullptr, true, t.frame, t.iter);
      Deliver(t.item, -1, nullptr, true, t.frame, t.iter);
      return absl::OkStatus();
    }
    return RunNode(t, item, st, edges);
  }

  absl::Status RunMerge(const Task& t, const Item& item, IterState* st, bool dead,
                        const InputEdge* edges) {
    int live = st->merge_live[t.item] - 1;
    if (dead || live < 0) {
      for (int o = 0; o < item.num_out; ++o) Deliver(t.item, o, nullptr, true, t.frame, t.iter);
    } else {
      Tensor v;
      TFM_RETURN_IF_ERROR(ReadInput(st, edges[live], item, &v));
      Tensor idx = Tensor::Scalar<int32_t>(live);
      if (item.num_out > 0) Deliver(t.item, 0, &v, false, t.frame, t.iter);
      if (item.num_out > 1) Deliver(t.item, 1, &idx, false, t.frame, t.iter);
    }
    Deliver(t.item, -1, nullptr, dead || live < 0, t.frame, t.iter);
    return absl::OkStatus();
  }

  // Enter (into a child frame), Exit (to the parent), NextIteration (to the next iteration).
  absl::Status MoveAcrossFrames(const Task& t, const Item& item, const Tensor& v, bool dead) {
    if (item.kind == Kind::kEnter) {
      auto key = std::make_tuple(item.frame_name, t.frame, t.iter);
      auto& fr = frames_[key];
      if (!fr) {
        fr = std::make_unique<Frame>();
        fr->name = item.frame_name;
        fr->parent = t.frame;
        fr->parent_iter = t.iter;
      }
      Frame* child = fr.get();
      if (item.is_constant) {
        child->constants.push_back({t.item, v, dead});
        for (auto& [i, s] : child->iters) DeliverValue(t.item, &v, dead, child, i);
        if (child->iters.empty()) NewIteration(child, 0);
      } else {
        NewIteration(child, 0);
        DeliverValue(t.item, &v, dead, child, 0);
      }
    } else if (item.kind == Kind::kExit) {
      if (t.frame->parent == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(plan_.Where(), "node '", item.name,
                                                       "' (Exit) is not inside a while loop"));
      }
      if (dead) {
        t.frame->exits_dead.insert(t.item);
      } else {
        t.frame->exits_live.insert(t.item);
        DeliverValue(t.item, &v, false, t.frame->parent, t.frame->parent_iter);
      }
    } else if (!dead) {  // NextIteration
      NewIteration(t.frame, t.iter + 1);
      DeliverValue(t.item, &v, false, t.frame, t.iter + 1);
    }
    return absl::OkStatus();
  }

  // A live kernel, Switch, LoopCond or ControlTrigger.
  absl::Status RunNode(const Task& t, const Item& item, IterState* st, const InputEdge* edges) {
    in_.clear();
    fwd_.clear();
    derefs_.clear();
    for (int k = 0; k < item.in_count; ++k) {
      if (edges[k].deref) derefs_.emplace_back();
    }
    size_t d = 0;
    for (int k = 0; k < item.in_count; ++k) {
      if (edges[k].deref) {
        TFM_RETURN_IF_ERROR(plan_.Deref(InputValue(st, edges[k]), &derefs_[d], &item));
        in_.push_back(&derefs_[d++]);
      } else {
        in_.push_back(&InputValue(st, edges[k]));
      }
      fwd_.push_back(nullptr);
    }
    switch (item.kind) {
      case Kind::kKernel: {
        out_.clear();
        TFM_RETURN_IF_ERROR(plan_.Compute(ctx_, item, in_, fwd_, &out_));
        if (static_cast<int>(out_.size()) < item.num_out) {
          return absl::InternalError(absl::StrCat(plan_.Where(), "node '", item.name, "' (",
                                                  item.op, ") produced ", out_.size(),
                                                  " outputs but ", item.num_out, " are used"));
        }
        for (int o = 0; o < item.num_out; ++o) {
          Deliver(t.item, o, &out_[o], false, t.frame, t.iter);
        }
        break;
      }
      case Kind::kSwitch: {
        const Tensor& pred = *in_[1];
        if (pred.dtype() != DType::kBool || pred.NumElements() != 1) {
          return absl::InvalidArgumentError(absl::StrCat(
              plan_.Where(), "node '", item.name, "' (Switch): pred must be a bool scalar, got ",
              DTypeName(pred.dtype()), " ", pred.shape().ToString()));
        }
        int taken = pred.data<bool>()[0] ? 1 : 0;
        Tensor v = *in_[0];
        Deliver(t.item, taken, &v, false, t.frame, t.iter);
        Deliver(t.item, 1 - taken, nullptr, true, t.frame, t.iter);
        break;
      }
      default: {  // LoopCond, ControlTrigger
        if (item.num_out > 0 && item.in_count > 0) {
          Tensor v = *in_[0];
          Deliver(t.item, 0, &v, false, t.frame, t.iter);
        }
        break;
      }
    }
    Deliver(t.item, -1, nullptr, false, t.frame, t.iter);
    return absl::OkStatus();
  }

  // Frames whose Exits never produced a live value pass dead values out. True when any was
  // sent (the ready queue has work again).
  bool SendDeadExits() {
    bool more = false;
    for (auto& [key, fr] : frames_) {
      for (int x : fr->exits_dead) {
        if (fr->exits_live.count(x) || fr->exits_dead_sent.count(x)) continue;
        fr->exits_dead_sent.insert(x);
        DeliverValue(x, nullptr, true, fr->parent, fr->parent_iter);
        more = true;
      }
    }
    return more;
  }

  absl::Status CollectOutputs(std::vector<Tensor>* outputs) {
    IterState* st = IterAt(&root_, 0);
    outputs->clear();
    for (size_t f = 0; f < plan_.fetch_edges.size(); ++f) {
      const InputEdge& e = plan_.fetch_edges[f];
      if (e.slot < num_feeds_) {
        outputs->push_back(feeds_[e.slot]);
        continue;
      }
      if (st->dead[e.slot]) {
        return absl::InvalidArgumentError(
            absl::StrCat(plan_.Where(), "fetched tensor '", plan_.fetch_names[f],
                         "' was not computed: it is on a branch that was not taken (dead)"));
      }
      if (!st->vals[e.slot].valid()) {
        return absl::InternalError(absl::StrCat(plan_.Where(), "fetched tensor '",
                                                plan_.fetch_names[f],
                                                "' was never produced (malformed loop?)"));
      }
      Tensor t;
      if (e.deref) {
        TFM_RETURN_IF_ERROR(plan_.Deref(st->vals[e.slot], &t, nullptr));
      } else {
        t = st->vals[e.slot];
      }
      outputs->push_back(std::move(t));
    }
    return absl::OkStatus();
  }

  const Executor::Plan& plan_;
  const RunContext& ctx_;
  absl::Span<const Tensor> feeds_;
  const int num_feeds_;
  std::vector<int> merge_inputs_, merge_ctls_;
  std::map<std::tuple<std::string, Frame*, int64_t>, std::unique_ptr<Frame>> frames_;
  Frame root_;
  std::deque<Task> ready_;
  absl::InlinedVector<const Tensor*, 8> in_;
  absl::InlinedVector<Tensor*, 8> fwd_;
  std::vector<Tensor> out_;
  absl::InlinedVector<Tensor, 4> derefs_;
};

}  // namespace

absl::Status Executor::Plan::RunDataflow(const RunContext& ctx, absl::Span<const Tensor> feeds,
                                         std::vector<Tensor>* outputs) const {
  DataflowRun run(*this, ctx, feeds);
  return run.Run(outputs);
}

}  // namespace tfmodel::runtime
