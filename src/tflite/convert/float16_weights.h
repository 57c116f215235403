// Float16 weight quantization (--quantize_float16), TFLite's float16 post-training
// quantization: every constant float32 tensor an operator reads is stored as float16 and
// read through a DEQUANTIZE operator (placed first in the subgraph) that restores float32,
// halving the weights' size. tfmodel's interpreter runs those DEQUANTIZE operators once at
// load (tflite/plan.h), so the converted model computes as fast as the float one, with
// weights rounded to float16.
#ifndef TFMODEL_TFLITE_CONVERT_FLOAT16_WEIGHTS_H_
#define TFMODEL_TFLITE_CONVERT_FLOAT16_WEIGHTS_H_

#include "tflite/convert/lowering.h"

namespace tfmodel::tflite {

void QuantizeWeightsFloat16(Lowering& l);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_CONVERT_FLOAT16_WEIGHTS_H_
