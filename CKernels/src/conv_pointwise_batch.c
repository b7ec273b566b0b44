/* Pointwise (1x1) convolutions over a whole batch as one GEMM (lrpkernels.h §2). On small maps
 * (MobileNetV2's 7x7 and 14x14 layers) one sample's product is a skinny GEMM whose cost is
 * dominated by packing the weight matrix again for each sample; here the columns of all samples
 * are gathered into one matrix, so the weights are packed once per block of up to
 * LRP_POINTWISE_BLOCK columns. Each output element sums over the input channels in the same
 * order as the per-sample product (same bias-then-accumulate for the forward), so results do
 * not depend on which path ran. */
#include <cblas.h>
#include <string.h>

#include "conv_internal.h"

/* Columns per GEMM: large enough to amortise packing the weights, small enough that the
 * gathered blocks stay in the L2/L3 caches. */
#define LRP_POINTWISE_BLOCK 1024

static int pointwise_batch_check(const LrpConvGeometry *g, int batch, int colBegin, int colEnd) {
  if (lrp_conv_check(g) != LRP_OK || batch <= 0) return LRP_E_ARGUMENT;
  if (!lrp_conv_is_pointwise(g) || g->groups != 1) return LRP_E_ARGUMENT;
  const long total = (long)batch * g->outHeight * g->outWidth;
  if (colBegin < 0 || colEnd > total || colBegin > colEnd) return LRP_E_ARGUMENT;
  return LRP_OK;
}

size_t lrp_pointwise_batch_workspace(const LrpConvGeometry *g) {
  if (lrp_conv_check(g) != LRP_OK) return 0;
  return (size_t)(g->inChannels + g->outChannels) * LRP_POINTWISE_BLOCK;
}

/* Copies columns [j0, j1) of the batch matrix of `rows` channels (sample n's channel r at
 * src + n*rows*S + r*S) into dst[r][j - j0], or back (scatter != 0). */
static void gather_columns(float *batchTensor, float *block, int rows, size_t S, long j0, long j1, int scatter) {
  const size_t nc = (size_t)(j1 - j0);
  long j = j0;
  while (j < j1) {
    const long n = j / (long)S, p = j % (long)S;
    long e = (n + 1) * (long)S;
    if (e > j1) e = j1;
    const size_t len = (size_t)(e - j), at = (size_t)(j - j0);
    float *t = batchTensor + (size_t)n * rows * S + (size_t)p;
    for (int r = 0; r < rows; r++) {
      if (scatter)
        memcpy(t + (size_t)r * S, block + (size_t)r * nc + at, sizeof(float) * len);
      else
        memcpy(block + (size_t)r * nc + at, t + (size_t)r * S, sizeof(float) * len);
    }
    j = e;
  }
}

int lrp_pointwise_forward_batch(const LrpConvGeometry *g, const float *x, int batch, const float *w,
                                const float *bias, float *y, int colBegin, int colEnd, float *workspace,
                                size_t workspaceFloats) {
  if (pointwise_batch_check(g, batch, colBegin, colEnd) != LRP_OK || !x || !w || !y) return LRP_E_ARGUMENT;
  if (!workspace || workspaceFloats < lrp_pointwise_batch_workspace(g)) return LRP_E_NOMEM;
  const int cin = g->inChannels, cout = g->outChannels;
  const size_t S = (size_t)g->outHeight * g->outWidth;
  for (long j0 = colBegin; j0 < colEnd; j0 += LRP_POINTWISE_BLOCK) {
    const long j1 = j0 + LRP_POINTWISE_BLOCK < colEnd ? j0 + LRP_POINTWISE_BLOCK : colEnd;
    const int nc = (int)(j1 - j0);
    float *xb = workspace, *yb = workspace + (size_t)cin * nc;
    gather_columns((float *)x, xb, cin, S, j0, j1, 0);
    /* bias first, then sgemm accumulates (beta = 1), as lrp_conv_forward does */
    if (bias)
      for (int o = 0; o < cout; o++)
        for (int i = 0; i < nc; i++) yb[(size_t)o * nc + i] = bias[o];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cout, nc, cin, 1.0f, w, cin, xb, nc,
                bias ? 1.0f : 0.0f, yb, nc);
    gather_columns(y, yb, cout, S, j0, j1, 1);
  }
  return LRP_OK;
}

int lrp_pointwise_backward_batch(const LrpConvGeometry *g, const float *w, const float *dy, int batch, float *dx,
                                 int colBegin, int colEnd, float *workspace, size_t workspaceFloats) {
  if (pointwise_batch_check(g, batch, colBegin, colEnd) != LRP_OK || !w || !dy || !dx) return LRP_E_ARGUMENT;
  if (!workspace || workspaceFloats < lrp_pointwise_batch_workspace(g)) return LRP_E_NOMEM;
  const int cin = g->inChannels, cout = g->outChannels;
  const size_t S = (size_t)g->outHeight * g->outWidth;
  for (long j0 = colBegin; j0 < colEnd; j0 += LRP_POINTWISE_BLOCK) {
    const long j1 = j0 + LRP_POINTWISE_BLOCK < colEnd ? j0 + LRP_POINTWISE_BLOCK : colEnd;
    const int nc = (int)(j1 - j0);
    float *dyb = workspace, *dxb = workspace + (size_t)cout * nc;
    gather_columns((float *)dy, dyb, cout, S, j0, j1, 0);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cin, nc, cout, 1.0f, w, cin, dyb, nc, 0.0f, dxb, nc);
    gather_columns(dx, dxb, cin, S, j0, j1, 1);
  }
  return LRP_OK;
}
