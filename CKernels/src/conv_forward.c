/* Convolution and fully connected forward (lrpkernels.h §2): im2col + OpenBLAS sgemm for
 * regular convolutions, straight sgemm for pointwise ones, direct loops for depthwise ones. */
#include <cblas.h>
#include <string.h>

#include "simd.h"
#include "conv_internal.h"

int lrp_conv_check(const LrpConvGeometry *g) {
  if (!g) return LRP_E_ARGUMENT;
  if (g->inChannels <= 0 || g->inHeight <= 0 || g->inWidth <= 0 || g->outChannels <= 0 ||
      g->outHeight <= 0 || g->outWidth <= 0 || g->kernelH <= 0 || g->kernelW <= 0 ||
      g->strideH <= 0 || g->strideW <= 0 || g->dilationH <= 0 || g->dilationW <= 0 || g->groups <= 0)
    return LRP_E_ARGUMENT;
  if (g->padTop < 0 || g->padLeft < 0) return LRP_E_ARGUMENT;
  if (g->inChannels % g->groups != 0 || g->outChannels % g->groups != 0) return LRP_E_ARGUMENT;
  return LRP_OK;
}

/* ---- im2col ------------------------------------------------------------------------------ */

/* Rows [r0, r1) of the im2col matrix of `cin` channels starting at x:
 * col[(c*kH + kh)*kW + kw][(oh - r0)*outW + ow] = x[c][ih][iw] (0 outside). */
LRP_BODY void im2col_body(const LrpConvGeometry *g, const float *x, int cin, int r0, int r1, float *col) {
  const int H = g->inHeight, W = g->inWidth, OW = g->outWidth, sw = g->strideW;
  const size_t ncol = (size_t)(r1 - r0) * OW;
  for (int c = 0; c < cin; c++) {
    const float *xc = x + (size_t)c * H * W;
    for (int kh = 0; kh < g->kernelH; kh++) {
      for (int kw = 0; kw < g->kernelW; kw++) {
        float *dst = col + ((size_t)(c * g->kernelH + kh) * g->kernelW + kw) * ncol;
        const int off = kw * g->dilationW - g->padLeft;
        int lo, hi;
        lrp_valid_range(off, sw, W, OW, &lo, &hi);
        for (int oh = r0; oh < r1; oh++) {
          float *d = dst + (size_t)(oh - r0) * OW;
          const int ih = oh * g->strideH - g->padTop + kh * g->dilationH;
          if (ih < 0 || ih >= H || lo >= hi) {
            memset(d, 0, sizeof(float) * OW);
            continue;
          }
          const float *src = xc + (size_t)ih * W + off;
          for (int ow = 0; ow < lo; ow++) d[ow] = 0.0f;
          if (sw == 1) {
            for (int ow = lo; ow < hi; ow++) d[ow] = src[ow];
          } else {
            for (int ow = lo; ow < hi; ow++) d[ow] = src[(size_t)ow * sw];
          }
          for (int ow = hi; ow < OW; ow++) d[ow] = 0.0f;
        }
      }
    }
  }
}
LRP_DUAL(im2col, im2col_body,
         (const LrpConvGeometry *g, const float *x, int cin, int r0, int r1, float *col),
         (g, x, cin, r0, r1, col))

/* ---- public entry points ----------------------------------------------------------------- */

size_t lrp_conv_forward_workspace(const LrpConvGeometry *g) {
  if (lrp_conv_check(g) != LRP_OK) return 0;
  if (lrp_conv_is_depthwise(g)) return lrp_depthwise_workspace(g, 0);
  if (lrp_conv_is_pointwise(g)) return 0;
  const size_t kc = (size_t)(g->inChannels / g->groups) * g->kernelH * g->kernelW;
  return kc * (size_t)lrp_conv_forward_rows_per_block(g) * g->outWidth;
}

int lrp_conv_forward(const LrpConvGeometry *g, const float *x, const float *w, const float *bias,
                     float *y, int rowBegin, int rowEnd, float *workspace, size_t workspaceFloats) {
  if (lrp_conv_check(g) != LRP_OK || !x || !w || !y) return LRP_E_ARGUMENT;
  if (rowBegin < 0 || rowEnd > g->outHeight || rowBegin > rowEnd) return LRP_E_ARGUMENT;
  if (rowBegin == rowEnd) return LRP_OK;
  if (lrp_conv_is_depthwise(g)) {
    lrp_depthwise_forward(g, x, w, bias, y, rowBegin, rowEnd, workspace, workspaceFloats);
    return LRP_OK;
  }
  const int cinG = g->inChannels / g->groups, coutG = g->outChannels / g->groups;
  const int OW = g->outWidth;
  const size_t HW = (size_t)g->inHeight * g->inWidth, OHW = (size_t)g->outHeight * OW;
  const size_t kc = (size_t)cinG * g->kernelH * g->kernelW;
  const int pointwise = lrp_conv_is_pointwise(g);
  int rowsPerBlock = rowEnd - rowBegin;
  if (!pointwise) {
    if (!workspace) return LRP_E_NOMEM;
    const size_t fit = workspaceFloats / (kc * OW);
    if (fit < 1) return LRP_E_NOMEM;
    if ((size_t)rowsPerBlock > fit) rowsPerBlock = (int)fit;
  }
  /* bias first, then sgemm accumulates (beta = 1) */
  const float beta = bias ? 1.0f : 0.0f;
  if (bias) {
    for (int o = 0; o < g->outChannels; o++) {
      float *yo = y + (size_t)o * OHW + (size_t)rowBegin * OW;
      const size_t n = (size_t)(rowEnd - rowBegin) * OW;
      const float b = bias[o];
      for (size_t i = 0; i < n; i++) yo[i] = b;
    }
  }
  for (int grp = 0; grp < g->groups; grp++) {
    const float *xg = x + (size_t)grp * cinG * HW;
    const float *wg = w + (size_t)grp * coutG * kc;
    float *yg = y + (size_t)grp * coutG * OHW;
    if (pointwise) {
      const int n = (rowEnd - rowBegin) * OW;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, coutG, n, cinG, 1.0f, wg, (int)kc,
                  xg + (size_t)rowBegin * OW, (int)HW, beta, yg + (size_t)rowBegin * OW, (int)OHW);
      continue;
    }
    for (int r0 = rowBegin; r0 < rowEnd; r0 += rowsPerBlock) {
      const int r1 = r0 + rowsPerBlock < rowEnd ? r0 + rowsPerBlock : rowEnd;
      const int n = (r1 - r0) * OW;
      im2col_dispatch(g, xg, cinG, r0, r1, workspace);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, coutG, n, (int)kc, 1.0f, wg, (int)kc,
                  workspace, n, beta, yg + (size_t)r0 * OW, (int)OHW);
    }
  }
  return LRP_OK;
}

int lrp_conv_forward_channels(const LrpConvGeometry *g, const float *x, const float *w, const float *bias,
                              float *y, int channelBegin, int channelEnd, float *workspace, size_t workspaceFloats) {
  if (lrp_conv_check(g) != LRP_OK || !x || !w || !y) return LRP_E_ARGUMENT;
  if (channelBegin < 0 || channelEnd > g->outChannels || channelBegin > channelEnd) return LRP_E_ARGUMENT;
  if (channelBegin == channelEnd) return LRP_OK;
  const int cinG = g->inChannels / g->groups, coutG = g->outChannels / g->groups;
  const size_t HW = (size_t)g->inHeight * g->inWidth, OHW = (size_t)g->outHeight * g->outWidth;
  const size_t kc = (size_t)cinG * g->kernelH * g->kernelW;
  if (lrp_conv_is_depthwise(g)) {
    /* a sub-geometry whose channel 0 is output channel channelBegin */
    const int mult = coutG;
    int c = channelBegin;
    while (c < channelEnd) {
      /* whole input channels at a time: outputs [c, e) share the multiplier's alignment */
      const int ci = c / mult;
      int e = (ci + 1) * mult;
      if (e > channelEnd) e = channelEnd;
      LrpConvGeometry sub = *g;
      sub.inChannels = 1;
      sub.groups = 1;
      sub.outChannels = e - c;
      lrp_depthwise_forward(&sub, x + (size_t)ci * HW, w + (size_t)c * g->kernelH * g->kernelW,
                            bias ? bias + c : NULL, y + (size_t)c * OHW, 0, g->outHeight, workspace, workspaceFloats);
      c = e;
    }
    return LRP_OK;
  }
  const int pointwise = lrp_conv_is_pointwise(g);
  int rowsPerBlock = g->outHeight;
  if (!pointwise) {
    if (!workspace) return LRP_E_NOMEM;
    const size_t fit = workspaceFloats / (kc * g->outWidth);
    if (fit < 1) return LRP_E_NOMEM;
    if ((size_t)rowsPerBlock > fit) rowsPerBlock = (int)fit;
  }
  const float beta = bias ? 1.0f : 0.0f;
  for (int o = channelBegin; o < channelEnd; o++) {
    if (!bias) break;
    float *yo = y + (size_t)o * OHW;
    for (size_t i = 0; i < OHW; i++) yo[i] = bias[o];
  }
  for (int grp = channelBegin / coutG; grp * coutG < channelEnd; grp++) {
    const int base = grp * coutG;
    const int cs = channelBegin > base ? channelBegin : base;
    const int ce = channelEnd < base + coutG ? channelEnd : base + coutG;
    const float *xg = x + (size_t)grp * cinG * HW;
    const float *wo = w + (size_t)cs * kc;
    float *yo = y + (size_t)cs * OHW;
    if (pointwise) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ce - cs, (int)OHW, cinG, 1.0f, wo, (int)kc, xg,
                  (int)HW, beta, yo, (int)OHW);
      continue;
    }
    for (int r0 = 0; r0 < g->outHeight; r0 += rowsPerBlock) {
      const int r1 = r0 + rowsPerBlock < g->outHeight ? r0 + rowsPerBlock : g->outHeight;
      const int n = (r1 - r0) * g->outWidth;
      im2col_dispatch(g, xg, cinG, r0, r1, workspace);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ce - cs, n, (int)kc, 1.0f, wo, (int)kc, workspace, n,
                  beta, yo + (size_t)r0 * g->outWidth, (int)OHW);
    }
  }
  return LRP_OK;
}

/* ---- fully connected --------------------------------------------------------------------- */

int lrp_linear_forward(const float *x, int batch, int inFeatures, const float *w, int outFeatures,
                       const float *bias, float *y, int outBegin, int outEnd) {
  if (!x || !w || !y || batch <= 0 || inFeatures <= 0 || outFeatures <= 0) return LRP_E_ARGUMENT;
  if (outBegin < 0 || outEnd > outFeatures || outBegin > outEnd) return LRP_E_ARGUMENT;
  const int n = outEnd - outBegin;
  if (n == 0) return LRP_OK;
  float beta = 0.0f;
  if (bias) {
    for (int s = 0; s < batch; s++)
      for (int o = outBegin; o < outEnd; o++) y[(size_t)s * outFeatures + o] = bias[o];
    beta = 1.0f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, n, inFeatures, 1.0f, x, inFeatures,
              w + (size_t)outBegin * inFeatures, inFeatures, beta, y + outBegin, outFeatures);
  return LRP_OK;
}
