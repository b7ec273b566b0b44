/* Improved Fisher vectors per spatial-pyramid cell and their relevance (lrpkernels.h §3.4–3.5).
 *
 * Two algorithms with the same results up to float rounding:
 *  - sparse: loop over the non-zero posteriors q_lk (after vl_fisher_encode's 1e-6 cut most of
 *    the N×K entries are zero for a real GMM), in VLFeat's direct form diff = (x − μ)/σ;
 *  - GEMM: per cell, Qᵀ·X and Qᵀ·X² with SGEMM (blocks of rows), combined in double; relevance
 *    as x²·(Q A) + x·(Q (S₁ − 2B)) + Q (C₂ − C₁) with one SGEMM per cell.
 * AUTO is the sparse form: it is the faster one for real GMMs (few posteriors above 1e-6 per
 * descriptor), and statistics and relevance computed by it agree term by term, which matters
 * when the relevance ratios are large (ε → 0). GEMM is used on request (dense posteriors). */
#include "fv_internal.h"
#include <cblas.h>
#include <math.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FV_X86 1
#endif

#define GEMM_ROWS 512

/* Per-component factors shared by both algorithms. */
typedef struct FvModel {
  float *isig;   /* K×D: 1/σ = sqrt(1/σ²) as vl_fisher_encode computes it */
  float *upref;  /* K: 1/√π_k */
  float *vpref;  /* K: 1/√(2π_k) */
} FvModel;

static size_t model_bytes(int d, int k) {
  return fv_region(sizeof(float) * (size_t)k * d) + 2 * fv_region(sizeof(float) * (size_t)k);
}

static int model_init(FvModel *m, FvArena *a, const float *cov, const float *priors, int d, int k) {
  m->isig = fv_alloc(a, sizeof(float) * (size_t)k * d);
  m->upref = fv_alloc(a, sizeof(float) * (size_t)k);
  m->vpref = fv_alloc(a, sizeof(float) * (size_t)k);
  if (!m->isig || !m->upref || !m->vpref) return LRP_E_NOMEM;
  for (size_t j = 0; j < (size_t)k * d; ++j) {
    if (!(cov[j] > 0) || !isfinite(cov[j])) return LRP_E_ARGUMENT;
    m->isig[j] = (float)sqrt(1.0 / cov[j]);
  }
  for (int c = 0; c < k; ++c) {
    if (!(priors[c] > 0) || !isfinite(priors[c])) {
      /* a component with zero prior gets no posterior mass; keep its blocks at zero */
      m->upref[c] = 0; m->vpref[c] = 0;
      continue;
    }
    m->upref[c] = (float)(1.0 / sqrt((double)priors[c]));
    m->vpref[c] = (float)(1.0 / sqrt(2.0 * priors[c]));
  }
  return LRP_OK;
}

static int check_cells(const int32_t *cells, int n, int per, int numCells) {
  for (size_t j = 0; j < (size_t)n * per; ++j)
    if (cells[j] < -1 || cells[j] >= numCells) return LRP_E_ARGUMENT;
  return LRP_OK;
}

/* ---------------------------------------------------------------- sparse kernels */

/* u[i] += q·diff_i, v[i] += q·(diff_i² − 1) with diff = (x − μ)·isig, for up to 3 cells. */
static void accumulate_portable(float *const *u, float *const *v, int ncell, const float *x, const float *mu,
                                const float *isig, float q, int d) {
  for (int i = 0; i < d; ++i) {
    float diff = (x[i] - mu[i]) * isig[i];
    float pu = q * diff, pv = q * (diff * diff - 1);
    for (int c = 0; c < ncell; ++c) { u[c][i] += pu; v[c][i] += pv; }
  }
}

#ifdef FV_X86
__attribute__((target("avx2,fma")))
static void accumulate_avx2(float *const *u, float *const *v, int ncell, const float *x, const float *mu,
                            const float *isig, float q, int d) {
  const __m256 vq = _mm256_set1_ps(q), one = _mm256_set1_ps(1.0f);
  int i = 0;
  for (; i + 8 <= d; i += 8) {
    __m256 diff = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(mu + i)), _mm256_loadu_ps(isig + i));
    __m256 pu = _mm256_mul_ps(vq, diff);
    __m256 pv = _mm256_mul_ps(vq, _mm256_fmsub_ps(diff, diff, one));
    for (int c = 0; c < ncell; ++c) {
      _mm256_storeu_ps(u[c] + i, _mm256_add_ps(_mm256_loadu_ps(u[c] + i), pu));
      _mm256_storeu_ps(v[c] + i, _mm256_add_ps(_mm256_loadu_ps(v[c] + i), pv));
    }
  }
  for (; i < d; ++i) {
    float diff = (x[i] - mu[i]) * isig[i];
    float pu = q * diff, pv = q * (diff * diff - 1);
    for (int c = 0; c < ncell; ++c) { u[c][i] += pu; v[c][i] += pv; }
  }
}
#endif

/* Σ_i over one component's contribution to R_l (per dimension):
 * r[i] += q·(diff_i·su[i] + (diff_i² − 1)·sv[i]) where su/sv already carry 1/√π, 1/√(2π). */
static void relevance_portable(float *r, const float *x, const float *mu, const float *isig,
                               const float *su, const float *sv, float q, int d) {
  for (int i = 0; i < d; ++i) {
    float diff = (x[i] - mu[i]) * isig[i];
    r[i] += q * (diff * su[i] + (diff * diff - 1) * sv[i]);
  }
}

#ifdef FV_X86
__attribute__((target("avx2,fma")))
static void relevance_avx2(float *r, const float *x, const float *mu, const float *isig,
                           const float *su, const float *sv, float q, int d) {
  const __m256 vq = _mm256_set1_ps(q), one = _mm256_set1_ps(1.0f);
  int i = 0;
  for (; i + 8 <= d; i += 8) {
    __m256 diff = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(mu + i)), _mm256_loadu_ps(isig + i));
    __m256 t = _mm256_fmadd_ps(_mm256_fmsub_ps(diff, diff, one), _mm256_loadu_ps(sv + i),
                               _mm256_mul_ps(diff, _mm256_loadu_ps(su + i)));
    _mm256_storeu_ps(r + i, _mm256_fmadd_ps(vq, t, _mm256_loadu_ps(r + i)));
  }
  for (; i < d; ++i) {
    float diff = (x[i] - mu[i]) * isig[i];
    r[i] += q * (diff * su[i] + (diff * diff - 1) * sv[i]);
  }
}
#endif

/* ---------------------------------------------------------------- statistics */

size_t lrp_fisher_workspace_size(int numData, int dimension, int numClusters, int numCells) {
  if (numData < 0 || dimension < 1 || numClusters < 1 || numCells < 1) return 0;
  const size_t d = dimension, k = numClusters;
  size_t rows = (size_t)(numData < GEMM_ROWS ? (numData < 1 ? 1 : numData) : GEMM_ROWS);
  size_t t = model_bytes(dimension, numClusters);
  /* GEMM path: gathered X, X², Q blocks; float products; double accumulators */
  t += 2 * fv_region(sizeof(float) * rows * d) + fv_region(sizeof(float) * rows * k);
  t += 2 * fv_region(sizeof(float) * k * d);
  t += 2 * fv_region(sizeof(double) * k * d) + fv_region(sizeof(double) * k);
  return t;
}

static int stats_sparse(const float *data, int n, int d, const float *means, const FvModel *m, int k,
                        const float *q, const int32_t *cells, int per, int numCells,
                        int k0, int k1, float *stats) {
  const size_t len = 2 * (size_t)k * d;
  const int simd = lrp_cpu_has_avx2_fma();
  enum { MAXCELLS = 64 };
  float *u[MAXCELLS], *v[MAXCELLS];
  for (int l = 0; l < n; ++l) {
    const float *x = data + (size_t)l * d, *ql = q + (size_t)l * k;
    const int32_t *cl = cells + (size_t)l * per;
    for (int c = k0; c < k1; ++c) {
      const float p = ql[c];
      if (p == 0) continue;
      int nc = 0;
      for (int j = 0; j < per && nc < MAXCELLS; ++j) {
        if (cl[j] < 0) continue;
        u[nc] = stats + (size_t)cl[j] * len + (size_t)c * d;
        v[nc] = u[nc] + (size_t)k * d;
        ++nc;
      }
      if (nc == 0) continue;
#ifdef FV_X86
      if (simd) { accumulate_avx2(u, v, nc, x, means + (size_t)c * d, m->isig + (size_t)c * d, p, d); continue; }
#endif
      accumulate_portable(u, v, nc, x, means + (size_t)c * d, m->isig + (size_t)c * d, p, d);
    }
  }
  (void)numCells;
  return LRP_OK;
}

static int stats_gemm(const float *data, int n, int d, const float *means, const float *cov,
                      const FvModel *m, int k, const float *q, const int32_t *cells, int per,
                      int numCells, int k0, int k1, float *stats, FvArena *arena) {
  const size_t len = 2 * (size_t)k * d;
  const int kk = k1 - k0;
  const size_t rows = (size_t)(n < GEMM_ROWS ? n : GEMM_ROWS);
  float *xb = fv_alloc(arena, sizeof(float) * rows * d);
  float *x2b = fv_alloc(arena, sizeof(float) * rows * d);
  float *qb = fv_alloc(arena, sizeof(float) * rows * k);
  float *s1 = fv_alloc(arena, sizeof(float) * (size_t)k * d);
  float *s2 = fv_alloc(arena, sizeof(float) * (size_t)k * d);
  double *a1 = fv_alloc(arena, sizeof(double) * (size_t)k * d);
  double *a2 = fv_alloc(arena, sizeof(double) * (size_t)k * d);
  double *a0 = fv_alloc(arena, sizeof(double) * (size_t)k);
  if (!xb || !x2b || !qb || !s1 || !s2 || !a1 || !a2 || !a0) return LRP_E_NOMEM;
  for (int cell = 0; cell < numCells; ++cell) {
    memset(a1, 0, sizeof(double) * (size_t)kk * d);
    memset(a2, 0, sizeof(double) * (size_t)kk * d);
    memset(a0, 0, sizeof(double) * (size_t)kk);
    int l = 0;
    for (;;) {
      /* gather the next block of descriptors of this cell */
      int rb = 0;
      for (; l < n && rb < (int)rows; ++l) {
        const int32_t *cl = cells + (size_t)l * per;
        int in = 0;
        for (int j = 0; j < per; ++j) in += cl[j] == cell;
        for (int t = 0; t < in && rb < (int)rows; ++t) {
          /* (a cell listed twice counts twice, as in the sparse path) */
          memcpy(xb + (size_t)rb * d, data + (size_t)l * d, sizeof(float) * d);
          memcpy(qb + (size_t)rb * kk, q + (size_t)l * k + k0, sizeof(float) * kk);
          ++rb;
        }
      }
      if (rb == 0) break;
      for (size_t j = 0; j < (size_t)rb * d; ++j) x2b[j] = xb[j] * xb[j];
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kk, d, rb, 1.0f, qb, kk, xb, d, 0.0f, s1, d);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kk, d, rb, 1.0f, qb, kk, x2b, d, 0.0f, s2, d);
      for (size_t j = 0; j < (size_t)kk * d; ++j) { a1[j] += s1[j]; a2[j] += s2[j]; }
      for (int r = 0; r < rb; ++r)
        for (int c = 0; c < kk; ++c) a0[c] += qb[(size_t)r * kk + c];
    }
    float *st = stats + (size_t)cell * len;
    for (int c = 0; c < kk; ++c) {
      const int kc = k0 + c;
      for (int i = 0; i < d; ++i) {
        const size_t j = (size_t)kc * d + i, jj = (size_t)c * d + i;
        const double mu = means[j], iv = 1.0 / cov[j], is = m->isig[j];
        const double su = (a1[jj] - mu * a0[c]) * is;                       /* Σ q (x−μ)/σ */
        const double sv = (a2[jj] - 2 * mu * a1[jj] + mu * mu * a0[c]) * iv - a0[c]; /* Σ q ((x−μ)²/σ² − 1) */
        st[j] = (float)(su * m->upref[kc]);
        st[(size_t)k * d + j] = (float)(sv * m->vpref[kc]);
      }
    }
  }
  return LRP_OK;
}

int lrp_fisher_cell_statistics(const float *data, int numData, int dimension,
                               const float *means, const float *covariances, const float *priors,
                               int numClusters, const float *posteriors,
                               const int32_t *cells, int cellsPerDescriptor, int numCells,
                               int clusterBegin, int clusterEnd, int algorithm,
                               float *stats, int32_t *counts, void *workspace, size_t workspaceSize) {
  const int n = numData, d = dimension, k = numClusters;
  if (n < 0 || d < 1 || k < 1 || numCells < 1 || cellsPerDescriptor < 1) return LRP_E_ARGUMENT;
  if (clusterBegin < 0 || clusterEnd < clusterBegin || clusterEnd > k) return LRP_E_ARGUMENT;
  if (!means || !covariances || !priors || !stats) return LRP_E_ARGUMENT;
  if (n > 0 && (!data || !posteriors || !cells)) return LRP_E_ARGUMENT;
  if (algorithm < LRP_FISHER_AUTO || algorithm > LRP_FISHER_GEMM) return LRP_E_ARGUMENT;
  if (n > 0 && check_cells(cells, n, cellsPerDescriptor, numCells) != LRP_OK) return LRP_E_ARGUMENT;
  FvArena arena;
  fv_arena_init(&arena, workspace, workspaceSize);
  FvModel m;
  int s = model_init(&m, &arena, covariances, priors, d, k);
  if (s != LRP_OK) return s;
  const size_t len = 2 * (size_t)k * d;
  /* clear this call's components in every cell */
  for (int cell = 0; cell < numCells; ++cell)
    for (int half = 0; half < 2; ++half)
      memset(stats + (size_t)cell * len + (size_t)half * k * d + (size_t)clusterBegin * d, 0,
             sizeof(float) * (size_t)(clusterEnd - clusterBegin) * d);
  if (counts && clusterBegin == 0) {
    for (int cell = 0; cell < numCells; ++cell) counts[cell] = 0;
    for (size_t j = 0; j < (size_t)n * cellsPerDescriptor; ++j) if (cells[j] >= 0) counts[cells[j]]++;
  }
  if (n == 0 || clusterBegin == clusterEnd) return LRP_OK;
  int useGemm = algorithm == LRP_FISHER_GEMM;
  if (useGemm)
    return stats_gemm(data, n, d, means, covariances, &m, k, posteriors, cells, cellsPerDescriptor,
                      numCells, clusterBegin, clusterEnd, stats, &arena);
  s = stats_sparse(data, n, d, means, &m, k, posteriors, cells, cellsPerDescriptor, numCells,
                   clusterBegin, clusterEnd, stats);
  if (s != LRP_OK) return s;
  /* apply 1/√π and 1/√(2π) (VLFeat applies them after the sums, too) */
  for (int cell = 0; cell < numCells; ++cell) {
    float *st = stats + (size_t)cell * len;
    for (int c = clusterBegin; c < clusterEnd; ++c) {
      float *u = st + (size_t)c * d, *v = st + (size_t)k * d + (size_t)c * d;
      for (int i = 0; i < d; ++i) { u[i] *= m.upref[c]; v[i] *= m.vpref[c]; }
    }
  }
  return LRP_OK;
}

void lrp_fisher_normalize(float *vector, int length, int count) {
  if (!vector || length <= 0) return;
  if (count <= 0) { memset(vector, 0, sizeof(float) * (size_t)length); return; }
  const float inv = 1.0f / (float)count;
  double n = 0;
  for (int j = 0; j < length; ++j) {
    float z = vector[j] * inv;
    z = z >= 0 ? sqrtf(z) : -sqrtf(-z);
    vector[j] = z;
    n += (double)z * z;
  }
  float norm = (float)sqrt(n);
  if (norm < 1e-12f) norm = 1e-12f;
  for (int j = 0; j < length; ++j) vector[j] /= norm;
}

/* ---------------------------------------------------------------- relevance */

size_t lrp_fisher_relevance_workspace_size(int numData, int dimension, int numClusters, int numCells) {
  if (numData < 0 || dimension < 1 || numClusters < 1 || numCells < 1) return 0;
  const size_t d = dimension, k = numClusters;
  size_t rows = (size_t)(numData < GEMM_ROWS ? (numData < 1 ? 1 : numData) : GEMM_ROWS);
  size_t t = model_bytes(dimension, numClusters);
  t += 2 * fv_region(sizeof(float) * d);                     /* sparse: summed ratios (mean, var) */
  t += fv_region(sizeof(float) * k * 3 * d);                 /* GEMM: [A | S1 − 2B | C2 − C1] */
  t += fv_region(sizeof(float) * rows * k) + fv_region(sizeof(float) * rows * 3 * d);
  t += fv_region(sizeof(int) * rows);
  return t;
}

static int relevance_sparse(const float *data, int d, const float *means, const FvModel *m, int k,
                            const float *q, const int32_t *cells, int per, const float *ratios,
                            int l0, int l1, float *out, FvArena *arena) {
  const size_t len = 2 * (size_t)k * d;
  const int simd = lrp_cpu_has_avx2_fma();
  float *u = fv_alloc(arena, sizeof(float) * (size_t)d);
  float *v = fv_alloc(arena, sizeof(float) * (size_t)d);
  if (!u || !v) return LRP_E_NOMEM;
  for (int l = l0; l < l1; ++l) {
    const float *x = data + (size_t)l * d, *ql = q + (size_t)l * k;
    const int32_t *cl = cells + (size_t)l * per;
    float *r = out + (size_t)(l - l0) * d;
    memset(r, 0, sizeof(float) * d);
    for (int c = 0; c < k; ++c) {
      const float p = ql[c];
      if (p == 0) continue;
      /* ratios summed over this descriptor's cells, times the component's prefactors */
      memset(u, 0, sizeof(float) * d);
      memset(v, 0, sizeof(float) * d);
      int any = 0;
      for (int j = 0; j < per; ++j) {
        if (cl[j] < 0) continue;
        const float *rm = ratios + (size_t)cl[j] * len + (size_t)c * d, *rv = rm + (size_t)k * d;
        for (int i = 0; i < d; ++i) { u[i] += rm[i]; v[i] += rv[i]; }
        any = 1;
      }
      if (!any) continue;
      for (int i = 0; i < d; ++i) { u[i] *= m->upref[c]; v[i] *= m->vpref[c]; }
#ifdef FV_X86
      if (simd) { relevance_avx2(r, x, means + (size_t)c * d, m->isig + (size_t)c * d, u, v, p, d); continue; }
#endif
      relevance_portable(r, x, means + (size_t)c * d, m->isig + (size_t)c * d, u, v, p, d);
    }
  }
  return LRP_OK;
}

static int relevance_gemm(const float *data, int d, const float *means, const float *cov, const FvModel *m,
                          int k, const float *q, const int32_t *cells, int per, int numCells,
                          const float *ratios, int l0, int l1, float *out, FvArena *arena) {
  const size_t len = 2 * (size_t)k * d;
  const int n = l1 - l0;
  const size_t rows = (size_t)(n < GEMM_ROWS ? n : GEMM_ROWS);
  float *mat = fv_alloc(arena, sizeof(float) * (size_t)k * 3 * d);
  float *qb = fv_alloc(arena, sizeof(float) * rows * k);
  float *gb = fv_alloc(arena, sizeof(float) * rows * 3 * d);
  int *idx = fv_alloc(arena, sizeof(int) * rows);
  if (!mat || !qb || !gb || !idx) return LRP_E_NOMEM;
  memset(out, 0, sizeof(float) * (size_t)n * d);
  for (int cell = 0; cell < numCells; ++cell) {
    /* M = [A | S1 − 2B | C2 − C1] for this cell (K × 3D), see the file comment */
    const float *rm = ratios + (size_t)cell * len, *rv = rm + (size_t)k * d;
    for (int c = 0; c < k; ++c)
      for (int i = 0; i < d; ++i) {
        const size_t j = (size_t)c * d + i;
        const double mu = means[j], iv = 1.0 / cov[j], is = m->isig[j];
        const double s1 = rm[j] * is * m->upref[c];          /* s/(σ√π) */
        const double a = rv[j] * iv * m->vpref[c];           /* s/(σ²√(2π)) */
        float *row = mat + (size_t)c * 3 * d;
        row[i] = (float)a;
        row[d + i] = (float)(s1 - 2 * mu * a);
        row[2 * d + i] = (float)(mu * mu * a - rv[j] * m->vpref[c] - mu * s1);
      }
    int l = l0;
    for (;;) {
      int rb = 0;
      for (; l < l1 && rb < (int)rows; ++l) {
        const int32_t *cl = cells + (size_t)l * per;
        int in = 0;
        for (int j = 0; j < per; ++j) in += cl[j] == cell;
        for (int t = 0; t < in && rb < (int)rows; ++t) {
          memcpy(qb + (size_t)rb * k, q + (size_t)l * k, sizeof(float) * k);
          idx[rb++] = l;
        }
      }
      if (rb == 0) break;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rb, 3 * d, k, 1.0f, qb, k, mat, 3 * d, 0.0f, gb, 3 * d);
      for (int r = 0; r < rb; ++r) {
        const float *x = data + (size_t)idx[r] * d, *g = gb + (size_t)r * 3 * d;
        float *o = out + (size_t)(idx[r] - l0) * d;
        for (int i = 0; i < d; ++i) o[i] += x[i] * x[i] * g[i] + x[i] * g[d + i] + g[2 * d + i];
      }
    }
  }
  return LRP_OK;
}

int lrp_fisher_relevance(const float *data, int numData, int dimension,
                         const float *means, const float *covariances, const float *priors,
                         int numClusters, const float *posteriors,
                         const int32_t *cells, int cellsPerDescriptor, int numCells,
                         const float *ratios, int dataBegin, int dataEnd, int algorithm,
                         float *relevance, void *workspace, size_t workspaceSize) {
  const int n = numData, d = dimension, k = numClusters;
  if (n < 0 || d < 1 || k < 1 || numCells < 1 || cellsPerDescriptor < 1) return LRP_E_ARGUMENT;
  if (dataBegin < 0 || dataEnd < dataBegin || dataEnd > n) return LRP_E_ARGUMENT;
  if (!means || !covariances || !priors || !ratios) return LRP_E_ARGUMENT;
  if (algorithm < LRP_FISHER_AUTO || algorithm > LRP_FISHER_GEMM) return LRP_E_ARGUMENT;
  if (dataBegin == dataEnd) return LRP_OK;
  if (!data || !posteriors || !cells || !relevance) return LRP_E_ARGUMENT;
  if (check_cells(cells + (size_t)dataBegin * cellsPerDescriptor, dataEnd - dataBegin, cellsPerDescriptor, numCells) != LRP_OK)
    return LRP_E_ARGUMENT;
  FvArena arena;
  fv_arena_init(&arena, workspace, workspaceSize);
  FvModel m;
  int s = model_init(&m, &arena, covariances, priors, d, k);
  if (s != LRP_OK) return s;
  int useGemm = algorithm == LRP_FISHER_GEMM;
  if (useGemm)
    return relevance_gemm(data, d, means, covariances, &m, k, posteriors, cells, cellsPerDescriptor, numCells,
                          ratios, dataBegin, dataEnd, relevance, &arena);
  return relevance_sparse(data, d, means, &m, k, posteriors, cells, cellsPerDescriptor, ratios,
                          dataBegin, dataEnd, relevance, &arena);
}
