/* Improved Fisher vectors per spatial-pyramid cell and their relevance (lrpkernels.h §3.4–3.5).
 *
 * Two algorithms with the same results up to float rounding:
 *  - sparse: loop over the non-zero posteriors q_lk (after vl_fisher_encode's 1e-6 cut about a
 *    dozen of K = 256 per descriptor for a real GMM), in VLFeat's direct form diff = (x − μ)/σ.
 *    The posteriors come as dense rows or as compressed sparse rows (CSR, the _csr entry
 *    points); both give bit-identical results. Descriptors with the same row of the cell table
 *    form a "region" (8 for the pyramid 1×1, 2×2, 3×1): the statistics are summed component by
 *    component per region in an L1-resident buffer and each region's sum added to its cells
 *    (instead of adding every term to every cell of a 1.3 MB array); the relevance combines
 *    each region's cell ratios once;
 *  - GEMM: per cell, Qᵀ·X and Qᵀ·X² with SGEMM (blocks of rows), combined in double; relevance
 *    as x²·(Q A) + x·(Q (S₁ − 2B)) + Q (C₂ − C₁) with one SGEMM per cell.
 * AUTO is the sparse form: it is the faster one for real GMMs (few posteriors above 1e-6 per
 * descriptor), and statistics and relevance computed by it agree term by term, which matters
 * when the relevance ratios are large (ε → 0). GEMM is used on request (dense posteriors). */
#include "simd.h"
#include "fv_internal.h"
#include <cblas.h>
#include <math.h>
#include <string.h>

#define GEMM_ROWS 512
#define REGION_MAX 32     /* distinct cell-table rows the region algorithms handle (bits of a mask) */
#define REGION_BLOCK 1024 /* rows per block of the component-major statistics */

/* One listed non-zero posterior: descriptor and value. */
typedef struct FvEntry {
  int32_t l;
  float q;
} FvEntry;

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

/* u[i] += q·diff_i, v[i] += q·(diff_i² − 1) with diff = (x − μ)·isig. */
LRP_BODY void accumulate_one(float *restrict u, float *restrict v, const float *restrict x,
                             const float *restrict mu, const float *restrict isig, float q, int d) {
  for (int i = 0; i < d; ++i) {
    const float diff = (x[i] - mu[i]) * isig[i];
    u[i] += q * diff;
    v[i] += q * (diff * diff - 1);
  }
}

/* accumulate_one into each of the ncell targets (u[c], v[c]). */
LRP_BODY void accumulate_body(float *const *u, float *const *v, int ncell, const float *x, const float *mu,
                              const float *isig, float q, int d) {
  for (int c = 0; c < ncell; ++c) accumulate_one(u[c], v[c], x, mu, isig, q, d);
}

LRP_DUAL(accumulate, accumulate_body,
         (float *const *u, float *const *v, int ncell, const float *x, const float *mu, const float *isig, float q,
          int d),
         (u, v, ncell, x, mu, isig, q, d))

/* Σ_i over one component's contribution to R_l (per dimension):
 * r[i] += q·(diff_i·su[i] + (diff_i² − 1)·sv[i]) where su/sv already carry 1/√π, 1/√(2π). */
LRP_BODY void relevance_body(float *restrict r, const float *restrict x, const float *restrict mu,
                             const float *restrict isig, const float *restrict su, const float *restrict sv,
                             float q, int d) {
  for (int i = 0; i < d; ++i) {
    const float diff = (x[i] - mu[i]) * isig[i];
    r[i] += q * (diff * su[i] + (diff * diff - 1) * sv[i]);
  }
}

LRP_DUAL(relevance, relevance_body,
         (float *r, const float *x, const float *mu, const float *isig, const float *su, const float *sv, float q, int d),
         (r, x, mu, isig, su, sv, q, d))

/* ---------------------------------------------------------------- posteriors, dense or CSR */

/* The posteriors a kernel reads: dense rows (numData×K) or CSR (see lrp_gmm_posteriors_csr). */
typedef struct QSource {
  const float *dense;
  const int32_t *rowStart, *components;
  const float *values;
  int k;
} QSource;

/* Indices of the non-zero q[c], c in [c0, c1); returns their number. Eight at a time: a mask
 * of the non-zero lanes, then its set bits. */
LRP_BODY int nonzeros_body(const float *q, int c0, int c1, int *idx) {
  int n = 0, c = c0;
  for (; c + 8 <= c1; c += 8) {
    unsigned mk = 0;
    for (int t = 0; t < 8; ++t) mk |= (unsigned)(q[c + t] != 0) << t;
    while (mk) { idx[n++] = c + __builtin_ctz(mk); mk &= mk - 1; }
  }
  for (; c < c1; ++c) if (q[c] != 0) idx[n++] = c;
  return n;
}

LRP_DUAL_RET(int, nonzeros, nonzeros_body, (const float *q, int c0, int c1, int *idx), (q, c0, c1, idx))

/* The non-zero posteriors of descriptor l with component in [c0, c1), in component order:
 * components in idx, values in val (room for K each); returns their number. */
static int row_entries(const QSource *s, int l, int c0, int c1, int *idx, float *val) {
  if (s->dense) {
    const float *q = s->dense + (size_t)l * s->k;
    const int n = nonzeros_dispatch(q, c0, c1, idx);
    for (int j = 0; j < n; ++j) val[j] = q[idx[j]];
    return n;
  }
  int n = 0;
  for (int32_t e = s->rowStart[l]; e < s->rowStart[l + 1]; ++e) {
    const int c = s->components[e];
    if (c < c0 || c >= c1 || s->values[e] == 0) continue;
    idx[n] = c;
    val[n++] = s->values[e];
  }
  return n;
}

/* A CSR table must have rowStart[0] = 0, non-decreasing offsets and components in [0, K). */
static int check_csr(const int32_t *rowStart, const int32_t *components, int n, int k) {
  if (rowStart[0] != 0) return LRP_E_ARGUMENT;
  for (int l = 0; l < n; ++l) if (rowStart[l + 1] < rowStart[l]) return LRP_E_ARGUMENT;
  for (int32_t e = 0; e < rowStart[n]; ++e) if (components[e] < 0 || components[e] >= k) return LRP_E_ARGUMENT;
  return LRP_OK;
}

/* ---------------------------------------------------------------- regions */

/* Descriptors with the same row of the cell table form a region: they contribute to the same
 * cells. Returns the number of regions of rows [l0, l1) (rows with no cell get −1), or −1 if
 * there are more than REGION_MAX (the caller falls back to the descriptor-by-descriptor loop). */
static int find_regions(const int32_t *cells, int l0, int l1, int per, int32_t *region,
                        const int32_t **tuple) {
  int count = 0, last = -1;
  const size_t bytes = sizeof(int32_t) * (size_t)per;
  for (int l = l0; l < l1; ++l) {
    const int32_t *cl = cells + (size_t)l * per;
    int any = 0;
    for (int j = 0; j < per; ++j) any |= cl[j] >= 0;
    if (!any) { region[l - l0] = -1; continue; }
    int r = -1;
    if (last >= 0 && memcmp(tuple[last], cl, bytes) == 0) r = last;
    for (int t = 0; r < 0 && t < count; ++t) if (memcmp(tuple[t], cl, bytes) == 0) r = t;
    if (r < 0) {
      if (count == REGION_MAX) return -1;
      tuple[count] = cl;
      r = count++;
    }
    region[l - l0] = last = r;
  }
  return count;
}

/* su[i] += u[i], sv[i] += v[i]. */
LRP_BODY void add_pair_body(float *restrict su, float *restrict sv, const float *restrict u, const float *restrict v,
                            int d) {
  for (int i = 0; i < d; ++i) { su[i] += u[i]; sv[i] += v[i]; }
}

LRP_DUAL(add_pair, add_pair_body, (float *su, float *sv, const float *u, const float *v, int d), (su, sv, u, v, d))

/* ---------------------------------------------------------------- statistics */

static size_t sparse_stats_bytes(int numData, int d, int k) {
  const size_t n = (size_t)(numData < 1 ? 1 : numData), cap = n < REGION_BLOCK ? n : REGION_BLOCK;
  size_t s = fv_region(sizeof(int32_t) * n) + fv_region(sizeof(int) * (size_t)k);
  s += fv_region(sizeof(FvEntry) * cap * (size_t)k) + fv_region(sizeof(float) * REGION_MAX * 2 * (size_t)d);
  s += fv_region(sizeof(int) * (size_t)k) + fv_region(sizeof(float) * (size_t)k); /* one row's entries */
  return s;
}

size_t lrp_fisher_workspace_size(int numData, int dimension, int numClusters, int numCells) {
  if (numData < 0 || dimension < 1 || numClusters < 1 || numCells < 1) return 0;
  const size_t d = dimension, k = numClusters;
  size_t rows = (size_t)(numData < GEMM_ROWS ? (numData < 1 ? 1 : numData) : GEMM_ROWS);
  /* GEMM path: gathered X, X², Q blocks; float products; double accumulators */
  size_t g = 2 * fv_region(sizeof(float) * rows * d) + fv_region(sizeof(float) * rows * k);
  g += 2 * fv_region(sizeof(float) * k * d);
  g += 2 * fv_region(sizeof(double) * k * d) + fv_region(sizeof(double) * k) + fv_region(sizeof(int) * rows);
  const size_t s = sparse_stats_bytes(numData, dimension, numClusters);
  return model_bytes(dimension, numClusters) + (g > s ? g : s);
}

/* Sparse statistics, descriptor by descriptor (any number of regions): each term is added to
 * every cell of its descriptor. */
static int stats_by_descriptor(const float *data, int n, int d, const float *means, const FvModel *m, int k,
                               const QSource *q, const int32_t *cells, int per, int k0, int k1,
                               float *stats, int *idx, float *val) {
  const size_t len = 2 * (size_t)k * d;
  enum { MAXCELLS = 64 };
  float *u[MAXCELLS], *v[MAXCELLS];
  for (int l = 0; l < n; ++l) {
    const float *x = data + (size_t)l * d;
    const int32_t *cl = cells + (size_t)l * per;
    const int ne = row_entries(q, l, k0, k1, idx, val);
    for (int j = 0; j < ne; ++j) {
      const int c = idx[j];
      int nc = 0;
      for (int t = 0; t < per && nc < MAXCELLS; ++t) {
        if (cl[t] < 0) continue;
        u[nc] = stats + (size_t)cl[t] * len + (size_t)c * d;
        v[nc] = u[nc] + (size_t)k * d;
        ++nc;
      }
      if (nc == 0) continue;
      accumulate_dispatch(u, v, nc, x, means + (size_t)c * d, m->isig + (size_t)c * d, val[j], d);
    }
  }
  return LRP_OK;
}

/* Sparse statistics over regions, component-major: per block of rows, the non-zero posteriors
 * are listed per component; each component's terms are summed per region in a small buffer and
 * the region sums added to the region's cells. Returns 1 when there are more than REGION_MAX
 * regions (nothing written; use stats_by_descriptor). */
static int stats_by_region(const float *data, int n, int d, const float *means, const FvModel *m, int k,
                           const QSource *q, const int32_t *cells, int per, int k0, int k1, float *stats,
                           FvArena *arena, int *idx, float *val, int *status) {
  const size_t len = 2 * (size_t)k * d;
  const int kk = k1 - k0;
  const int cap = n < REGION_BLOCK ? n : REGION_BLOCK;
  int32_t *region = fv_alloc(arena, sizeof(int32_t) * (size_t)n);
  int *cnt = fv_alloc(arena, sizeof(int) * (size_t)kk);
  FvEntry *ent = fv_alloc(arena, sizeof(FvEntry) * (size_t)cap * kk);
  float *acc = fv_alloc(arena, sizeof(float) * REGION_MAX * 2 * (size_t)d);
  if (!region || !cnt || !ent || !acc) { *status = LRP_E_NOMEM; return 0; }
  const int32_t *tuple[REGION_MAX];
  if (find_regions(cells, 0, n, per, region, tuple) < 0) return 1;
  *status = LRP_OK;
  for (int b0 = 0; b0 < n; b0 += cap) {
    const int b1 = n - b0 < cap ? n : b0 + cap;
    memset(cnt, 0, sizeof(int) * (size_t)kk);
    for (int l = b0; l < b1; ++l) {
      if (region[l] < 0) continue;
      const int ne = row_entries(q, l, k0, k1, idx, val);
      for (int j = 0; j < ne; ++j) {
        const int c = idx[j] - k0;
        FvEntry *e = ent + (size_t)c * cap + cnt[c]++;
        e->l = l;
        e->q = val[j];
      }
    }
    for (int c = 0; c < kk; ++c) {
      if (cnt[c] == 0) continue;
      const int kc = k0 + c;
      const float *mu = means + (size_t)kc * d, *isig = m->isig + (size_t)kc * d;
      uint32_t touched = 0;
      const FvEntry *e = ent + (size_t)c * cap;
      for (int j = 0; j < cnt[c]; ++j) {
        const int r = region[e[j].l];
        float *u = acc + (size_t)r * 2 * d, *v = u + d;
        if (!(touched & (1u << r))) { memset(u, 0, sizeof(float) * 2 * (size_t)d); touched |= 1u << r; }
        const float *x = data + (size_t)e[j].l * d;
        accumulate_dispatch(&u, &v, 1, x, mu, isig, e[j].q, d);
      }
      while (touched) {
        const int r = __builtin_ctz(touched);
        touched &= touched - 1;
        const float *u = acc + (size_t)r * 2 * d, *v = u + d;
        for (int t = 0; t < per; ++t) {
          if (tuple[r][t] < 0) continue;
          float *su = stats + (size_t)tuple[r][t] * len + (size_t)kc * d, *sv = su + (size_t)k * d;
          add_pair_dispatch(su, sv, u, v, d);
        }
      }
    }
  }
  return 0;
}

/* The next block of at most `rows` descriptors of `cell`, scanning from *l up to `end` (a
 * descriptor whose cell row lists the cell twice counts twice, as in the sparse path): their
 * indices in idx; returns how many (0 when the scan is done). */
static int gather_cell_rows(const int32_t *cells, int per, int cell, int *l, int end, int rows, int *idx) {
  int rb = 0;
  for (; *l < end && rb < rows; ++*l) {
    const int32_t *cl = cells + (size_t)*l * per;
    int in = 0;
    for (int j = 0; j < per; ++j) in += cl[j] == cell;
    for (int t = 0; t < in && rb < rows; ++t) idx[rb++] = *l;
  }
  return rb;
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
  int *idx = fv_alloc(arena, sizeof(int) * rows);
  if (!xb || !x2b || !qb || !s1 || !s2 || !a1 || !a2 || !a0 || !idx) return LRP_E_NOMEM;
  for (int cell = 0; cell < numCells; ++cell) {
    memset(a1, 0, sizeof(double) * (size_t)kk * d);
    memset(a2, 0, sizeof(double) * (size_t)kk * d);
    memset(a0, 0, sizeof(double) * (size_t)kk);
    int l = 0;
    for (;;) {
      /* gather the next block of descriptors of this cell */
      const int rb = gather_cell_rows(cells, per, cell, &l, n, (int)rows, idx);
      if (rb == 0) break;
      for (int r = 0; r < rb; ++r) {
        memcpy(xb + (size_t)r * d, data + (size_t)idx[r] * d, sizeof(float) * d);
        memcpy(qb + (size_t)r * kk, q + (size_t)idx[r] * k + k0, sizeof(float) * kk);
      }
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


/* Clears the components [k0, k1) of every cell and counts the descriptors per cell. */
static void stats_prologue(float *stats, int32_t *counts, const int32_t *cells, int n, int per, int numCells,
                           int d, int k, int k0, int k1) {
  const size_t len = 2 * (size_t)k * d;
  for (int cell = 0; cell < numCells; ++cell)
    for (int half = 0; half < 2; ++half)
      memset(stats + (size_t)cell * len + (size_t)half * k * d + (size_t)k0 * d, 0, sizeof(float) * (size_t)(k1 - k0) * d);
  if (counts && k0 == 0) {
    for (int cell = 0; cell < numCells; ++cell) counts[cell] = 0;
    for (size_t j = 0; j < (size_t)n * per; ++j) if (cells[j] >= 0) counts[cells[j]]++;
  }
}

/* The sparse algorithm for both posterior layouts, then 1/√π and 1/√(2π) (VLFeat applies them
 * after the sums, too). */
static int stats_sparse(const float *data, int n, int d, const float *means, const FvModel *m, int k,
                        const QSource *q, const int32_t *cells, int per, int numCells, int k0, int k1,
                        float *stats, FvArena *arena) {
  int *idx = fv_alloc(arena, sizeof(int) * (size_t)k);
  float *val = fv_alloc(arena, sizeof(float) * (size_t)k);
  if (!idx || !val) return LRP_E_NOMEM;
  int s;
  if (stats_by_region(data, n, d, means, m, k, q, cells, per, k0, k1, stats, arena, idx, val, &s))
    s = stats_by_descriptor(data, n, d, means, m, k, q, cells, per, k0, k1, stats, idx, val);
  if (s != LRP_OK) return s;
  const size_t len = 2 * (size_t)k * d;
  for (int cell = 0; cell < numCells; ++cell) {
    float *st = stats + (size_t)cell * len;
    for (int c = k0; c < k1; ++c) {
      float *u = st + (size_t)c * d, *v = st + (size_t)k * d + (size_t)c * d;
      for (int i = 0; i < d; ++i) { u[i] *= m->upref[c]; v[i] *= m->vpref[c]; }
    }
  }
  return LRP_OK;
}

/* Shared precondition of the statistics and relevance kernels: sizes, the part [begin, end) of
 * 0..limit-1 a call works on (components for statistics, descriptors for relevance), and the
 * model and per-call buffer pointers. */
static int check_fisher_args(int n, int d, int k, int numCells, int per, int begin, int end, int limit,
                             const float *means, const float *covariances, const float *priors, const float *buffer) {
  if (n < 0 || d < 1 || k < 1 || numCells < 1 || per < 1) return LRP_E_ARGUMENT;
  if (begin < 0 || end < begin || end > limit) return LRP_E_ARGUMENT;
  if (!means || !covariances || !priors || !buffer) return LRP_E_ARGUMENT;
  return LRP_OK;
}

int lrp_fisher_cell_statistics(const float *data, int numData, int dimension,
                               const float *means, const float *covariances, const float *priors,
                               int numClusters, const float *posteriors,
                               const int32_t *cells, int cellsPerDescriptor, int numCells,
                               int clusterBegin, int clusterEnd, int algorithm,
                               float *stats, int32_t *counts, void *workspace, size_t workspaceSize) {
  const int n = numData, d = dimension, k = numClusters;
  if (check_fisher_args(n, d, k, numCells, cellsPerDescriptor, clusterBegin, clusterEnd, k, means, covariances, priors,
                        stats) != LRP_OK) return LRP_E_ARGUMENT;
  if (n > 0 && (!data || !posteriors || !cells)) return LRP_E_ARGUMENT;
  if (algorithm < LRP_FISHER_AUTO || algorithm > LRP_FISHER_GEMM) return LRP_E_ARGUMENT;
  if (n > 0 && check_cells(cells, n, cellsPerDescriptor, numCells) != LRP_OK) return LRP_E_ARGUMENT;
  FvArena arena;
  fv_arena_init(&arena, workspace, workspaceSize);
  FvModel m;
  int s = model_init(&m, &arena, covariances, priors, d, k);
  if (s != LRP_OK) return s;
  stats_prologue(stats, counts, cells, n, cellsPerDescriptor, numCells, d, k, clusterBegin, clusterEnd);
  if (n == 0 || clusterBegin == clusterEnd) return LRP_OK;
  if (algorithm == LRP_FISHER_GEMM)
    return stats_gemm(data, n, d, means, covariances, &m, k, posteriors, cells, cellsPerDescriptor,
                      numCells, clusterBegin, clusterEnd, stats, &arena);
  const QSource q = {posteriors, NULL, NULL, NULL, k};
  return stats_sparse(data, n, d, means, &m, k, &q, cells, cellsPerDescriptor, numCells, clusterBegin, clusterEnd,
                      stats, &arena);
}

int lrp_fisher_cell_statistics_csr(const float *data, int numData, int dimension,
                                   const float *means, const float *covariances, const float *priors,
                                   int numClusters, const int32_t *rowStart, const int32_t *components,
                                   const float *values, const int32_t *cells, int cellsPerDescriptor,
                                   int numCells, int clusterBegin, int clusterEnd,
                                   float *stats, int32_t *counts, void *workspace, size_t workspaceSize) {
  const int n = numData, d = dimension, k = numClusters;
  if (check_fisher_args(n, d, k, numCells, cellsPerDescriptor, clusterBegin, clusterEnd, k, means, covariances, priors,
                        stats) != LRP_OK) return LRP_E_ARGUMENT;
  if (!rowStart || (n > 0 && (!data || !cells || (rowStart[n] > 0 && (!components || !values)))))
    return LRP_E_ARGUMENT;
  if (check_csr(rowStart, components, n, k) != LRP_OK) return LRP_E_ARGUMENT;
  if (n > 0 && check_cells(cells, n, cellsPerDescriptor, numCells) != LRP_OK) return LRP_E_ARGUMENT;
  FvArena arena;
  fv_arena_init(&arena, workspace, workspaceSize);
  FvModel m;
  int s = model_init(&m, &arena, covariances, priors, d, k);
  if (s != LRP_OK) return s;
  stats_prologue(stats, counts, cells, n, cellsPerDescriptor, numCells, d, k, clusterBegin, clusterEnd);
  if (n == 0 || clusterBegin == clusterEnd) return LRP_OK;
  const QSource q = {NULL, rowStart, components, values, k};
  return stats_sparse(data, n, d, means, &m, k, &q, cells, cellsPerDescriptor, numCells, clusterBegin, clusterEnd,
                      stats, &arena);
}

/* v ← sign(v·inv)·sqrt|v·inv| for one value; returns the new value. */
LRP_BODY float signed_sqrt_one(float *v, float inv) {
  const float z = *v * inv;
  return *v = copysignf(sqrtf(fabsf(z)), z);
}

/* v ← sign(v·inv)·sqrt|v·inv|; returns Σ v² (double), summed in 8 lanes, pairwise. */
LRP_BODY double signed_sqrt_body(float *v, int n, float inv) {
  double lane[8] = {0};
  int j = 0;
  for (; j + 8 <= n; j += 8)
    for (int t = 0; t < 8; ++t) {
      const float r = signed_sqrt_one(v + j + t, inv);
      lane[t] += (double)r * r;
    }
  double s = lrp_hsum8d(lane);
  for (; j < n; ++j) {
    const float r = signed_sqrt_one(v + j, inv);
    s += (double)r * r;
  }
  return s;
}

LRP_DUAL_RET(double, signed_sqrt, signed_sqrt_body, (float *v, int n, float inv), (v, n, inv))

void lrp_fisher_normalize(float *vector, int length, int count) {
  if (!vector || length <= 0) return;
  if (count <= 0) { memset(vector, 0, sizeof(float) * (size_t)length); return; }
  const float inv = 1.0f / (float)count;
  const double n = signed_sqrt_dispatch(vector, length, inv);
  float norm = (float)sqrt(n);
  if (norm < 1e-12f) norm = 1e-12f;
  for (int j = 0; j < length; ++j) vector[j] /= norm;
}

/* ---------------------------------------------------------------- relevance */

size_t lrp_fisher_relevance_workspace_size(int numData, int dimension, int numClusters, int numCells) {
  if (numData < 0 || dimension < 1 || numClusters < 1 || numCells < 1) return 0;
  const size_t d = dimension, k = numClusters;
  size_t rows = (size_t)(numData < GEMM_ROWS ? (numData < 1 ? 1 : numData) : GEMM_ROWS);
  const size_t n = (size_t)(numData < 1 ? 1 : numData), regions = n < REGION_MAX ? n : REGION_MAX;
  /* sparse: one row's entries; region ids and tables (or, with too many regions, summed ratios) */
  size_t s = fv_region(sizeof(int) * k) + fv_region(sizeof(float) * k);
  const size_t byRegion = fv_region(sizeof(int32_t) * n) + fv_region(sizeof(float) * regions * 2 * k * d);
  const size_t byDescriptor = 2 * fv_region(sizeof(float) * d);
  s += byRegion > byDescriptor ? byRegion : byDescriptor;
  /* GEMM: [A | S1 − 2B | C2 − C1], Q and product blocks, row indices */
  size_t g = fv_region(sizeof(float) * k * 3 * d);
  g += fv_region(sizeof(float) * rows * k) + fv_region(sizeof(float) * rows * 3 * d);
  g += fv_region(sizeof(int) * rows);
  return model_bytes(dimension, numClusters) + (g > s ? g : s);
}

/* Relevance descriptor by descriptor (any number of regions): the ratios of the descriptor's
 * cells are summed for every non-zero posterior. */
static int relevance_by_descriptor(const float *data, int d, const float *means, const FvModel *m, int k,
                                   const QSource *q, const int32_t *cells, int per, const float *ratios,
                                   int l0, int l1, float *out, FvArena *arena, int *idx, float *val) {
  const size_t len = 2 * (size_t)k * d;
  float *u = fv_alloc(arena, sizeof(float) * (size_t)d);
  float *v = fv_alloc(arena, sizeof(float) * (size_t)d);
  if (!u || !v) return LRP_E_NOMEM;
  for (int l = l0; l < l1; ++l) {
    const float *x = data + (size_t)l * d;
    const int32_t *cl = cells + (size_t)l * per;
    float *r = out + (size_t)(l - l0) * d;
    memset(r, 0, sizeof(float) * d);
    const int ne = row_entries(q, l, 0, k, idx, val);
    for (int j = 0; j < ne; ++j) {
      const int c = idx[j];
      /* ratios summed over this descriptor's cells, times the component's prefactors */
      memset(u, 0, sizeof(float) * d);
      memset(v, 0, sizeof(float) * d);
      int any = 0;
      for (int t = 0; t < per; ++t) {
        if (cl[t] < 0) continue;
        const float *rm = ratios + (size_t)cl[t] * len + (size_t)c * d, *rv = rm + (size_t)k * d;
        for (int i = 0; i < d; ++i) { u[i] += rm[i]; v[i] += rv[i]; }
        any = 1;
      }
      if (!any) continue;
      for (int i = 0; i < d; ++i) { u[i] *= m->upref[c]; v[i] *= m->vpref[c]; }
      relevance_dispatch(r, x, means + (size_t)c * d, m->isig + (size_t)c * d, u, v, val[j], d);
    }
  }
  return LRP_OK;
}

/* Relevance over regions: each region's ratios summed over its cells and multiplied by the
 * prefactors once (R × 2KD floats), then one pass over the descriptors' non-zero posteriors;
 * the same arithmetic as relevance_by_descriptor. Returns 1 when there are more than REGION_MAX
 * regions (nothing written). */
static int relevance_by_region(const float *data, int d, const float *means, const FvModel *m, int k,
                               const QSource *q, const int32_t *cells, int per, const float *ratios,
                               int l0, int l1, float *out, FvArena *arena, int *idx, float *val, int *status) {
  const size_t len = 2 * (size_t)k * d, kd = (size_t)k * d;
  const int n = l1 - l0;
  const int maxRegions = n < REGION_MAX ? n : REGION_MAX;
  int32_t *region = fv_alloc(arena, sizeof(int32_t) * (size_t)n);
  float *table = fv_alloc(arena, sizeof(float) * (size_t)maxRegions * len);
  if (!region || !table) { *status = LRP_E_NOMEM; return 0; }
  const int32_t *tuple[REGION_MAX];
  const int numRegions = find_regions(cells, l0, l1, per, region, tuple);
  if (numRegions < 0) return 1;
  *status = LRP_OK;
  for (int r = 0; r < numRegions; ++r) {
    float *u = table + (size_t)r * len;
    memset(u, 0, sizeof(float) * len);
    for (int t = 0; t < per; ++t) {
      if (tuple[r][t] < 0) continue;
      const float *s = ratios + (size_t)tuple[r][t] * len;
      for (size_t j = 0; j < len; ++j) u[j] += s[j];
    }
    for (int c = 0; c < k; ++c) {
      float *uc = u + (size_t)c * d, *vc = u + kd + (size_t)c * d;
      for (int i = 0; i < d; ++i) { uc[i] *= m->upref[c]; vc[i] *= m->vpref[c]; }
    }
  }
  for (int l = l0; l < l1; ++l) {
    float *row = out + (size_t)(l - l0) * d;
    memset(row, 0, sizeof(float) * d);
    const int r = region[l - l0];
    if (r < 0) continue;
    const float *x = data + (size_t)l * d, *u = table + (size_t)r * len;
    const int ne = row_entries(q, l, 0, k, idx, val);
    for (int j = 0; j < ne; ++j) {
      const int c = idx[j];
      const float *mu = means + (size_t)c * d, *isig = m->isig + (size_t)c * d;
      const float *uc = u + (size_t)c * d, *vc = u + kd + (size_t)c * d;
      relevance_dispatch(row, x, mu, isig, uc, vc, val[j], d);
    }
  }
  return 0;
}

static int relevance_sparse(const float *data, int d, const float *means, const FvModel *m, int k,
                            const QSource *q, const int32_t *cells, int per, const float *ratios,
                            int l0, int l1, float *out, FvArena *arena) {
  int *idx = fv_alloc(arena, sizeof(int) * (size_t)k);
  float *val = fv_alloc(arena, sizeof(float) * (size_t)k);
  if (!idx || !val) return LRP_E_NOMEM;
  FvArena mark = *arena;
  int s;
  if (!relevance_by_region(data, d, means, m, k, q, cells, per, ratios, l0, l1, out, arena, idx, val, &s)) return s;
  *arena = mark;
  return relevance_by_descriptor(data, d, means, m, k, q, cells, per, ratios, l0, l1, out, arena, idx, val);
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
      const int rb = gather_cell_rows(cells, per, cell, &l, l1, (int)rows, idx);
      if (rb == 0) break;
      for (int r = 0; r < rb; ++r) memcpy(qb + (size_t)r * k, q + (size_t)idx[r] * k, sizeof(float) * k);
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
  if (check_fisher_args(n, d, k, numCells, cellsPerDescriptor, dataBegin, dataEnd, n, means, covariances, priors,
                        ratios) != LRP_OK) return LRP_E_ARGUMENT;
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
  if (algorithm == LRP_FISHER_GEMM)
    return relevance_gemm(data, d, means, covariances, &m, k, posteriors, cells, cellsPerDescriptor, numCells,
                          ratios, dataBegin, dataEnd, relevance, &arena);
  const QSource q = {posteriors, NULL, NULL, NULL, k};
  return relevance_sparse(data, d, means, &m, k, &q, cells, cellsPerDescriptor, ratios, dataBegin, dataEnd,
                          relevance, &arena);
}

int lrp_fisher_relevance_csr(const float *data, int numData, int dimension,
                             const float *means, const float *covariances, const float *priors,
                             int numClusters, const int32_t *rowStart, const int32_t *components,
                             const float *values, const int32_t *cells, int cellsPerDescriptor, int numCells,
                             const float *ratios, int dataBegin, int dataEnd,
                             float *relevance, void *workspace, size_t workspaceSize) {
  const int n = numData, d = dimension, k = numClusters;
  if (check_fisher_args(n, d, k, numCells, cellsPerDescriptor, dataBegin, dataEnd, n, means, covariances, priors,
                        ratios) != LRP_OK) return LRP_E_ARGUMENT;
  if (dataBegin == dataEnd) return LRP_OK;
  if (!data || !rowStart || !cells || !relevance || (rowStart[n] > 0 && (!components || !values)))
    return LRP_E_ARGUMENT;
  if (check_csr(rowStart, components, n, k) != LRP_OK) return LRP_E_ARGUMENT;
  if (check_cells(cells + (size_t)dataBegin * cellsPerDescriptor, dataEnd - dataBegin, cellsPerDescriptor, numCells) != LRP_OK)
    return LRP_E_ARGUMENT;
  FvArena arena;
  fv_arena_init(&arena, workspace, workspaceSize);
  FvModel m;
  int s = model_init(&m, &arena, covariances, priors, d, k);
  if (s != LRP_OK) return s;
  const QSource q = {NULL, rowStart, components, values, k};
  return relevance_sparse(data, d, means, &m, k, &q, cells, cellsPerDescriptor, ratios, dataBegin, dataEnd,
                          relevance, &arena);
}
