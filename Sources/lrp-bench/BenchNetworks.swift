import ArgumentParser
import Foundation
import LRPCore

/// A network `lrp-bench cnn --networks` knows: where its ONNX file is, the architecture
/// Scripts/bench_zennit.py builds for zennit, and the batch sizes and repeats that keep the whole
/// three-network run under ~20 minutes on 2 cores (README "Speed").
struct BenchNetwork {
    let name: String
    /// The ONNX file: in the repository (MobileNetV2) or in `--models-dir` (exported).
    let bundledFile: String?
    let batches: String
    let repeats: Int
    let sweepRepeats: Int
    let zennitRepeats: Int

    static let all = [
        BenchNetwork(name: "mobilenet_v2", bundledFile: "Models/mobilenet_v2.onnx", batches: "1,8", repeats: 7, sweepRepeats: 3,
                     zennitRepeats: 5),
        BenchNetwork(name: "resnet50", bundledFile: nil, batches: "1,8", repeats: 3, sweepRepeats: 1, zennitRepeats: 3),
        BenchNetwork(name: "vgg16", bundledFile: nil, batches: "1,8", repeats: 3, sweepRepeats: 1, zennitRepeats: 2),
    ]
    static var names: String { all.map(\.name).joined(separator: ", ") }
    /// Never committed (VGG-16 is ~553 MB): under the ignored build folder.
    static let defaultFolder = ".build/bench-models"
    static let exportCommand = ".venv/bin/python Scripts/export_bench_models.py"

    func file(in folder: String) -> String {
        bundledFile ?? (folder as NSString).appendingPathComponent("\(name).onnx")
    }

    /// `--networks`: known names, comma-separated, each once; `all` for every network.
    static func parse(_ text: String) throws -> [BenchNetwork] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts == ["all"] { return all }
        var out: [BenchNetwork] = []
        for p in parts {
            guard let n = all.first(where: { $0.name == p }) else {
                throw ValidationError("--networks '\(text)': unknown network '\(p)' (known: \(names), or all)")
            }
            guard !out.contains(where: { $0.name == p }) else { throw ValidationError("--networks '\(text)' names \(p) twice") }
            out.append(n)
        }
        return out
    }
}

/// What a single-network run writes for the `--networks` summary (`--summary-json`).
struct NetworkSummary: Codable {
    struct Batch: Codable {
        var batch: Int
        var forward: Double
        var explain: Double
        var explainCPU: Double
        var zennitForward: Double?
        var zennitRelevance: Double?
        var zennitRSSKB: Int?
        var peakRSSKB: Int
        var convRate: Double?
        var convSgemmRate: Double?
        /// `GEMMFloor` seconds for the batch.
        var gemmFloor: Double?
    }
    var model: String
    var gflopPerImage: Double
    var mappingLayers: Int
    var batches: [Batch]
    var wallSeconds: Double
}

extension CNNBench {
    func writeSummary(_ path: String, results: [Measurement], flops: Double, mappingLayers: Int,
                      layerTotals: [Int: LayerGEMMBench.Total], floors: [Int: Double], wall: Double) throws {
        let summary = NetworkSummary(
            model: modelPath, gflopPerImage: flops / 1e9, mappingLayers: mappingLayers,
            batches: results.map { m in
                let t = layerTotals[m.batch]
                return NetworkSummary.Batch(batch: m.batch, forward: m.forward, explain: m.explain, explainCPU: m.explainCPU,
                                            zennitForward: m.zennitForward, zennitRelevance: m.zennitRelevance,
                                            zennitRSSKB: m.zennitRSS, peakRSSKB: m.maxRSS,
                                            convRate: t.map(\.oursRate), convSgemmRate: t.map(\.sgemmRate),
                                            gemmFloor: floors[m.batch])
            },
            wallSeconds: wall)
        try JSONEncoder().encode(summary).write(to: URL(fileURLWithPath: path))
    }

    /// `--networks`: every network in a child `lrp-bench cnn` (its own peak RSS), then a summary.
    func runNetworks(_ list: [BenchNetwork]) throws {
        let missing = list.map { $0.file(in: modelsDir) }.filter { !FileManager.default.fileExists(atPath: $0) }
        if !missing.isEmpty {
            throw LRPError("\(missing.joined(separator: ", ")) not found: export VGG-16 and ResNet-50 first with "
                + "`\(BenchNetwork.exportCommand) --out-dir \(modelsDir)` (about 650 MB, a few minutes)")
        }
        let exe = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("lrp-bench-networks-\(getpid())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let started = Self.now()
        var done: [(BenchNetwork, NetworkSummary?, String)] = []
        for n in list {
            let summaryFile = tmp.appendingPathComponent("\(n.name).json").path
            var args = ["cnn", "--model", n.file(in: modelsDir), "--zennit-model", n.name, "--preset", preset,
                        "--batches", batches ?? n.batches, "--repeats", String(repeats ?? n.repeats),
                        "--sweep-repeats", String(sweepRepeats ?? n.sweepRepeats),
                        "--zennit-repeats", String(zennitRepeats ?? n.zennitRepeats), "--zennit-script", zennitScript,
                        "--layer-top", String(layerTop), "--summary-json", summaryFile]
            if skipZennit { args.append("--skip-zennit") }
            if let explainFolder { args += ["--explain-folder", explainFolder, "--explain-repeats", String(explainRepeats)] }
            print("")
            print("=== \(n.name): lrp-bench \(args.dropLast(2).joined(separator: " "))")
            fflush(stdout)  // the child writes to the same stdout
            let p = Process()
            p.executableURL = exe
            p.arguments = args
            try p.run()
            p.waitUntilExit()
            let summary = (try? Data(contentsOf: URL(fileURLWithPath: summaryFile)))
                .flatMap { try? JSONDecoder().decode(NetworkSummary.self, from: $0) }
            done.append((n, summary, p.terminationStatus == 0 ? "" : "failed (exit \(p.terminationStatus))"))
        }
        printSummary(done, wall: Self.now() - started)
        let failed = done.filter { !$0.2.isEmpty }.map { "\($0.0.name) (\($0.2))" }
        if !failed.isEmpty { throw LRPError("lrp-bench cnn --networks: \(failed.joined(separator: ", "))") }
    }

    func printSummary(_ done: [(BenchNetwork, NetworkSummary?, String)], wall: Double) {
        func ms(_ s: Double?) -> String { s.map { String(format: "%.1f", $0 * 1e3) } ?? "–" }
        func mb(_ kb: Int?) -> String { kb.map { String(format: "%.0f", Double($0) / 1024) } ?? "–" }
        print("")
        print("Summary (preset \(preset); ms per batch, medians; peak RSS of each network's own process, MB, before the per-layer timing)")
        print("| network | GFLOP/image | batch | ours forward | ours fwd+relevance | zennit fwd+relevance | ratio | GEMM floor | floor / zennit | conv GFLOP/s ours / sgemm (same shapes) | peak RSS ours | peak RSS zennit | wall s |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for (n, s, note) in done {
            guard let s else { print("| \(n.name) | \(note.isEmpty ? "no summary" : note) | | | | | | | | | | | |"); continue }
            for b in s.batches {
                let ratio = b.zennitRelevance.map { String(format: "%.3f", b.explain / $0) } ?? "–"
                let floorRatio = b.gemmFloor.flatMap { f in b.zennitRelevance.map { String(format: "%.3f", f / $0) } } ?? "–"
                let conv = b.convRate.flatMap { o in b.convSgemmRate.map { String(format: "%.1f / %.1f (%.0f%%)", o, $0, 100 * o / $0) } } ?? "–"
                print("| \(n.name) | \(String(format: "%.2f", s.gflopPerImage)) | \(b.batch) | \(ms(b.forward)) | \(ms(b.explain)) | "
                    + "\(ms(b.zennitRelevance)) | \(ratio) | \(ms(b.gemmFloor)) | \(floorRatio) | \(conv) | \(mb(b.peakRSSKB)) | \(mb(b.zennitRSSKB)) | "
                    + "\(b.batch == s.batches.first?.batch ? String(format: "%.0f", s.wallSeconds) : "") |")
            }
            if !note.isEmpty { print("| \(n.name) | \(note) | | | | | | | | | | | |") }
        }
        print(String(format: "Whole run: %.1f min; ", wall / 60) + "load average now: \(Self.loadAverage())")
    }
}
