// libFuzzer's entry for programs that keep their own main (SwiftPM executables name their
// entry point <module>_main and alias main to it, so libFuzzer's main cannot be used).
#include <stddef.h>
#include <stdint.h>

typedef int (*lrp_fuzz_callback)(const uint8_t *data, size_t size);

/// Runs libFuzzer with the process arguments on `callback`; returns its exit status.
int lrp_fuzz_run(int argc, char **argv, lrp_fuzz_callback callback);
