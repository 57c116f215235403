// Guards the builtins that run quantized (int8/uint8) tensors through code written for plain
// numbers (TF kernels, or tfmodel's type-generic kernels) on the raw integers.
//
// That is only right when the operator moves or compares values without changing what they
// mean, and every quantized operand shares one scale and zero point (TFLite requires the same
// for RESHAPE, TRANSPOSE, GATHER, PACK, SPLIT, REDUCE_MAX, ...). Every other builtin that sees
// a quantized activation without a quantized kernel of its own is refused with an
// Unimplemented error naming the operator, instead of computing wrong numbers.
#ifndef TFMODEL_TFLITE_QUANT_CHECK_H_
#define TFMODEL_TFLITE_QUANT_CHECK_H_

#include "absl/status/status.h"
#include "tflite/op_builder.h"

namespace tfmodel::tflite {

// True when a tensor is int8/uint8 with quantization parameters.
bool IsQuantizedTensor(const OpBuilder& b, int tensor);

// True when two tensors' quantization parameters are the same (scales compared exactly,
// as TFLite does).
bool SameQuantParams(const QuantParams& a, const QuantParams& b);

// Called for operators prepared by a type-generic (kAny) registration. Ok when the operator
// has no quantized activation (a non-constant input or an output that is int8/uint8 with
// quantization parameters; weight-only quantized float operators have none), when its
// prepare function handles quantization itself (QUANTIZE, DEQUANTIZE, PAD, LSTMs, custom
// operators, CAST and SHAPE, which TFLite also runs on the raw integers), or when it is
// layout-only / order-preserving and all its quantized operands share one scale and zero
// point. Otherwise Unimplemented, naming the operator and the quantization involved.
absl::Status CheckRawQuantizedOperator(const OpBuilder& b);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_QUANT_CHECK_H_
