/* CPU feature detection and BLAS threading (lrpkernels.h §0). */
#include "lrpkernels.h"
#include <cblas.h>

static int simdDisabled = 0;

int lrp_cpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
  static int cached = -1;
  if (simdDisabled) return 0;
  if (cached < 0) {
    __builtin_cpu_init();
    cached = (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
  }
  return cached;
#else
  return 0;
#endif
}

void lrp_cpu_disable_simd(int disable) { simdDisabled = disable ? 1 : 0; }

void lrp_blas_set_threads(int threads) { openblas_set_num_threads(threads < 1 ? 1 : threads); }
