#include "tflite/int16_dot.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tfmodel::tflite {
namespace {

#if defined(__SSE2__)
inline __m128i Load8(const int16_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

inline int32_t Sum4(__m128i v) {
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0x4E));  // [2,3,0,1]
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0xB1));  // [1,0,3,2]
  return _mm_cvtsi128_si32(v);
}
#endif

}  // namespace

int32_t DotInt16(const int16_t* a, const int16_t* b, int64_t n) {
  int64_t i = 0;
  int32_t s = 0;
#if defined(__SSE2__)
  __m128i acc = _mm_setzero_si128();
  for (; i + 8 <= n; i += 8) acc = _mm_add_epi32(acc, _mm_madd_epi16(Load8(a + i), Load8(b + i)));
  s = Sum4(acc);
#endif
  for (; i < n; ++i) s = WrapAdd(s, static_cast<int32_t>(a[i]) * b[i]);
  return s;
}

void Dot4Int16(const int16_t* a, const int16_t* b, int64_t stride, int64_t n, int32_t out[4]) {
  const int16_t* b0 = b;
  const int16_t* b1 = b + stride;
  const int16_t* b2 = b + 2 * stride;
  const int16_t* b3 = b + 3 * stride;
  int64_t i = 0;
  int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#if defined(__SSE2__)
  __m128i c0 = _mm_setzero_si128(), c1 = c0, c2 = c0, c3 = c0;
  for (; i + 8 <= n; i += 8) {
    const __m128i x = Load8(a + i);
    c0 = _mm_add_epi32(c0, _mm_madd_epi16(x, Load8(b0 + i)));
    c1 = _mm_add_epi32(c1, _mm_madd_epi16(x, Load8(b1 + i)));
    c2 = _mm_add_epi32(c2, _mm_madd_epi16(x, Load8(b2 + i)));
    c3 = _mm_add_epi32(c3, _mm_madd_epi16(x, Load8(b3 + i)));
  }
  s0 = Sum4(c0), s1 = Sum4(c1), s2 = Sum4(c2), s3 = Sum4(c3);
#endif
  for (; i < n; ++i) {
    const int32_t x = a[i];
    s0 = WrapAdd(s0, x * b0[i]), s1 = WrapAdd(s1, x * b1[i]);
    s2 = WrapAdd(s2, x * b2[i]), s3 = WrapAdd(s3, x * b3[i]);
  }
  out[0] = s0, out[1] = s1, out[2] = s2, out[3] = s3;
}

void MulAccInt16(const int16_t* a, const int16_t* b, int64_t n, int32_t* acc) {
  int64_t i = 0;
#if defined(__SSE2__)
  for (; i + 8 <= n; i += 8) {
    const __m128i x = Load8(a + i), w = Load8(b + i);
    const __m128i lo = _mm_mullo_epi16(x, w), hi = _mm_mulhi_epi16(x, w);
    __m128i* p = reinterpret_cast<__m128i*>(acc + i);
    _mm_storeu_si128(p, _mm_add_epi32(_mm_loadu_si128(p), _mm_unpacklo_epi16(lo, hi)));
    _mm_storeu_si128(p + 1, _mm_add_epi32(_mm_loadu_si128(p + 1), _mm_unpackhi_epi16(lo, hi)));
  }
#endif
  for (; i < n; ++i) acc[i] = WrapAdd(acc[i], static_cast<int32_t>(a[i]) * b[i]);
}

}  // namespace tfmodel::tflite
