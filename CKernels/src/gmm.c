/* GMM posteriors and EM statistics for diagonal covariances (lrpkernels.h §3.3).
 *
 * Log-densities: one SGEMM pair per block of rows from the expansion
 *   log N(x; μ, σ²) = c_k − ½ Σ_i x_i²/σ²_ki + Σ_i x_i μ_ki/σ²_ki,
 * which is fast but loses digits to cancellation when |μ| ≫ σ. The expansion is therefore only
 * used to find, per row, the components within CANDIDATE_NATS of the best one; those are
 * recomputed exactly in double from (x − μ)²/σ² (VLFeat's direct form), the rest get q = 0
 * (their posterior is below e^-CANDIDATE_NATS relative to the best; the SGEMM expansion is off
 * by far less than the 2–3 nats of slack this leaves above float resolution). */
#include "fv_internal.h"
#include <cblas.h>
#include <math.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FV_X86 1
#endif

#define BLOCK_ROWS 256
#define CANDIDATE_NATS 25.0
#define VL_GMM_MIN_PRIOR 1e-6

static size_t posteriors_layout(int n, int d, int k) {
  size_t rows = (size_t)(n < BLOCK_ROWS ? n : BLOCK_ROWS);
  size_t t = 0;
  t += 2 * fv_region(sizeof(float) * (size_t)k * d);  /* A1 = −½/σ², A2 = μ/σ² */
  t += fv_region(sizeof(float) * (size_t)k);          /* gemm constant */
  t += fv_region(sizeof(double) * (size_t)k);         /* exact constant */
  t += 2 * fv_region(sizeof(double) * (size_t)k * d); /* 1/σ² and μ in double */
  t += fv_region(sizeof(double) * (size_t)d);         /* one row in double */
  t += fv_region(sizeof(float) * rows * d);           /* x² block */
  t += fv_region(sizeof(float) * rows * k);           /* log-density block */
  t += fv_region(sizeof(double) * (size_t)k);         /* candidates' log-densities */
  t += fv_region(sizeof(int) * (size_t)k);            /* candidates */
  return t;
}

size_t lrp_gmm_posteriors_workspace_size(int numData, int dimension, int numClusters) {
  if (numData < 0 || dimension < 1 || numClusters < 1) return 0;
  return posteriors_layout(numData < 1 ? 1 : numData, dimension, numClusters);
}

/* Exact Σ_i (x_i − μ_i)² / σ²_i in double (x, μ already converted). */
static double mahalanobis_portable(const double *x, const double *mu, const double *inv, int d) {
  double acc = 0;
  for (int i = 0; i < d; ++i) { double t = x[i] - mu[i]; acc += t * t * inv[i]; }
  return acc;
}

#ifdef FV_X86
__attribute__((target("avx2,fma")))
static double mahalanobis_avx2(const double *x, const double *mu, const double *inv, int d) {
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  int i = 0;
  for (; i + 8 <= d; i += 8) {
    __m256d t0 = _mm256_sub_pd(_mm256_loadu_pd(x + i), _mm256_loadu_pd(mu + i));
    __m256d t1 = _mm256_sub_pd(_mm256_loadu_pd(x + i + 4), _mm256_loadu_pd(mu + i + 4));
    a0 = _mm256_fmadd_pd(_mm256_mul_pd(t0, t0), _mm256_loadu_pd(inv + i), a0);
    a1 = _mm256_fmadd_pd(_mm256_mul_pd(t1, t1), _mm256_loadu_pd(inv + i + 4), a1);
  }
  a0 = _mm256_add_pd(a0, a1);
  __m128d h = _mm_add_pd(_mm256_castpd256_pd128(a0), _mm256_extractf128_pd(a0, 1));
  double acc = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  for (; i < d; ++i) { double t = x[i] - mu[i]; acc += t * t * inv[i]; }
  return acc;
}
#endif

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
  FvArena arena;
  fv_arena_init(&arena, workspace, workspaceSize);
  const size_t rowsMax = (size_t)(n < BLOCK_ROWS ? n : BLOCK_ROWS);
  float *a1 = fv_alloc(&arena, sizeof(float) * (size_t)k * d);
  float *a2 = fv_alloc(&arena, sizeof(float) * (size_t)k * d);
  float *cg = fv_alloc(&arena, sizeof(float) * (size_t)k);
  double *ce = fv_alloc(&arena, sizeof(double) * (size_t)k);
  double *inv = fv_alloc(&arena, sizeof(double) * (size_t)k * d);
  double *mud = fv_alloc(&arena, sizeof(double) * (size_t)k * d);
  double *xd = fv_alloc(&arena, sizeof(double) * (size_t)d);
  float *xsq = fv_alloc(&arena, sizeof(float) * rowsMax * d);
  float *lg = fv_alloc(&arena, sizeof(float) * rowsMax * k);
  double *lc = fv_alloc(&arena, sizeof(double) * (size_t)k);
  int *cand = fv_alloc(&arena, sizeof(int) * (size_t)k);
  if (!a1 || !a2 || !cg || !ce || !inv || !mud || !xd || !xsq || !lg || !lc || !cand) return LRP_E_NOMEM;

  /* per-component constants (VLFeat: log π − D/2 log 2π − ½ Σ log σ²; −∞ below the min prior) */
  const double halfDimLog2Pi = (d / 2.0) * log(2.0 * 3.141592653589793);
  for (int c = 0; c < k; ++c) {
    double logSigma = 0, muTerm = 0;
    for (int i = 0; i < d; ++i) {
      double v = covariances[(size_t)c * d + i];
      if (!(v > 0) || !isfinite(v)) return LRP_E_ARGUMENT;
      double iv = 1.0 / v, mu = means[(size_t)c * d + i];
      logSigma += log(v);
      inv[(size_t)c * d + i] = iv;
      mud[(size_t)c * d + i] = mu;
      a1[(size_t)c * d + i] = (float)(-0.5 * iv);
      a2[(size_t)c * d + i] = (float)(mu * iv);
      muTerm += mu * mu * iv;
    }
    double p = priors[c];
    if (!(p >= 0) || !isfinite(p)) return LRP_E_ARGUMENT;
    ce[c] = p < VL_GMM_MIN_PRIOR ? -INFINITY : log(p) - halfDimLog2Pi - 0.5 * logSigma;
    cg[c] = (float)(ce[c] - 0.5 * muTerm);
  }
  const int simd = lrp_cpu_has_avx2_fma();
  double ll = 0;
  for (int r0 = 0; r0 < n; r0 += BLOCK_ROWS) {
    const int rows = n - r0 < BLOCK_ROWS ? n - r0 : BLOCK_ROWS;
    const float *x = data + (size_t)r0 * d;
    for (size_t j = 0; j < (size_t)rows * d; ++j) xsq[j] = x[j] * x[j];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, k, d, 1.0f, xsq, d, a1, d, 0.0f, lg, k);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, k, d, 1.0f, x, d, a2, d, 1.0f, lg, k);
    for (int r = 0; r < rows; ++r) {
      const float *xr = x + (size_t)r * d;
      float *lr = lg + (size_t)r * k;
      float *q = posteriors + (size_t)(r0 + r) * k;
      float best = -INFINITY;
      for (int c = 0; c < k; ++c) { lr[c] += cg[c]; if (lr[c] > best) best = lr[c]; }
      if (!(best > -INFINITY)) {
        /* every component has a negligible prior (or the row is not finite) */
        for (int c = 0; c < k; ++c) q[c] = 0;
        ll += -INFINITY;
        continue;
      }
      const float cut = (float)(best - CANDIDATE_NATS);
      for (int i = 0; i < d; ++i) xd[i] = xr[i];
      int nc = 0;
      double m = -INFINITY;
      for (int c = 0; c < k; ++c) {
        q[c] = 0;
        if (!(lr[c] >= cut)) continue;
        double dist;
#ifdef FV_X86
        if (simd) dist = mahalanobis_avx2(xd, mud + (size_t)c * d, inv + (size_t)c * d, d); else
#endif
        dist = mahalanobis_portable(xd, mud + (size_t)c * d, inv + (size_t)c * d, d);
        double v = ce[c] - 0.5 * dist;
        cand[nc] = c;
        lc[nc++] = v;
        if (v > m) m = v;
      }
      double sum = 0;
      for (int j = 0; j < nc; ++j) { lc[j] = exp(lc[j] - m); sum += lc[j]; }
      ll += m + log(sum);
      const double invSum = 1.0 / sum;
      for (int j = 0; j < nc; ++j) {
        float v = (float)(lc[j] * invSum);
        q[cand[j]] = v < posteriorThreshold ? 0.0f : v;
      }
    }
  }
  if (logLikelihood) *logLikelihood = ll;
  return LRP_OK;
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
