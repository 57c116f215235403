// Dynamic-range weight quantization (--quantize_weights): the constant float weights of
// FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D and BATCH_MATMUL with >= 1024 elements become
// symmetric int8 with one scale per output channel (max |w| / 127, zero point 0).
#ifndef TFMODEL_TFLITE_CONVERT_QUANTIZE_WEIGHTS_H_
#define TFMODEL_TFLITE_CONVERT_QUANTIZE_WEIGHTS_H_

#include "tflite/convert/lowering.h"

namespace tfmodel::tflite {

void QuantizeWeights(Lowering& l);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_CONVERT_QUANTIZE_WEIGHTS_H_
