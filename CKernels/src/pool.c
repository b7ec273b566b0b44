/* Max and average pooling forward and their relevance rules (lrpkernels.h §2). */
#include <string.h>

#include "simd.h"

int lrp_pool_check(const LrpPoolGeometry *g) {
  if (!g) return LRP_E_ARGUMENT;
  if (g->channels <= 0 || g->inHeight <= 0 || g->inWidth <= 0 || g->outHeight <= 0 || g->outWidth <= 0 ||
      g->kernelH <= 0 || g->kernelW <= 0 || g->strideH <= 0 || g->strideW <= 0 || g->dilationH <= 0 ||
      g->dilationW <= 0)
    return LRP_E_ARGUMENT;
  if (g->padTop < 0 || g->padLeft < 0 || g->padBottom < 0 || g->padRight < 0) return LRP_E_ARGUMENT;
  /* the last window must still start inside the (top/left padded) input */
  if ((g->outHeight - 1) * g->strideH - g->padTop >= g->inHeight) return LRP_E_ARGUMENT;
  if ((g->outWidth - 1) * g->strideW - g->padLeft >= g->inWidth) return LRP_E_ARGUMENT;
  return LRP_OK;
}

/* A valid geometry and a channel range [begin, end) inside it (every kernel's precondition). */
static int pool_channels_ok(const LrpPoolGeometry *g, int begin, int end) {
  return lrp_pool_check(g) == LRP_OK && begin >= 0 && end <= g->channels && begin <= end;
}

/* Taps [*k0, *k1) of a window starting at `start` that fall inside [0, size). */
static inline void tap_range(int start, int dilation, int kernel, int size, int *k0, int *k1) {
  int a = 0, b = kernel;
  while (a < b && start + a * dilation < 0) a++;
  while (b > a && start + (b - 1) * dilation >= size) b--;
  *k0 = a;
  *k1 = b;
}

/* Taps of a window whose position lies inside [lo, hi) (the padded extent, for count_include_pad). */
static inline int taps_within(int start, int dilation, int kernel, int lo, int hi) {
  int n = 0;
  for (int k = 0; k < kernel; k++) {
    const int i = start + k * dilation;
    n += i >= lo && i < hi;
  }
  return n;
}

#define POOL_WINDOW_LOOP(g, oh, ow, BODY)                                                          \
  for (int oh = 0; oh < g->outHeight; oh++) {                                                     \
    const int hs = oh * g->strideH - g->padTop;                                                   \
    int kh0, kh1;                                                                                 \
    tap_range(hs, g->dilationH, g->kernelH, g->inHeight, &kh0, &kh1);                             \
    for (int ow = 0; ow < g->outWidth; ow++) {                                                    \
      const int ws = ow * g->strideW - g->padLeft;                                                \
      int kw0, kw1;                                                                               \
      tap_range(ws, g->dilationW, g->kernelW, g->inWidth, &kw0, &kw1);                            \
      BODY                                                                                        \
    }                                                                                             \
  }

/* Divisor of average pooling for one window. */
static inline float avg_divisor(const LrpPoolGeometry *g, int hs, int ws, int kh0, int kh1, int kw0, int kw1) {
  if (g->countIncludePad) {
    const int th = taps_within(hs, g->dilationH, g->kernelH, -g->padTop, g->inHeight + g->padBottom);
    const int tw = taps_within(ws, g->dilationW, g->kernelW, -g->padLeft, g->inWidth + g->padRight);
    return (float)(th * tw);
  }
  return (float)((kh1 - kh0) * (kw1 - kw0));
}

int lrp_maxpool_forward(const LrpPoolGeometry *g, const float *x, float *y, int channelBegin, int channelEnd) {
  if (!pool_channels_ok(g, channelBegin, channelEnd) || !x || !y)
    return LRP_E_ARGUMENT;
  const size_t HW = (size_t)g->inHeight * g->inWidth, OHW = (size_t)g->outHeight * g->outWidth;
  for (int c = channelBegin; c < channelEnd; c++) {
    const float *xc = x + c * HW;
    float *yc = y + c * OHW;
    POOL_WINDOW_LOOP(g, oh, ow, {
      float best = 0.0f;
      int found = 0;
      for (int kh = kh0; kh < kh1; kh++) {
        const float *row = xc + (size_t)(hs + kh * g->dilationH) * g->inWidth;
        for (int kw = kw0; kw < kw1; kw++) {
          const float v = row[ws + kw * g->dilationW];
          if (!found || v > best) { best = v; found = 1; }
        }
      }
      yc[(size_t)oh * g->outWidth + ow] = best;
    })
  }
  return LRP_OK;
}

int lrp_avgpool_forward(const LrpPoolGeometry *g, const float *x, float *y, int channelBegin, int channelEnd) {
  if (!pool_channels_ok(g, channelBegin, channelEnd) || !x || !y)
    return LRP_E_ARGUMENT;
  const size_t HW = (size_t)g->inHeight * g->inWidth, OHW = (size_t)g->outHeight * g->outWidth;
  for (int c = channelBegin; c < channelEnd; c++) {
    const float *xc = x + c * HW;
    float *yc = y + c * OHW;
    POOL_WINDOW_LOOP(g, oh, ow, {
      float sum = 0.0f;
      for (int kh = kh0; kh < kh1; kh++) {
        const float *row = xc + (size_t)(hs + kh * g->dilationH) * g->inWidth;
        for (int kw = kw0; kw < kw1; kw++) sum += row[ws + kw * g->dilationW];
      }
      const float d = avg_divisor(g, hs, ws, kh0, kh1, kw0, kw1);
      yc[(size_t)oh * g->outWidth + ow] = d > 0.0f ? sum / d : 0.0f;
    })
  }
  return LRP_OK;
}

int lrp_maxpool_backward_wta(const LrpPoolGeometry *g, const float *x, const float *r, float *rin,
                             int channelBegin, int channelEnd) {
  if (!pool_channels_ok(g, channelBegin, channelEnd) || !x || !r || !rin)
    return LRP_E_ARGUMENT;
  const size_t HW = (size_t)g->inHeight * g->inWidth, OHW = (size_t)g->outHeight * g->outWidth;
  for (int c = channelBegin; c < channelEnd; c++) {
    const float *xc = x + c * HW;
    const float *rc = r + c * OHW;
    float *ic = rin + c * HW;
    memset(ic, 0, sizeof(float) * HW);
    POOL_WINDOW_LOOP(g, oh, ow, {
      float best = 0.0f;
      size_t arg = 0;
      int found = 0;
      for (int kh = kh0; kh < kh1; kh++) {
        const size_t rowStart = (size_t)(hs + kh * g->dilationH) * g->inWidth;
        for (int kw = kw0; kw < kw1; kw++) {
          const size_t i = rowStart + ws + kw * g->dilationW;
          if (!found || xc[i] > best) { best = xc[i]; arg = i; found = 1; }
        }
      }
      if (found) ic[arg] += rc[(size_t)oh * g->outWidth + ow];
    })
  }
  return LRP_OK;
}

int lrp_pool_backward_proportional(const LrpPoolGeometry *g, const float *x, const float *r, float *rin,
                                   int sumPooling, float stabilizer, int channelBegin, int channelEnd) {
  if (!pool_channels_ok(g, channelBegin, channelEnd) || !x || !r || !rin)
    return LRP_E_ARGUMENT;
  const size_t HW = (size_t)g->inHeight * g->inWidth, OHW = (size_t)g->outHeight * g->outWidth;
  for (int c = channelBegin; c < channelEnd; c++) {
    const float *xc = x + c * HW;
    const float *rc = r + c * OHW;
    float *ic = rin + c * HW;
    memset(ic, 0, sizeof(float) * HW);
    /* ic accumulates sum_j r_j / (d_j stab(z_j)) over the windows of each input, then * x */
    POOL_WINDOW_LOOP(g, oh, ow, {
      float sum = 0.0f;
      for (int kh = kh0; kh < kh1; kh++) {
        const float *row = xc + (size_t)(hs + kh * g->dilationH) * g->inWidth;
        for (int kw = kw0; kw < kw1; kw++) sum += row[ws + kw * g->dilationW];
      }
      const float d = sumPooling ? 1.0f : avg_divisor(g, hs, ws, kh0, kh1, kw0, kw1);
      const float z = d > 0.0f ? sum / d : 0.0f;
      const float q = lrp_safe_div(rc[(size_t)oh * g->outWidth + ow], lrp_stab(z, stabilizer)) / d;
      for (int kh = kh0; kh < kh1; kh++) {
        float *row = ic + (size_t)(hs + kh * g->dilationH) * g->inWidth;
        for (int kw = kw0; kw < kw1; kw++) row[ws + kw * g->dilationW] += q;
      }
    })
    for (size_t i = 0; i < HW; i++) ic[i] *= xc[i];
  }
  return LRP_OK;
}

int lrp_pool_backward_flat(const LrpPoolGeometry *g, const float *r, float *rin, int channelBegin, int channelEnd) {
  if (!pool_channels_ok(g, channelBegin, channelEnd) || !r || !rin)
    return LRP_E_ARGUMENT;
  const size_t HW = (size_t)g->inHeight * g->inWidth, OHW = (size_t)g->outHeight * g->outWidth;
  for (int c = channelBegin; c < channelEnd; c++) {
    const float *rc = r + c * OHW;
    float *ic = rin + c * HW;
    memset(ic, 0, sizeof(float) * HW);
    POOL_WINDOW_LOOP(g, oh, ow, {
      const int n = (kh1 - kh0) * (kw1 - kw0);
      if (n > 0) {
        const float q = rc[(size_t)oh * g->outWidth + ow] / (float)n;
        for (int kh = kh0; kh < kh1; kh++) {
          float *row = ic + (size_t)(hs + kh * g->dilationH) * g->inWidth;
          for (int kw = kw0; kw < kw1; kw++) row[ws + kw * g->dilationW] += q;
        }
      }
    })
  }
  return LRP_OK;
}
