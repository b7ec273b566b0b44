#!/usr/bin/env bash
# The test command (README, CI): installs what the build needs, then builds and runs the whole
# suite. The suite uses only committed fixtures; it needs neither Python nor the shared datasets
# (a few tests also read the datasets under ../shared/data, next to the repository, or
# $LRP_IMAGENETTE, when present, and skip otherwise). Then fuzzing and sanitizers (Fuzz/README.md).
# Last, the cluster test: a one-node Slurm
# (installed with apt when missing) runs sharded evals as array jobs (Scripts/cluster/test-slurm.sh;
# without a working Slurm it runs the same flow with the array environment set by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
Scripts/install-deps.sh
Scripts/install-test-deps.sh   # chromium + font: the report page test (docs/DESIGN.md §10.3)
swift build --build-tests
swift test --skip-build
# Every file reader under libFuzzer + AddressSanitizer, 15 s each with a fixed seed (regressions
# on the committed corpora and the same mutations every run), then the whole suite once under
# AddressSanitizer (leak checks on) and UndefinedBehaviorSanitizer for the C kernels.
FUZZ_SEED=1 Scripts/fuzz.sh 15
Scripts/sanitize.sh
LRP_BIN="$(swift build --show-bin-path)" Scripts/cluster/test-slurm.sh
