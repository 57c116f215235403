// Exact int16 dot products with int32 accumulation, the inner loop of the 8-bit
// convolution and fully-connected kernels (operands are zero-point-relative 8-bit values,
// |v| <= 255, so a product pair never overflows int32). SSE2's pmaddwd multiplies eight
// int16 pairs per instruction (every x86-64 CPU has it); other targets use the scalar
// loop. Results are the same integers either way.
#ifndef TFMODEL_TFLITE_INT16_DOT_H_
#define TFMODEL_TFLITE_INT16_DOT_H_

#include <cstdint>

namespace tfmodel::tflite {

// a + b with int32 wrap-around (as the SIMD adds do), without signed-overflow UB.
inline int32_t WrapAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

// sum a[i] * b[i] for i < n.
int32_t DotInt16(const int16_t* a, const int16_t* b, int64_t n);

// out[j] = sum a[i] * b[j * stride + i] for j < 4, i < n: four rows against one vector,
// loading the vector once.
void Dot4Int16(const int16_t* a, const int16_t* b, int64_t stride, int64_t n, int32_t out[4]);

// acc[i] += a[i] * b[i] for i < n (element-wise, int32 wrap-around): the depthwise
// convolution's inner loop over channels.
void MulAccInt16(const int16_t* a, const int16_t* b, int64_t n, int32_t* acc);

}  // namespace tfmodel::tflite

#endif  // TFMODEL_TFLITE_INT16_DOT_H_
