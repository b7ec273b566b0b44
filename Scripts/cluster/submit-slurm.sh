#!/usr/bin/env bash
# Submits an lrp-cnn / lrp-fv run (explain, eval, encode) as a Slurm array job of n shards and,
# for eval, a merge job that starts only when every shard succeeded (--dependency=afterok).
#
#   Scripts/cluster/submit-slurm.sh --shards 100 --out /shared/run1 [--merge /shared/run1/report.json] \
#       -- lrp-cnn eval --model m.onnx --dataset /shared/imagenet --split val --classes ...
#   # re-run only failed shards 7 and 42 (finished work inside them is skipped), then merge again:
#   Scripts/cluster/submit-slurm.sh --shards 100 --tasks 7,42 --out /shared/run1 --merge ... -- lrp-cnn eval ...
#
# Options:
#   --shards N     number of shards (array tasks 0..N-1)                      (required)
#   --out DIR      output folder on a filesystem all nodes share              (required)
#   --tasks LIST   only these array indices (sbatch --array syntax, default 0-(N-1))
#   --merge FILE   also submit `<tool> merge DIR --out FILE` after the array (eval)
#   --cpus C       CPUs per task (default 1; OPENBLAS_NUM_THREADS follows it)
#   --sbatch ARGS  more sbatch options for both jobs, e.g. "--partition=cpu --time=02:00:00"
#   --wait         return only when the jobs have finished (exit status of the last one)
# The tool is a path or a name looked up in $LRP_BIN, this repository's .build/release, then PATH;
# it must be reachable at the same path on the compute nodes. Prints "array <id>" and "merge <id>".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
usage() { sed -n '2,23p' "$0" >&2; exit 2; }

shards="" out="" tasks="" merge="" cpus=1 extra="" wait=0
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --tasks) tasks="$2"; shift 2 ;;
    --merge) merge="$2"; shift 2 ;;
    --cpus) cpus="$2"; shift 2 ;;
    --sbatch) extra="$2"; shift 2 ;;
    --wait) wait=1; shift ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) echo "submit-slurm: unknown option $1" >&2; usage ;;
  esac
done
[ -n "$shards" ] && [ -n "$out" ] && [ $# -ge 2 ] || usage
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "submit-slurm: --shards must be a positive number" >&2; exit 2; }

# Absolute paths: the jobs may start in another directory (and on other nodes).
tool="$1"; shift
if [[ "$tool" != */* ]]; then
  for d in "${LRP_BIN:-}" "$repo/.build/release"; do
    if [ -n "$d" ] && [ -x "$d/$tool" ]; then tool="$d/$tool"; break; fi
  done
  [[ "$tool" == */* ]] || tool="$(command -v "$tool")" || { echo "submit-slurm: $1 not found" >&2; exit 1; }
fi
tool="$(cd "$(dirname "$tool")" && pwd)/$(basename "$tool")"
mkdir -p "$out/logs"
out="$(cd "$out" && pwd)"
[ -z "$merge" ] || merge="$(cd "$(dirname "$merge")" && pwd)/$(basename "$merge")"

# shellcheck disable=SC2206  # --sbatch is a list of options on purpose
extra_args=($extra)
common=(--parsable --chdir="$PWD" "${extra_args[@]}")
last_wait=()
[ "$wait" -eq 1 ] && [ -z "$merge" ] && last_wait=(--wait)
array_id="$(sbatch "${common[@]}" "${last_wait[@]}" --array="${tasks:-0-$((shards - 1))}" --cpus-per-task="$cpus" \
  --output="$out/logs/%x-%A_%a.log" --export="ALL,LRP_SHARDS=$shards,LRP_OUT=$out" \
  "$here/shard.sbatch" "$tool" "$@")"
array_id="${array_id%%;*}"
echo "array $array_id"
if [ -n "$merge" ]; then
  [ "$wait" -eq 1 ] && last_wait=(--wait)
  merge_id="$(sbatch "${common[@]}" "${last_wait[@]}" --dependency="afterok:$array_id" --kill-on-invalid-dep=yes \
    --output="$out/logs/%x-%j.log" --export="ALL,LRP_OUT=$out,LRP_MERGE_OUT=$merge" \
    "$here/merge.sbatch" "$tool")"
  echo "merge ${merge_id%%;*}"
fi
