// The element-wise TFLite builtins that map one-to-one onto a TensorFlow op. One table for
// both directions: the interpreter runs a builtin with the TF kernel, the converter lowers
// the TF op to the builtin.
#ifndef TFMODEL_TFLITE_ELEMENTWISE_H_
#define TFMODEL_TFLITE_ELEMENTWISE_H_

#include "absl/strings/string_view.h"
#include "format/tflite.h"

namespace tfmodel::tflite {

struct TfLiteElementwiseOp {
  tflite_fb::BuiltinOperator builtin;
  const char* tf_op;
  int num_inputs;   // 1 (unary) or 2 (binary, broadcasting)
  bool float_only;  // the interpreter accepts only float inputs for it
};

inline constexpr TfLiteElementwiseOp kTfLiteElementwiseOps[] = {
    {tflite_fb::BuiltinOperator::RELU, "Relu", 1, true},
    {tflite_fb::BuiltinOperator::RELU6, "Relu6", 1, true},
    {tflite_fb::BuiltinOperator::LOGISTIC, "Sigmoid", 1, true},
    {tflite_fb::BuiltinOperator::TANH, "Tanh", 1, true},
    {tflite_fb::BuiltinOperator::EXP, "Exp", 1, true},
    {tflite_fb::BuiltinOperator::LOG, "Log", 1, true},
    {tflite_fb::BuiltinOperator::SQRT, "Sqrt", 1, true},
    {tflite_fb::BuiltinOperator::RSQRT, "Rsqrt", 1, true},
    {tflite_fb::BuiltinOperator::NEG, "Neg", 1, false},
    {tflite_fb::BuiltinOperator::ABS, "Abs", 1, false},
    {tflite_fb::BuiltinOperator::SQUARE, "Square", 1, false},
    {tflite_fb::BuiltinOperator::FLOOR, "Floor", 1, true},
    {tflite_fb::BuiltinOperator::CEIL, "Ceil", 1, true},
    {tflite_fb::BuiltinOperator::ROUND, "Round", 1, true},
    {tflite_fb::BuiltinOperator::SIN, "Sin", 1, true},
    {tflite_fb::BuiltinOperator::COS, "Cos", 1, true},
    {tflite_fb::BuiltinOperator::ELU, "Elu", 1, true},
    {tflite_fb::BuiltinOperator::LOGICAL_NOT, "LogicalNot", 1, false},
    {tflite_fb::BuiltinOperator::ZEROS_LIKE, "ZerosLike", 1, false},
    {tflite_fb::BuiltinOperator::LOG_SOFTMAX, "LogSoftmax", 1, true},
    {tflite_fb::BuiltinOperator::MAXIMUM, "Maximum", 2, false},
    {tflite_fb::BuiltinOperator::MINIMUM, "Minimum", 2, false},
    {tflite_fb::BuiltinOperator::SQUARED_DIFFERENCE, "SquaredDifference", 2, false},
    {tflite_fb::BuiltinOperator::POW, "Pow", 2, false},
    {tflite_fb::BuiltinOperator::FLOOR_DIV, "FloorDiv", 2, false},
    {tflite_fb::BuiltinOperator::FLOOR_MOD, "FloorMod", 2, false},
    {tflite_fb::BuiltinOperator::LESS, "Less", 2, false},
    {tflite_fb::BuiltinOperator::LESS_EQUAL, "LessEqual", 2, false},
    {tflite_fb::BuiltinOperator::GREATER, "Greater", 2, false},
    {tflite_fb::BuiltinOperator::GREATER_EQUAL, "GreaterEqual", 2, false},
    {tflite_fb::BuiltinOperator::EQUAL, "Equal", 2, false},
    {tflite_fb::BuiltinOperator::NOT_EQUAL, "NotEqual", 2, false},
    {tflite_fb::BuiltinOperator::LOGICAL_AND, "LogicalAnd", 2, false},
    {tflite_fb::BuiltinOperator::LOGICAL_OR, "LogicalOr", 2, false},
};

// Null when `builtin` / `tf_op` is not in the table (used at load/convert time only).
inline const TfLiteElementwiseOp* FindTfLiteElementwise(tflite_fb::BuiltinOperator builtin) {
  for (const auto& e : kTfLiteElementwiseOps) {
    if (e.builtin == builtin) return &e;
  }
  return nullptr;
}
inline const TfLiteElementwiseOp* FindTfLiteElementwise(absl::string_view tf_op) {
  for (const auto& e : kTfLiteElementwiseOps) {
    if (tf_op == e.tf_op) return &e;
  }
  return nullptr;
}

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_ELEMENTWISE_H_
