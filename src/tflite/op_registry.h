// The flat registration table of TFLite operators: builtin code (and, for CUSTOM operators,
// the custom code) -> (prepare, eval).
//
// prepare runs once at load: it checks the operator's inputs, outputs and options
// (OpBuilder) and returns the state eval needs (weights relaid out, fixed-point multipliers,
// TF kernels). eval runs the operator on every request. Most builtins map onto the
// runtime's TF kernels and use EvalTfSteps (tf_steps.h); quantized kernels have their own
// eval functions.
//
// Adding a builtin: write PrepareX (and EvalX when it does not run TF kernels) in
// tflite/ops/<family>.cc, declare them in tflite/ops/ops.h and add one line to kOps in
// op_registry.cc. Builtins that map one-to-one onto a TF op go in the shared element-wise
// table instead (tflite/elementwise.h), which the converter uses too.
#ifndef TFMODEL_TFLITE_OP_REGISTRY_H_
#define TFMODEL_TFLITE_OP_REGISTRY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "format/tflite.h"
#include "tflite/op_builder.h"
#include "tflite/plan.h"

namespace tfmodel::tflite {

using PrepareFn = absl::StatusOr<std::shared_ptr<const OpState>> (*)(OpBuilder& b);

// Which operand types a registration is for.
enum class OpTypes {
  kAny,        // anything (the prepare function checks)
  kQuantized,  // input 0 and output 0 are int8/uint8; preferred over kAny when they are
};

struct OpRegistration {
  tflite_fb::BuiltinOperator code;
  OpTypes types;
  // CUSTOM operators: the custom code; nullptr = any custom operator whose options hold a
  // TF NodeDef (flex ops).
  const char* custom_name;
  PrepareFn prepare;
  EvalFn eval;
};

// The registration for the operator `b` describes, or null when tfmodel has none.
const OpRegistration* FindOpRegistration(const OpBuilder& b);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_OP_REGISTRY_H_
