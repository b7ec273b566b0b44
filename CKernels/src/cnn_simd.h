/* Internal to the CNN kernels (lrpkernels.h §2): how each hot loop gets an AVX2/FMA build and a
 * portable build from one body.
 *
 * A loop body is written once as an always-inline function (LRP_BODY). LRP_DISPATCH_* then
 * defines two static copies of a thin wrapper around it, one compiled with
 * `target("avx2,fma")` (the compiler vectorises the inlined body with 256-bit FMA code) and one
 * with the target's baseline flags, and a public function that picks one at run time through
 * lrp_cpu_has_avx2_fma() (which lrp_cpu_disable_simd() can switch off for tests). The target is
 * never compiled with -mavx2 as a whole. */
#ifndef LRP_CNN_SIMD_H
#define LRP_CNN_SIMD_H

#include "lrpkernels.h"

#define LRP_BODY static inline __attribute__((always_inline))
#define LRP_AVX2 __attribute__((target("avx2,fma")))

#if defined(__x86_64__) || defined(__i386__)
#define LRP_HAVE_AVX2_BUILD 1
#else
#define LRP_HAVE_AVX2_BUILD 0
#endif

/* Defines `static void name##_avx2(params)` and `static void name##_portable(params)`, both
 * calling `body(args)`, and `static void name##_dispatch(params)` choosing between them. */
#if LRP_HAVE_AVX2_BUILD
#define LRP_DUAL(name, body, params, args)                                          \
  LRP_AVX2 static void name##_avx2 params { body args; }                           \
  static void name##_portable params { body args; }                                \
  static void name##_dispatch params {                                             \
    if (lrp_cpu_has_avx2_fma()) name##_avx2 args; else name##_portable args;       \
  }
#else
#define LRP_DUAL(name, body, params, args)                                          \
  static void name##_portable params { body args; }                                \
  static void name##_dispatch params { name##_portable args; }
#endif

/* The stabiliser of zennit: x + s * sign(x) with sign(0) = +1. */
LRP_BODY float lrp_stab(float x, float s) { return x + (x >= 0.0f ? s : -s); }

/* a / d with 0/0 = 0 (d is only ever 0 when the stabiliser is 0). */
LRP_BODY float lrp_safe_div(float a, float d) { return d == 0.0f ? 0.0f : a / d; }

#endif
