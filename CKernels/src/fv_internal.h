/* Internal helpers shared by the Fisher-vector kernels (lrpkernels.h §3): the workspace arena
 * and the smoothing rows dense SIFT reuses. The SIMD pattern and numeric helpers are simd.h's. */
#ifndef LRP_FV_INTERNAL_H
#define LRP_FV_INTERNAL_H

#include "simd.h"
#include <stddef.h>
#include <stdint.h>

/* Bump allocator over a caller-provided workspace: 64-byte aligned regions. */
typedef struct FvArena {
  uint8_t *next;
  uint8_t *end;
} FvArena;

static inline size_t fv_round64(size_t n) { return (n + 63) & ~(size_t)63; }

/* Bytes to reserve for a region of n bytes (alignment slack included). */
static inline size_t fv_region(size_t n) { return fv_round64(n) + 64; }

static inline void fv_arena_init(FvArena *a, void *ws, size_t size) {
  a->next = (uint8_t *)ws;
  a->end = (uint8_t *)ws + (ws ? size : 0);
}

/* Returns NULL when the workspace is exhausted. */
static inline void *fv_alloc(FvArena *a, size_t n) {
  uintptr_t p = ((uintptr_t)a->next + 63) & ~(uintptr_t)63;
  if (a->next == NULL || p + fv_round64(n) > (uintptr_t)a->end) return NULL;
  a->next = (uint8_t *)(p + fv_round64(n));
  return (void *)p;
}

/* Radius of the Gaussian ::lrp_gaussian_taps produces (-1 for bad arguments). */
int lrp_fv_gaussian_radius(double sigma, int kernel);

/* Smooths image rows [row0, row1] (inclusive, clamped inside the image) into
 * out[(y - row0) * width + x], padding by continuity. `pad` holds width + 2*radius floats,
 * `taps` 2*radius+1 floats from lrp_gaussian_taps. */
void lrp_fv_smooth_rows(float *out, const float *image, int width, int height,
                        const float *taps, int radius, int row0, int row1, float *pad);

/* dst[x] = Σ_k taps[k]·src_k[x] for x in [0, len), with src_k = rows[k], or pad + k when rows
 * is NULL (a correlation along one row); one body, dispatched as simd.h describes. */
void lrp_fv_tap_sum(float *dst, const float *const *rows, const float *pad, const float *taps, int n, size_t len);

#endif
