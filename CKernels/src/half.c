/* Half-precision (IEEE 754 binary16) storage conversions (lrpkernels.h §3, "half precision").
 *
 * Training stores every Fisher vector as float16 to halve memory; the SVM solver converts
 * chunks back to float32 for BLAS. The F16C path converts 8 values per instruction; the
 * portable path is exact round-to-nearest-even with subnormals, infinities and NaN. */
#include "lrpkernels.h"
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#endif

/* F16C is a separate CPUID bit from AVX2; every AVX2 CPU we know has it, but check anyway. */
static int has_f16c(void) {
#if defined(__x86_64__) || defined(__i386__)
  static int cached = -1;
  if (!lrp_cpu_has_avx2_fma()) return 0; /* also honours lrp_cpu_disable_simd */
  if (cached < 0) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    cached = (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C)) ? 1 : 0;
  }
  return cached;
#else
  return 0;
#endif
}

static uint16_t float_to_half(float value) {
  uint32_t f;
  memcpy(&f, &value, 4);
  uint32_t sign = (f >> 16) & 0x8000u;
  uint32_t exp = (f >> 23) & 0xFFu;
  uint32_t mant = f & 0x7FFFFFu;
  if (exp == 0xFF) { /* inf or NaN (keep a quiet NaN) */
    return (uint16_t)(sign | 0x7C00u | (mant ? 0x200u | (mant >> 13) : 0));
  }
  int e = (int)exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7C00u); /* overflow -> inf */
  if (e <= 0) {                                  /* subnormal half or zero */
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000u;
    int shift = 14 - e; /* 14..24 */
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = ((uint32_t)e << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) half++; /* may carry into inf: correct */
  return (uint16_t)(sign | half);
}

static float half_to_float(uint16_t h) {
  uint32_t sign = ((uint32_t)h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t f;
  if (exp == 0) {
    if (mant == 0) {
      f = sign;
    } else { /* subnormal: normalise */
      int e = -1;
      do { e++; mant <<= 1; } while (!(mant & 0x400u));
      f = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3FFu) << 13);
    }
  } else if (exp == 31) {
    f = sign | 0x7F800000u | (mant << 13);
  } else {
    f = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float out;
  memcpy(&out, &f, 4);
  return out;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma,f16c")))
static void from_float_f16c(const float *src, uint16_t *dst, size_t count) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128((__m128i *)(dst + i), h);
  }
  for (; i < count; ++i) dst[i] = float_to_half(src[i]);
}

__attribute__((target("avx2,fma,f16c")))
static void to_float_f16c(const uint16_t *src, float *dst, size_t count) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    __m128i h = _mm_loadu_si128((const __m128i *)(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
  for (; i < count; ++i) dst[i] = half_to_float(src[i]);
}
#endif

void lrp_half_from_float(const float *src, uint16_t *dst, size_t count) {
#if defined(__x86_64__) || defined(__i386__)
  if (has_f16c()) { from_float_f16c(src, dst, count); return; }
#endif
  for (size_t i = 0; i < count; ++i) dst[i] = float_to_half(src[i]);
}

void lrp_half_to_float(const uint16_t *src, float *dst, size_t count) {
#if defined(__x86_64__) || defined(__i386__)
  if (has_f16c()) { to_float_f16c(src, dst, count); return; }
#endif
  for (size_t i = 0; i < count; ++i) dst[i] = half_to_float(src[i]);
}

void lrp_half_to_float_strided(const uint16_t *src, size_t srcStride, float *dst, size_t dstStride,
                               size_t rows, size_t count) {
  for (size_t r = 0; r < rows; ++r) lrp_half_to_float(src + r * srcStride, dst + r * dstStride, count);
}
