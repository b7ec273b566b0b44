#!/usr/bin/env bash
# Crafted-input sweep (docs/DESIGN.md §7.7): several hundred hostile inputs — images, ONNX
# models, .npy tensors, safetensors/Fisher-vector models, option values, and SIGINT/SIGTERM in
# the middle of runs — through the release binaries, each under GNU time and a timeout.
#
#   Scripts/hostile-sweep.sh [--keep] [--quick]
#
# Per run it records the exit status, a crash (a signal, or an exit >= 128 that is not the
# interruption's 130/143), a hang (timeout), the `error:` lines (exactly one on a failure; for a
# batch, one per failed image and a count line that agrees), non-finite values in an exit-0
# result (stdout, .npy outputs, JSON summaries), temporary or incomplete output sets left in the
# output folder, and peak RSS against the bound: 512 MB over the largest model-only baseline
# (measured once here). Prints a summary table and exits 1 on any violation.
#
# Needs: the release binaries (built with `swift build -c release` when missing; $LRP_BIN
# overrides their folder), GNU time (the `time` package, installed when missing), coreutils.
# Only the repository's own files are used (Models/, Samples/, Tests/Fixtures/), not
# ../shared/data. The ONNX models that need protobuf editing (huge pads, bad dims, NaN
# initialisers, a long Identity chain) are made with Python's onnx package from $LRP_VENV or
# <root>/.venv when it has one; without it those few are skipped with a note.
#
# Environment: HOSTILE_TIMEOUT (seconds per run, default 60), HOSTILE_SEED (default 9).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${LRP_BIN:-$ROOT/.build/release}"
TIMEOUT="${HOSTILE_TIMEOUT:-60}"
RANDOM="${HOSTILE_SEED:-9}"
KEEP=0; QUICK=0
for a in "$@"; do
    case "$a" in
        --keep) KEEP=1 ;;
        --quick) QUICK=1 ;;
        *) echo "usage: $0 [--keep] [--quick]" >&2; exit 2 ;;
    esac
done

if [[ ! -x /usr/bin/time ]] || ! /usr/bin/time -f %M true 2>/dev/null; then
    echo "installing GNU time" >&2
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
    $SUDO apt-get install -y --no-install-recommends time >/dev/null 2>&1 \
        || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends time >/dev/null; } \
        || { echo "error: GNU time is needed (apt-get install time)" >&2; exit 1; }
fi
for tool in lrp-cnn lrp-fv lrp-bench; do
    if [[ ! -x "$BIN/$tool" ]]; then
        echo "building the release binaries" >&2
        (cd "$ROOT" && PATH="/opt/swift/usr/bin:$PATH" swift build -c release) >&2 || { echo "error: release build failed" >&2; exit 1; }
        break
    fi
done

W="$(mktemp -d "${TMPDIR:-/tmp}/lrp-hostile.XXXXXX")"
cleanup() { [[ $KEEP -eq 1 ]] && echo "kept $W" >&2 || rm -rf "$W"; }
trap cleanup EXIT
mkdir -p "$W/img" "$W/onnx" "$W/npy" "$W/st" "$W/runs"

CNN_MODEL="$ROOT/Tests/Fixtures/cnn-import/branchy.o13.folded.onnx"   # 3×32×32, 10 classes
BIG_MODEL="$ROOT/Models/mobilenet_v2.onnx"
FV_MODEL="$ROOT/Models/fisher_imagenette.safetensors"
PHOTO="$ROOT/Tests/Fixtures/core/photo.jpg"
PHOTO_PNG="$ROOT/Tests/Fixtures/core/photo.png"
CHELSEA="$ROOT/Samples/chelsea.jpg"
PY=""
for v in "${LRP_VENV:-}" "$ROOT/.venv"; do
    [[ -n "$v" && -x "$v/bin/python" ]] && "$v/bin/python" -c "import onnx, numpy" 2>/dev/null && { PY="$v/bin/python"; break; }
done

# ---------------------------------------------------------------- bookkeeping

declare -A CAT_RUNS CAT_INPUTS CAT_BAD
VIOLATIONS=()
RUNS=0
count_input() { CAT_INPUTS[$1]=$(( ${CAT_INPUTS[$1]:-0} + 1 )); }

violation() {  # category, description
    VIOLATIONS+=("[$1] $2")
    CAT_BAD[$1]=$(( ${CAT_BAD[$1]:-0} + 1 ))
}

# Non-finite values in .npy files (float32 data after the header) or JSON summaries under $1.
nonfinite_outputs() {
    local f off
    while IFS= read -r -d '' f; do
        case "$f" in
            *.npy)
                off=$(( 10 + $(od -An -tu2 -j8 -N2 "$f" | tr -d ' ') ))
                od -An -tf4 -v -j"$off" "$f" | grep -qiE 'nan|inf' && { echo "$f"; return 0; } ;;
            *.json)
                grep -qE '"(logit|relevanceSum|score)" *: *null' "$f" && { echo "$f"; return 0; } ;;
        esac
    done < <(find "$1" -type f \( -name '*.npy' -o -name '*.json' \) -print0 2>/dev/null)
    return 1
}

# Temporary files, or output sets without all their files, under $1 ($2: cnn or fv).
leftovers() {
    local dir=$1 kind=$2
    [[ -d "$dir" ]] || return 1
    local hidden
    hidden=$(find "$dir" -name '.*' ! -name '.' 2>/dev/null | head -1)
    [[ -n "$hidden" ]] && { echo "temporary file $(basename "$hidden")"; return 0; }
    local need=4; [[ $kind == cnn ]] && need=5
    local bad
    bad=$(find "$dir" -maxdepth 1 -type f \( -name '*.heatmap.npy' -o -name '*.heatmap.png' -o -name '*.overlay.png' \
            -o -name '*.relevance.npy' -o -name '*.json' \) ! -name manifest.json -printf '%f\n' 2>/dev/null \
        | sed -E 's/\.(heatmap\.npy|heatmap\.png|overlay\.png|relevance\.npy|json)$//' | sort | uniq -c \
        | awk -v n="$need" '$1 != n { print $2; exit }')
    [[ -n "$bad" ]] && { echo "incomplete set $bad"; return 0; }
    return 1
}

# run CATEGORY NAME MODE OUTDIR KIND -- command...
#   MODE: fail (must fail with one error line), any (either; a failure has one error line),
#   batch (several inputs: one error line per failed input, a count line that agrees), ok.
#   OUTDIR: folder whose leftovers and outputs are checked ("-" for none); KIND: cnn | fv.
run() {
    local cat=$1 name=$2 mode=$3 out=$4 kind=$5; shift 6
    local d="$W/runs/$RUNS"; mkdir -p "$d"
    RUNS=$((RUNS + 1)); CAT_RUNS[$cat]=$(( ${CAT_RUNS[$cat]:-0} + 1 ))
    timeout --kill-after=5 "$TIMEOUT" /usr/bin/time -f %M -o "$d/time" "$@" >"$d/out" 2>"$d/err"
    local status=$?
    check "$cat" "$name" "$mode" "$out" "$kind" "$status" "$d" 0
}

# check CATEGORY NAME MODE OUTDIR KIND STATUS RUNDIR INTERRUPTED
check() {
    local cat=$1 name=$2 mode=$3 out=$4 kind=$5 status=$6 d=$7 interrupted=$8
    if [[ $status -eq 124 || $status -eq 137 ]]; then violation "$cat" "$name: hang (no exit within ${TIMEOUT}s)"; return; fi
    local sig
    sig=$(sed -n 's/^Command terminated by signal \([0-9]*\).*/\1/p' "$d/time" 2>/dev/null)
    if [[ -n "$sig" ]]; then violation "$cat" "$name: crash, signal $sig ($(tail -c 300 "$d/err" | tr '\n' ' '))"; return; fi
    local rc
    rc=$(sed -n 's/^Command exited with non-zero status \([0-9]*\).*/\1/p' "$d/time")
    rc=${rc:-0}
    [[ $status -ne 0 && $rc -eq 0 ]] && rc=$status
    if [[ $rc -ge 128 ]] && ! [[ $interrupted -eq 1 && ( $rc -eq 130 || $rc -eq 143 ) ]]; then
        violation "$cat" "$name: crash, exit $rc ($(tail -c 300 "$d/err" | tr '\n' ' '))"; return
    fi
    local rss
    rss=$(tail -n1 "$d/time" | tr -d ' ')
    if [[ "$rss" =~ ^[0-9]+$ ]] && (( rss > RSS_BOUND_KB )); then
        violation "$cat" "$name: peak RSS $((rss / 1024)) MB over the bound $((RSS_BOUND_KB / 1024)) MB"
    fi
    PEAK[$cat]=$(( rss > ${PEAK[$cat]:-0} ? rss : ${PEAK[$cat]:-0} ))
    local errors
    errors=$(cat "$d/out" "$d/err" | grep -c '^error: ')
    if [[ $rc -eq 0 ]]; then
        [[ $mode == fail ]] && violation "$cat" "$name: exit 0 where a failure was expected"
        [[ $errors -ne 0 ]] && violation "$cat" "$name: exit 0 with $errors error lines"
        # (the crafted files' own paths, e.g. nan-weight.onnx, are not values)
        if sed "s#$W[^ ]*##g" "$d/out" | grep -qiwE 'nan|[-+]?inf(inity)?'; then
            violation "$cat" "$name: exit 0 with a non-finite value on stdout"
        fi
        if [[ $out != - && $interrupted -eq 0 ]]; then
            local f
            f=$(nonfinite_outputs "$out") && violation "$cat" "$name: exit 0 with non-finite values in $(basename "$f")"
        fi
    elif [[ $interrupted -eq 1 ]]; then
        if [[ $rc -eq 130 || $rc -eq 143 ]]; then
            [[ $errors -eq 1 ]] && grep -q '^error: interrupted' "$d/err" || violation "$cat" "$name: interrupted run without one 'error: interrupted' line"
        else
            violation "$cat" "$name: interrupted run exited $rc ($(tail -c 200 "$d/err" | tr '\n' ' '))"
        fi
    elif [[ $mode == ok ]]; then
        violation "$cat" "$name: failed ($rc): $(tail -c 200 "$d/err" | tr '\n' ' ')"
    elif [[ $mode == batch ]]; then
        local line failed total done_
        line=$(tail -n1 "$d/err")
        if [[ "$line" =~ ^[a-z]+\ ([0-9]+)\ of\ ([0-9]+)\ images?(\;\ ([0-9]+)\ failed)? ]]; then
            done_=${BASH_REMATCH[1]}; total=${BASH_REMATCH[2]}; failed=${BASH_REMATCH[4]:-0}
            [[ $errors -eq $failed ]] || violation "$cat" "$name: $errors error lines for $failed failed images"
            [[ $((done_ + failed)) -eq $total ]] || violation "$cat" "$name: count line does not add up: $line"
            [[ $rc -eq 1 ]] || violation "$cat" "$name: batch with failures exited $rc"
        elif [[ $errors -ne 1 ]]; then
            # a whole-run error (bad option or model) is one line
            violation "$cat" "$name: batch failed ($rc) with $errors error lines and no count line"
        fi
    else
        [[ $errors -eq 1 ]] || violation "$cat" "$name: failure ($rc) with $errors error lines: $(head -c 300 "$d/err" | tr '\n' ' ')"
        if [[ -n "${FRAGMENT:-}" ]]; then
            grep '^error: ' "$d/err" | grep -qF -- "$FRAGMENT" && ! grep -qi 'missing value' "$d/err" \
                || violation "$cat" "$name: error does not name $FRAGMENT: $(head -c 200 "$d/err" | tr '\n' ' ')"
        fi
        [[ $(wc -l <"$d/err") -le 2 ]] || violation "$cat" "$name: failure ($rc) printed $(wc -l <"$d/err") lines on stderr"
    fi
    if [[ $out != - ]]; then
        local l
        l=$(leftovers "$out" "$kind") && violation "$cat" "$name: $l left in the output folder"
    fi
    rm -rf "$d"
}
declare -A PEAK

# ---------------------------------------------------------------- baselines

echo "measuring model-only baselines" >&2
/usr/bin/time -f %M -o "$W/base1" "$BIN/lrp-cnn" layers --model "$BIG_MODEL" >/dev/null 2>&1
/usr/bin/time -f %M -o "$W/base2" "$BIN/lrp-fv" eval --model "$FV_MODEL" --dataset "$W/no-such-dataset" >/dev/null 2>&1
BASE_CNN=$(tail -n1 "$W/base1"); BASE_FV=$(tail -n1 "$W/base2")
BASE=$(( BASE_CNN > BASE_FV ? BASE_CNN : BASE_FV ))
RSS_BOUND_KB=$(( BASE + 512 * 1024 ))
echo "baseline peak RSS: lrp-cnn with MobileNetV2 $((BASE_CNN / 1024)) MB, lrp-fv with its model $((BASE_FV / 1024)) MB; bound $((RSS_BOUND_KB / 1024)) MB" >&2

# ---------------------------------------------------------------- crafting helpers

# Overwrites bytes of $1 at offset $2 with the hex string $3 (e.g. ffd9).
patch() { printf "$(echo "$3" | sed 's/../\\x&/g')" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
size() { stat -c %s "$1"; }
# CRC-32 of stdin as 8 hex digits, big-endian (from gzip's trailer, which stores it little-endian).
crc32() { gzip -c | tail -c8 | head -c4 | od -An -tx1 | awk '{ print $4 $3 $2 $1 }'; }
hex32() { printf '%08x' "$1"; }
# A PNG like photo.png whose IHDR says width $2 × height $3 (bit depth/colour type $4, default 0802).
png_with_header() {
    local out=$1 w=$2 h=$3 kind=${4:-0802}
    local data="49484452$(hex32 "$w")$(hex32 "$h")${kind}000000"
    local crc
    crc=$(printf "$(echo "$data" | sed 's/../\\x&/g')" | crc32)
    { head -c8 "$PHOTO_PNG"; printf '\x00\x00\x00\x0d'; printf "$(echo "${data}${crc}" | sed 's/../\\x&/g')"; tail -c +34 "$PHOTO_PNG"; } >"$out"
}

# ---------------------------------------------------------------- images

echo "crafting images" >&2
I="$W/img"
cp "$PHOTO" "$I/ok-photo.jpg"; cp "$PHOTO_PNG" "$I/ok-photo.png"; cp "$CHELSEA" "$I/ok-chelsea.jpg"
cp "$ROOT/Tests/Fixtures/core/cmyk.jpg" "$I/cmyk.jpg"; cp "$ROOT/Tests/Fixtures/core/grey.png" "$I/ok-grey.png"
cp "$ROOT/Tests/Fixtures/core/corrupt-idat.png" "$I/corrupt-idat.png"
n=$(size "$CHELSEA")
for len in 0 1 2 3 4 20 100 160 300 600 1000 2000 5000 $((n / 2)) $((n - 100)) $((n - 2)) $((n - 1)); do
    head -c "$len" "$CHELSEA" >"$I/trunc-jpg-$len.jpg"
done
n=$(size "$PHOTO_PNG")
for len in 8 16 33 40 60 $((n / 2)) $((n - 12)) $((n - 1)); do head -c "$len" "$PHOTO_PNG" >"$I/trunc-png-$len.png"; done
n=$(size "$CHELSEA")
for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
    off=$(( (k * 2467 + RANDOM) % (n - 4) ))
    cp "$CHELSEA" "$I/flip-jpg-$k.jpg"
    case $((k % 4)) in
        0) patch "$I/flip-jpg-$k.jpg" "$off" ffd9 ;;
        1) patch "$I/flip-jpg-$k.jpg" "$off" ffc4ffff ;;
        2) patch "$I/flip-jpg-$k.jpg" "$off" 00000000 ;;
        3) patch "$I/flip-jpg-$k.jpg" "$off" "$(printf '%02x%02x' $((RANDOM % 256)) $((RANDOM % 256)))" ;;
    esac
done
n=$(size "$PHOTO_PNG")
for k in 1 2 3 4 5 6 7 8; do
    cp "$PHOTO_PNG" "$I/flip-png-$k.png"
    patch "$I/flip-png-$k.png" $(( (k * 331 + RANDOM) % (n - 4) )) "$(printf '%02x%02x%02x' $((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256)))"
done
# SOF dimensions (FFC0: length, precision, height, width)
sof=$(LC_ALL=C grep -obUaP '\xff[\xc0\xc1\xc2]' "$CHELSEA" | head -1 | cut -d: -f1)
for dims in ffffffff 00000000 0001ffff ffff0001 40004000 00000100; do
    cp "$CHELSEA" "$I/sof-$dims.jpg"; patch "$I/sof-$dims.jpg" $((sof + 5)) "$dims"
done
for wh in "2147483647 2147483647" "65535 65535" "100000 100000" "0 0" "1 1073741824" "16384 16384" "4294967295 1"; do
    set -- $wh; png_with_header "$I/ihdr-$1x$2.png" "$1" "$2"
done
png_with_header "$I/ihdr-depth16.png" 32 24 1002      # 16-bit grey over 8-bit RGB data
png_with_header "$I/ihdr-badtype.png" 32 24 0807      # colour type 7 does not exist
: >"$I/empty.jpg"; : >"$I/empty.png"
echo "hello, I am not a picture" >"$I/text.jpg"
head -c 4096 "$FV_MODEL" | tail -c 2048 >"$I/noise.jpg"
printf 'GIF89a\x01\x00\x01\x00\x00\x00\x00;' >"$I/gif.jpg"
printf 'BM\x3e\x00\x00\x00' >"$I/bmp.png"
printf '\xff\xd8' >"$I/soi-only.jpg"; printf '\xff\xd8\xff\xd9' >"$I/soi-eoi.jpg"
head -c 8 "$PHOTO_PNG" >"$I/sig-only.png"
mkdir -p "$I/folder.jpg"; ln -sf loop.jpg "$I/loop.jpg"
head -c $(( $(size "$I/cmyk.jpg") / 2 )) "$I/cmyk.jpg" >"$I/cmyk-trunc.jpg"
cp "$I/cmyk.jpg" "$I/cmyk-flip.jpg"; patch "$I/cmyk-flip.jpg" $(( $(size "$I/cmyk.jpg") * 2 / 3 )) ffd9
if [[ -n "$PY" ]]; then
    # decompression bombs: 16384×16384 and 30000×30000 all-black PNGs of a few hundred KB
    "$PY" - "$I" <<'EOF'
import struct, sys, zlib
def png(path, w, h):
    raw = zlib.compressobj(9)
    row = b"\0" + b"\0" * (3 * w)
    data = b"".join(raw.compress(row) for _ in range(h)) + raw.flush()
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                           + chunk(b"IDAT", data) + chunk(b"IEND", b""))
png(sys.argv[1] + "/bomb-16384.png", 16384, 16384)
png(sys.argv[1] + "/bomb-30000x20000.png", 30000, 20000)
EOF
fi

images=("$I"/*)
echo "images: ${#images[@]} files × lrp-cnn explain, lrp-cnn predict, lrp-fv explain, lrp-fv sift" >&2
for f in "${images[@]}"; do
    b=$(basename "$f"); count_input images
    mode=batch; single=any; [[ $b == ok-* ]] && mode=ok && single=ok
    o="$W/o-img"; rm -rf "$o"
    run images "cnn explain $b" "$mode" "$o" cnn -- "$BIN/lrp-cnn" explain --model "$CNN_MODEL" "$f" --out "$o"
    run images "cnn predict $b" "$mode" - cnn -- "$BIN/lrp-cnn" predict --model "$CNN_MODEL" "$f"
    rm -rf "$o"
    run images "fv explain $b" "$mode" "$o" fv -- "$BIN/lrp-fv" explain --model "$FV_MODEL" "$f" --out "$o"
    rm -rf "$o"; mkdir -p "$o"
    run images "fv sift $b" "$single" "$o" fv -- "$BIN/lrp-fv" sift "$f" --bin-size 4 --step 4 --out "$o/d.npy" --frames "$o/f.npy"
done
# every image in one batch per tool: the good ones must come out, each bad one named once
for tool in cnn-explain cnn-predict fv-explain; do
    o="$W/o-batch"; rm -rf "$o"
    case $tool in
        cnn-explain) run images "batch $tool" batch "$o" cnn -- "$BIN/lrp-cnn" explain --model "$CNN_MODEL" "${images[@]}" --batch 3 --out "$o" ;;
        cnn-predict) run images "batch $tool" batch - cnn -- "$BIN/lrp-cnn" predict --model "$CNN_MODEL" "${images[@]}" ;;
        fv-explain) run images "batch $tool" batch "$o" fv -- "$BIN/lrp-fv" explain --model "$FV_MODEL" "${images[@]}" --out "$o" ;;
    esac
    if [[ $tool != cnn-predict ]]; then
        for g in ok-photo ok-chelsea ok-grey; do
            ls "$o" 2>/dev/null | grep -q "^$g\." || violation images "batch $tool: good image $g has no output"
        done
    fi
done
rm -rf "$W/o-img" "$W/o-batch"

# ---------------------------------------------------------------- ONNX

echo "crafting ONNX models" >&2
O="$W/onnx"
n=$(size "$CNN_MODEL")
for len in 0 1 2 10 64 500 2000 5000 $((n / 2)) $((n * 3 / 4)) $((n - 100)) $((n - 1)); do head -c "$len" "$CNN_MODEL" >"$O/trunc-$len.onnx"; done
for k in $(seq 1 16); do
    cp "$CNN_MODEL" "$O/flip-$k.onnx"
    patch "$O/flip-$k.onnx" $(( (k * 1013 + RANDOM) % (n - 8) )) "$(printf '%02x%02x' $((RANDOM % 256)) $((RANDOM % 256)))"
done
# NaN / infinity written over 4 bytes spread through the file (lands in weights, or breaks the protobuf)
for k in $(seq 1 12); do
    cp "$CNN_MODEL" "$O/nanpatch-$k.onnx"
    patch "$O/nanpatch-$k.onnx" $(( n / 3 + k * (n / 20) )) "$([[ $((k % 2)) -eq 0 ]] && echo 0000c07f || echo 0000807f)"
done
printf 'not a protobuf at all' >"$O/text.onnx"
head -c 3000 "$FV_MODEL" >"$O/safetensors.onnx"
if [[ -n "$PY" ]]; then
    "$PY" - "$O" <<'EOF'
import sys, numpy as np, onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh
out = sys.argv[1]
def model(name, nodes, inits, inp=(1, 3, 8, 8), outdim=(1, 4), opset=13, vi=None):
    g = h.make_graph(nodes, name, [h.make_tensor_value_info("x", T.FLOAT, list(inp))],
                     [h.make_tensor_value_info("y", T.FLOAT, list(outdim))], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    open(f"{out}/{name}.onnx", "wb").write(m.SerializeToString())
def conv_gemm(name, w=None, b=None, pads=(0, 0, 0, 0), inp=(1, 3, 8, 8), fc=None):
    w = np.ones((2, 3, 3, 3), np.float32) * 0.1 if w is None else w
    b = np.zeros(2, np.float32) if b is None else b
    fc = np.ones((4, 72), np.float32) * 0.01 if fc is None else fc
    nodes = [h.make_node("Conv", ["x", "w", "b"], ["c"], pads=list(pads), kernel_shape=[3, 3]),
             h.make_node("Relu", ["c"], ["r"]), h.make_node("Flatten", ["r"], ["f"]),
             h.make_node("Gemm", ["f", "fc", "fb"], ["y"], transB=1)]
    model(name, nodes, [nh.from_array(w, "w"), nh.from_array(b, "b"), nh.from_array(fc, "fc"),
                        nh.from_array(np.zeros(4, np.float32), "fb")], inp=inp)
conv_gemm("ok-small")
w = np.ones((2, 3, 3, 3), np.float32); w[0, 0, 0, 0] = np.nan; conv_gemm("nan-weight", w=w)
conv_gemm("inf-bias", b=np.array([np.inf, 0], np.float32))
fc = np.ones((4, 72), np.float32); fc[1, 5] = -np.inf; conv_gemm("inf-fc", fc=fc)
conv_gemm("huge-weights", w=np.full((2, 3, 3, 3), 3e38, np.float32))
conv_gemm("conv-pads-2e62", pads=(2**62, 0, 2**62, 0))
conv_gemm("conv-pads-negative", pads=(-5, -5, -5, -5))
conv_gemm("dims-zero", inp=(1, 3, 0, 0))
conv_gemm("dims-negative", inp=(1, 3, -8, 8))
conv_gemm("dims-huge", inp=(1, 3, 2**40, 2**40))
conv_gemm("fc-mismatch", fc=np.ones((4, 71), np.float32))
for pads in ([0, 0, 2**62, 2**62, 0, 0, 2**62, 2**62], [0, 0, -20, -20, 0, 0, -20, -20], [0, 0, 2**31, 0, 0, 0, 2**31, 0]):
    tag = "pad-" + ("huge" if pads[2] == 2**62 else "neg" if pads[2] < 0 else "2e31")
    nodes = [h.make_node("Pad", ["x", "p"], ["q"], mode="constant"),
             h.make_node("GlobalAveragePool", ["q"], ["g"]), h.make_node("Flatten", ["g"], ["f"]),
             h.make_node("Gemm", ["f", "fc", "fb"], ["y"], transB=1)]
    model(tag, nodes, [nh.from_array(np.array(pads, np.int64), "p"), nh.from_array(np.ones((4, 3), np.float32), "fc"),
                       nh.from_array(np.zeros(4, np.float32), "fb")])
nodes = [h.make_node("Reshape", ["x", "s"], ["r"]), h.make_node("Gemm", ["r", "fc", "fb"], ["y"], transB=1)]
model("reshape-overflow", nodes, [nh.from_array(np.array([2**40, 2**40], np.int64), "s"),
                                  nh.from_array(np.ones((4, 192), np.float32), "fc"), nh.from_array(np.zeros(4, np.float32), "fb")])
nodes = [h.make_node("Identity", ["x" if i == 0 else f"i{i-1}"], [f"i{i}"]) for i in range(200000)]
nodes += [h.make_node("GlobalAveragePool", ["i199999"], ["g"]), h.make_node("Flatten", ["g"], ["f"]),
          h.make_node("Gemm", ["f", "fc", "fb"], ["y"], transB=1)]
model("identity-200k", nodes, [nh.from_array(np.ones((4, 3), np.float32), "fc"), nh.from_array(np.zeros(4, np.float32), "fb")])
m = onnx.load(f"{out}/ok-small.onnx")
m.graph.initializer[0].ClearField("raw_data"); m.graph.initializer[0].data_location = 1
e = m.graph.initializer[0].external_data.add(); e.key, e.value = "location", "../../../../etc/passwd"
open(f"{out}/external-escape.onnx", "wb").write(m.SerializeToString())
m.graph.initializer[0].external_data[0].value = "/etc/passwd"
open(f"{out}/external-absolute.onnx", "wb").write(m.SerializeToString())
EOF
else
    echo "note: no Python with onnx (set LRP_VENV): the protobuf-edited ONNX models are skipped" >&2
fi
# the tiny crafted models take 8×8 inputs: give them an exact tensor too
printf '\x93NUMPY\x01\x00\x76\x00{"descr": "<f4", "fortran_order": False, "shape": (3, 8, 8), }' | tr '"' "'" >"$W/x8.npy"
while [[ $(size "$W/x8.npy") -lt 127 ]]; do printf ' ' >>"$W/x8.npy"; done; printf '\n' >>"$W/x8.npy"
head -c $((3 * 8 * 8 * 4)) /dev/zero >>"$W/x8.npy"
for f in "$O"/*.onnx; do
    b=$(basename "$f"); count_input onnx
    mode=batch; single=any; [[ $b == ok-* ]] && mode=ok && single=ok
    run onnx "layers $b" "$single" - cnn -- "$BIN/lrp-cnn" layers --model "$f"
    o="$W/o-onnx"; rm -rf "$o"
    if [[ $b == ok-* || $b == nan* || $b == inf* || $b == huge* || $b == conv-* || $b == dims-* || $b == fc-* || $b == pad-* || $b == reshape-* || $b == identity-* || $b == external-* ]]; then
        run onnx "explain $b" "$mode" "$o" cnn -- "$BIN/lrp-cnn" explain --model "$f" --input-npy "$W/x8.npy" --out "$o"
        rm -rf "$o"
        run onnx "explain-picture $b" "$mode" "$o" cnn -- "$BIN/lrp-cnn" explain --model "$f" "$PHOTO" --cutoff all --out "$o"
    else
        run onnx "explain $b" "$mode" "$o" cnn -- "$BIN/lrp-cnn" explain --model "$f" "$PHOTO" --out "$o"
    fi
    rm -rf "$o"
done

# ---------------------------------------------------------------- .npy

echo "crafting .npy files" >&2
N="$W/npy"
# npy NAME HEADER-DICT DATA-BYTES [MAGIC-VERSION]: a v1 file with a space-padded header
npy() {
    local name=$1 dict=$2 bytes=$3 ver=${4:-0100}
    local hlen=$(( ( (10 + ${#dict} + 1 + 63) / 64 ) * 64 - 10 ))
    {
        printf '\x93NUMPY'; printf "$(echo "$ver" | sed 's/../\\x&/g')"
        printf "$(printf '%04x' "$hlen" | sed 's/\(..\)\(..\)/\\x\2\\x\1/')"
        printf '%s' "$dict"; printf '%*s' $((hlen - ${#dict} - 1)) ''; printf '\n'
        [[ $bytes -gt 0 ]] && head -c "$bytes" /dev/zero
    } >"$N/$name.npy"
}
S=$((3 * 32 * 32 * 4))
npy ok "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32, 32), }" $S
npy ok-batch "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 32, 32), }" $((2 * S))
npy shape-overflow "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4, 3, 32, 32), }" $S
npy shape-overflow2 "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 3, 32, 32), }" $S
npy shape-bigint "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 3, 32, 32), }" $S
npy shape-negative "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3, 32, 32), }" $S
npy shape-huge-ok "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 3, 32, 32), }" $S
npy shape-zero "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3, 32, 32), }" 0
npy shape-empty "{'descr': '<f4', 'fortran_order': False, 'shape': (), }" 4
npy shape-wrong "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 31, 32), }" $((3 * 31 * 32 * 4))
npy short-data "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32, 32), }" $((S - 4))
npy long-data "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32, 32), }" $((S + 4))
npy fortran-true "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 32, 32), }" $S
npy fortran-word "{'descr': '<f4', 'fortran_order': 'no', 'shape': (3, 32, 32), }" $S
npy dup-key "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3, 32, 32), }" $S
npy trailing "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32, 32), }}" $S
npy f8 "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 32, 32), }" $((2 * S))
npy big-endian "{'descr': '>f4', 'fortran_order': False, 'shape': (3, 32, 32), }" $S
npy int32 "{'descr': '<i4', 'fortran_order': False, 'shape': (3, 32, 32), }" $S
npy no-descr "{'fortran_order': False, 'shape': (3, 32, 32), }" $S
npy not-dict "[1, 2, 3]" $S
npy unclosed "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32, 32" $S
npy version3 "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32, 32), }" $S 0300
npy version2 "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32, 32), }" $S 0200
printf '\x93NUMPY\x01\x00\xff\xff{' >"$N/hlen-huge.npy"
printf '\x93NUMPX\x01\x00\x10\x00{}' >"$N/bad-magic.npy"
: >"$N/empty.npy"
cp "$N/ok.npy" "$N/nan.npy"; patch "$N/nan.npy" $(( 128 + 400 )) 0000c07f
cp "$N/ok.npy" "$N/inf.npy"; patch "$N/inf.npy" $(( 128 + S - 4 )) 0000807f
cp "$N/ok.npy" "$N/max.npy"; for k in 0 1 2 3 4 5 6 7; do patch "$N/max.npy" $(( 128 + k * 1536 )) ffff7f7f; done
{ head -c 128 "$N/ok.npy"; for _ in $(seq 1 $((S / 4))); do printf '\xff\xff\x7f\x7f'; done; } >"$N/all-max.npy"
for f in "$N"/*.npy; do
    b=$(basename "$f"); count_input npy
    mode=batch; [[ $b == ok* ]] && mode=ok
    o="$W/o-npy"; rm -rf "$o"
    run npy "explain $b" "$mode" "$o" cnn -- "$BIN/lrp-cnn" explain --model "$CNN_MODEL" --input-npy "$f" --out "$o"
    run npy "predict $b" "$mode" - cnn -- "$BIN/lrp-cnn" predict --model "$CNN_MODEL" --input-npy "$f"
    rm -rf "$o"
done

# ---------------------------------------------------------------- safetensors / FV model

echo "crafting Fisher-vector model files" >&2
T="$W/st"
hl=$(od -An -tu8 -N8 "$FV_MODEL" | tr -d ' ')
header=$(head -c $((8 + hl)) "$FV_MODEL" | tail -c "$hl")
# data start (absolute) of a tensor
tensor_at() { echo "$header" | grep -o "\"$1\":{[^}]*}" | sed -E 's/.*"data_offsets":\[([0-9]+),([0-9]+)\].*/\1/' | awk -v b=$((8 + hl)) '{ print $1 + b }'; }
tensor_end() { echo "$header" | grep -o "\"$1\":{[^}]*}" | sed -E 's/.*"data_offsets":\[([0-9]+),([0-9]+)\].*/\2/' | awk -v b=$((8 + hl)) '{ print $1 + b }'; }
st_variant() {  # NAME, then a command that edits "$T/NAME.safetensors" (a fresh copy)
    local name=$1; shift
    cp "$FV_MODEL" "$T/$name.safetensors"; "$@" "$T/$name.safetensors"
    count_input safetensors
    local o="$W/o-st"; rm -rf "$o"
    local mode=batch; [[ $name == ok* ]] && mode=ok
    run safetensors "fv explain $name" "$mode" "$o" fv -- "$BIN/lrp-fv" explain --model "$T/$name.safetensors" "$PHOTO" "$CHELSEA" --out "$o"
    rm -rf "$o" "$T/$name.safetensors"
}
noop() { :; }
truncate_to() { local f=$2; head -c "$1" "$f" >"$f.t" && mv "$f.t" "$f"; }
set_hlen() { patch "$2" 0 "$1"; }
put_float() { patch "$3" "$1" "$2"; }   # offset, hex bytes
header_edit() {  # sed expression over the JSON header, keeping its length
    local f=$2 new
    new=$(echo "$header" | sed -E "$1")
    (( ${#new} <= hl )) || new=${new:0:hl}
    printf '%s%*s' "$new" $((hl - ${#new})) '' | dd of="$f" bs=1 seek=8 conv=notrunc status=none
}
zero_range() { local from=$1 to=$2 f=$3; head -c $((to - from)) /dev/zero | dd of="$f" bs=1 seek="$from" conv=notrunc status=none; }
sz=$(size "$FV_MODEL")
st_variant ok noop
for len in 0 7 8 16 $((8 + hl / 2)) $((8 + hl)) $((sz / 2)) $((sz - 4)); do st_variant "trunc-$len" truncate_to "$len"; done
st_variant hlen-huge set_hlen ffffffffffffff7f
st_variant hlen-zero set_hlen 0000000000000000
st_variant hlen-past-end set_hlen 00000000ff000000
st_variant header-garbage header_edit 's/^\{/[/'
for t in pca.mean pca.projection pca.variances gmm.means gmm.variances gmm.priors svm.weights svm.biases; do
    st_variant "nan-$t" put_float $(( $(tensor_at $t) + 4 )) 0000c07f
    st_variant "inf-$t" put_float $(( $(tensor_end $t) - 4 )) 0000807f
done
st_variant zero-priors zero_range "$(tensor_at gmm.priors)" "$(tensor_end gmm.priors)"
st_variant negative-prior put_float "$(tensor_at gmm.priors)" 000080bf
st_variant big-prior put_float "$(tensor_at gmm.priors)" 0000803f
st_variant zero-variance put_float $(( $(tensor_at gmm.variances) + 40 )) 00000000
st_variant negative-variance put_float $(( $(tensor_at gmm.variances) + 40 )) 000080bf
st_variant offsets-past-end header_edit 's/"data_offsets":\[([0-9]+),([0-9]+)\]/"data_offsets":[\1,9\2]/'
st_variant offsets-reversed header_edit 's/"data_offsets":\[([0-9]+),([0-9]+)\]/"data_offsets":[\2,\1]/'
st_variant offsets-overflow header_edit 's/"data_offsets":\[0,/"data_offsets":[18446744073709551615,/'
st_variant shape-overflow header_edit 's/"shape":\[([0-9]+)\]/"shape":[4611686018427387905]/'
st_variant dtype-f64 header_edit 's/"F32"/"F64"/'
st_variant fast-yes header_edit 's/"fast":"(true|false)"/"fast":"yes!"/'
st_variant gmm-k-huge header_edit 's/"gmm_k":"[0-9]+"/"gmm_k":"9223372036854775807"/'
st_variant magnif-nan header_edit 's/"magnif":"[^"]*"/"magnif":"nan"/'
st_variant step-negative header_edit 's/"step":"[0-9]+"/"step":"-3"/'

# ---------------------------------------------------------------- options

echo "option values" >&2
o="$W/o-opt"
opt() {  # expected mode then the command; the option under test comes last
    count_input options
    rm -rf "$o"
    local mode=$1; shift
    # a refused value must be refused by name: the error line names the flag, not "Missing value"
    local flag="${@: -2:1}" value="${@: -1}"
    FRAGMENT=""
    [[ $mode == fail && $flag == --* && $flag != --target ]] && FRAGMENT=$flag
    [[ $value == 1e39 && ( $flag == --svm-c || $flag == --svm-tolerance ) ]] && FRAGMENT=""  # finite: a valid value
    run options "$*" "$mode" "$o" cnn -- "$@"
    FRAGMENT=""
}
cnn_explain=("$BIN/lrp-cnn" explain --model "$CNN_MODEL" "$PHOTO" --out "$o")
fv_explain=("$BIN/lrp-fv" explain --model "$FV_MODEL" "$PHOTO" --out "$o")
sift=("$BIN/lrp-fv" sift "$PHOTO" --out "$W/d.npy")
train=("$BIN/lrp-fv" train --dataset "$W/no-such-dataset" --out "$W/m.safetensors")
for v in -1 -0.5 nan inf -inf 1e39 ""; do
    opt fail "${cnn_explain[@]}" --epsilon "$v"
    opt fail "${cnn_explain[@]}" --preset alpha2beta1 --alpha "$v"
    opt fail "${cnn_explain[@]}" --preset alpha2beta1 --beta "$v"
    opt fail "${fv_explain[@]}" --epsilon "$v"
    opt fail "${fv_explain[@]}" --pca-epsilon "$v"
    opt fail "${sift[@]}" --bin-size 4 --step 4 --window-size "$v"
    opt fail "${train[@]}" --svm-c "$v"
    opt fail "${train[@]}" --svm-tolerance "$v"
done
for v in -1 -3 0 99999999999999999999 abc ""; do
    [[ $v == 0 ]] || opt fail "${cnn_explain[@]}" --cutoff "$v"
    opt fail "${cnn_explain[@]}" --batch "$v"
    opt fail "${cnn_explain[@]}" --size "$v"
    opt fail "$BIN/lrp-cnn" predict --model "$CNN_MODEL" "$PHOTO" --top "$v"
    opt fail "$BIN/lrp-cnn" eval --model "$CNN_MODEL" --dataset "$W" --out "$W/r.json" --batch "$v"
    opt fail "${sift[@]}" --step 4 --bin-size "$v"
    opt fail "${sift[@]}" --bin-size 4 --step "$v"
    opt fail "${sift[@]}" --bin-size 4 --step 4 --max-descriptors "$v"
    for flag in --gmm-k --pca --step --svm-epochs --descriptor-sample --sample-images --gmm-iterations --max-images-per-class --seed; do
        [[ $v == 0 && $flag == --seed ]] && continue
        opt fail "${train[@]}" "$flag" "$v"
    done
    opt fail "$BIN/lrp-bench" cnn --repeats "$v"
    opt fail "$BIN/lrp-bench" cnn --sweep-repeats "$v"
    opt fail "$BIN/lrp-bench" cnn --batches "1,$v"
    opt fail "$BIN/lrp-bench" fv --repeats "$v"
    opt fail "$BIN/lrp-bench" fv --clusters "$v"
    opt fail "$BIN/lrp-bench" fv --gmm-data "$v"
    opt fail "$BIN/lrp-bench" fv --fisher-data "$v"
    [[ $v == 0 ]] || opt fail "${cnn_explain[@]}" --shard "$v/4"
    opt fail "${cnn_explain[@]}" --shard 0/2 --shard-count "$v"
done
opt fail "${cnn_explain[@]}" --target -5
opt fail "${cnn_explain[@]}" --target 99999999999999999999
opt fail "${fv_explain[@]}" --target -1
opt fail "$BIN/lrp-cnn" explain --model "$CNN_MODEL" "$PHOTO" --out ""
opt fail "$BIN/lrp-cnn" eval --model "$CNN_MODEL" --dataset "$W" --out ""
opt fail "$BIN/lrp-cnn" merge "$W" --out ""
opt fail "$BIN/lrp-fv" explain "$PHOTO" --out ""
opt fail "$BIN/lrp-fv" train --dataset "$W" --out ""
opt fail "$BIN/lrp-fv" encode --codebook x --dataset "$W" --out ""
opt fail "$BIN/lrp-fv" eval --dataset "$W" --json ""
opt fail "$BIN/lrp-fv" sift "$PHOTO" --bin-size 4 --step 4 --out ""
opt fail "$BIN/lrp-fv" sift "$PHOTO" --bin-size 4 --step 4 --out "$W/d.npy" --frames ""
opt fail "$BIN/lrp-cnn" explain "$PHOTO" --out "$o" --model ""
opt batch "${cnn_explain[@]}" --preset alpha2beta1 --alpha 30 --beta 29
opt any "${cnn_explain[@]}" --preset alpha2beta1 --alpha 1e30 --beta 1e30
opt batch "${cnn_explain[@]}" --preset epsilon --epsilon 0
opt batch "${cnn_explain[@]}" --epsilon 3e38
rm -rf "$o" "$W/d.npy"

# ---------------------------------------------------------------- interruption

echo "interrupting runs" >&2
# interrupt CATEGORY-NAME SIGNAL DELAY KIND OUTDIR -- command
interrupt() {
    local name=$1 sig=$2 delay=$3 kind=$4 out=$5; shift 6
    local d="$W/runs/$RUNS"; mkdir -p "$d"
    RUNS=$((RUNS + 1)); CAT_RUNS[interruption]=$(( ${CAT_RUNS[interruption]:-0} + 1 )); count_input interruption
    timeout --kill-after=5 "$TIMEOUT" /usr/bin/time -f %M -o "$d/time" "$@" >"$d/out" 2>"$d/err" &
    local tpid=$!
    sleep "$delay"
    # timeout -> time -> the tool; a run that already finished gets no signal (and is still checked)
    local mid child=""
    mid=$(pgrep -P "$tpid" | head -1)
    [[ -n "$mid" ]] && child=$(pgrep -P "$mid" | head -1)
    [[ -n "$child" ]] && kill -s "$sig" "$child" 2>/dev/null
    wait "$tpid"
    check interruption "$name ($sig after ${delay}s)" any "$out" "$kind" $? "$d" 1
}
mkdir -p "$W/many"
for k in $(seq 0 11); do cp "$ROOT/Samples/$(ls "$ROOT/Samples" | grep jpg | sed -n "$((k % 4 + 1))p")" "$W/many/img$k.jpg"; done
sweeps=8; [[ $QUICK -eq 1 ]] && sweeps=4
for k in $(seq 1 $sweeps); do
    sig=INT; [[ $((k % 2)) -eq 0 ]] && sig=TERM
    delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + (r % 400) / 100 }')
    o="$W/o-int"; rm -rf "$o"
    interrupt "cnn --cutoff all" "$sig" "$delay" cnn "$o" -- "$BIN/lrp-cnn" explain --model "$BIG_MODEL" --cutoff all --batch 1 "$W/many/img0.jpg" "$W/many/img1.jpg" "$W/many/img2.jpg" --out "$o"
    rm -rf "$o"
    interrupt "fv explain 12 images" "$sig" "$delay" fv "$o" -- "$BIN/lrp-fv" explain --model "$FV_MODEL" --resolution both "$W"/many/*.jpg --out "$o"
    rm -rf "$o"
    interrupt "cnn explain 12 images" "$sig" "$delay" cnn "$o" -- "$BIN/lrp-cnn" explain --model "$BIG_MODEL" --batch 2 "$W"/many/*.jpg --out "$o"
    rm -rf "$o"
done

# ---------------------------------------------------------------- summary

printf '\n%-14s %7s %6s %11s %14s\n' category inputs runs violations "peak RSS (MB)"
total_in=0; total_bad=0
for c in images onnx npy safetensors options interruption; do
    printf '%-14s %7d %6d %11d %14d\n' "$c" "${CAT_INPUTS[$c]:-0}" "${CAT_RUNS[$c]:-0}" "${CAT_BAD[$c]:-0}" $(( ${PEAK[$c]:-0} / 1024 ))
    total_in=$((total_in + ${CAT_INPUTS[$c]:-0})); total_bad=$((total_bad + ${CAT_BAD[$c]:-0}))
done
printf '%-14s %7d %6d %11d %14s\n' total "$total_in" "$RUNS" "$total_bad" "bound $((RSS_BOUND_KB / 1024))"
if [[ ${#VIOLATIONS[@]} -gt 0 ]]; then
    printf '\nviolations:\n'; printf '  %s\n' "${VIOLATIONS[@]}"
    exit 1
fi
echo "no crashes, hangs, exit-0 non-finite results, stray error lines, leftover files or memory over the bound"
