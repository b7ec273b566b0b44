#!/usr/bin/env bash
# Fuzzes the file readers with libFuzzer (targets in Fuzz/, seed corpora in Fuzz/corpus/<target>).
#   Scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
# Targets: npy image onnx rulemap labels safetensors voc. Builds with -sanitize=fuzzer,address
# (C kernels included) into .build-fuzz, runs each target for the given time on a working copy
# of its seed corpus (.build-fuzz/corpus/<target>; the committed seeds are not changed) with
# Fuzz/dict/<target>.dict if there is one, prints
# executions per target and keeps crashing inputs in Fuzz/crashes/. Exits non-zero on a crash.
# FUZZ_LOG=FILE appends "date target seconds executions status" lines to FILE.
# FUZZ_SEED=N fixes libFuzzer's random seed (the test command uses one, so that CI replays the
# same mutations every run and a failure there is a regression, not a new random find).
set -uo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
ALL=(npy image onnx rulemap labels safetensors voc)
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")
SCRATCH=.build-fuzz

mkdir -p "$SCRATCH"
build_args=(-c release --package-path Fuzz --scratch-path "$SCRATCH"
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xcc -fsanitize=fuzzer-no-link,address)
for t in "${TARGETS[@]}"; do
    [ -d "Fuzz/Sources/fuzz-$t" ] || { echo "fuzz.sh: unknown target $t (known: ${ALL[*]})" >&2; exit 2; }
    if ! swift build "${build_args[@]}" --product "fuzz-$t" >"$SCRATCH/build-$t.log" 2>&1; then
        grep error "$SCRATCH/build-$t.log" | head -20
        echo "fuzz.sh: build of fuzz-$t failed (log: $SCRATCH/build-$t.log)" >&2
        exit 2
    fi
done

mkdir -p Fuzz/crashes "$SCRATCH"
failed=0
total=0
printf '%-12s %8s %12s %10s  %s\n' target seconds executions exec/s result
for t in "${TARGETS[@]}"; do
    work="$SCRATCH/corpus/$t"
    mkdir -p "$work"
    log="$SCRATCH/fuzz-$t.log"
    dict=()
    [ -f "Fuzz/dict/$t.dict" ] && dict=(-dict="Fuzz/dict/$t.dict")
    [ -n "${FUZZ_SEED:-}" ] && dict+=(-seed="$FUZZ_SEED")
    # -timeout: one input taking 30 s is a hang; -rss_limit_mb: a reader must not balloon.
    # The Swift backtracer would catch a trap first and trip ASan itself: leave traps to libFuzzer.
    SWIFT_BACKTRACE=enable=no "$SCRATCH/release/fuzz-$t" "$work" "Fuzz/corpus/$t" \
        -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -timeout=30 -rss_limit_mb=3072 \
        -artifact_prefix="Fuzz/crashes/$t-" -close_fd_mask=3 "${dict[@]}" >"$log" 2>&1
    status=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    [ -z "$execs" ] && execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    result=ok
    if [ $status -ne 0 ]; then
        result="CRASH (status $status): $(grep -o "Test unit written to .*" "$log" | tail -1 | sed 's/Test unit written to //')"
        failed=1
        grep -E 'ERROR|Fatal error|SUMMARY' "$log" | head -3 | sed 's/^/    /'
    fi
    printf '%-12s %8s %12s %10s  %s\n' "$t" "$SECONDS_PER_TARGET" "${execs:-?}" "${rate:-?}" "$result"
    total=$((total + ${execs:-0}))
    [ -n "${FUZZ_LOG:-}" ] && printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$SECONDS_PER_TARGET" "${execs:-?}" "$result" >>"$FUZZ_LOG"
done
echo "total executions: $total (logs: $SCRATCH/fuzz-<target>.log)"
exit $failed
