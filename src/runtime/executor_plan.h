// Internal to the executor (executor.cc builds the plan, executor_run.cc runs straight-line
// plans, executor_dataflow.cc runs plans with v1 while loops): the compiled plan's layout.
#ifndef TFMODEL_RUNTIME_EXECUTOR_PLAN_H_
#define TFMODEL_RUNTIME_EXECUTOR_PLAN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/executor.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime {
namespace executor_internal {

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

struct InputEdge {
  int slot;
  bool deref;    // a TF1 ref read as a value
  bool forward;  // this is the value's last use: the kernel may take its buffer
  // A feed's last use: forwardable (and released after the item) when the caller donated
  // its feeds (Executor::RunDonated), as function calls do with their arguments.
  bool forward_donated = false;
};

struct Item {
  std::string name;
  std::string op;
  Kind kind = Kind::kKernel;
  std::unique_ptr<OpKernel> kernel;
  int in_begin = 0, in_count = 0;              // into Plan::inputs
  int ctl_begin = 0, ctl_count = 0;            // into Plan::controls (item positions)
  int out_slot = 0, num_out = 0;               // value slots [out_slot, out_slot + num_out)
  int rel_begin = 0, rel_count = 0;            // into Plan::releases: slots dead after this item
  int feed_rel_begin = 0, feed_rel_count = 0;  // into Plan::feed_releases (donated feeds)
  // While loops.
  std::string frame_name;  // Enter
  bool is_constant = false;
  int parallel_iterations = 10;
};

}  // namespace executor_internal

struct Executor::Plan {
  std::string context;
  std::vector<std::string> feed_names, fetch_names;
  std::vector<DType> feed_dtypes;              // kInvalid = unchecked
  std::vector<executor_internal::Item> items;  // topological order (straight-line plans)
  std::vector<executor_internal::InputEdge> inputs;
  std::vector<int> controls;
  std::vector<int> releases;
  std::vector<int> feed_releases;  // feed slots dead after an item, when feeds are donated
  std::vector<executor_internal::InputEdge> fetch_edges;
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

  // `donated` (null or one tensor per feed) is moved from: feeds then behave like
  // intermediate values (released and forwardable at their last use).
  absl::Status RunStraight(const RunContext& ctx, absl::Span<const Tensor> feeds, Tensor* donated,
                           std::vector<Tensor>* outputs) const;
  absl::Status CheckFeeds(absl::Span<const Tensor> feeds) const;
  absl::Status RunDataflow(const RunContext& ctx, absl::Span<const Tensor> feeds,
                           std::vector<Tensor>* outputs) const;
  absl::Status Deref(const Tensor& ref, Tensor* out, const executor_internal::Item* consumer) const;
  absl::Status Compute(const RunContext& ctx, const executor_internal::Item& item,
                       absl::Span<const Tensor* const> in, absl::Span<Tensor* const> fwd,
                       std::vector<Tensor>* out) const;
  std::string Where() const { return context.empty() ? "" : absl::StrCat(context, ": "); }
};

}  // namespace tfmodel::runtime

#endif  // TFMODEL_RUNTIME_EXECUTOR_PLAN_H_
