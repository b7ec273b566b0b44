// swift-tools-version:5.10
// libFuzzer targets for every file format the tools read (Scripts/fuzz.sh builds and runs them).
// A nested package so the root build is unaffected; the sanitizer flags come from the command line:
//   swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
import PackageDescription

let targets: [(name: String, deps: [Target.Dependency])] = [
    ("fuzz-npy", [.product(name: "LRPCore", package: "lrp-toolkit")]),
    ("fuzz-image", [.product(name: "LRPCore", package: "lrp-toolkit")]),
    ("fuzz-onnx", [.product(name: "CNNRelevance", package: "lrp-toolkit")]),
    ("fuzz-rulemap", [.product(name: "CNNRelevance", package: "lrp-toolkit")]),
    ("fuzz-labels", [.product(name: "CNNRelevance", package: "lrp-toolkit")]),
    ("fuzz-safetensors", [.product(name: "FisherVectors", package: "lrp-toolkit")]),
    ("fuzz-voc", [.product(name: "Evaluation", package: "lrp-toolkit")]),
]

let package = Package(
    name: "lrp-fuzz",
    dependencies: [.package(name: "lrp-toolkit", path: "..")],
    targets: [.target(name: "FuzzDriver")] + targets.map {
        .executableTarget(name: $0.name, dependencies: $0.deps + ["FuzzDriver"], path: "Sources/\($0.name)")
    }
)
