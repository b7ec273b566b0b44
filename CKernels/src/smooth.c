/* Gaussian smoothing with VLFeat's kernels (lrpkernels.h §3.1).
 * The taps are built exactly as VLFeat builds them (same float/double mix), so the only
 * differences to vl_imsmooth_f / MATLAB vl_imsmooth are summation-order roundings. */
#include "fv_internal.h"
#include <math.h>
#include <string.h>
#include <float.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

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

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma")))
static void vertical_avx2(float *dst, const float *const *rows, const float *taps, int n, int width) {
  int x = 0;
  for (; x + 8 <= width; x += 8) {
    __m256 acc = _mm256_setzero_ps();
    for (int k = 0; k < n; ++k) acc = _mm256_fmadd_ps(_mm256_set1_ps(taps[k]), _mm256_loadu_ps(rows[k] + x), acc);
    _mm256_storeu_ps(dst + x, acc);
  }
  for (; x < width; ++x) {
    float acc = 0;
    for (int k = 0; k < n; ++k) acc += taps[k] * rows[k][x];
    dst[x] = acc;
  }
}

__attribute__((target("avx2,fma")))
static void horizontal_avx2(float *dst, const float *pad, const float *taps, int n, int width) {
  int x = 0;
  for (; x + 8 <= width; x += 8) {
    __m256 acc = _mm256_setzero_ps();
    for (int k = 0; k < n; ++k) acc = _mm256_fmadd_ps(_mm256_set1_ps(taps[k]), _mm256_loadu_ps(pad + x + k), acc);
    _mm256_storeu_ps(dst + x, acc);
  }
  for (; x < width; ++x) {
    float acc = 0;
    for (int k = 0; k < n; ++k) acc += taps[k] * pad[x + k];
    dst[x] = acc;
  }
}
#endif

static void vertical_portable(float *dst, const float *const *rows, const float *taps, int n, int width) {
  for (int x = 0; x < width; ++x) dst[x] = 0;
  for (int k = 0; k < n; ++k) {
    const float t = taps[k], *src = rows[k];
    for (int x = 0; x < width; ++x) dst[x] += t * src[x];
  }
}

static void horizontal_portable(float *dst, const float *pad, const float *taps, int n, int width) {
  for (int x = 0; x < width; ++x) {
    float acc = 0;
    for (int k = 0; k < n; ++k) acc += taps[k] * pad[x + k];
    dst[x] = acc;
  }
}

void lrp_fv_smooth_rows(float *out, const float *image, int width, int height,
                        const float *taps, int radius, int row0, int row1, float *pad) {
  enum { MAXTAPS = 512 };
  const float *rowsBuf[MAXTAPS];
  const int n = 2 * radius + 1;
  const int simd = lrp_cpu_has_avx2_fma();
  for (int y = row0; y <= row1; ++y) {
    float *dst = out + (size_t)(y - row0) * width;
    /* vertical pass: taps are symmetric, so tap k weights row y + k - radius */
    if (n <= MAXTAPS) {
      for (int k = 0; k < n; ++k) {
        int yy = y + k - radius;
        yy = yy < 0 ? 0 : (yy >= height ? height - 1 : yy);
        rowsBuf[k] = image + (size_t)yy * width;
      }
#if defined(__x86_64__) || defined(__i386__)
      if (simd) vertical_avx2(pad + radius, rowsBuf, taps, n, width); else
#endif
      vertical_portable(pad + radius, rowsBuf, taps, n, width);
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
#if defined(__x86_64__) || defined(__i386__)
    if (simd) { horizontal_avx2(dst, pad, taps, n, width); continue; }
#endif
    horizontal_portable(dst, pad, taps, n, width);
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
