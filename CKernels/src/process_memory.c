/* Process-wide allocator settings (docs/DESIGN.md §10.2); see lrpkernels.h. */
#include "lrpkernels.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int lrp_keep_freed_memory(void) {
#if defined(__GLIBC__)
    int ok = mallopt(M_MMAP_THRESHOLD, 32 << 20);
    ok &= mallopt(M_TRIM_THRESHOLD, 1 << 30);
    ok &= mallopt(M_TOP_PAD, 64 << 20);
    return ok ? 1 : 0;
#else
    return 0;
#endif
}
