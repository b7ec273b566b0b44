/* Internal helpers shared by the convolution kernels (conv_forward.c, conv_backward.c). */
#ifndef LRP_CONV_INTERNAL_H
#define LRP_CONV_INTERNAL_H

#include "lrpkernels.h"

/* Target size of an im2col / col2im block in floats (4 MB: stays in the L3 cache). */
#define LRP_CONV_BLOCK_FLOATS ((size_t)1 << 20)

/* Output columns ow in [*lo, *hi) whose input column ow*stride + off lies inside [0, width). */
static inline void lrp_valid_range(int off, int stride, int width, int outWidth, int *lo, int *hi) {
  int l = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int h = (width - 1 - off) < 0 ? 0 : (width - 1 - off) / stride + 1;
  if (h > outWidth) h = outWidth;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

/* One input channel per group: direct loops instead of im2col. */
static inline int lrp_conv_is_depthwise(const LrpConvGeometry *g) {
  return g->inChannels == g->groups;
}

/* 1x1, stride 1, unpadded: the input already is the im2col matrix. */
static inline int lrp_conv_is_pointwise(const LrpConvGeometry *g) {
  return g->kernelH == 1 && g->kernelW == 1 && g->strideH == 1 && g->strideW == 1 &&
         g->padTop == 0 && g->padLeft == 0 && g->outHeight == g->inHeight && g->outWidth == g->inWidth;
}

static inline int lrp_conv_forward_rows_per_block(const LrpConvGeometry *g) {
  const size_t kc = (size_t)(g->inChannels / g->groups) * g->kernelH * g->kernelW;
  size_t rows = LRP_CONV_BLOCK_FLOATS / (kc * g->outWidth);
  if (rows < 1) rows = 1;
  if (rows > (size_t)g->outHeight) rows = g->outHeight;
  return (int)rows;
}

/* Depthwise convolutions (conv_depthwise.c): forward rows [r0, r1) of every output channel,
 * transposed for input channels [c0, c1). The workspace holds one zero-padded channel plane
 * for the AVX2 3x3 kernels (lrp_depthwise_workspace floats); with less, or without AVX2, the
 * generic loops run. */
size_t lrp_depthwise_workspace(const LrpConvGeometry *g, int transposed);
void lrp_depthwise_forward(const LrpConvGeometry *g, const float *x, const float *w, const float *bias,
                           float *y, int r0, int r1, float *workspace, size_t workspaceFloats);
void lrp_depthwise_backward(const LrpConvGeometry *g, const float *w, const float *dy, float *dx, int c0, int c1,
                            float *workspace, size_t workspaceFloats);

#endif
