/* Transposed convolution / fully connected products and the flat rule's spreading
 * (lrpkernels.h §2). The LRP rules of a mapping layer reduce to one of these with modified
 * weights: sgemm (W^T dy) followed by col2im, or direct loops for depthwise convolutions. */
#include <cblas.h>
#include <string.h>

#include "simd.h"
#include "conv_internal.h"

/* col2im, accumulating: for channels [0, nc) of dx (a block starting at the block's first
 * channel) and output rows [r0, r1), dx[c][ih][iw] += col[(c*kH + kh)*kW + kw][(oh-r0)*OW + ow]. */
LRP_BODY void col2im_body(const LrpConvGeometry *g, const float *col, int nc, int r0, int r1, float *dx) {
  const int H = g->inHeight, W = g->inWidth, OW = g->outWidth, sw = g->strideW;
  const size_t ncol = (size_t)(r1 - r0) * OW;
  for (int c = 0; c < nc; c++) {
    float *xc = dx + (size_t)c * H * W;
    for (int kh = 0; kh < g->kernelH; kh++) {
      for (int kw = 0; kw < g->kernelW; kw++) {
        const float *src = col + ((size_t)(c * g->kernelH + kh) * g->kernelW + kw) * ncol;
        const int off = kw * g->dilationW - g->padLeft;
        int lo, hi;
        lrp_valid_range(off, sw, W, OW, &lo, &hi);
        if (lo >= hi) continue;
        for (int oh = r0; oh < r1; oh++) {
          const int ih = oh * g->strideH - g->padTop + kh * g->dilationH;
          if (ih < 0 || ih >= H) continue;
          const float *s = src + (size_t)(oh - r0) * OW;
          float *d = xc + (size_t)ih * W + off;
          if (sw == 1) {
            for (int ow = lo; ow < hi; ow++) d[ow] += s[ow];
          } else {
            for (int ow = lo; ow < hi; ow++) d[(size_t)ow * sw] += s[ow];
          }
        }
      }
    }
  }
}
LRP_DUAL(col2im, col2im_body,
         (const LrpConvGeometry *g, const float *col, int nc, int r0, int r1, float *dx),
         (g, col, nc, r0, r1, dx))

size_t lrp_conv_backward_workspace(const LrpConvGeometry *g) {
  if (lrp_conv_check(g) != LRP_OK) return 0;
  if (lrp_conv_is_depthwise(g)) return lrp_depthwise_workspace(g, 1);
  if (lrp_conv_is_pointwise(g)) return 0;
  const int cinG = g->inChannels / g->groups;
  const size_t kk = (size_t)g->kernelH * g->kernelW, OHW = (size_t)g->outHeight * g->outWidth;
  if (kk * OHW <= LRP_CONV_BLOCK_FLOATS) {
    size_t nb = LRP_CONV_BLOCK_FLOATS / (kk * OHW);
    if (nb > (size_t)cinG) nb = cinG;
    return nb * kk * OHW;
  }
  size_t rows = LRP_CONV_BLOCK_FLOATS / (kk * g->outWidth);
  if (rows < 1) rows = 1;
  return kk * rows * g->outWidth;
}

int lrp_conv_backward_data(const LrpConvGeometry *g, const float *w, const float *dy, float *dx,
                           int channelBegin, int channelEnd, float *workspace, size_t workspaceFloats) {
  if (lrp_conv_check(g) != LRP_OK || !w || !dy || !dx) return LRP_E_ARGUMENT;
  if (channelBegin < 0 || channelEnd > g->inChannels || channelBegin > channelEnd) return LRP_E_ARGUMENT;
  if (channelBegin == channelEnd) return LRP_OK;
  if (lrp_conv_is_depthwise(g)) {
    lrp_depthwise_backward(g, w, dy, dx, channelBegin, channelEnd, workspace, workspaceFloats);
    return LRP_OK;
  }
  const int cinG = g->inChannels / g->groups, coutG = g->outChannels / g->groups;
  const int OH = g->outHeight, OW = g->outWidth;
  const size_t HW = (size_t)g->inHeight * g->inWidth, OHW = (size_t)OH * OW;
  const size_t kk = (size_t)g->kernelH * g->kernelW, kc = (size_t)cinG * kk;
  const int pointwise = lrp_conv_is_pointwise(g);
  int chanBlock = 0, rowBlock = OH;
  if (!pointwise) {
    if (!workspace) return LRP_E_NOMEM;
    if (workspaceFloats >= kk * OHW) {
      size_t nb = workspaceFloats / (kk * OHW);
      chanBlock = nb > (size_t)cinG ? cinG : (int)nb;
    } else {
      chanBlock = 1;
      rowBlock = (int)(workspaceFloats / (kk * OW));
      if (rowBlock < 1) return LRP_E_NOMEM;
    }
  }
  for (int grp = channelBegin / cinG; grp * cinG < channelEnd; grp++) {
    const int base = grp * cinG;
    const int cs = channelBegin > base ? channelBegin : base;
    const int ce = channelEnd < base + cinG ? channelEnd : base + cinG;
    const float *wg = w + (size_t)grp * coutG * kc;
    const float *dyg = dy + (size_t)grp * coutG * OHW;
    if (pointwise) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ce - cs, (int)OHW, coutG, 1.0f, wg + (cs - base),
                  (int)kc, dyg, (int)OHW, 0.0f, dx + (size_t)cs * HW, (int)HW);
      continue;
    }
    memset(dx + (size_t)cs * HW, 0, sizeof(float) * HW * (size_t)(ce - cs));
    for (int c0 = cs; c0 < ce; c0 += chanBlock) {
      const int nc = c0 + chanBlock < ce ? chanBlock : ce - c0;
      for (int r0 = 0; r0 < OH; r0 += rowBlock) {
        const int r1 = r0 + rowBlock < OH ? r0 + rowBlock : OH;
        const int n = (r1 - r0) * OW;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nc * (int)kk, n, coutG, 1.0f,
                    wg + (size_t)(c0 - base) * kk, (int)kc, dyg + (size_t)r0 * OW, (int)OHW, 0.0f,
                    workspace, n);
        col2im_dispatch(g, workspace, nc, r0, r1, dx + (size_t)c0 * HW);
      }
    }
  }
  return LRP_OK;
}

int lrp_linear_backward_data(const float *dy, int batch, int outFeatures, const float *w, int inFeatures,
                             float *dx, int inBegin, int inEnd) {
  if (!dy || !w || !dx || batch <= 0 || inFeatures <= 0 || outFeatures <= 0) return LRP_E_ARGUMENT;
  if (inBegin < 0 || inEnd > inFeatures || inBegin > inEnd) return LRP_E_ARGUMENT;
  if (inBegin == inEnd) return LRP_OK;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, inEnd - inBegin, outFeatures, 1.0f, dy,
              outFeatures, w + inBegin, inFeatures, 0.0f, dx + inBegin, inFeatures);
  return LRP_OK;
}

/* ---- flat rule ---------------------------------------------------------------------------- */

LRP_BODY void group_sums_body(const float *r, int perGroup, size_t spatial, float *sums, int g0, int g1) {
  for (int k = g0; k < g1; k++) {
    float *s = sums + (size_t)k * spatial;
    const float *rk = r + (size_t)k * perGroup * spatial;
    memcpy(s, rk, sizeof(float) * spatial);
    for (int o = 1; o < perGroup; o++) {
      const float *ro = rk + (size_t)o * spatial;
      for (size_t p = 0; p < spatial; p++) s[p] += ro[p];
    }
  }
}
LRP_DUAL(group_sums, group_sums_body,
         (const float *r, int perGroup, size_t spatial, float *sums, int g0, int g1),
         (r, perGroup, spatial, sums, g0, g1))

int lrp_conv_group_sums(const LrpConvGeometry *g, const float *r, float *sums, int groupBegin, int groupEnd) {
  if (lrp_conv_check(g) != LRP_OK || !r || !sums) return LRP_E_ARGUMENT;
  if (groupBegin < 0 || groupEnd > g->groups || groupBegin > groupEnd) return LRP_E_ARGUMENT;
  group_sums_dispatch(r, g->outChannels / g->groups, (size_t)g->outHeight * g->outWidth, sums, groupBegin,
                      groupEnd);
  return LRP_OK;
}

/* Number of taps along one axis that land inside [0, size) for output index o. */
static int taps_inside(int o, int stride, int pad, int kernel, int dilation, int size) {
  int n = 0;
  for (int k = 0; k < kernel; k++) {
    const int i = o * stride - pad + k * dilation;
    n += i >= 0 && i < size;
  }
  return n;
}

/* Separable spread: each output row's weighted values are first spread along the columns
 * into u (one input row's worth), then u is added to every input row the row's taps reach. */
LRP_BODY void flat_spread_body(const LrpConvGeometry *g, const float *s, float scale, float stabilizer,
                               float *out, const int *colTaps, float *t, float *u) {
  const int H = g->inHeight, W = g->inWidth, OH = g->outHeight, OW = g->outWidth, sw = g->strideW;
  const float cin = (float)(g->inChannels / g->groups);
  for (int i = 0; i < H * W; i++) out[i] = 0.0f;
  for (int oh = 0; oh < OH; oh++) {
    const int rowTaps = taps_inside(oh, g->strideH, g->padTop, g->kernelH, g->dilationH, H);
    if (rowTaps == 0) continue;
    const float *sr = s + (size_t)oh * OW;
    for (int ow = 0; ow < OW; ow++) {
      const float d = cin * (float)(rowTaps * colTaps[ow]);
      t[ow] = d > 0.0f ? scale * sr[ow] / (d + stabilizer) : 0.0f;
    }
    for (int iw = 0; iw < W; iw++) u[iw] = 0.0f;
    for (int kw = 0; kw < g->kernelW; kw++) {
      const int off = kw * g->dilationW - g->padLeft;
      int lo, hi;
      lrp_valid_range(off, sw, W, OW, &lo, &hi);
      float *d = u + off;
      if (sw == 1) {
        for (int ow = lo; ow < hi; ow++) d[ow] += t[ow];
      } else {
        for (int ow = lo; ow < hi; ow++) d[(size_t)ow * sw] += t[ow];
      }
    }
    for (int kh = 0; kh < g->kernelH; kh++) {
      const int ih = oh * g->strideH - g->padTop + kh * g->dilationH;
      if (ih < 0 || ih >= H) continue;
      float *orow = out + (size_t)ih * W;
      for (int iw = 0; iw < W; iw++) orow[iw] += u[iw];
    }
  }
}
LRP_DUAL(flat_spread, flat_spread_body,
         (const LrpConvGeometry *g, const float *s, float scale, float stabilizer, float *out, const int *colTaps,
          float *t, float *u),
         (g, s, scale, stabilizer, out, colTaps, t, u))

/* Maps too wide for the stack buffers of the separable spread: direct scatter, taps counted on the fly. */
static void flat_spread_direct(const LrpConvGeometry *g, const float *s, float scale, float stabilizer, float *out) {
  const int H = g->inHeight, W = g->inWidth, OH = g->outHeight, OW = g->outWidth;
  const float cin = (float)(g->inChannels / g->groups);
  memset(out, 0, sizeof(float) * H * W);
  for (int oh = 0; oh < OH; oh++) {
    const int rowTaps = taps_inside(oh, g->strideH, g->padTop, g->kernelH, g->dilationH, H);
    for (int ow = 0; ow < OW; ow++) {
      const float d = cin * (float)(rowTaps * taps_inside(ow, g->strideW, g->padLeft, g->kernelW, g->dilationW, W));
      if (d <= 0.0f) continue;
      const float t = scale * s[(size_t)oh * OW + ow] / (d + stabilizer);
      for (int kh = 0; kh < g->kernelH; kh++) {
        const int ih = oh * g->strideH - g->padTop + kh * g->dilationH;
        if (ih < 0 || ih >= H) continue;
        for (int kw = 0; kw < g->kernelW; kw++) {
          const int iw = ow * g->strideW - g->padLeft + kw * g->dilationW;
          if (iw >= 0 && iw < W) out[(size_t)ih * W + iw] += t;
        }
      }
    }
  }
}

int lrp_conv_flat_spread(const LrpConvGeometry *g, const float *s, float scale, float stabilizer, float *out) {
  if (lrp_conv_check(g) != LRP_OK || !s || !out) return LRP_E_ARGUMENT;
  enum { MAX_WIDTH = 2048 };
  const int W = g->inWidth, OW = g->outWidth;
  if (OW > MAX_WIDTH || W > MAX_WIDTH) {
    flat_spread_direct(g, s, scale, stabilizer, out);
    return LRP_OK;
  }
  int colTaps[MAX_WIDTH];
  float t[MAX_WIDTH], u[MAX_WIDTH];
  for (int ow = 0; ow < OW; ow++)
    colTaps[ow] = taps_inside(ow, g->strideW, g->padLeft, g->kernelW, g->dilationW, W);
  flat_spread_dispatch(g, s, scale, stabilizer, out, colTaps, t, u);
  return LRP_OK;
}
