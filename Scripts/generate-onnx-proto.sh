#!/usr/bin/env bash
# Regenerates Sources/ONNXProto/onnx.pb.swift from onnx.proto (taken from the PyPI `onnx`
# wheel). Run only when updating the ONNX schema; the generated file is committed so builds
# never need protoc or swift-protobuf's build plugin (which compiles protoc for ten minutes).
# Needs: Debian protobuf-compiler, and protoc-gen-swift built from apple/swift-protobuf 1.39.0.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q onnx
cp "$("$work/venv/bin/python" -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')/onnx.proto" "$here/Sources/ONNXProto/onnx.proto"
git clone -q https://github.com/apple/swift-protobuf "$work/swift-protobuf"
git -C "$work/swift-protobuf" checkout -q 1.39.0
(cd "$work/swift-protobuf" && swift build -c release --product protoc-gen-swift)
cd "$here/Sources/ONNXProto"
protoc --plugin=protoc-gen-swift="$work/swift-protobuf/.build/release/protoc-gen-swift" \
  --swift_out=. --swift_opt=Visibility=Public onnx.proto
echo "regenerated Sources/ONNXProto/onnx.pb.swift"
