#!/usr/bin/env bash
# Runs the whole XCTest suite once under AddressSanitizer (Swift and C) and UndefinedBehaviorSanitizer
# (C kernels; Swift checks overflow and bounds itself in debug builds). Builds into .build-asan.
#   Scripts/sanitize.sh [swift test arguments, e.g. --filter NPYTests]
# Fails on any sanitizer report (ASan stops the run; leaks and UBSan reports are counted in the log).
set -uo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
SCRATCH=.build-asan
flags=(--scratch-path "$SCRATCH" -Xswiftc -sanitize=address -Xswiftc -use-ld=lld
    -Xcc -fsanitize=address,undefined -Xcc -fno-omit-frame-pointer)
mkdir -p "$SCRATCH"
log="$SCRATCH/sanitize.log"
if ! swift build --build-tests "${flags[@]}" >"$log" 2>&1; then
    grep -E 'error' "$log" | head -20
    echo "sanitize.sh: build failed (log: $log)" >&2
    exit 2
fi
# Leak checking on: it finds C buffers lost on error paths (e.g. a longjmp out of libpng).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
LSAN_OPTIONS="suppressions=$PWD/Scripts/sanitize-leaks.supp:print_suppressions=0" \
    swift test --skip-build "${flags[@]}" "$@" >"$log" 2>&1
status=$?
grep -E '^(Test Suite .All tests.|	 Executed [0-9]+ tests?,)' "$log" | tail -2
ubsan=$(grep -c 'runtime error:' "$log")
asan=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)' "$log")
echo "sanitize.sh: swift test status $status, AddressSanitizer reports $asan, UndefinedBehaviorSanitizer reports $ubsan (log: $log)"
grep -E 'runtime error:|ERROR: (AddressSanitizer|LeakSanitizer)|SUMMARY:' "$log" | sort | uniq -c | head -20
[ "$status" -eq 0 ] && [ "$ubsan" -eq 0 ] && [ "$asan" -eq 0 ]
