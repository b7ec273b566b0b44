/* Depthwise convolutions (one input channel per group, any channel multiplier): direct loops,
 * forward and transposed (lrpkernels.h §2, called from lrp_conv_forward/_backward_data).
 * The generic loops are compiled twice (AVX2/FMA and portable, see simd.h); 3x3 stride-1
 * kernels additionally have a hand-written AVX2 path keeping the nine taps in registers. */
#include <string.h>

#include "simd.h"
#include "conv_internal.h"

LRP_BODY void depthwise_forward_body(const LrpConvGeometry *g, const float *x, const float *w,
                                     const float *bias, float *y, int r0, int r1) {
  const int H = g->inHeight, W = g->inWidth, OH = g->outHeight, OW = g->outWidth;
  const int KH = g->kernelH, KW = g->kernelW, sw = g->strideW;
  const int mult = g->outChannels / g->groups;
  for (int o = 0; o < g->outChannels; o++) {
    const float *xs = x + (size_t)(o / mult) * H * W;
    const float *wk = w + (size_t)o * KH * KW;
    const float b = bias ? bias[o] : 0.0f;
    for (int oh = r0; oh < r1; oh++) {
      float *yr = y + ((size_t)o * OH + oh) * OW;
      for (int ow = 0; ow < OW; ow++) yr[ow] = b;
      for (int kh = 0; kh < KH; kh++) {
        const int ih = oh * g->strideH - g->padTop + kh * g->dilationH;
        if (ih < 0 || ih >= H) continue;
        const float *xr = xs + (size_t)ih * W;
        for (int kw = 0; kw < KW; kw++) {
          const float wv = wk[kh * KW + kw];
          const int off = kw * g->dilationW - g->padLeft;
          int lo, hi;
          lrp_valid_range(off, sw, W, OW, &lo, &hi);
          const float *xp = xr + off;
          if (sw == 1) {
            for (int ow = lo; ow < hi; ow++) yr[ow] += wv * xp[ow];
          } else if (sw == 2) {
            for (int ow = lo; ow < hi; ow++) yr[ow] += wv * xp[2 * ow];
          } else {
            for (int ow = lo; ow < hi; ow++) yr[ow] += wv * xp[(size_t)ow * sw];
          }
        }
      }
    }
  }
}
LRP_DUAL(depthwise_forward, depthwise_forward_body,
         (const LrpConvGeometry *g, const float *x, const float *w, const float *bias, float *y, int r0, int r1),
         (g, x, w, bias, y, r0, r1))

LRP_BODY void depthwise_backward_body(const LrpConvGeometry *g, const float *w, const float *dy, float *dx,
                                      int c0, int c1) {
  const int H = g->inHeight, W = g->inWidth, OH = g->outHeight, OW = g->outWidth;
  const int KH = g->kernelH, KW = g->kernelW, sw = g->strideW;
  const int mult = g->outChannels / g->groups;
  for (int ci = c0; ci < c1; ci++) {
    float *dxs = dx + (size_t)ci * H * W;
    memset(dxs, 0, sizeof(float) * H * W);
    for (int j = 0; j < mult; j++) {
      const int o = ci * mult + j;
      const float *dys = dy + (size_t)o * OH * OW;
      const float *wk = w + (size_t)o * KH * KW;
      for (int oh = 0; oh < OH; oh++) {
        const float *dyr = dys + (size_t)oh * OW;
        for (int kh = 0; kh < KH; kh++) {
          const int ih = oh * g->strideH - g->padTop + kh * g->dilationH;
          if (ih < 0 || ih >= H) continue;
          float *dxr = dxs + (size_t)ih * W;
          for (int kw = 0; kw < KW; kw++) {
            const float wv = wk[kh * KW + kw];
            const int off = kw * g->dilationW - g->padLeft;
            int lo, hi;
            lrp_valid_range(off, sw, W, OW, &lo, &hi);
            float *xp = dxr + off;
            if (sw == 1) {
              for (int ow = lo; ow < hi; ow++) xp[ow] += wv * dyr[ow];
            } else if (sw == 2) {
              for (int ow = lo; ow < hi; ow++) xp[2 * ow] += wv * dyr[ow];
            } else {
              for (int ow = lo; ow < hi; ow++) xp[(size_t)ow * sw] += wv * dyr[ow];
            }
          }
        }
      }
    }
  }
}
LRP_DUAL(depthwise_backward, depthwise_backward_body,
         (const LrpConvGeometry *g, const float *w, const float *dy, float *dx, int c0, int c1),
         (g, w, dy, dx, c0, c1))

#if LRP_HAVE_AVX2_BUILD
#include <immintrin.h>

/* 3x3 depthwise convolutions on AVX2 through zero-padded planes: each channel (or, for the
 * transposed product with stride 2, each zero-inserted channel) is copied into a plane with
 * enough zero margin that every output is a full 3x3 correlation; one branch-free kernel then
 * computes 8 outputs at a time (masked at the right edge). */

/* Plane width: columns a row of `outW` outputs at `stride` reads, plus slack for 8/16-wide loads. */
static size_t plane_width(int outW, int stride) { return (size_t)(outW - 1) * stride + 3 + 16; }

/* Zeroes the plane (rows x width) and writes src (h x w) into it at (top, left), source row
 * i and column j landing at (top + step*i, left + step*j); rows/columns outside are dropped. */
static void fill_plane(const float *src, int h, int w, int step, float *plane, int rows, size_t width,
                       int top, int left) {
  memset(plane, 0, sizeof(float) * rows * width);
  for (int i = 0; i < h; i++) {
    const int r = top + step * i;
    if (r < 0 || r >= rows) continue;
    float *dst = plane + (size_t)r * width;
    const float *sr = src + (size_t)i * w;
    if (step == 1) {
      int j0 = left < 0 ? -left : 0, j1 = w;
      if ((long)left + j1 > (long)width) j1 = (int)((long)width - left);
      if (j1 > j0) memcpy(dst + left + j0, sr + j0, sizeof(float) * (j1 - j0));
    } else {
      for (int j = 0; j < w; j++) {
        const long c = (long)left + (long)step * j;
        if (c >= 0 && c < (long)width) dst[c] = sr[j];
      }
    }
  }
}

LRP_AVX2 static inline __m256i tail_mask(int n) {
  static const int32_t m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256((const __m256i *)(m + 8 - n));
}

/* Even / odd elements of the 16 floats at p. */
LRP_AVX2 static inline __m256 even16(const float *p) {
  const __m256 t = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}
LRP_AVX2 static inline __m256 odd16(const float *p) {
  const __m256 t = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _MM_SHUFFLE(3, 1, 3, 1));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* rows x outW outputs: y[r][ow] (+)= b + sum_{kh,kw} w[kh*3+kw] plane[(r*stride + kh)*width + ow*stride + kw]. */
LRP_AVX2 static void conv3x3_plane(const float *plane, size_t width, const float *w, float b, float *y, int outW,
                                   int rows, int stride, int accumulate) {
  const __m256 w0 = _mm256_set1_ps(w[0]), w1 = _mm256_set1_ps(w[1]), w2 = _mm256_set1_ps(w[2]);
  const __m256 w3 = _mm256_set1_ps(w[3]), w4 = _mm256_set1_ps(w[4]), w5 = _mm256_set1_ps(w[5]);
  const __m256 w6 = _mm256_set1_ps(w[6]), w7 = _mm256_set1_ps(w[7]), w8 = _mm256_set1_ps(w[8]);
  const __m256 vb = _mm256_set1_ps(b);
  for (int r = 0; r < rows; r++) {
    const float *x0 = plane + (size_t)r * stride * width, *x1 = x0 + width, *x2 = x1 + width;
    float *yr = y + (size_t)r * outW;
    for (int ow = 0; ow < outW; ow += 8) {
      const int n = outW - ow < 8 ? outW - ow : 8;
      const __m256i mask = tail_mask(n);
      __m256 a0, a1, a2;
      if (stride == 1) {
        a0 = _mm256_mul_ps(w0, _mm256_loadu_ps(x0 + ow));
        a1 = _mm256_mul_ps(w3, _mm256_loadu_ps(x1 + ow));
        a2 = _mm256_mul_ps(w6, _mm256_loadu_ps(x2 + ow));
        a0 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x0 + ow + 1), a0);
        a1 = _mm256_fmadd_ps(w4, _mm256_loadu_ps(x1 + ow + 1), a1);
        a2 = _mm256_fmadd_ps(w7, _mm256_loadu_ps(x2 + ow + 1), a2);
        a0 = _mm256_fmadd_ps(w2, _mm256_loadu_ps(x0 + ow + 2), a0);
        a1 = _mm256_fmadd_ps(w5, _mm256_loadu_ps(x1 + ow + 2), a1);
        a2 = _mm256_fmadd_ps(w8, _mm256_loadu_ps(x2 + ow + 2), a2);
      } else { /* stride 2: columns 2*ow + kw */
        const size_t c = 2 * (size_t)ow;
        a0 = _mm256_mul_ps(w0, even16(x0 + c));
        a1 = _mm256_mul_ps(w3, even16(x1 + c));
        a2 = _mm256_mul_ps(w6, even16(x2 + c));
        a0 = _mm256_fmadd_ps(w1, odd16(x0 + c), a0);
        a1 = _mm256_fmadd_ps(w4, odd16(x1 + c), a1);
        a2 = _mm256_fmadd_ps(w7, odd16(x2 + c), a2);
        a0 = _mm256_fmadd_ps(w2, even16(x0 + c + 2), a0);
        a1 = _mm256_fmadd_ps(w5, even16(x1 + c + 2), a1);
        a2 = _mm256_fmadd_ps(w8, even16(x2 + c + 2), a2);
      }
      const __m256 base = accumulate ? _mm256_maskload_ps(yr + ow, mask) : vb;
      const __m256 sum = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, base));
      if (n == 8) _mm256_storeu_ps(yr + ow, sum);
      else _mm256_maskstore_ps(yr + ow, mask, sum);
    }
  }
}

static int is_3x3_fast(const LrpConvGeometry *g) {
  return g->kernelH == 3 && g->kernelW == 3 && g->dilationH == 1 && g->dilationW == 1 &&
         (g->strideH == 1 || g->strideH == 2) && g->strideH == g->strideW;
}

/* Forward rows [r0, r1) of every output channel. */
static int depthwise3x3_forward_avx2(const LrpConvGeometry *g, const float *x, const float *w, const float *bias,
                                     float *y, int r0, int r1, float *plane, size_t planeFloats) {
  const int s = g->strideH, mult = g->outChannels / g->groups, OW = g->outWidth;
  const int rows = (r1 - r0 - 1) * s + 3;
  const size_t width = plane_width(OW, s);
  if (!plane || planeFloats < (size_t)rows * width) return 0;
  const size_t HW = (size_t)g->inHeight * g->inWidth, OHW = (size_t)g->outHeight * OW;
  for (int ci = 0; ci < g->groups; ci++) {
    /* plane row 0 is input row r0*s - padTop */
    fill_plane(x + ci * HW, g->inHeight, g->inWidth, 1, plane, rows, width, g->padTop - r0 * s, g->padLeft);
    for (int j = 0; j < mult; j++) {
      const int o = ci * mult + j;
      conv3x3_plane(plane, width, w + (size_t)o * 9, bias ? bias[o] : 0.0f, y + o * OHW + (size_t)r0 * OW, OW,
                    r1 - r0, s, 0);
    }
  }
  return 1;
}

/* Transposed product for input channels [c0, c1): correlation of the (zero-inserted, for
 * stride 2) output gradient with the flipped kernel, padding 2 - pad. */
static int depthwise3x3_backward_avx2(const LrpConvGeometry *g, const float *w, const float *dy, float *dx,
                                      int c0, int c1, float *plane, size_t planeFloats) {
  if (g->padTop > 2 || g->padLeft > 2) return 0;
  const int s = g->strideH, mult = g->outChannels / g->groups, H = g->inHeight, W = g->inWidth;
  const int rows = H + 2;
  const size_t width = plane_width(W, 1);
  if (!plane || planeFloats < (size_t)rows * width) return 0;
  const size_t HW = (size_t)H * W, OHW = (size_t)g->outHeight * g->outWidth;
  for (int ci = c0; ci < c1; ci++) {
    for (int j = 0; j < mult; j++) {
      const int o = ci * mult + j;
      float flipped[9];
      for (int k = 0; k < 9; k++) flipped[k] = w[(size_t)o * 9 + 8 - k];
      fill_plane(dy + o * OHW, g->outHeight, g->outWidth, s, plane, rows, width, 2 - g->padTop, 2 - g->padLeft);
      conv3x3_plane(plane, width, flipped, 0.0f, dx + ci * HW, W, H, 1, j > 0);
    }
  }
  return 1;
}
#endif

size_t lrp_depthwise_workspace(const LrpConvGeometry *g, int transposed) {
  const int fast = g->kernelH == 3 && g->kernelW == 3 && g->dilationH == 1 && g->dilationW == 1 &&
                   (g->strideH == 1 || g->strideH == 2) && g->strideH == g->strideW;
  if (!fast) return 0;
  if (transposed) return (size_t)(g->inHeight + 2) * ((size_t)g->inWidth + 18);
  return (size_t)((g->outHeight - 1) * g->strideH + 3) * ((size_t)(g->outWidth - 1) * g->strideW + 19);
}

void lrp_depthwise_forward(const LrpConvGeometry *g, const float *x, const float *w, const float *bias,
                           float *y, int r0, int r1, float *workspace, size_t workspaceFloats) {
  if (r0 >= r1) return;
#if LRP_HAVE_AVX2_BUILD
  if (lrp_use_avx2() && is_3x3_fast(g) &&
      depthwise3x3_forward_avx2(g, x, w, bias, y, r0, r1, workspace, workspaceFloats))
    return;
#endif
  (void)workspace;
  (void)workspaceFloats;
  depthwise_forward_dispatch(g, x, w, bias, y, r0, r1);
}

void lrp_depthwise_backward(const LrpConvGeometry *g, const float *w, const float *dy, float *dx, int c0, int c1,
                            float *workspace, size_t workspaceFloats) {
  if (c0 >= c1) return;
#if LRP_HAVE_AVX2_BUILD
  if (lrp_use_avx2() && is_3x3_fast(g) &&
      depthwise3x3_backward_avx2(g, w, dy, dx, c0, c1, workspace, workspaceFloats))
    return;
#endif
  (void)workspace;
  (void)workspaceFloats;
  depthwise_backward_dispatch(g, w, dy, dx, c0, c1);
}
