/* Internal to every kernel file: how each hot loop gets an AVX2/FMA build and a portable build
 * from one body, and the numeric helpers the kernels share.
 *
 * A loop body is written once as an always-inline function (LRP_BODY). LRP_DUAL / LRP_DUAL_RET
 * then define two static copies of a thin wrapper around it, one compiled with
 * `target("avx2,fma")` (the compiler vectorises the inlined body with 256-bit FMA code) and one
 * with the target's baseline flags, and a dispatcher that picks one at run time through
 * lrp_use_avx2(), i.e. lrp_cpu_has_avx2_fma() (which lrp_cpu_disable_simd() can switch off for
 * tests). The target is never compiled with -mavx2 as a whole.
 *
 * Where hand-written intrinsics stay (an exp polynomial or a lane-packing step the compiler
 * cannot derive from the scalar body), they live in a function marked LRP_AVX2 inside
 * `#if LRP_HAVE_AVX2_BUILD`, and their scalar remainder calls the same LRP_BODY helper the
 * portable build uses. */
#ifndef LRP_SIMD_H
#define LRP_SIMD_H

#include "lrpkernels.h"
#include <string.h>

#define LRP_BODY static inline __attribute__((always_inline))
#define LRP_AVX2 __attribute__((target("avx2,fma")))

#if defined(__x86_64__) || defined(__i386__)
#define LRP_HAVE_AVX2_BUILD 1
#include <immintrin.h>
#else
#define LRP_HAVE_AVX2_BUILD 0
#endif

/* What lrp_cpu_has_avx2_fma() last returned (-1 before its first call; cpu.c): read inline so
 * that dispatching a short loop costs one load and a branch. */
extern int lrp_simd_state __attribute__((visibility("hidden")));
LRP_BODY int lrp_use_avx2(void) {
  const int s = __atomic_load_n(&lrp_simd_state, __ATOMIC_RELAXED);
  return s >= 0 ? s : lrp_cpu_has_avx2_fma();
}

/* Defines `static type name##_avx2(params)` and `static type name##_portable(params)`, both
 * returning `body(args)`, and `static type name##_dispatch(params)` choosing between them. */
#if LRP_HAVE_AVX2_BUILD
#define LRP_DUAL_RET(type, name, body, params, args)                                \
  LRP_AVX2 static type name##_avx2 params { return body args; }                    \
  static type name##_portable params { return body args; }                         \
  static inline type name##_dispatch params {                                      \
    return lrp_use_avx2() ? name##_avx2 args : name##_portable args;               \
  }
#define LRP_DUAL(name, body, params, args)                                          \
  LRP_AVX2 static void name##_avx2 params { body args; }                           \
  static void name##_portable params { body args; }                                \
  static inline void name##_dispatch params {                                      \
    if (lrp_use_avx2()) name##_avx2 args; else name##_portable args;               \
  }
#else
#define LRP_DUAL_RET(type, name, body, params, args)                                \
  static type name##_portable params { return body args; }                         \
  static inline type name##_dispatch params { return name##_portable args; }
#define LRP_DUAL(name, body, params, args)                                          \
  static void name##_portable params { body args; }                                \
  static inline void name##_dispatch params { name##_portable args; }
#endif

/* The stabiliser of zennit: x + s * sign(x) with sign(0) = +1. */
LRP_BODY float lrp_stab(float x, float s) { return x + (x >= 0.0f ? s : -s); }

/* a / d with 0/0 = 0 (d is only ever 0 when the stabiliser is 0). */
LRP_BODY float lrp_safe_div(float a, float d) { return d == 0.0f ? 0.0f : a / d; }

/* Pairwise sums of 8 lanes in a fixed order ((0+4, 1+5, 2+6, 3+7), then (0+2, 1+3), then 0+1):
 * bodies accumulate lane-wise (which the compiler vectorises without reassociating) and reduce
 * with these, so both builds sum in the same order. */
LRP_BODY float lrp_hsum8f(const float *a) {
  const float b0 = a[0] + a[4], b1 = a[1] + a[5], b2 = a[2] + a[6], b3 = a[3] + a[7];
  return (b0 + b2) + (b1 + b3);
}
LRP_BODY double lrp_hsum8d(const double *a) {
  const double b0 = a[0] + a[4], b1 = a[1] + a[5], b2 = a[2] + a[6], b3 = a[3] + a[7];
  return (b0 + b2) + (b1 + b3);
}

/* 8 float lanes (4 double lanes) as GCC/Clang vector types: + − × ÷ act lane-wise, so a body
 * written with them keeps its accumulators in registers in both builds (one 256-bit register
 * with AVX2, two 128-bit ones otherwise). Loads and stores are unaligned. */
/* The helpers taking or returning these are always inlined, so no call passes them by value:
 * the warning about the 256-bit calling convention in the portable build does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float lrp_f8 __attribute__((vector_size(32)));
typedef double lrp_d4 __attribute__((vector_size(32)));

LRP_BODY lrp_f8 lrp_load8(const float *p) { lrp_f8 v; memcpy(&v, p, sizeof v); return v; }
LRP_BODY void lrp_store8(float *p, lrp_f8 v) { memcpy(p, &v, sizeof v); }
LRP_BODY lrp_f8 lrp_splat8(float x) { return (lrp_f8){x, x, x, x, x, x, x, x}; }
LRP_BODY lrp_d4 lrp_load4d(const double *p) { lrp_d4 v; memcpy(&v, p, sizeof v); return v; }

/* Lane-wise a < b ? a : b (b where a is NaN, like minps). */
LRP_BODY lrp_f8 lrp_min8(lrp_f8 a, lrp_f8 b) {
  lrp_f8 r;
  for (int t = 0; t < 8; ++t) r[t] = a[t] < b[t] ? a[t] : b[t];
  return r;
}

LRP_BODY double lrp_hsum4d(lrp_d4 a) { return (a[0] + a[2]) + (a[1] + a[3]); }

#endif
