#!/usr/bin/env bash
# The cluster test (run by Scripts/test.sh): a one-node Slurm cluster on this machine
# (local-slurm.sh) runs `lrp-cnn eval` and `lrp-fv eval` as 4-task array jobs with a dependent merge
# (submit-slurm.sh) on a generated 24-picture dataset, and the merged reports must equal an
# unsharded run. One task is killed while running (scancel); the merge must then not run, and
# re-submitting only that task (sbatch --array=K), together with an already finished one, must give
# the same report again: nothing lost, nothing counted twice.
# If Slurm cannot start here, the error is printed and the same flow runs with the array
# environment set by hand (SLURM_ARRAY_TASK_ID, tasks one after the other, the kill by `timeout`).
# Last line: "Slurm: P passed, F failed"; exit status 1 on any failure.
# Environment: LRP_BIN (folder of lrp-cnn/lrp-fv; default .build/debug, else .build/release),
#              LRP_SLURM=manual (skip Slurm), LRP_SLURM_DIR (cluster state, see local-slurm.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${LRP_BIN:-$repo/.build/debug}"
[ -x "$bin/lrp-cnn" ] || bin="$repo/.build/release"
for t in lrp-cnn lrp-fv; do [ -x "$bin/$t" ] || { echo "test-slurm: $bin/$t not built" >&2; echo "Slurm: 0 passed, 1 failed"; exit 1; }; done
work="$(mktemp -d "${TMPDIR:-/tmp}/lrp-slurm-test.XXXXXX")"
chmod 755 "$work"   # the munge daemon runs as user munge and must reach its socket folder inside
export LRP_SLURM_DIR="${LRP_SLURM_DIR:-$work/cluster}"
# Ports other than Slurm's defaults, so that the test neither meets nor disturbs another cluster.
export LRP_SLURM_PORT="${LRP_SLURM_PORT:-16817}"
started=0 passed=0 failed=0
cleanup() {
  # Nothing is left running: cancel our jobs, stop the daemons we started, remove the files.
  if [ "$started" -eq 1 ]; then
    scancel --user="$(id -un)" 2>/dev/null || true
    "$here/local-slurm.sh" stop || true
  fi
  if [ "$failed" -eq 0 ]; then rm -rf "$work"; else echo "test-slurm: files kept in $work" >&2; fi
}
trap cleanup EXIT
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1" >&2; failed=$((failed + 1)); }

# The dataset generator needs python3 (standard library only).
if ! command -v python3 >/dev/null 2>&1; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends python3 </dev/null >/dev/null
fi

# --- data: 3 classes x 8 pictures (val) and 3 x 6 (train, for the Fisher-vector model) ---------
python3 "$here/make-test-dataset.py" "$work/data" --per-class 8
python3 "$here/make-test-dataset.py" "$work/data" --per-class 6 --split train
model="$repo/Tests/Fixtures/cnn-import/branchy.o13.folded.onnx"
cnn_args=(eval --model "$model" --dataset "$work/data" --split val --classes 0,1,2 --batch 4)
fv_args=(eval --model "$work/fv.safetensors" --dataset "$work/data" --split val)

# --- the scheduler ---------------------------------------------------------------------------
mode=slurm
if [ "${LRP_SLURM:-}" = manual ]; then
  mode=manual
elif ! { "$here/local-slurm.sh" install && "$here/local-slurm.sh" start; } >"$work/start.log" 2>&1; then
  echo "test-slurm: Slurm could not start here; running the flow with SLURM_ARRAY_TASK_ID/COUNT set by hand. Error:" >&2
  sed 's/^/  /' "$work/start.log" >&2
  "$here/local-slurm.sh" stop >/dev/null 2>&1 || true
  mode=manual
else
  started=1
  eval "$("$here/local-slurm.sh" env)"
fi
echo "test-slurm: mode $mode"

# run_array OUT TASKS TOOL ARGS...: the shards TASKS (comma list) of 4 and the merge into OUT/report.json;
# returns the merge's status. Slurm: submit-slurm.sh --wait. Manual: shard.sbatch per task, then merge.sbatch.
run_array() {
  local out="$1" tasks="$2"; shift 2
  if [ "$mode" = slurm ]; then
    "$here/submit-slurm.sh" --shards 4 --tasks "$tasks" --out "$out" --merge "$out/report.json" --wait -- "$@" >>"$work/submit.log" 2>&1
  else
    local t; mkdir -p "$out/logs"
    for t in ${tasks//,/ }; do
      SLURM_ARRAY_TASK_ID=$t SLURM_ARRAY_TASK_COUNT=4 LRP_SHARDS=4 LRP_OUT="$out" \
        "$here/shard.sbatch" "$@" >"$out/logs/shard-$t.log" 2>&1 || return 1
    done
    LRP_OUT="$out" LRP_MERGE_OUT="$out/report.json" "$here/merge.sbatch" "$1" >"$out/logs/merge.log" 2>&1
  fi
}

# same_report A B: the two eval reports agree in everything but timings.
same_report() {
  python3 - "$1" "$2" <<'PY'
import json, sys
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if "second" not in k.lower() and "time" not in k.lower()}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
a, b = (strip(json.load(open(p))) for p in sys.argv[1:3])
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print("  differs: %s: %r vs %r" % (k, a.get(k), b.get(k)), file=sys.stderr)
    sys.exit(1)
PY
}

# --- 1, 3: an array run with merge equals the unsharded run (lrp-cnn, lrp-fv) --------------------
# array_equals_unsharded NAME REPORT-OPTION TOOL ARGS...: REPORT-OPTION names the unsharded report file.
array_equals_unsharded() {
  local name="$1" report="$2"; shift 2
  "$bin/$1" "${@:2}" "$report" "$work/$name-ref.json" >"$work/$name-ref.log" 2>&1 || { fail "$name: unsharded eval failed"; cat "$work/$name-ref.log" >&2; return 0; }
  if run_array "$work/$name" 0,1,2,3 "$bin/$1" "${@:2}" && same_report "$work/$name-ref.json" "$work/$name/report.json"; then
    pass "$name: 4-task array + merge = unsharded eval"
  else
    fail "$name: 4-task array + merge differs from unsharded eval (logs: $work/$name/logs)"
    tail -n 5 "$work/$name"/logs/* >&2 || true
  fi
}
array_equals_unsharded cnn --out lrp-cnn "${cnn_args[@]}" || fail "cnn: error"

# --- 2: a task killed while running, re-submitted alone (with a finished one) ---------------------
# A wrapper stands in for a slow or hung node: the first time task 2 starts it waits, so that it
# is killed while running; every other call is the real tool.
cat >"$work/hold.sh" <<HOLD
#!/usr/bin/env bash
if [ "\${SLURM_ARRAY_TASK_ID:-}" = 2 ] && mkdir "$work/held" 2>/dev/null; then exec sleep 300; fi
exec "$bin/lrp-cnn" "\$@"
HOLD
chmod +x "$work/hold.sh"
killed_task_rerun() {
  local out="$work/kill" ok=1
  if [ "$mode" = slurm ]; then
    local ids array merge i state
    ids="$("$here/submit-slurm.sh" --shards 4 --out "$out" --merge "$out/report.json" -- "$work/hold.sh" "${cnn_args[@]}")"
    array="$(sed -n 's/^array //p' <<<"$ids")"; merge="$(sed -n 's/^merge //p' <<<"$ids")"
    # Wait until the other tasks are done and task 2 is running, then kill it.
    for i in $(seq 120); do
      state="$(squeue -h -r -j "$array" -o '%K %T' 2>/dev/null | tr '\n' ' ')"
      [ "$state" = "2 RUNNING " ] && break
      sleep 0.5
    done
    [ "$state" = "2 RUNNING " ] || { echo "  task states: $state" >&2; ok=0; }
    scancel "${array}_2"
    # The merge depends on every task succeeding: it must be cancelled, not run.
    for i in $(seq 60); do squeue -h -j "$merge" 2>/dev/null | grep -q . || break; sleep 0.5; done
    state="$(scontrol show job "$merge" 2>/dev/null | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p')"
    [ "$state" = CANCELLED ] || { echo "  merge job after the kill: ${state:-gone}" >&2; ok=0; }
  else
    local t
    mkdir -p "$out/logs"
    for t in 0 1 3; do
      SLURM_ARRAY_TASK_ID=$t SLURM_ARRAY_TASK_COUNT=4 LRP_SHARDS=4 LRP_OUT="$out" \
        "$here/shard.sbatch" "$work/hold.sh" "${cnn_args[@]}" >"$out/logs/shard-$t.log" 2>&1 || ok=0
    done
    SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=4 LRP_SHARDS=4 LRP_OUT="$out" \
      timeout 2 "$here/shard.sbatch" "$work/hold.sh" "${cnn_args[@]}" >"$out/logs/shard-2.log" 2>&1 && ok=0
  fi
  [ -e "$out/report.json" ] && { echo "  a report was written with a shard missing" >&2; ok=0; }
  # merge by hand must refuse the incomplete set.
  if "$bin/lrp-cnn" merge "$out" --out "$out/early.json" >"$work/early.log" 2>&1; then
    echo "  merge accepted the incomplete shards" >&2; ok=0
  fi
  # Re-submit the killed task and an already finished one (its work must be skipped, not doubled).
  local before; before="$(cat "$out"/shard-0000-of-0004/*.json 2>/dev/null | md5sum)"
  run_array "$out" 0,2 "$work/hold.sh" "${cnn_args[@]}" || { echo "  re-run or merge failed" >&2; ok=0; }
  [ "$before" = "$(cat "$out"/shard-0000-of-0004/*.json 2>/dev/null | md5sum)" ] || echo "  note: shard 0's files changed on the re-run" >&2
  same_report "$work/cnn-ref.json" "$out/report.json" || ok=0
  if [ $ok -eq 1 ]; then pass "killed task 2, merge refused, re-ran tasks 0,2: report = unsharded"
  else fail "killed task re-run (logs: $out/logs)"; tail -n 5 "$out"/logs/* "$work/early.log" >&2 || true; fi
}
killed_task_rerun || fail "killed task re-run: error"

if "$bin/lrp-fv" eval --help 2>&1 | grep -q -- --shard; then
  # a tiny Fisher-vector model (the options of Tests/CLITests/LrpFvCLITests)
  "$bin/lrp-fv" train --dataset "$work/data" --split train --out "$work/fv.safetensors" --gmm-k 3 --pca 8 \
    --sizes 4,6 --step 4 --pyramid 1x1,1x2 --descriptor-sample 1500 --sample-images 6 --in-memory >/dev/null 2>&1
  array_equals_unsharded fv --json lrp-fv "${fv_args[@]}" || fail "fv: error"
else
  echo "SKIP: fv: this lrp-fv eval has no --shard"
fi

echo "Slurm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
