/* Pillow's 8-bit bilinear resize passes (lrpkernels.h §1, lrp_resize_u8).
 *
 * The same arithmetic as Pillow's ImagingResampleHorizontal_8bpc / ImagingResampleVertical_8bpc:
 * fixed-point weights with 22 fractional bits, a 32-bit accumulator starting at one half, and
 * each pass clipped to a byte. The weights come from the caller (Swift, PILResize.coefficients),
 * so this file holds only the loops that dominated the per-image preprocessing time. */
#include <stdlib.h>
#include "lrpkernels.h"

#define LRP_RESIZE_PRECISION_BITS 22

static inline uint8_t clip8(int32_t v) {
  if (v <= 0) return 0;
  v >>= LRP_RESIZE_PRECISION_BITS;
  return v > 255 ? 255 : (uint8_t)v;
}

int lrp_resize_u8(const uint8_t *in, int inW, int inH, int channels,
                  const int32_t *xStart, const int32_t *xCount, const int32_t *xWeights, int xTaps, int outW,
                  const int32_t *yStart, const int32_t *yCount, const int32_t *yWeights, int yTaps, int outH,
                  uint8_t *tmp, size_t tmpCapacity, uint8_t *out) {
  if (!in || !xStart || !xCount || !xWeights || !yStart || !yCount || !yWeights || !tmp || !out) return LRP_E_ARGUMENT;
  if (inW < 1 || inH < 1 || channels < 1 || channels > 4 || outW < 1 || outH < 1 || xTaps < 1 || yTaps < 1)
    return LRP_E_ARGUMENT;
  /* only the input rows the vertical pass reads get the horizontal pass */
  int rowLo = inH, rowHi = 0;
  for (int y = 0; y < outH; y++) {
    if (yCount[y] < 0 || yCount[y] > yTaps) return LRP_E_ARGUMENT;
    if (yCount[y] == 0) continue; /* no weight: the output is 0, as in Pillow */
    if (yStart[y] < 0 || yStart[y] + yCount[y] > inH) return LRP_E_ARGUMENT;
    if (yStart[y] < rowLo) rowLo = yStart[y];
    if (yStart[y] + yCount[y] > rowHi) rowHi = yStart[y] + yCount[y];
  }
  for (int x = 0; x < outW; x++)
    if (xCount[x] < 0 || xCount[x] > xTaps || (xCount[x] > 0 && (xStart[x] < 0 || xStart[x] + xCount[x] > inW)))
      return LRP_E_ARGUMENT;
  if (rowHi < rowLo) rowHi = rowLo;
  const size_t tmpStride = (size_t)outW * (size_t)channels;
  if (tmpStride * (size_t)(rowHi - rowLo) > tmpCapacity) return LRP_E_NOMEM;
  const int32_t half = 1 << (LRP_RESIZE_PRECISION_BITS - 1);
  for (int y = rowLo; y < rowHi; y++) {
    const uint8_t *src = in + (size_t)y * (size_t)inW * (size_t)channels;
    uint8_t *dst = tmp + (size_t)(y - rowLo) * tmpStride;
    if (channels == 3) {
      /* the usual RGB picture: the three sums in one pass over the taps */
      for (int x = 0; x < outW; x++) {
        const int32_t *k = xWeights + (size_t)x * (size_t)xTaps;
        const int n = xCount[x];
        const uint8_t *p = n > 0 ? src + (size_t)xStart[x] * 3 : src;
        int32_t s0 = half, s1 = half, s2 = half;
        for (int j = 0; j < n; j++) {
          s0 += (int32_t)p[3 * j] * k[j];
          s1 += (int32_t)p[3 * j + 1] * k[j];
          s2 += (int32_t)p[3 * j + 2] * k[j];
        }
        dst[3 * x] = clip8(s0);
        dst[3 * x + 1] = clip8(s1);
        dst[3 * x + 2] = clip8(s2);
      }
      continue;
    }
    for (int x = 0; x < outW; x++) {
      const int32_t *k = xWeights + (size_t)x * (size_t)xTaps;
      const int n = xCount[x];
      const uint8_t *p = n > 0 ? src + (size_t)xStart[x] * (size_t)channels : src;
      for (int c = 0; c < channels; c++) {
        int32_t s = half;
        for (int j = 0; j < n; j++) s += (int32_t)p[(size_t)j * (size_t)channels + c] * k[j];
        dst[(size_t)x * (size_t)channels + c] = clip8(s);
      }
    }
  }
  /* vertical pass: whole rows at a time, so the inner loop runs over contiguous bytes */
  int32_t *acc = (int32_t *)malloc(tmpStride * sizeof(int32_t));
  if (!acc) return LRP_E_NOMEM;
  for (int y = 0; y < outH; y++) {
    const int32_t *k = yWeights + (size_t)y * (size_t)yTaps;
    const int n = yCount[y];
    uint8_t *dst = out + (size_t)y * tmpStride;
    for (size_t i = 0; i < tmpStride; i++) acc[i] = half;
    for (int j = 0; j < n; j++) {
      const uint8_t *row = tmp + (size_t)(yStart[y] - rowLo + j) * tmpStride;
      const int32_t kj = k[j];
      for (size_t i = 0; i < tmpStride; i++) acc[i] += (int32_t)row[i] * kj;
    }
    for (size_t i = 0; i < tmpStride; i++) dst[i] = clip8(acc[i]);
  }
  free(acc);
  return LRP_OK;
}
