/* Gaussian smoothing with VLFeat's kernels (lrpkernels.h §3.1).
 * The taps are built exactly as VLFeat builds them (same float/double mix), so the only
 * differences to vl_imsmooth_f / MATLAB vl_imsmooth are summation-order roundings. */
#include "simd.h"
#include "fv_internal.h"
#include <math.h>
#include <string.h>
#include <float.h>

int lrp_fv_gaussian_radius(double sigma, int kernel) {
  if (!(sigma >= 0) || !isfinite(sigma) || sigma > 1e4) return -1;
  switch (kernel) {
    case LRP_SMOOTH_NONE: return 0;
    case LRP_SMOOTH_VL_IMSMOOTH_F: return (int)ceil(sigma * 3.0);
    case LRP_SMOOTH_VL_MEX: return sigma < 0.01 ? 0 : (int)ceil(4.0 * sigma);
    default: return -1;
  }
}

int lrp_gaussian_taps(double sigma, int kernel, float *taps, int capacity, int *radius) {
  int r = lrp_fv_gaussian_radius(sigma, kernel);
  if (r < 0) return LRP_E_ARGUMENT;
  if (radius) *radius = r;
  if (!taps || capacity < 2 * r + 1) return LRP_E_NOMEM;
  if (r == 0) { taps[0] = 1.0f; return LRP_OK; }
  if (kernel == LRP_SMOOTH_VL_IMSMOOTH_F) {
    /* imopv.c _vl_new_gaussian_fitler_f: float mass from double taps */
    float mass = 1.0f;
    taps[r] = 1.0f;
    for (int i = 1; i <= r; ++i) {
      double x = (double)i / sigma;
      double g = exp(-0.5 * x * x);
      mass += g + g;
      taps[r - i] = (float)g;
      taps[r + i] = (float)g;
    }
    for (int i = 0; i < 2 * r + 1; ++i) taps[i] /= mass;
  } else {
    /* toolbox/imop/vl_imsmooth.c (GAUSSIAN): float z, float accumulated sum */
    float acc = 0;
    for (int j = 0; j < 2 * r + 1; ++j) {
      float z = (float)(((float)j - (float)r) / (sigma + FLT_EPSILON));
      taps[j] = (float)exp(-0.5 * (z * z));
      acc += taps[j];
    }
    for (int j = 0; j < 2 * r + 1; ++j) taps[j] /= acc;
  }
  return LRP_OK;
}

size_t lrp_imsmooth_workspace_size(int width, int height, double sigma, int kernel) {
  (void)height;
  int r = lrp_fv_gaussian_radius(sigma, kernel);
  if (width <= 0 || r < 0) return 0;
  return fv_region(sizeof(float) * ((size_t)width + 2 * (size_t)r)) + fv_region(sizeof(float) * (2 * (size_t)r + 1));
}

/* dst[x..x+8m) = Σ_k taps[k]·src_k[x..x+8m) for m ≤ 4 vectors of 8 values. */
LRP_BODY void tap_sum_block(float *dst, const float *const *rows, const float *pad, const float *taps, int n,
                            size_t x, int m) {
  lrp_f8 acc[4] = {{0}};
  for (int k = 0; k < n; ++k) {
    const lrp_f8 t = lrp_splat8(taps[k]);
    const float *src = (rows ? rows[k] : pad + k) + x;
    for (int p = 0; p < m; ++p) acc[p] += t * lrp_load8(src + 8 * p);
  }
  for (int p = 0; p < m; ++p) lrp_store8(dst + x + 8 * p, acc[p]);
}

/* dst[x] = Σ_k taps[k]·src_k[x] for x in [0, len), src_k = rows[k], or pad + k when rows is
 * NULL: 32 values at a time, then 8, then one. */
LRP_BODY void tap_sum_body(float *dst, const float *const *rows, const float *pad, const float *taps, int n,
                           size_t len) {
  size_t x = 0;
  for (; x + 32 <= len; x += 32) tap_sum_block(dst, rows, pad, taps, n, x, 4);
  for (; x + 8 <= len; x += 8) tap_sum_block(dst, rows, pad, taps, n, x, 1);
  for (; x < len; ++x) {
    float acc = 0;
    for (int k = 0; k < n; ++k) acc += taps[k] * (rows ? rows[k] : pad + k)[x];
    dst[x] = acc;
  }
}

LRP_DUAL(tap_sum, tap_sum_body,
         (float *dst, const float *const *rows, const float *pad, const float *taps, int n, size_t len),
         (dst, rows, pad, taps, n, len))

void lrp_fv_tap_sum(float *dst, const float *const *rows, const float *pad, const float *taps, int n, size_t len) {
  tap_sum_dispatch(dst, rows, pad, taps, n, len);
}

void lrp_fv_smooth_rows(float *out, const float *image, int width, int height,
                        const float *taps, int radius, int row0, int row1, float *pad) {
  enum { MAXTAPS = 512 };
  const float *rowsBuf[MAXTAPS];
  const int n = 2 * radius + 1;
  for (int y = row0; y <= row1; ++y) {
    float *dst = out + (size_t)(y - row0) * width;
    /* vertical pass: taps are symmetric, so tap k weights row y + k - radius */
    if (n <= MAXTAPS) {
      for (int k = 0; k < n; ++k) {
        int yy = y + k - radius;
        yy = yy < 0 ? 0 : (yy >= height ? height - 1 : yy);
        rowsBuf[k] = image + (size_t)yy * width;
      }
      tap_sum_dispatch(pad + radius, rowsBuf, NULL, taps, n, (size_t)width);
    } else {
      for (int x = 0; x < width; ++x) pad[radius + x] = 0;
      for (int k = 0; k < n; ++k) {
        int yy = y + k - radius;
        yy = yy < 0 ? 0 : (yy >= height ? height - 1 : yy);
        for (int x = 0; x < width; ++x) pad[radius + x] += taps[k] * image[(size_t)yy * width + x];
      }
    }
    /* horizontal pass on the row padded by continuity */
    for (int k = 0; k < radius; ++k) { pad[k] = pad[radius]; pad[radius + width + k] = pad[radius + width - 1]; }
    tap_sum_dispatch(dst, NULL, pad, taps, n, (size_t)width);
  }
}

int lrp_imsmooth(float *out, const float *image, int width, int height, double sigma, int kernel,
                 void *workspace, size_t workspaceSize) {
  if (!out || !image || width <= 0 || height <= 0 || out == image) return LRP_E_ARGUMENT;
  int radius = lrp_fv_gaussian_radius(sigma, kernel);
  if (radius < 0 || radius > 40000) return LRP_E_ARGUMENT;
  if (radius == 0) { memcpy(out, image, sizeof(float) * (size_t)width * height); return LRP_OK; }
  FvArena arena;
  fv_arena_init(&arena, workspace, workspaceSize);
  float *taps = fv_alloc(&arena, sizeof(float) * (2 * radius + 1));
  float *pad = fv_alloc(&arena, sizeof(float) * ((size_t)width + 2 * radius));
  if (!taps || !pad) return LRP_E_NOMEM;
  int status = lrp_gaussian_taps(sigma, kernel, taps, 2 * radius + 1, &radius);
  if (status != LRP_OK) return status;
  lrp_fv_smooth_rows(out, image, width, height, taps, radius, 0, height - 1, pad);
  return LRP_OK;
}
