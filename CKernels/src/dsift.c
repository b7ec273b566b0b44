/* Dense SIFT with VLFeat's vl_dsift geometry, layout and numerics (lrpkernels.h §3.2).
 *
 * Pipeline per call (a range of frame rows, so threads can split an image):
 *   optional Gaussian pre-smoothing of the needed image band (vl_phow's vl_imsmooth) →
 *   gradient rows (VLFeat's one-sided/central differences, fast atan2 and fast sqrt), each pixel
 *   split linearly between its two nearest of 8 orientations and stored interleaved
 *   (8 floats per pixel) in a ring of 2·binSize−1 rows →
 *   for every sample row (a row where some bin centre lies): the vertical bin filter over the ring,
 *   then the horizontal bin filter at the sample columns only →
 *   scatter into the descriptors, then VLFeat's normalisation.
 * Flat window: the bin filter is the triangle (binSize−|d|) of vl_imconvcoltri, scaled as
 * vl_dsift does by the Gaussian window's mean over the bin. Gaussian window: vl_dsift's
 * per-bin kernels (triangle × Gaussian centred on the descriptor centre).
 * VLFeat convolves (kernel reversed); we correlate with the reversed kernel. */
#include "simd.h"
#include "fv_internal.h"
#include <math.h>
#include <string.h>
#include <limits.h>

#define NBT 8   /* orientations */
#define NBS 4   /* spatial bins per side */
#define DSIZE 128
#define VL_PI_D 3.141592653589793
#define VL_EPS_F 1.19209290E-07F

/* ---------------------------------------------------------------- VLFeat's fast math */

static inline float vl_resqrt(float x) {
  union { float f; int32_t i; } u;
  float xhalf = 0.5f * x;
  u.f = x;
  u.i = 0x5f3759df - (u.i >> 1);
  u.f = u.f * (1.5f - xhalf * u.f * u.f);
  u.f = u.f * (1.5f - xhalf * u.f * u.f);
  return u.f;
}

static inline float vl_fsqrt(float x) { return (x < 1e-8) ? 0 : x * vl_resqrt(x); }

static inline float vl_fatan2(float y, float x) {
  float angle, r;
  const float c3 = 0.1821F, c1 = 0.9675F;
  float abs_y = fabsf(y) + VL_EPS_F;
  if (x >= 0) { r = (x - abs_y) / (x + abs_y); angle = (float)(VL_PI_D / 4); }
  else { r = (x + abs_y) / (abs_y - x); angle = (float)(3 * VL_PI_D / 4); }
  angle += (c3 * r * r - c1) * r;
  return (y < 0) ? -angle : angle;
}

/* One pixel: magnitude split between orientation bins (VLFeat's quantisation). */
static inline void orient_pixel(float gx, float gy, float *dst8) {
  float angle = vl_fatan2(gy, gx);
  float mod = vl_fsqrt(gx * gx + gy * gy);
  while (angle > (float)(2 * VL_PI_D)) angle -= (float)(2 * VL_PI_D);
  while (angle < 0.0F) angle += (float)(2 * VL_PI_D);
  float nt = (float)((double)angle * (NBT / (2 * VL_PI_D)));
  int bint = (int)nt; /* nt >= 0 */
  float rbint = nt - (float)bint;
  for (int t = 0; t < NBT; ++t) dst8[t] = 0;
  dst8[bint % NBT] = (1 - rbint) * mod;
  dst8[(bint + 1) % NBT] = rbint * mod;
}

/* ---------------------------------------------------------------- geometry */

typedef struct Geom {
  int b, step, minX, minY, maxX, maxY, nx, ny, radius;
} Geom;

static int geometry(int width, int height, const LrpDsiftParams *p, Geom *g) {
  if (!p || width <= 0 || height <= 0) return LRP_E_ARGUMENT;
  if (p->binSize < 1 || p->binSize > 4096 || p->step < 1) return LRP_E_ARGUMENT;
  if (!(p->windowSize > 0) || !isfinite(p->windowSize)) return LRP_E_ARGUMENT;
  if (!(p->contrastThreshold >= 0) || !(p->smoothSigma >= 0) || !isfinite(p->smoothSigma)) return LRP_E_ARGUMENT;
  int radius = lrp_fv_gaussian_radius(p->smoothSigma, p->smoothKernel);
  if (radius < 0 || radius > 4096) return LRP_E_ARGUMENT;
  g->radius = (p->smoothSigma > 0) ? radius : 0;
  g->b = p->binSize;
  g->step = p->step;
  g->minX = p->boundMinX < 0 ? 0 : p->boundMinX;
  g->minY = p->boundMinY < 0 ? 0 : p->boundMinY;
  g->maxX = p->boundMaxX > width - 1 ? width - 1 : p->boundMaxX;
  g->maxY = p->boundMaxY > height - 1 ? height - 1 : p->boundMaxY;
  long rangeX = (long)g->maxX - g->minX - (long)(NBS - 1) * g->b;
  long rangeY = (long)g->maxY - g->minY - (long)(NBS - 1) * g->b;
  g->nx = rangeX >= 0 ? (int)(rangeX / g->step + 1) : 0;
  g->ny = rangeY >= 0 ? (int)(rangeY / g->step + 1) : 0;
  if ((long long)g->nx * g->ny > INT_MAX / DSIZE) return LRP_E_ARGUMENT;
  return LRP_OK;
}

int lrp_dsift_num_frames(int width, int height, const LrpDsiftParams *params, int *numFramesX, int *numFramesY) {
  Geom g;
  int s = geometry(width, height, params, &g);
  if (s != LRP_OK) return s;
  if (numFramesX) *numFramesX = g.nx;
  if (numFramesY) *numFramesY = g.ny;
  return g.nx * g.ny;
}

/* Gradient rows a call covering `rows` frame rows needs (upper bound, clamped to the image). */
static int grad_span(const Geom *g, int rows, int height) {
  long span = (long)(rows - 1) * g->step + (NBS - 1) * g->b + 2L * (g->b - 1) + 1;
  return span > height ? height : (int)span;
}

size_t lrp_dsift_workspace_size(int width, int height, const LrpDsiftParams *params, int maxFrameRows) {
  Geom g;
  if (geometry(width, height, params, &g) != LRP_OK || maxFrameRows < 1) return 0;
  const size_t W = (size_t)width, b = (size_t)g.b, ring = 2 * b - 1;
  size_t total = 0;
  if (g.radius > 0) {
    int srows = grad_span(&g, maxFrameRows, height) + 2;
    if (srows > height) srows = height;
    total += fv_region(sizeof(float) * W * (size_t)srows);          /* smoothed band */
    total += fv_region(sizeof(float) * (W + 2 * (size_t)g.radius)); /* padded row */
    total += fv_region(sizeof(float) * (2 * (size_t)g.radius + 1)); /* taps */
  }
  total += fv_region(sizeof(float) * NBT * W * ring);                /* gradient ring */
  total += fv_region(sizeof(float) * NBT * (W + 2 * b));             /* vertical row, padded */
  total += fv_region(sizeof(float) * NBT * W);                       /* horizontal at columns */
  total += 2 * fv_region(sizeof(int) * W);                           /* column index, list */
  total += fv_region(sizeof(int) * (size_t)(g.nx > 0 ? g.nx : 1) * NBS); /* column of (i, bx) */
  total += fv_region(sizeof(float) * (2 * NBS + 1) * (2 * b - 1));   /* kernels */
  total += fv_region(sizeof(const float *) * (2 * b - 1));           /* ring row pointers */
  return total;
}

/* ---------------------------------------------------------------- gradient rows */

/* Pixel x of one gradient row: VLFeat's one-sided differences at the borders, central ones
 * inside (cy is 1 on the first and last image row, 0.5 elsewhere). */
LRP_BODY void grad_pixels(float *dst, const float *up, const float *mid, const float *down, float cy,
                          int x0, int x1, int width) {
  for (int x = x0; x < x1; ++x) {
    float gx;
    if (x == 0) gx = mid[1] - mid[0];
    else if (x == width - 1) gx = mid[x] - mid[x - 1];
    else gx = 0.5F * (mid[x + 1] - mid[x - 1]);
    orient_pixel(gx, cy * (down[x] - up[x]), dst + (size_t)NBT * x);
  }
}

static void grad_row_portable(float *dst, const float *up, const float *mid, const float *down, float cy, int width) {
  grad_pixels(dst, up, mid, down, cy, 0, width, width);
}

#if LRP_HAVE_AVX2_BUILD
/* Hand-written: the compiler does not vectorise orient_pixel (fast atan2 and sqrt, the
 * data-dependent bin scatter), and this is the costliest step of dense SIFT. The borders and
 * the remainder go through grad_pixels, as in the portable build. */
LRP_AVX2 static void grad_row_avx2(float *dst, const float *up, const float *mid, const float *down, float cy, int width) {
  const __m256 half = _mm256_set1_ps(0.5F), vcy = _mm256_set1_ps(cy);
  const __m256 signMask = _mm256_set1_ps(-0.0F), zero = _mm256_setzero_ps();
  const __m256 eps = _mm256_set1_ps(VL_EPS_F), c3 = _mm256_set1_ps(0.1821F), c1 = _mm256_set1_ps(0.9675F);
  const __m256 pi4 = _mm256_set1_ps((float)(VL_PI_D / 4)), pi34 = _mm256_set1_ps((float)(3 * VL_PI_D / 4));
  const __m256 twoPi = _mm256_set1_ps((float)(2 * VL_PI_D));
  const __m256d scale = _mm256_set1_pd(NBT / (2 * VL_PI_D));
  const __m256 tiny = _mm256_set1_ps(1e-8F), onehalf = _mm256_set1_ps(1.5F), one = _mm256_set1_ps(1.0F);
  const __m256i magic = _mm256_set1_epi32(0x5f3759df);
  float w0[8], w1[8];
  int bins[8];
  grad_pixels(dst, up, mid, down, cy, 0, 1, width);
  int x = 1;
  for (; x + 8 <= width - 1; x += 8) {
    __m256 gx = _mm256_mul_ps(half, _mm256_sub_ps(_mm256_loadu_ps(mid + x + 1), _mm256_loadu_ps(mid + x - 1)));
    __m256 gy = _mm256_mul_ps(vcy, _mm256_sub_ps(_mm256_loadu_ps(down + x), _mm256_loadu_ps(up + x)));
    /* vl_fast_atan2_f */
    __m256 absy = _mm256_add_ps(_mm256_andnot_ps(signMask, gy), eps);
    __m256 xpos = _mm256_cmp_ps(gx, zero, _CMP_GE_OQ);
    __m256 num = _mm256_blendv_ps(_mm256_add_ps(gx, absy), _mm256_sub_ps(gx, absy), xpos);
    __m256 den = _mm256_blendv_ps(_mm256_sub_ps(absy, gx), _mm256_add_ps(gx, absy), xpos);
    __m256 r = _mm256_div_ps(num, den);
    __m256 angle = _mm256_blendv_ps(pi34, pi4, xpos);
    __m256 poly = _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(_mm256_mul_ps(c3, r), r), c1), r);
    angle = _mm256_add_ps(angle, poly);
    __m256 yneg = _mm256_cmp_ps(gy, zero, _CMP_LT_OQ);
    angle = _mm256_blendv_ps(angle, _mm256_xor_ps(angle, signMask), yneg);
    /* vl_mod_2pi_f (angle > -2π always) */
    angle = _mm256_blendv_ps(angle, _mm256_add_ps(angle, twoPi), _mm256_cmp_ps(angle, zero, _CMP_LT_OQ));
    /* vl_fast_sqrt_f */
    __m256 m2 = _mm256_add_ps(_mm256_mul_ps(gx, gx), _mm256_mul_ps(gy, gy));
    __m256 xhalf = _mm256_mul_ps(half, m2);
    __m256 u = _mm256_castsi256_ps(_mm256_sub_epi32(magic, _mm256_srai_epi32(_mm256_castps_si256(m2), 1)));
    u = _mm256_mul_ps(u, _mm256_sub_ps(onehalf, _mm256_mul_ps(_mm256_mul_ps(xhalf, u), u)));
    u = _mm256_mul_ps(u, _mm256_sub_ps(onehalf, _mm256_mul_ps(_mm256_mul_ps(xhalf, u), u)));
    __m256 mod = _mm256_andnot_ps(_mm256_cmp_ps(m2, tiny, _CMP_LE_OQ), _mm256_mul_ps(m2, u));
    /* nt computed in double as VLFeat's float*double product */
    __m256d lo = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(angle)), scale);
    __m256d hi = _mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(angle, 1)), scale);
    __m256 nt = _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo));
    __m256i bint = _mm256_cvttps_epi32(nt);
    __m256 rb = _mm256_sub_ps(nt, _mm256_cvtepi32_ps(bint));
    _mm256_storeu_ps(w0, _mm256_mul_ps(_mm256_sub_ps(one, rb), mod));
    _mm256_storeu_ps(w1, _mm256_mul_ps(rb, mod));
    _mm256_storeu_si256((__m256i *)bins, bint);
    for (int i = 0; i < 8; ++i) {
      float *p = dst + (size_t)NBT * (x + i);
      _mm256_storeu_ps(p, zero);
      p[bins[i] & 7] = w0[i];
      p[(bins[i] + 1) & 7] = w1[i];
    }
  }
  grad_pixels(dst, up, mid, down, cy, x, width, width);
}
#endif

static void grad_row(float *dst, const float *up, const float *mid, const float *down, float cy, int width) {
#if LRP_HAVE_AVX2_BUILD
  if (lrp_use_avx2() && width >= 2) { grad_row_avx2(dst, up, mid, down, cy, width); return; }
#endif
  grad_row_portable(dst, up, mid, down, cy, width);
}

/* ---------------------------------------------------------------- bin filters */

/* out[c] (8 lanes) = Σ_k taps[k]·vpad[(cols[c] + k)] for the m ≤ 4 listed columns from c. */
LRP_BODY void hfilter_columns(float *out, const float *vpad, const int *cols, int c, int m, const float *taps, int n) {
  lrp_f8 acc[4] = {{0}};
  const float *src[4];
  for (int p = 0; p < m; ++p) src[p] = vpad + (size_t)NBT * cols[c + p];
  for (int k = 0; k < n; ++k) {
    const lrp_f8 t = lrp_splat8(taps[k]);
    for (int p = 0; p < m; ++p) acc[p] += t * lrp_load8(src[p] + NBT * k);
  }
  for (int p = 0; p < m; ++p) lrp_store8(out + (size_t)NBT * (c + p), acc[p]);
}

/* out[c] for the listed columns (vpad is the row padded by binSize−1 replicated pixels on each
 * side, so col + k is never out of range): four columns at a time. */
LRP_BODY void hfilter_body(float *out, const float *vpad, const int *cols, int ncols, const float *taps, int n) {
  int c = 0;
  for (; c + 4 <= ncols; c += 4) hfilter_columns(out, vpad, cols, c, 4, taps, n);
  for (; c < ncols; ++c) hfilter_columns(out, vpad, cols, c, 1, taps, n);
}

LRP_DUAL(hfilter, hfilter_body, (float *out, const float *vpad, const int *cols, int ncols, const float *taps, int n),
         (out, vpad, cols, ncols, taps, n))

/* ---------------------------------------------------------------- VLFeat's kernels */

/* _vl_dsift_new_kernel, reversed into correlation form: k[d + b − 1] weights offset d. */
static void gaussian_bin_kernel(float *k, int b, int bin, float windowSize) {
  float delta = b * (bin - 0.5F * (NBS - 1));
  float sigma = (float)b * (float)windowSize;
  for (int x = -b + 1; x <= b - 1; ++x) {
    float z = (x - delta) / sigma;
    float v = (1.0F - fabsf((float)x) / b) * expf(-0.5F * z * z);
    k[(-x) + b - 1] = v;
  }
}

/* _vl_dsift_get_bin_window_mean */
static float bin_window_mean(int b, int bin, float windowSize) {
  float delta = b * (bin - 0.5F * (NBS - 1));
  float sigma = (float)b * (float)windowSize;
  float acc = 0.0;
  for (int x = -b + 1; x <= b - 1; ++x) {
    float z = (x - delta) / sigma;
    acc += expf(-0.5F * z * z);
  }
  return acc /= (2 * b - 1);
}

/* Pads the filtered row vpad[b − 1 .. b − 1 + W) by b − 1 replicated pixels on each side. */
static void pad_row(float *vpad, int b, int W) {
  float *vrow = vpad + (size_t)NBT * (b - 1);
  for (int k = 0; k < b - 1; ++k)
    for (int t = 0; t < NBT; ++t) {
      vpad[NBT * k + t] = vrow[t];
      vrow[(size_t)NBT * (W + k) + t] = vrow[(size_t)NBT * (W - 1) + t];
    }
}

/* Writes one bin row (bin row `by`) of the descriptors of nx frames:
 * d[i][8·(bx + 4·by) + t] = mult[bx] · h[col[i·4 + bx]][t]. */
LRP_BODY void scatter_body(float *drow, int nx, int by, const float *hcols, const int *colOf, const float *mult) {
  lrp_f8 m[NBS];
  for (int bx = 0; bx < NBS; ++bx) m[bx] = lrp_splat8(mult[bx]);
  for (int i = 0; i < nx; ++i) {
    float *d = drow + (size_t)i * DSIZE + NBT * NBS * by;
    for (int bx = 0; bx < NBS; ++bx) lrp_store8(d + NBT * bx, m[bx] * lrp_load8(hcols + NBT * colOf[i * NBS + bx]));
  }
}

LRP_DUAL(scatter, scatter_body,
         (float *drow, int nx, int by, const float *hcols, const int *colOf, const float *mult),
         (drow, nx, by, hcols, colOf, mult))

/* Keypoint norm, VLFeat's normalisation (_vl_dsift_normalize_histogram twice, clamping at 0.2
 * in between), contrast threshold and output scale of one descriptor (returns the norm). The
 * sums are 8-lane pairwise, not sequential as in VLFeat: differences are float rounding. A
 * descriptor below the threshold is zeroed without being normalised (the result is the same). */
LRP_BODY float finish_body(float *d, float normConstant, double threshold, int matlab) {
  lrp_f8 s = {0}, q = {0};
  for (int k = 0; k < DSIZE; k += 8) {
    const lrp_f8 v = lrp_load8(d + k);
    s += v;
    q += v * v;
  }
  const float mass = lrp_hsum8f((const float *)&s) / normConstant;
  if ((double)mass < threshold) {
    memset(d, 0, sizeof(float) * DSIZE);
    return mass;
  }
  lrp_f8 n = lrp_splat8(vl_fsqrt(lrp_hsum8f((const float *)&q)) + VL_EPS_F);
  q = (lrp_f8){0};
  for (int k = 0; k < DSIZE; k += 8) {
    const lrp_f8 v = lrp_min8(lrp_load8(d + k) / n, lrp_splat8(0.2F));
    lrp_store8(d + k, v);
    q += v * v;
  }
  n = lrp_splat8(vl_fsqrt(lrp_hsum8f((const float *)&q)) + VL_EPS_F);
  for (int k = 0; k < DSIZE; k += 8) {
    lrp_f8 v = lrp_load8(d + k) / n;
    if (matlab) v = lrp_min8(lrp_splat8(512.0F) * v, lrp_splat8(255.0F));
    lrp_store8(d + k, v);
  }
  return mass;
}

LRP_DUAL_RET(float, finish, finish_body, (float *d, float normConstant, double threshold, int matlab),
             (d, normConstant, threshold, matlab))

/* ---------------------------------------------------------------- main entry */

int lrp_dsift_process(const float *image, int width, int height, const LrpDsiftParams *params,
                      int frameRowBegin, int frameRowEnd,
                      float *descriptors, float *frames, void *workspace, size_t workspaceSize) {
  Geom g;
  int status = geometry(width, height, params, &g);
  if (status != LRP_OK) return status;
  if (frameRowBegin < 0 || frameRowEnd < frameRowBegin || frameRowEnd > g.ny) return LRP_E_ARGUMENT;
  if (frameRowBegin == frameRowEnd || g.nx == 0) return LRP_OK;
  if (!image || !descriptors) return LRP_E_ARGUMENT;
  const int b = g.b, step = g.step, W = width, H = height, nx = g.nx;
  const int j0 = frameRowBegin, j1 = frameRowEnd;
  const int nk = 2 * b - 1, ringRows = 2 * b - 1;
  const int flat = params->flatWindow != 0;

  /* band of gradient rows and of (smoothed) image rows this call needs */
  const int yFirst = g.minY + j0 * step, yLast = g.minY + (j1 - 1) * step + (NBS - 1) * b;
  const int g0 = yFirst - (b - 1) < 0 ? 0 : yFirst - (b - 1);
  const int g1 = yLast + (b - 1) > H - 1 ? H - 1 : yLast + (b - 1);
  const int s0 = g0 - 1 < 0 ? 0 : g0 - 1, s1 = g1 + 1 > H - 1 ? H - 1 : g1 + 1;

  FvArena arena;
  fv_arena_init(&arena, workspace, workspaceSize);
  const float *src = image; /* row y of the (smoothed) image is src + (y - srcRow0) * W */
  int srcRow0 = 0;
  if (g.radius > 0) {
    float *band = fv_alloc(&arena, sizeof(float) * (size_t)W * (s1 - s0 + 1));
    float *pad = fv_alloc(&arena, sizeof(float) * ((size_t)W + 2 * g.radius));
    float *taps = fv_alloc(&arena, sizeof(float) * (2 * g.radius + 1));
    if (!band || !pad || !taps) return LRP_E_NOMEM;
    int r = 0;
    status = lrp_gaussian_taps(params->smoothSigma, params->smoothKernel, taps, 2 * g.radius + 1, &r);
    if (status != LRP_OK) return status;
    lrp_fv_smooth_rows(band, image, W, H, taps, r, s0, s1, pad);
    src = band;
    srcRow0 = s0;
  }
  float *ring = fv_alloc(&arena, sizeof(float) * NBT * (size_t)W * ringRows);
  float *vpad = fv_alloc(&arena, sizeof(float) * NBT * ((size_t)W + 2 * b));
  float *hcols = fv_alloc(&arena, sizeof(float) * NBT * (size_t)W);
  int *colIndex = fv_alloc(&arena, sizeof(int) * (size_t)W);
  int *colOf = fv_alloc(&arena, sizeof(int) * (size_t)nx * NBS);
  float *kernels = fv_alloc(&arena, sizeof(float) * (2 * NBS + 1) * nk);
  const float **rowPtr = fv_alloc(&arena, sizeof(const float *) * nk);
  if (!ring || !vpad || !hcols || !colIndex || !colOf || !kernels || !rowPtr) return LRP_E_NOMEM;
  float *vrow = vpad + (size_t)NBT * (b - 1);

  /* distinct sample columns (sorted) and, for each (frame column i, bin bx), its index */
  int *sampleCols = fv_alloc(&arena, sizeof(int) * (size_t)W);
  if (!sampleCols) return LRP_E_NOMEM;
  int ncols = 0;
  for (int x = 0; x < W; ++x) colIndex[x] = -1;
  for (int i = 0; i < nx; ++i)
    for (int bx = 0; bx < NBS; ++bx) colIndex[g.minX + i * step + bx * b] = 0;
  for (int x = 0; x < W; ++x) if (colIndex[x] == 0) { sampleCols[ncols] = x; colIndex[x] = ncols++; }
  for (int i = 0; i < nx; ++i)
    for (int bx = 0; bx < NBS; ++bx) colOf[i * NBS + bx] = colIndex[g.minX + i * step + bx * b];

  /* kernels: flat → one triangle; Gaussian → 4 vertical/horizontal (same since square bins) */
  float *triangle = kernels;                 /* nk */
  float *gauss = kernels + nk;               /* NBS × nk */
  float mult[NBS][NBS];
  for (int d = -(b - 1); d <= b - 1; ++d) triangle[d + b - 1] = (float)(b - (d < 0 ? -d : d));
  if (flat) {
    float scale = (float)(1.0 / ((double)b * (double)b));
    for (int by = 0; by < NBS; ++by)
      for (int bx = 0; bx < NBS; ++bx) {
        float wy = bin_window_mean(b, by, params->windowSize) * b;
        float wx = bin_window_mean(b, bx, params->windowSize) * b;
        mult[by][bx] = (wx * wy) * scale * scale;
      }
  } else {
    for (int bin = 0; bin < NBS; ++bin) gaussian_bin_kernel(gauss + bin * nk, b, bin, params->windowSize);
  }

  /* every descriptor entry is written below (each bin row and column is a sample row/column) */

  /* sweep the sample rows in increasing order */
  int nextGradRow = g0;
  for (int r = yFirst; r <= yLast; ++r) {
    int jOf[NBS], any = 0;
    for (int by = 0; by < NBS; ++by) {
      int t = r - g.minY - by * b;
      jOf[by] = -1;
      if (t >= 0 && t % step == 0 && t / step >= j0 && t / step < j1) { jOf[by] = t / step; any = 1; }
    }
    if (!any) continue;
    /* bring the gradient rows [r − b + 1, r + b − 1] (clamped) into the ring */
    int lo = r - (b - 1) < 0 ? 0 : r - (b - 1), hi = r + (b - 1) > H - 1 ? H - 1 : r + (b - 1);
    if (nextGradRow < lo) nextGradRow = lo;
    for (; nextGradRow <= hi; ++nextGradRow) {
      int y = nextGradRow;
      const float *mid = src + (size_t)(y - srcRow0) * W;
      const float *up = src + (size_t)((y > 0 ? y - 1 : 0) - srcRow0) * W;
      const float *down = src + (size_t)((y < H - 1 ? y + 1 : H - 1) - srcRow0) * W;
      float cy = (y == 0 || y == H - 1) ? 1.0F : 0.5F;
      float *dst = ring + (size_t)NBT * W * (y % ringRows);
      grad_row(dst, up, mid, down, cy, W);
    }
    for (int d = -(b - 1); d <= b - 1; ++d) {
      int y = r + d < 0 ? 0 : (r + d > H - 1 ? H - 1 : r + d);
      rowPtr[d + b - 1] = ring + (size_t)NBT * W * (y % ringRows);
    }
    /* flat: one vertical filter serves every bin row; Gaussian: one per bin row */
    if (flat) {
      lrp_fv_tap_sum(vrow, rowPtr, NULL, triangle, nk, (size_t)NBT * W);
      pad_row(vpad, b, W);
      hfilter_dispatch(hcols, vpad, sampleCols, ncols, triangle, nk);
      for (int by = 0; by < NBS; ++by) {
        if (jOf[by] < 0) continue;
        float *drow = descriptors + (size_t)(jOf[by] - j0) * nx * DSIZE;
        scatter_dispatch(drow, nx, by, hcols, colOf, mult[by]);
      }
    } else {
      for (int by = 0; by < NBS; ++by) {
        if (jOf[by] < 0) continue;
        lrp_fv_tap_sum(vrow, rowPtr, NULL, gauss + by * nk, nk, (size_t)NBT * W);
        pad_row(vpad, b, W);
        float *drow = descriptors + (size_t)(jOf[by] - j0) * nx * DSIZE;
        for (int bx = 0; bx < NBS; ++bx) {
          hfilter_dispatch(hcols, vpad, sampleCols, ncols, gauss + bx * nk, nk);
          for (int i = 0; i < nx; ++i) {
            float *d = drow + (size_t)i * DSIZE + NBT * (bx + NBS * by);
            const float *h = hcols + NBT * colOf[i * NBS + bx];
            for (int t = 0; t < NBT; ++t) d[t] = h[t];
          }
        }
      }
    }
  }

  /* keypoints and VLFeat's normalisation */
  const float normConstant = (float)(((NBS - 1) * b + 1) * ((NBS - 1) * b + 1));
  for (int j = j0; j < j1; ++j) {
    for (int i = 0; i < nx; ++i) {
      size_t f = (size_t)(j - j0) * nx + i;
      float *d = descriptors + f * DSIZE;
      const float mass = finish_dispatch(d, normConstant, params->contrastThreshold, params->matlabScale);
      if (frames) {
        frames[4 * f + 0] = (float)(g.minX + i * step) + 0.5F * b * (NBS - 1);
        frames[4 * f + 1] = (float)(g.minY + j * step) + 0.5F * b * (NBS - 1);
        frames[4 * f + 2] = (float)b;
        frames[4 * f + 3] = mass;
      }
    }
  }
  return LRP_OK;
}
