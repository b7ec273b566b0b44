/* GMM posteriors and EM statistics for diagonal covariances (lrpkernels.h §3.3).
 *
 * Log-densities ℓ_k: one SGEMM per block of rows from the expansion
 *   ℓ_k = c_k − ½ Σ_i x_i²/σ²_ki + Σ_i x_i μ_ki/σ²_ki        ([x² | x] · [−½/σ² | μ/σ²]ᵀ),
 * which is fast but loses digits to cancellation when |μ| ≫ σ. Per row, with ℓ̃_k the SGEMM
 * values, b their argmax and δ_k a rigorous bound on |ℓ̃_k − ℓ_k| (see error_slope):
 *  - components with ℓ̃_k + δ_k ≥ ℓ̃_b − δ_b − EXACT_NATS are recomputed exactly in double from
 *    (x − μ)²/σ² (VLFeat's direct form). They include every component whose true log-density is
 *    within EXACT_NATS of the true best, i.e. every posterior above e^-16 ≈ 1.1e-7 of the largest;
 *  - the others with ℓ̃_k ≥ ℓ̃_b − CANDIDATE_NATS (the "band") keep ℓ̃_k: each is below 1.1e-7 of
 *    the largest, so a 1e-6 threshold removes them all, and their error (δ_k, a few hundredths
 *    of a nat) moves the normalisation by less than K·1.1e-7·δ;
 *  - components further away get q = 0 (below e^-25 ≈ 1e-11 of the largest; VLFeat keeps them).
 * None of this depends on the posterior threshold, which only zeroes values afterwards. */
#include "simd.h"
#include "fv_internal.h"
#include <cblas.h>
#include <math.h>
#include <string.h>

#define BLOCK_ROWS 256
#define CANDIDATE_NATS 25.0
#define EXACT_NATS 16.0
#define SELECT_SLACK 1e-3 /* nats: covers the float rounding of the selection test itself */
#define VL_GMM_MIN_PRIOR 1e-6

/* The model prepared once per call. */
typedef struct GmmPrep {
  float *bt;      /* K×2D: [−½/σ² | μ/σ²], the SGEMM's right operand */
  float *cg;      /* K: constant c_k − ½ Σ μ²/σ² of the expansion (−∞ for a negligible prior) */
  double *ce;     /* K: c_k = log π − D/2 log 2π − ½ Σ log σ² (−∞ for a negligible prior) */
  double *md;     /* K×2D: [μ | 1/σ²] in double, one contiguous block per component */
  double *pe;     /* K: 2.5 Σ μ²/σ² + |cg_k| (the row-independent part of the error bound) */
  float *sel;     /* K: γ (4 c_k + pe_k), so that ℓ̃_k + δ_k = (1 − 4γ) ℓ̃_k + sel_k */
  double gamma;   /* the error slope γ (error_slope) */
} GmmPrep;

static size_t posteriors_layout(int n, int d, int k) {
  size_t rows = (size_t)(n < BLOCK_ROWS ? n : BLOCK_ROWS);
  size_t t = 0;
  t += fv_region(sizeof(float) * (size_t)k * 2 * d);  /* bt */
  t += 2 * fv_region(sizeof(float) * (size_t)k);      /* cg, sel */
  t += 2 * fv_region(sizeof(double) * (size_t)k);     /* ce, pe */
  t += fv_region(sizeof(double) * (size_t)k * 2 * d); /* md */
  t += fv_region(sizeof(double) * (size_t)d);         /* one row in double */
  t += fv_region(sizeof(float) * rows * 2 * d);       /* [x² | x] block */
  t += fv_region(sizeof(float) * rows * k);           /* log-density block */
  t += fv_region(sizeof(double) * (size_t)k);         /* exact log-densities */
  t += fv_region(sizeof(int) * (size_t)(k + 8));      /* exact components (+ packing slack) */
  t += fv_region(sizeof(float) * (size_t)k);          /* one row of posteriors (CSR with the band) */
  return t;
}

size_t lrp_gmm_posteriors_workspace_size(int numData, int dimension, int numClusters) {
  if (numData < 0 || dimension < 1 || numClusters < 1) return 0;
  return posteriors_layout(numData < 1 ? 1 : numData, dimension, numClusters);
}

/* The SGEMM error bound. The SGEMM sums 2D products whose operands were rounded to float (x²,
 * −½/σ², μ/σ²), then the float constant cg_k is added; with u = 2^-24 and the standard
 * dot-product analysis (error ≤ γ_n Σ|terms|, γ_n ≈ n·u):
 *   |ℓ̃_k − ℓ_k| ≤ γ₀ S_k,  γ₀ = 1.01 (2D + 4) u,  S_k = ½ A + Σ_i |x_i μ_i|/σ²_i + |cg_k|
 * with A = Σ x²/σ², M = Σ μ²/σ², D_k = Σ (x − μ)²/σ² = 2 (c_k − ℓ_k). Since Σ|xμ|/σ² ≤ (A + M)/2
 * and A ≤ 2 D_k + 2 M, S_k ≤ 2 D_k + 2.5 M + |cg_k| ≤ 4 (c_k − ℓ̃_k + δ_k) + pe_k, hence
 *   δ_k = γ (4 (c_k − ℓ̃_k) + pe_k),  γ = γ₀ / (1 − 4 γ₀).
 * For the components near the best this is a few hundredths of a nat (the true error is
 * smaller still); far components get large bounds but are far below the selection line. */
static double error_slope(int d) {
  const double g0 = 1.01 * (2 * d + 4) * 0x1p-24;
  return g0 / (1 - 4 * g0);
}

static int prepare(GmmPrep *p, FvArena *a, const float *means, const float *covariances, const float *priors,
                   int d, int k) {
  p->bt = fv_alloc(a, sizeof(float) * (size_t)k * 2 * d);
  p->cg = fv_alloc(a, sizeof(float) * (size_t)k);
  p->sel = fv_alloc(a, sizeof(float) * (size_t)k);
  p->ce = fv_alloc(a, sizeof(double) * (size_t)k);
  p->pe = fv_alloc(a, sizeof(double) * (size_t)k);
  p->md = fv_alloc(a, sizeof(double) * (size_t)k * 2 * d);
  if (!p->bt || !p->cg || !p->sel || !p->ce || !p->pe || !p->md) return LRP_E_NOMEM;
  p->gamma = error_slope(d);
  /* per-component constants (VLFeat: log π − D/2 log 2π − ½ Σ log σ²; −∞ below the min prior) */
  const double halfDimLog2Pi = (d / 2.0) * log(2.0 * 3.141592653589793);
  for (int c = 0; c < k; ++c) {
    double logSigma = 0, muTerm = 0;
    float *b = p->bt + (size_t)c * 2 * d;
    double *md = p->md + (size_t)c * 2 * d;
    for (int i = 0; i < d; ++i) {
      double v = covariances[(size_t)c * d + i];
      if (!(v > 0) || !isfinite(v)) return LRP_E_ARGUMENT;
      double iv = 1.0 / v, mu = means[(size_t)c * d + i];
      logSigma += log(v);
      md[i] = mu;
      md[d + i] = iv;
      b[i] = (float)(-0.5 * iv);
      b[d + i] = (float)(mu * iv);
      muTerm += mu * mu * iv;
    }
    double pr = priors[c];
    if (!(pr >= 0) || !isfinite(pr)) return LRP_E_ARGUMENT;
    p->ce[c] = pr < VL_GMM_MIN_PRIOR ? -INFINITY : log(pr) - halfDimLog2Pi - 0.5 * logSigma;
    p->cg[c] = (float)(p->ce[c] - 0.5 * muTerm);
    p->pe[c] = 2.5 * muTerm + fabs((double)p->cg[c]);
    p->sel[c] = (float)(p->gamma * (4 * p->ce[c] + p->pe[c]));
  }
  return LRP_OK;
}

/* ---------------------------------------------------------------- per-row kernels */

/* Exact Σ_i (x_i − μ_i)² / σ²_i in double of m ≤ 4 components (md[j] = [μ | 1/σ²] of component
 * j), x loaded once for all: 4 lanes per component, pairwise-summed, then the remainder. */
LRP_BODY void mahalanobis_block(const double *x, const double *const *md, int m, int d, double *out) {
  lrp_d4 acc[4] = {{0}};
  int i = 0;
  for (; i + 4 <= d; i += 4) {
    const lrp_d4 xv = lrp_load4d(x + i);
    for (int j = 0; j < m; ++j) {
      const lrp_d4 t = xv - lrp_load4d(md[j] + i);
      acc[j] += t * t * lrp_load4d(md[j] + d + i);
    }
  }
  for (int j = 0; j < m; ++j) {
    double a = lrp_hsum4d(acc[j]);
    for (int r = i; r < d; ++r) { const double t = x[r] - md[j][r]; a += t * t * md[j][d + r]; }
    out[j] = a;
  }
}

/* out[j] = Mahalanobis term of component exact[j] (j < ne), four components at a time. */
LRP_BODY void mahalanobis_body(const double *x, const double *md, const int *exact, int ne, int d, double *out) {
  const size_t stride = (size_t)2 * d;
  const double *m[4];
  int j = 0;
  for (; j + 4 <= ne; j += 4) {
    for (int t = 0; t < 4; ++t) m[t] = md + exact[j + t] * stride;
    mahalanobis_block(x, m, 4, d, out + j);
  }
  for (; j < ne; ++j) {
    m[0] = md + exact[j] * stride;
    mahalanobis_block(x, m, 1, d, out + j);
  }
}

LRP_DUAL(mahalanobis, mahalanobis_body, (const double *x, const double *md, const int *exact, int ne, int d, double *out),
         (x, md, exact, ne, d, out))

/* Index of the largest of one row of log-densities (the first one; −1 if none is above −∞;
 * NaNs are skipped): the maximum over 8 lanes, then the first index holding it. */
LRP_BODY int argmax_body(const float *lr, int k) {
  float lane[8];
  for (int t = 0; t < 8; ++t) lane[t] = -INFINITY;
  int c = 0;
  for (; c + 8 <= k; c += 8)
    for (int t = 0; t < 8; ++t) lane[t] = lr[c + t] > lane[t] ? lr[c + t] : lane[t];
  float b = -INFINITY;
  for (int t = 0; t < 8; ++t) if (lane[t] > b) b = lane[t];
  for (; c < k; ++c) if (lr[c] > b) b = lr[c];
  if (!(b > -INFINITY)) return -1;
  for (c = 0; c + 8 <= k; c += 8) {
    unsigned mk = 0;
    for (int t = 0; t < 8; ++t) mk |= (unsigned)(lr[c + t] == b) << t;
    if (mk) return c + __builtin_ctz(mk);
  }
  for (; lr[c] != b; ++c) {}
  return c;
}

LRP_DUAL_RET(int, argmax, argmax_body, (const float *lr, int k), (lr, k))

/* Component c of the selection: listed in `exact` if (1 − 4γ) lr + sel ≥ cutExact, otherwise
 * its exp(lr − best) added to *band if lr ≥ cutBand. */
LRP_BODY void select_one(const float *lr, const float *sel, float factor, int c, float best, float cutExact,
                         float cutBand, int *exact, int *a, double *band) {
  if (lr[c] * factor + sel[c] >= cutExact) exact[(*a)++] = c;
  else if (lr[c] >= cutBand) *band += exp((double)lr[c] - best);
}

/* Lists the components whose (1 − 4γ) lr + sel ≥ cutExact (in `exact`, which has room for
 * k + 8 entries) and returns Σ exp(lr − best) over the others with lr ≥ cutBand (the band). */
static double select_portable(const float *lr, const float *sel, float factor, int k, float best,
                              float cutExact, float cutBand, int *exact, int *ne) {
  int a = 0;
  double band = 0;
  for (int c = 0; c < k; ++c) select_one(lr, sel, factor, c, best, cutExact, cutBand, exact, &a, &band);
  *ne = a;
  return band;
}

/* v[j] ← exp(v[j] − m), returns Σ_j v[j]. */
static double exp_shift_portable(double *v, int n, double m) {
  double s = 0;
  for (int j = 0; j < n; ++j) { v[j] = exp(v[j] - m); s += v[j]; }
  return s;
}

#if LRP_HAVE_AVX2_BUILD
/* Hand-written below: the band's exponentials and the exact components' exponentials. The
 * compiler cannot vectorise libm's exp, so these evaluate e^x by polynomials over 8 (4) lanes,
 * and select_avx2 left-packs the exact components with a permutation table; the remainder of
 * select goes through select_one as in the portable build. */

/* e^x for x in [−80, 0] (8 lanes, relative error < 3e-6, enough for the band's sum of values
 * below 1.1e-7): x = n·ln2 + r, |r| ≤ ln2/2, e^r by its degree-5 Taylor polynomial, 2^n added
 * to the exponent field. */
LRP_AVX2 static inline __m256 expf_avx2(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-80.0f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145752f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860677e-6f), r);
  __m256 p = _mm256_set1_ps(1.0f / 120);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

/* Left-packing 4 lanes: lane order for each 4-bit mask (the selected lanes first). */
static const int32_t pack4[16][4] = {
  {0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {2, 0, 0, 0}, {0, 2, 0, 0}, {1, 2, 0, 0}, {0, 1, 2, 0},
  {3, 0, 0, 0}, {0, 3, 0, 0}, {1, 3, 0, 0}, {0, 1, 3, 0}, {2, 3, 0, 0}, {0, 2, 3, 0}, {1, 2, 3, 0}, {0, 1, 2, 3}};

/* As select_portable, branch-free: the exact components are left-packed 4 lanes at a time, the
 * band's exponentials summed over all lanes under a mask. */
LRP_AVX2 static double select_avx2(const float *lr, const float *sel, float factor, int k, float best,
                          float cutExact, float cutBand, int *exact, int *ne) {
  const __m256 ce = _mm256_set1_ps(cutExact), cb = _mm256_set1_ps(cutBand), vb = _mm256_set1_ps(best);
  const __m256 vf = _mm256_set1_ps(factor);
  const __m128i lanes = _mm_setr_epi32(0, 1, 2, 3);
  __m256 band = _mm256_setzero_ps();
  int a = 0, c = 0;
  for (; c + 8 <= k; c += 8) {
    __m256 v = _mm256_loadu_ps(lr + c);
    __m256 ge = _mm256_cmp_ps(_mm256_fmadd_ps(v, vf, _mm256_loadu_ps(sel + c)), ce, _CMP_GE_OQ);
    __m256 inBand = _mm256_andnot_ps(ge, _mm256_cmp_ps(v, cb, _CMP_GE_OQ));
    band = _mm256_add_ps(band, _mm256_and_ps(inBand, expf_avx2(_mm256_sub_ps(v, vb))));
    const unsigned me = (unsigned)_mm256_movemask_ps(ge), lo = me & 15, hi = me >> 4;
    __m128i idx = _mm_add_epi32(lanes, _mm_set1_epi32(c));
    _mm_storeu_si128((__m128i *)(exact + a), _mm_castps_si128(_mm_permutevar_ps(
        _mm_castsi128_ps(idx), _mm_loadu_si128((const __m128i *)pack4[lo]))));
    a += __builtin_popcount(lo);
    idx = _mm_add_epi32(idx, _mm_set1_epi32(4));
    _mm_storeu_si128((__m128i *)(exact + a), _mm_castps_si128(_mm_permutevar_ps(
        _mm_castsi128_ps(idx), _mm_loadu_si128((const __m128i *)pack4[hi]))));
    a += __builtin_popcount(hi);
  }
  float tb[8];
  _mm256_storeu_ps(tb, band);
  double sum = 0;
  for (int j = 0; j < 8; ++j) sum += tb[j];
  for (; c < k; ++c) select_one(lr, sel, factor, c, best, cutExact, cutBand, exact, &a, &sum);
  *ne = a;
  return sum;
}

/* e^x for x in [−700, 0] (4 lanes, relative error < 3e-16): x = n·ln2 + r (Cody–Waite split of
 * ln2), |r| ≤ ln2/2, e^r by its Taylor polynomial of degree 12, 2^n added to the exponent. */
LRP_AVX2 static inline __m256d exp_avx2(__m256d x) {
  static const double c[13] = {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
                               1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600};
  x = _mm256_max_pd(x, _mm256_set1_pd(-700.0));
  __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(6.93147180369123816490e-01), x);
  r = _mm256_fnmadd_pd(n, _mm256_set1_pd(1.90821492927058770002e-10), r);
  __m256d p = _mm256_set1_pd(c[12]);
  for (int j = 11; j >= 0; --j) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(c[j]));
  __m256i e = _mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(n)),
                                                 _mm256_set1_epi64x(1023)), 52);
  return _mm256_mul_pd(p, _mm256_castsi256_pd(e));
}

LRP_AVX2 static double exp_shift_avx2(double *v, int n, double m) {
  const __m256d vm = _mm256_set1_pd(m);
  __m256d s = _mm256_setzero_pd();
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    __m256d e = exp_avx2(_mm256_sub_pd(_mm256_loadu_pd(v + j), vm));
    _mm256_storeu_pd(v + j, e);
    s = _mm256_add_pd(s, e);
  }
  __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  double sum = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  if (j < n) {
    /* the last 1–3 values through the same polynomial (padding lanes are ignored) */
    double t[4] = {m, m, m, m};
    for (int i = j; i < n; ++i) t[i - j] = v[i];
    _mm256_storeu_pd(t, exp_avx2(_mm256_sub_pd(_mm256_loadu_pd(t), vm)));
    for (int i = j; i < n; ++i) { v[i] = t[i - j]; sum += v[i]; }
  }
  return sum;
}
#endif

static double select_components(const float *lr, const float *sel, float factor, int k, float best,
                                float cutExact, float cutBand, int *exact, int *ne) {
#if LRP_HAVE_AVX2_BUILD
  if (lrp_use_avx2()) return select_avx2(lr, sel, factor, k, best, cutExact, cutBand, exact, ne);
#endif
  return select_portable(lr, sel, factor, k, best, cutExact, cutBand, exact, ne);
}

static double exp_shift(double *v, int n, double m) {
#if LRP_HAVE_AVX2_BUILD
  if (lrp_use_avx2()) return exp_shift_avx2(v, n, m);
#endif
  return exp_shift_portable(v, n, m);
}

/* Where one call writes its posteriors: a dense row-major array, or compressed sparse rows. */
typedef struct PostOut {
  float *dense;        /* numData×K, or NULL */
  int32_t *rowStart;   /* CSR: numData + 1 offsets */
  int32_t *components; /* CSR: component of each entry */
  float *values;       /* CSR: posterior of each entry */
  size_t capacity;     /* CSR: entries that fit */
  size_t used;         /* CSR: entries written */
} PostOut;

/* Posteriors of rows [0, n) (stopping early, with *rowsDone < n, when a CSR output could not
 * take another full row); see the file comment. */
static int posteriors_rows(const float *data, int n, int d, const float *means, const float *covariances,
                           const float *priors, int k, float threshold, PostOut *out, int *rowsDone,
                           double *logLikelihood, void *workspace, size_t workspaceSize) {
  FvArena arena;
  fv_arena_init(&arena, workspace, workspaceSize);
  GmmPrep prep;
  int status = prepare(&prep, &arena, means, covariances, priors, d, k);
  if (status != LRP_OK) return status;
  const size_t rowsMax = (size_t)(n < BLOCK_ROWS ? n : BLOCK_ROWS);
  double *xd = fv_alloc(&arena, sizeof(double) * (size_t)d);
  float *xa = fv_alloc(&arena, sizeof(float) * rowsMax * 2 * d);
  float *lg = fv_alloc(&arena, sizeof(float) * rowsMax * k);
  double *le = fv_alloc(&arena, sizeof(double) * (size_t)k);
  int *exact = fv_alloc(&arena, sizeof(int) * (size_t)(k + 8));
  float *row = fv_alloc(&arena, sizeof(float) * (size_t)k);
  if (!xd || !xa || !lg || !le || !exact || !row) return LRP_E_NOMEM;

  const float factor = (float)(1 - 4 * prep.gamma);
  double ll = 0;
  int done = 0;
  if (!out->dense) out->rowStart[0] = 0;
  for (int r0 = 0; r0 < n; r0 += BLOCK_ROWS) {
    const int rows = n - r0 < BLOCK_ROWS ? n - r0 : BLOCK_ROWS;
    /* CSR: only whole blocks that are sure to fit (so that the blocks, and with them the SGEMM
     * rounding, do not depend on the capacity) */
    if (!out->dense && out->capacity - out->used < (size_t)rows * k) break;
    const float *x = data + (size_t)r0 * d;
    for (int r = 0; r < rows; ++r) {
      const float *xr = x + (size_t)r * d;
      float *a = xa + (size_t)r * 2 * d;
      for (int i = 0; i < d; ++i) { a[i] = xr[i] * xr[i]; a[d + i] = xr[i]; }
      memcpy(lg + (size_t)r * k, prep.cg, sizeof(float) * (size_t)k);
    }
    /* ℓ̃ = cg + [x² | x] · btᵀ */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, k, 2 * d, 1.0f, xa, 2 * d, prep.bt, 2 * d,
                1.0f, lg, k);
    for (int r = 0; r < rows; ++r) {
      const float *xr = x + (size_t)r * d;
      float *lr = lg + (size_t)r * k;
      float *q = out->dense ? out->dense + (size_t)(r0 + r) * k : NULL;
      if (q) memset(q, 0, sizeof(float) * (size_t)k);
      done = r0 + r + 1;
      const int b = argmax_dispatch(lr, k);
      if (b < 0 || !(lr[b] < INFINITY)) {
        /* every component has a negligible prior, or the row is not finite */
        ll += -INFINITY;
        if (!q) out->rowStart[r0 + r + 1] = (int32_t)out->used;
        continue;
      }
      const float best = lr[b];
      const double deltaBest = prep.gamma * (4 * (prep.ce[b] - best) + prep.pe[b]);
      const float cutExact = (float)((double)best - deltaBest - EXACT_NATS - SELECT_SLACK);
      const float cutBand = (float)((double)best - CANDIDATE_NATS);
      int ne;
      double band;
      band = select_components(lr, prep.sel, factor, k, best, cutExact, cutBand, exact, &ne);
      /* exact log-densities (the best SGEMM component is always among them) */
      for (int i = 0; i < d; ++i) xd[i] = xr[i];
      mahalanobis_dispatch(xd, prep.md, exact, ne, d, le);
      int j;
      double m = -INFINITY;
      for (j = 0; j < ne; ++j) {
        le[j] = prep.ce[exact[j]] - 0.5 * le[j];
        if (le[j] > m) m = le[j];
      }
      double sum = exp_shift(le, ne, m);
      sum += band * exp((double)best - m);
      ll += m + log(sum);
      const double invSum = 1.0 / sum;
      /* band posteriors are below e^(best − 16 − m); write them only if they can reach the
       * threshold (0, or below ~1e-7) */
      const int withBand = (double)threshold <= exp((double)best - EXACT_NATS - m);
      float *dst = q;
      if (!dst && withBand) { dst = row; memset(row, 0, sizeof(float) * (size_t)k); }
      if (dst) {
        for (j = 0; j < ne; ++j) {
          float v = (float)(le[j] * invSum);
          dst[exact[j]] = v < threshold ? 0.0f : v;
        }
        if (withBand) {
          for (int c = 0; c < k; ++c) {
            if (!(lr[c] >= cutBand) || lr[c] * factor + prep.sel[c] >= cutExact) continue;
            float v = (float)(exp((double)lr[c] - m) * invSum);
            dst[c] = v < threshold ? 0.0f : v;
          }
        }
      }
      if (!q) {
        /* CSR: the non-zero entries in component order (exact[] is ascending) */
        size_t u = out->used;
        if (withBand) {
          for (int c = 0; c < k; ++c)
            if (row[c] != 0) { out->components[u] = c; out->values[u++] = row[c]; }
        } else {
          for (j = 0; j < ne; ++j) {
            /* branch-free: always store, keep it if non-zero and not below the threshold */
            const float v = (float)(le[j] * invSum);
            out->components[u] = exact[j];
            out->values[u] = v;
            u += (v >= threshold) & (v != 0);
          }
        }
        out->used = u;
        out->rowStart[r0 + r + 1] = (int32_t)u;
      }
    }
  }
  if (rowsDone) *rowsDone = done;
  if (logLikelihood) *logLikelihood = ll;
  return LRP_OK;
}

int lrp_gmm_posteriors(const float *data, int numData, int dimension,
                       const float *means, const float *covariances, const float *priors,
                       int numClusters, float posteriorThreshold,
                       float *posteriors, double *logLikelihood,
                       void *workspace, size_t workspaceSize) {
  const int n = numData, d = dimension, k = numClusters;
  if (n < 0 || d < 1 || k < 1 || !means || !covariances || !priors) return LRP_E_ARGUMENT;
  if (logLikelihood) *logLikelihood = 0;
  if (n == 0) return LRP_OK;
  if (!data || !posteriors || !(posteriorThreshold >= 0)) return LRP_E_ARGUMENT;
  PostOut out = {posteriors, NULL, NULL, NULL, 0, 0};
  return posteriors_rows(data, n, d, means, covariances, priors, k, posteriorThreshold, &out, NULL,
                         logLikelihood, workspace, workspaceSize);
}

int lrp_gmm_posteriors_csr(const float *data, int numData, int dimension,
                           const float *means, const float *covariances, const float *priors,
                           int numClusters, float posteriorThreshold,
                           int32_t *rowStart, int32_t *components, float *values, size_t capacity,
                           int *rowsDone, size_t *entries, double *logLikelihood,
                           void *workspace, size_t workspaceSize) {
  const int n = numData, d = dimension, k = numClusters;
  if (n < 0 || d < 1 || k < 1 || !means || !covariances || !priors || !rowStart || !rowsDone || !entries)
    return LRP_E_ARGUMENT;
  if (logLikelihood) *logLikelihood = 0;
  *rowsDone = 0;
  *entries = 0;
  rowStart[0] = 0;
  if (n == 0) return LRP_OK;
  if (!data || !components || !values || !(posteriorThreshold >= 0)) return LRP_E_ARGUMENT;
  if (capacity > (size_t)INT32_MAX) capacity = (size_t)INT32_MAX;
  if (capacity < (size_t)(n < BLOCK_ROWS ? n : BLOCK_ROWS) * k) return LRP_E_ARGUMENT;
  PostOut out = {NULL, rowStart, components, values, capacity, 0};
  int s = posteriors_rows(data, n, d, means, covariances, priors, k, posteriorThreshold, &out, rowsDone,
                          logLikelihood, workspace, workspaceSize);
  *entries = out.used;
  return s;
}

/* ---------------------------------------------------------------- EM statistics */

#define STAT_BLOCK 1024

size_t lrp_gmm_em_statistics_workspace_size(int numData, int dimension, int numClusters) {
  if (numData < 0 || dimension < 1 || numClusters < 1) return 0;
  size_t rows = (size_t)(numData < STAT_BLOCK ? (numData < 1 ? 1 : numData) : STAT_BLOCK);
  return fv_region(sizeof(float) * rows * dimension) + 2 * fv_region(sizeof(float) * (size_t)numClusters * dimension);
}

int lrp_gmm_em_statistics(const float *data, int numData, int dimension,
                          const float *posteriors, int numClusters,
                          double *mass, double *sumX, double *sumX2,
                          void *workspace, size_t workspaceSize) {
  const int n = numData, d = dimension, k = numClusters;
  if (n < 0 || d < 1 || k < 1 || !mass || !sumX || !sumX2) return LRP_E_ARGUMENT;
  if (n == 0) return LRP_OK;
  if (!data || !posteriors) return LRP_E_ARGUMENT;
  FvArena arena;
  fv_arena_init(&arena, workspace, workspaceSize);
  const size_t rowsMax = (size_t)(n < STAT_BLOCK ? n : STAT_BLOCK);
  float *xsq = fv_alloc(&arena, sizeof(float) * rowsMax * d);
  float *s1 = fv_alloc(&arena, sizeof(float) * (size_t)k * d);
  float *s2 = fv_alloc(&arena, sizeof(float) * (size_t)k * d);
  if (!xsq || !s1 || !s2) return LRP_E_NOMEM;
  for (int r0 = 0; r0 < n; r0 += STAT_BLOCK) {
    const int rows = n - r0 < STAT_BLOCK ? n - r0 : STAT_BLOCK;
    const float *x = data + (size_t)r0 * d, *q = posteriors + (size_t)r0 * k;
    for (size_t j = 0; j < (size_t)rows * d; ++j) xsq[j] = x[j] * x[j];
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, d, rows, 1.0f, q, k, x, d, 0.0f, s1, d);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, d, rows, 1.0f, q, k, xsq, d, 0.0f, s2, d);
    for (size_t j = 0; j < (size_t)k * d; ++j) { sumX[j] += s1[j]; sumX2[j] += s2[j]; }
    for (int r = 0; r < rows; ++r) {
      const float *qr = q + (size_t)r * k;
      for (int c = 0; c < k; ++c) mass[c] += qr[c];
    }
  }
  return LRP_OK;
}
