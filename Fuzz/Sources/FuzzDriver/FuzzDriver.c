#include "FuzzDriver.h"

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t));

int lrp_fuzz_run(int argc, char **argv, lrp_fuzz_callback callback) {
    return LLVMFuzzerRunDriver(&argc, &argv, callback);
}
