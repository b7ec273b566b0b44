/* Elementwise parts of the LRP rules and of the forward pass (lrpkernels.h §2). Every loop is
 * compiled twice, AVX2/FMA and portable (simd.h). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "simd.h"

LRP_BODY void epsilon_normalize_body(const float *r, const float *z, float eps, float *g, size_t n) {
  for (size_t i = 0; i < n; i++) g[i] = lrp_safe_div(r[i], lrp_stab(z[i], eps));
}
LRP_DUAL(epsilon_normalize, epsilon_normalize_body,
         (const float *r, const float *z, float eps, float *g, size_t n), (r, z, eps, g, n))
void lrp_epsilon_normalize(const float *r, const float *z, float epsilon, float *g, size_t n) {
  epsilon_normalize_dispatch(r, z, epsilon, g, n);
}

/* One output channel's spatial range: P/N halves at pp/pn (and optional x- products) → a/b. */
LRP_BODY void alphabeta_row_body(const float *r, const float *pp, const float *pn, const float *qp,
                                 const float *qn, float bp, float bn, size_t n, float alpha, float beta,
                                 float s, float *ap, float *an) {
  if (qp) {
    for (size_t i = 0; i < n; i++) {
      const float P = pp[i] + qn[i] + bp; /* w+ x+ + w- x- + b+ */
      const float N = pn[i] + qp[i] + bn; /* w- x+ + w+ x- + b- */
      ap[i] = lrp_safe_div(alpha * r[i], lrp_stab(P, s));
      an[i] = lrp_safe_div(-beta * r[i], lrp_stab(N, s));
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      const float P = pp[i] + bp;
      const float N = pn[i] + bn;
      ap[i] = lrp_safe_div(alpha * r[i], lrp_stab(P, s));
      an[i] = lrp_safe_div(-beta * r[i], lrp_stab(N, s));
    }
  }
}
LRP_DUAL(alphabeta_row, alphabeta_row_body,
         (const float *r, const float *pp, const float *pn, const float *qp, const float *qn, float bp, float bn,
          size_t n, float alpha, float beta, float s, float *ap, float *an),
         (r, pp, pn, qp, qn, bp, bn, n, alpha, beta, s, ap, an))

int lrp_alphabeta_normalize_strided(const float *r, const float *pn, const float *pnNeg, int productGroupChannels,
                                    const float *biasPos, const float *biasNeg, int groups, int outPerGroup,
                                    int spatial, int spatialBegin, int spatialEnd, float alpha, float beta,
                                    float stabilizer, float *ab) {
  if (!r || !pn || !ab || groups <= 0 || outPerGroup <= 0 || spatial <= 0) return LRP_E_ARGUMENT;
  if (productGroupChannels < 2 * outPerGroup) return LRP_E_ARGUMENT;
  if (spatialBegin < 0 || spatialEnd > spatial || spatialBegin > spatialEnd) return LRP_E_ARGUMENT;
  const size_t n = (size_t)(spatialEnd - spatialBegin), S = (size_t)spatial;
  for (int k = 0; k < groups; k++) {
    for (int o = 0; o < outPerGroup; o++) {
      const int oc = k * outPerGroup + o;
      const size_t posIn = ((size_t)k * productGroupChannels + o) * S + spatialBegin;
      const size_t negIn = posIn + (size_t)outPerGroup * S;
      const size_t posRow = ((size_t)(2 * k) * outPerGroup + o) * S + spatialBegin;
      const size_t negRow = ((size_t)(2 * k + 1) * outPerGroup + o) * S + spatialBegin;
      alphabeta_row_dispatch(r + (size_t)oc * S + spatialBegin, pn + posIn, pn + negIn,
                             pnNeg ? pnNeg + posIn : NULL, pnNeg ? pnNeg + negIn : NULL,
                             biasPos ? biasPos[oc] : 0.0f, biasNeg ? biasNeg[oc] : 0.0f, n, alpha, beta,
                             stabilizer, ab + posRow, ab + negRow);
    }
  }
  return LRP_OK;
}

int lrp_alphabeta_normalize(const float *r, const float *pn, const float *pnNeg, const float *biasPos,
                            const float *biasNeg, int groups, int outPerGroup, int spatial,
                            int spatialBegin, int spatialEnd, float alpha, float beta, float stabilizer,
                            float *ab) {
  return lrp_alphabeta_normalize_strided(r, pn, pnNeg, 2 * outPerGroup, biasPos, biasNeg, groups, outPerGroup,
                                         spatial, spatialBegin, spatialEnd, alpha, beta, stabilizer, ab);
}

/* One output channel's spatial range of z-plus: a = alpha r / stab(P), P = w+ x+ (+ w- x-) + b+. */
LRP_BODY void zplus_row_body(const float *r, const float *pp, const float *qn, float bp, size_t n, float alpha,
                             float s, float *a) {
  if (qn) {
    for (size_t i = 0; i < n; i++) a[i] = lrp_safe_div(alpha * r[i], lrp_stab(pp[i] + qn[i] + bp, s));
  } else {
    for (size_t i = 0; i < n; i++) a[i] = lrp_safe_div(alpha * r[i], lrp_stab(pp[i] + bp, s));
  }
}
LRP_DUAL(zplus_row, zplus_row_body,
         (const float *r, const float *pp, const float *qn, float bp, size_t n, float alpha, float s, float *a),
         (r, pp, qn, bp, n, alpha, s, a))

int lrp_zplus_normalize(const float *r, const float *pp, const float *qn, int productGroupChannels,
                        const float *biasPos, int groups, int outPerGroup, int spatial, int spatialBegin,
                        int spatialEnd, float alpha, float stabilizer, float *a) {
  if (!r || !pp || !a || groups <= 0 || outPerGroup <= 0 || spatial <= 0) return LRP_E_ARGUMENT;
  if (productGroupChannels < outPerGroup) return LRP_E_ARGUMENT;
  if (spatialBegin < 0 || spatialEnd > spatial || spatialBegin > spatialEnd) return LRP_E_ARGUMENT;
  const size_t n = (size_t)(spatialEnd - spatialBegin), S = (size_t)spatial;
  for (int k = 0; k < groups; k++) {
    for (int o = 0; o < outPerGroup; o++) {
      const int oc = k * outPerGroup + o;
      const size_t in = ((size_t)k * productGroupChannels + o) * S + spatialBegin;
      const size_t row = (size_t)oc * S + spatialBegin;
      zplus_row_dispatch(r + row, pp + in, qn ? qn + in : NULL, biasPos ? biasPos[oc] : 0.0f, n, alpha,
                         stabilizer, a + row);
    }
  }
  return LRP_OK;
}

int lrp_copy_group_rows(const float *src, int srcGroupChannels, int srcOffset, int groups, int outPerGroup,
                        int spatial, float *dst) {
  if (!src || !dst || groups <= 0 || outPerGroup <= 0 || spatial <= 0) return LRP_E_ARGUMENT;
  if (srcOffset < 0 || srcOffset + outPerGroup > srcGroupChannels) return LRP_E_ARGUMENT;
  const size_t block = (size_t)outPerGroup * spatial;
  for (int k = 0; k < groups; k++)
    memcpy(dst + (size_t)k * block, src + ((size_t)k * srcGroupChannels + srcOffset) * spatial, sizeof(float) * block);
  return LRP_OK;
}

static inline uint32_t lrp_nonfinite_bit(const float *p) {
  uint32_t b;
  memcpy(&b, p, sizeof b); /* the bit pattern, without breaking aliasing rules */
  return (~b & 0x7f800000u) == 0; /* exponent bits all ones: inf or NaN */
}

int lrp_all_finite(const float *x, size_t n) {
  /* integer tests in branch-free blocks vectorise */
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    uint32_t bad = 0;
    for (size_t j = 0; j < 64; j++) bad |= lrp_nonfinite_bit(x + i + j);
    if (bad) return 0;
  }
  for (; i < n; i++)
    if (lrp_nonfinite_bit(x + i)) return 0;
  return 1;
}

int lrp_has_negative(const float *x, size_t n) {
  /* branch-free blocks so the common all-positive case stays fast */
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    int any = 0;
    for (size_t j = 0; j < 64; j++) any |= x[i + j] < 0.0f;
    if (any) return 1;
  }
  for (; i < n; i++)
    if (x[i] < 0.0f) return 1;
  return 0;
}

LRP_BODY void split_sign_body(const float *x, float *pos, float *neg, size_t n) {
  for (size_t i = 0; i < n; i++) {
    pos[i] = x[i] > 0.0f ? x[i] : 0.0f;
    neg[i] = x[i] < 0.0f ? x[i] : 0.0f;
  }
}
LRP_DUAL(split_sign, split_sign_body, (const float *x, float *pos, float *neg, size_t n), (x, pos, neg, n))
void lrp_split_sign(const float *x, float *pos, float *neg, size_t n) { split_sign_dispatch(x, pos, neg, n); }

LRP_BODY void mul_body(const float *a, const float *b, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = a[i] * b[i];
}
LRP_DUAL(mul, mul_body, (const float *a, const float *b, float *y, size_t n), (a, b, y, n))
void lrp_mul(const float *a, const float *b, float *y, size_t n) { mul_dispatch(a, b, y, n); }

LRP_BODY void signed_mul_body(const float *x, const float *dp, const float *dn, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] * dp[i] : x[i] * dn[i];
}
LRP_DUAL(signed_mul, signed_mul_body, (const float *x, const float *dp, const float *dn, float *y, size_t n),
         (x, dp, dn, y, n))
void lrp_signed_mul(const float *x, const float *dPos, const float *dNeg, float *y, size_t n) {
  signed_mul_dispatch(x, dPos, dNeg, y, n);
}

LRP_BODY void accumulate_body(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] += x[i];
}
LRP_DUAL(accumulate, accumulate_body, (const float *x, float *y, size_t n), (x, y, n))
void lrp_accumulate(const float *x, float *y, size_t n) { accumulate_dispatch(x, y, n); }

LRP_BODY void scale_body(const float *x, float s, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = s * x[i];
}
LRP_DUAL(scale, scale_body, (const float *x, float s, float *y, size_t n), (x, s, y, n))
void lrp_scale(const float *x, float s, float *y, size_t n) { scale_dispatch(x, s, y, n); }

void lrp_zbox_combine(const float *x, const float *low, const float *high, const float *d,
                      const float *dLow, const float *dHigh, int channels, size_t spatial, float *out) {
  for (int c = 0; c < channels; c++) {
    const size_t o = (size_t)c * spatial;
    for (size_t p = 0; p < spatial; p++)
      out[o + p] = x[o + p] * d[o + p] - low[c] * dLow[o + p] - high[c] * dHigh[o + p];
  }
}

LRP_BODY void sum_split_body(const float *a, const float *b, const float *r, float s, float *ra, float *rb,
                             size_t n) {
  for (size_t i = 0; i < n; i++) {
    const float g = lrp_safe_div(r[i], lrp_stab(a[i] + b[i], s));
    const float av = a[i], bv = b[i];
    ra[i] = av * g;
    rb[i] = bv * g;
  }
}
LRP_DUAL(sum_split, sum_split_body,
         (const float *a, const float *b, const float *r, float s, float *ra, float *rb, size_t n),
         (a, b, r, s, ra, rb, n))
void lrp_sum_split(const float *a, const float *b, const float *r, float stabilizer, float *ra, float *rb,
                   size_t n) {
  sum_split_dispatch(a, b, r, stabilizer, ra, rb, n);
}

LRP_BODY void relu_body(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
LRP_DUAL(relu, relu_body, (const float *x, float *y, size_t n), (x, y, n))
void lrp_relu(const float *x, float *y, size_t n) { relu_dispatch(x, y, n); }

LRP_BODY void clip_body(const float *x, float lo, float hi, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const float v = x[i] < lo ? lo : x[i];
    y[i] = v > hi ? hi : v;
  }
}
LRP_DUAL(clip, clip_body, (const float *x, float lo, float hi, float *y, size_t n), (x, lo, hi, y, n))
void lrp_clip(const float *x, float lo, float hi, float *y, size_t n) { clip_dispatch(x, lo, hi, y, n); }

LRP_BODY void add_body(const float *a, const float *b, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}
LRP_DUAL(add, add_body, (const float *a, const float *b, float *y, size_t n), (a, b, y, n))
void lrp_add(const float *a, const float *b, float *y, size_t n) { add_dispatch(a, b, y, n); }

void lrp_channel_affine(const float *x, const float *scale, const float *shift, int channels, size_t spatial,
                        float *y) {
  for (int c = 0; c < channels; c++) {
    const size_t o = (size_t)c * spatial;
    const float a = scale[c], b = shift[c];
    for (size_t p = 0; p < spatial; p++) y[o + p] = a * x[o + p] + b;
  }
}

void lrp_channel_affine_epsilon(const float *x, const float *scale, const float *z, const float *r,
                                float epsilon, int channels, size_t spatial, float *rin) {
  for (int c = 0; c < channels; c++) {
    const size_t o = (size_t)c * spatial;
    const float a = scale[c];
    for (size_t p = 0; p < spatial; p++)
      rin[o + p] = x[o + p] * a * lrp_safe_div(r[o + p], lrp_stab(z[o + p], epsilon));
  }
}

void lrp_lrn_forward(const float *x, int channels, size_t spatial, int size, float alpha, float beta,
                     float bias, float *y) {
  const int before = (size - 1) / 2, after = size - 1 - before;
  for (int c = 0; c < channels; c++) {
    const int c0 = c - before < 0 ? 0 : c - before;
    const int c1 = c + after >= channels ? channels - 1 : c + after;
    for (size_t p = 0; p < spatial; p++) {
      float sq = 0.0f;
      for (int k = c0; k <= c1; k++) {
        const float v = x[(size_t)k * spatial + p];
        sq += v * v;
      }
      y[(size_t)c * spatial + p] = x[(size_t)c * spatial + p] / powf(bias + alpha / (float)size * sq, beta);
    }
  }
}

void lrp_pad2d(const float *x, int channels, int h, int w, int top, int left, int bottom, int right,
               float value, float *y) {
  const int ph = h + top + bottom, pw = w + left + right;
  for (int c = 0; c < channels; c++) {
    float *yc = y + (size_t)c * ph * pw;
    const float *xc = x + (size_t)c * h * w;
    for (int i = 0; i < ph; i++) {
      float *yr = yc + (size_t)i * pw;
      const int ih = i - top;
      if (ih < 0 || ih >= h) {
        for (int j = 0; j < pw; j++) yr[j] = value;
        continue;
      }
      for (int j = 0; j < left; j++) yr[j] = value;
      for (int j = 0; j < w; j++) yr[left + j] = xc[(size_t)ih * w + j];
      for (int j = left + w; j < pw; j++) yr[j] = value;
    }
  }
}

void lrp_crop2d(const float *r, int channels, int h, int w, int top, int left, int bottom, int right,
                float *rin) {
  const int ph = h + top + bottom, pw = w + left + right;
  for (int c = 0; c < channels; c++)
    for (int i = 0; i < h; i++)
      for (int j = 0; j < w; j++)
        rin[((size_t)c * h + i) * w + j] = r[((size_t)c * ph + i + top) * pw + j + left];
}
