// Running a straight-line plan (no v1 while loops): feeds checked, items in topological
// order, values released and forwarded at their last use.
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

absl::Status Executor::Plan::CheckFeeds(absl::Span<const Tensor> feeds) const {
  if (feeds.size() != feed_names.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(), "expected ", feed_names.size(), " feeds, got ", feeds.size()));
  }
  for (size_t f = 0; f < feeds.size(); ++f) {
    if (!feeds[f].valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(), "feed '", feed_names[f], "' is not a valid tensor"));
    }
    if (feed_dtypes[f] != DType::kInvalid && feeds[f].dtype() != feed_dtypes[f]) {
      return absl::InvalidArgumentError(absl::StrCat(
          Where(), "feed '", feed_names[f], "' has dtype ", DTypeName(feeds[f].dtype()),
          " but the placeholder expects ", DTypeName(feed_dtypes[f])));
    }
  }
  return absl::OkStatus();
}

absl::Status Executor::Run(const RunContext& ctx, absl::Span<const Tensor> feeds,
                           std::vector<Tensor>* outputs) const {
  const Plan& p = *plan_;
  TFM_RETURN_IF_ERROR(p.CheckFeeds(feeds));
  if (p.has_loops) return p.RunDataflow(ctx, feeds, outputs);
  return p.RunStraight(ctx, feeds, nullptr, outputs);
}

absl::Status Executor::RunDonated(const RunContext& ctx, absl::Span<Tensor> feeds,
                                  std::vector<Tensor>* outputs) const {
  const Plan& p = *plan_;
  TFM_RETURN_IF_ERROR(p.CheckFeeds(feeds));
  if (p.has_loops) return p.RunDataflow(ctx, feeds, outputs);
  return p.RunStraight(ctx, feeds, feeds.data(), outputs);
}

absl::Status Executor::Plan::RunStraight(const RunContext& ctx, absl::Span<const Tensor> feeds,
                                         Tensor* donated, std::vector<Tensor>* outputs) const {
  // Small graphs keep their values on the stack.
  absl::InlinedVector<Tensor, 16> vals(num_slots);
  for (size_t f = 0; f < feeds.size(); ++f) {
    vals[f] = donated != nullptr ? std::move(donated[f]) : feeds[f];
  }
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
          const bool can_forward = e.forward || (donated != nullptr && e.forward_donated);
          fwd.push_back(can_forward ? &vals[e.slot] : nullptr);
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
    if (donated != nullptr) {
      for (int r = 0; r < item.feed_rel_count; ++r) {
        vals[feed_releases[item.feed_rel_begin + r]] = Tensor();
      }
    }
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

}  // namespace tfmodel::runtime
