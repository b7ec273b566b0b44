/* CPU feature detection and BLAS threading (lrpkernels.h §0). */
#include "simd.h"
#include <cblas.h>

/* -1 until detected; then 1 for AVX2/FMA, 0 for portable (also while lrp_cpu_disable_simd is on). */
int lrp_simd_state = -1;
static int simdDisabled = 0;

static int detect_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
#else
  return 0;
#endif
}

int lrp_cpu_has_avx2_fma(void) {
  static int cached = -1;
  if (cached < 0) cached = detect_avx2_fma();
  const int state = simdDisabled ? 0 : cached;
  __atomic_store_n(&lrp_simd_state, state, __ATOMIC_RELAXED);
  return state;
}

void lrp_cpu_disable_simd(int disable) {
  simdDisabled = disable ? 1 : 0;
  (void)lrp_cpu_has_avx2_fma();
}

void lrp_blas_set_threads(int threads) { openblas_set_num_threads(threads < 1 ? 1 : threads); }
