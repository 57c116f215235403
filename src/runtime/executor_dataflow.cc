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
