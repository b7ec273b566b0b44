// swift-tools-version:5.10
// LRP toolkit: relevance heatmaps with a chosen decomposition depth for CNNs and
// Fisher-vector classifiers. Layout and contracts: docs/DESIGN.md (§1) and README.md.
import PackageDescription

// The C kernels carry their own AVX2/FMA code paths behind runtime CPU checks
// (`__attribute__((target))`), so the baseline flags stay portable x86-64.
// They are always optimised: the test suite runs them on real-sized data.
let kernelFlags: [CSetting] = [
    .unsafeFlags(["-O3", "-fno-math-errno", "-Wall", "-Wno-unused-function"]),
]

let package = Package(
    name: "lrp-toolkit",
    products: [
        .library(name: "LRPCore", targets: ["LRPCore"]),
        .library(name: "CNNRelevance", targets: ["CNNRelevance"]),
        .library(name: "FisherVectors", targets: ["FisherVectors"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .executable(name: "lrp-cnn", targets: ["lrp-cnn"]),
        .executable(name: "lrp-fv", targets: ["lrp-fv"]),
        .executable(name: "lrp-bench", targets: ["lrp-bench"]),
        .executable(name: "lrp-compare", targets: ["lrp-compare"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // MARK: system libraries (Debian packages; see vendor-notes.md)
        .systemLibrary(name: "CVLFeat", path: "Sources/CVLFeat"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo",
                       providers: [.apt(["libcairo2-dev"])]),

        // MARK: C kernels: the hot loops behind one public header
        .target(
            name: "CKernels",
            path: "CKernels",
            sources: ["src"],
            publicHeadersPath: "include",
            cSettings: kernelFlags,
            linkerSettings: [
                .linkedLibrary("openblas"),
                .linkedLibrary("jpeg"),
                .linkedLibrary("png"),
                .linkedLibrary("m"),
            ]
        ),

        // MARK: Swift libraries
        // Generated once from onnx.proto (Scripts/generate-onnx-proto.sh); no build plugin.
        .target(name: "ONNXProto", dependencies: [
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["onnx.proto"]),
        .target(name: "LRPCore", dependencies: ["CKernels", "COpenBLAS", "COpenSSL"]),
        .target(name: "CNNRelevance", dependencies: [
            "LRPCore", "Evaluation", "CKernels", "COpenBLAS", "ONNXProto",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["Rules/RuleMapFile.md"]),
        .target(name: "Evaluation", dependencies: ["LRPCore"]),
        .target(name: "FisherVectors", dependencies: ["LRPCore", "CKernels", "COpenBLAS", "Evaluation"],
                exclude: ["Model/ModelFile.md", "Model/EncodedShards.md"]),
        // Both model families side by side: Figure-1 panels, faithfulness by region
        // perturbation, and the browsable report (docs/DESIGN.md §10).
        .target(name: "Comparison", dependencies: [
            "CNNRelevance", "FisherVectors", "LRPCore", "Evaluation", "CKernels", "CCairo",
            .product(name: "Mustache", package: "swift-mustache"),
        ]),

        // MARK: executables (argument parsing and printing only)
        // What the three executables share: the error runner and exit statuses, stderr
        // printing, progress lines and argument conformances.
        .target(name: "CLISupport", dependencies: [
            "LRPCore", "Evaluation",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "lrp-cnn", dependencies: [
            "CNNRelevance", "LRPCore", "Evaluation", "CLISupport", "CKernels",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "lrp-fv", dependencies: [
            "FisherVectors", "LRPCore", "Evaluation", "CLISupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "lrp-compare", dependencies: [
            "Comparison", "CNNRelevance", "FisherVectors", "LRPCore", "Evaluation", "CLISupport", "CKernels",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "lrp-bench", dependencies: [
            "CNNRelevance", "FisherVectors", "LRPCore", "CKernels", "COpenBLAS", "CVLFeat", "CLISupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: tests (small fixtures in Tests/Fixtures, found via #filePath; no dataset needed)
        .testTarget(name: "LRPCoreTests", dependencies: ["LRPCore", "CKernels"]),
        .testTarget(name: "CNNRelevanceTests", dependencies: [
            "CNNRelevance", "LRPCore", "CKernels", "ONNXProto",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .testTarget(name: "FisherVectorsTests", dependencies: ["FisherVectors", "LRPCore", "CKernels", "CVLFeat"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "LRPCore"]),
        .testTarget(name: "ComparisonTests", dependencies: ["Comparison", "CNNRelevance", "FisherVectors", "LRPCore", "CCairo"]),
        .testTarget(name: "CLITests", dependencies: ["LRPCore", "lrp-cnn", "lrp-fv", "lrp-bench", "lrp-compare"]),
    ]
)
