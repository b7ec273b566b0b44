import ArgumentParser
import CKernels
import CLISupport
import CNNRelevance
import COpenBLAS
import Foundation
import LRPCore

/// `lrp-bench cnn`: the CNN relevance engine side by side with zennit (through
/// `Scripts/bench_zennit.py`) in one run: forward, forward + relevance, a full cut-off sweep,
/// achieved GFLOP/s against OpenBLAS sgemm (whole network and per layer, LayerGEMMBench.swift),
/// peak memory, and optionally `lrp-cnn explain` end to end on a folder of photos. One network
/// (`--model`, MobileNetV2 by default) or several, each in its own process (`--networks`,
/// BenchNetworks.swift). Prints times and ratios; asserts nothing.
struct CNNBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnn",
        abstract: "Time forward, relevance and the cut-off sweep on MobileNetV2 (or VGG-16, ResNet-50) against zennit.")

    @Option(help: "ONNX model (224×224 ImageNet classifier). Default: Models/mobilenet_v2.onnx. Not with --networks.")
    var model: String?

    @Option(help: ArgumentHelp("Networks to time one after the other, each in its own process (peak memory per network), with a summary: "
        + "comma-separated names of \(BenchNetwork.names), or 'all'. VGG-16 and ResNet-50 are read from --models-dir."))
    var networks: String?

    @Option(help: "Folder of vgg16.onnx and resnet50.onnx for --networks (written by Scripts/export_bench_models.py).")
    var modelsDir = BenchNetwork.defaultFolder

    @Option(help: "Rule preset.")
    var preset = "epsilon-alpha2beta1-flat"

    @Option(parsing: .unconditional, help: "Batch sizes, comma-separated. Default: 1,8 (with --networks: each network's own).")
    var batches: String?

    @Option(parsing: .unconditional, help: "Timed repetitions per measurement (the median is reported). Default: 7 (with --networks: each network's own).")
    var repeats: Int?

    @Option(parsing: .unconditional, help: "Repetitions of the full cut-off sweep. Default: 3 (with --networks: each network's own).")
    var sweepRepeats: Int?

    @Option(help: "zennit benchmark script (skipped with a note if it or Python is missing).")
    var zennitScript = "Scripts/bench_zennit.py"

    @Option(parsing: .unconditional, help: "Repetitions passed to the zennit script. Default: 5 (with --networks: each network's own).")
    var zennitRepeats: Int?

    @Option(help: "Architecture name the zennit script builds in PyTorch (the same network as --model). Default: mobilenet_v2. Not with --networks.")
    var zennitModel: String?

    @Option(parsing: .unconditional, help: "Rows of the per-layer table (layer shapes with the most FLOPs) against sgemm; 0 skips the per-layer timing.")
    var layerTop = 8

    @Option(help: .hidden)
    var summaryJson: String?

    @Flag(help: "Do not run zennit.")
    var skipZennit = false

    @Option(help: "Folder of JPEG/PNG photos: also time `lrp-cnn explain` on all of them end to end (decoding, explaining, writing every output) at each batch size.")
    var explainFolder: String?

    @Option(help: "Runs of `lrp-cnn explain` per batch size with --explain-folder (the median wall time is reported).")
    var explainRepeats = 3

    struct Measurement {
        var batch: Int
        var forward: Double = 0
        var explain: Double = 0
        var sweep: Double = 0
        /// CPU seconds (user + system, all threads) per forward+relevance: less sensitive than
        /// wall time to other processes on the machine.
        var explainCPU: Double = 0
        /// The explanation's forward pass (keeping what the rules read) and relevance pass alone.
        var keptForward: Double = 0
        var relevanceOnly: Double = 0
        var sweepCount = 0
        var zennitForward: Double?
        var zennitRelevance: Double?
        var zennitNote = ""
        /// Peak RSS of the zennit process (KB), torch included.
        var zennitRSS: Int?
        var maxRSS = 0
        /// `lrp-cnn explain` on `--explain-folder`: wall seconds per image (incl. start-up and
        /// model loading), and the peak RSS of those runs so far (KB).
        var endToEnd: Double?
        var endToEndImages = 0
        var endToEndRSS = 0
        var endToEndNote = ""
        /// Mapping layers whose input had negative values (`Explainer.layersWithNegativeInput`).
        var negativeInputs: Set<String> = []
    }

    // The values a single-network run uses when the option is not given.
    var modelPath: String { model ?? "Models/mobilenet_v2.onnx" }
    var zennitArchitecture: String { zennitModel ?? "mobilenet_v2" }
    var batchList: [Int] { (batches ?? "1,8").split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
    var repeatCount: Int { repeats ?? 7 }
    var sweepRepeatCount: Int { sweepRepeats ?? 3 }
    var zennitRepeatCount: Int { zennitRepeats ?? 5 }

    // docs/DESIGN.md §7.6: each numeric option's range, named with its flag
    func validate() throws {
        try OptionRange.path("--model", model)
        try OptionRange.path("--models-dir", modelsDir)
        if let repeats { try OptionRange.check("--repeats", repeats, atLeast: 1) }
        if let sweepRepeats { try OptionRange.check("--sweep-repeats", sweepRepeats, atLeast: 1) }
        if let zennitRepeats { try OptionRange.check("--zennit-repeats", zennitRepeats, atLeast: 1) }
        try OptionRange.check("--layer-top", layerTop, atLeast: 0)
        try OptionRange.check("--explain-repeats", explainRepeats, atLeast: 1)
        if let batches {
            let parts = batches.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            for p in parts {
                guard let b = Int(p) else { throw ValidationError("--batches '\(batches)' is not a comma-separated list of integers") }
                try OptionRange.check("--batches", b, atLeast: 1, atMost: 4096)
            }
        }
        if let networks {
            for (flag, given) in [("--model", model), ("--zennit-model", zennitModel), ("--summary-json", summaryJson)] where given != nil {
                throw ValidationError("--networks and \(flag) exclude each other (--networks names each network's ONNX file and zennit architecture)")
            }
            _ = try BenchNetwork.parse(networks)
        }
    }

    mutating func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)  // progress lines as they come, also into a pipe or log file
        if let networks {
            try runNetworks(try BenchNetwork.parse(networks))
            return
        }
        let batchList = self.batchList, model = modelPath, repeats = repeatCount, sweepRepeats = sweepRepeatCount
        let started = Self.now()
        guard let rulePreset = RulePreset(rawValue: preset) else {
            throw ValidationError("unknown preset \(preset) (\(RulePreset.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        BLASThreads.apply()
        let threads = Parallel.workerCount
        print("lrp-bench cnn: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(threads) worker threads, "
            + "SIMD \(lrp_cpu_has_avx2_fma() != 0 ? "AVX2/FMA" : "portable"), OpenBLAS 1 thread per worker, "
            + (keepsFreedMemory ? "freed memory kept in the process (as lrp-cnn)" : "glibc malloc defaults"))
        print("load average before: \(Self.loadAverage())  (other processes compiling make times noisy)")

        let t0 = Self.now()
        let graph = try ONNXImporter.load(url: URL(fileURLWithPath: model))
        let t1 = Self.now()
        let explainer = try Explainer(graph: graph, plan: try RulePlan(preset: rulePreset))
        let t2 = Self.now()
        let flops = Self.forwardFlops(graph)
        print("model \(model): input \(graph.inputShape), \(graph.nodes.count) layers, \(explainer.mappingLayerCount) conv/linear, "
            + String(format: "%.3f GFLOP per image", flops / 1e9))
        print(String(format: "import %.0f ms, explainer set-up (modified weights) %.0f ms", (t1 - t0) * 1e3, (t2 - t1) * 1e3))

        var results = batchList.map { Measurement(batch: $0) }
        // End to end first, while this process is still small (see runMeasured on peak RSS).
        for i in results.indices {
            (results[i].endToEnd, results[i].endToEndImages, results[i].endToEndRSS, results[i].endToEndNote) =
                timeExplainFolder(batch: results[i].batch)
        }
        // zennit next, for every batch, while this process is still small: on this machine a
        // process holding a few GB of touched memory (ours, after its measurements, keeps freed
        // blocks) made zennit's batch of 8 take 3.3 instead of 1.8 s — its allocator returns
        // and re-faults memory on every call — which would flatter our ratio.
        for i in results.indices {
            if skipZennit { results[i].zennitNote = "skipped (--skip-zennit)" } else { runZennit(&results[i], threads: threads) }
        }

        for i in results.indices {
            var m = results[i]
            let b = m.batch
            let x = Self.input(shape: [b] + graph.inputShape)
            _ = try explainer.explain(try explainer.forward(x), targets: Array(repeating: 0, count: b), cutoff: 0) // warm-up
            // plain forward (logits only), as zennit's forward
            m.forward = try Self.median(repeats) { _ = try explainer.forward(x, forExplanation: false) }
            let targets = try Self.topClasses(explainer.forward(x, forExplanation: false))
            m.keptForward = try Self.median(repeats) { _ = try explainer.forward(x) }
            let kept = try explainer.forward(x)
            m.negativeInputs = explainer.layersWithNegativeInput(kept)
            m.relevanceOnly = try Self.median(repeats) { _ = try explainer.explain(kept, targets: targets, cutoff: 0) }
            let cpu0 = Self.cpuSeconds()
            m.explain = try Self.median(repeats) {
                _ = try explainer.explain(try explainer.forward(x), targets: targets, cutoff: 0)
            }
            m.explainCPU = (Self.cpuSeconds() - cpu0) / Double(repeats)
            let ks = Array(0...explainer.mappingLayerCount)
            m.sweepCount = ks.count
            m.sweep = try Self.median(sweepRepeats) {
                _ = try explainer.explain(try explainer.forward(x), targets: targets, cutoffs: ks)
            }
            m.maxRSS = Self.maxRSS()
            results[i] = m
            print(String(format: "batch %d: forward %.1f ms; explanation: forward keeping products %.1f ms + relevance pass %.1f ms, "
                         + "together %.1f ms (CPU %.1f ms); sweep of %d cut-offs %.1f ms",
                         b, m.forward * 1e3, m.keptForward * 1e3, m.relevanceOnly * 1e3, m.explain * 1e3, m.explainCPU * 1e3,
                         m.sweepCount, m.sweep * 1e3))
        }

        let sgemm = Self.sgemmRates(graph, threads: threads)
        printTable(results, flops: flops, sgemm: sgemm, threads: threads)

        // Per layer after the engine's measurements: its buffers do not count in their peak RSS.
        var layerTotals: [Int: LayerGEMMBench.Total] = [:]
        var floors: [Int: Double] = [:]
        if layerTop > 0 {
            let shapes = LayerGEMMBench.shapes(graph)
            let rules = Dictionary(explainer.mappingLayers.map { ($0.name, $0.rule) }, uniquingKeysWith: { a, _ in a })
            for m in results {
                let rows = try LayerGEMMBench.measure(shapes, batch: m.batch, threads: threads)
                LayerGEMMBench.printReport(rows, batch: m.batch, threads: threads, top: layerTop, engineForward: m.forward)
                var conv = LayerGEMMBench.Total()
                for r in rows where !r.shape.isLinear { conv.add(r) }
                layerTotals[m.batch] = conv
                let floor = GEMMFloor.measure(shapes, rules: rules, negative: m.negativeInputs, batch: m.batch,
                                              threads: threads)
                GEMMFloor.report(floor, batch: m.batch, preset: preset, zennit: m.zennitRelevance, ours: m.explain)
                floors[m.batch] = floor.seconds
            }
        }
        print("load average after: \(Self.loadAverage())")
        if let path = summaryJson {
            try writeSummary(path, results: results, flops: flops, mappingLayers: explainer.mappingLayerCount,
                             layerTotals: layerTotals, floors: floors, wall: Self.now() - started)
        }
    }

    // MARK: end to end

    /// Runs the `lrp-cnn` next to this executable `--explain-repeats` times on every picture of
    /// `--explain-folder` with all outputs, and returns the median wall time per image, the image
    /// count, the largest peak RSS and a note (the range of the runs). One run's wall time on
    /// this 2-core machine varies by up to ±30% (README, Speed), more than the end-to-end goal's
    /// margin.
    func timeExplainFolder(batch: Int) -> (seconds: Double?, images: Int, rss: Int, note: String) {
        guard let folder = explainFolder else { return (nil, 0, 0, "") }
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter {
            ["jpg", "jpeg", "png"].contains(($0 as NSString).pathExtension.lowercased())
        }.sorted()
        guard !names.isEmpty else { return (nil, 0, 0, "no pictures in \(folder)") }
        let tool = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lrp-cnn")
        guard fm.isExecutableFile(atPath: tool.path) else { return (nil, 0, 0, "\(tool.path) not built") }
        let out = fm.temporaryDirectory.appendingPathComponent("lrp-bench-explain-\(getpid())-\(batch)")
        let arguments = ["explain", "--model", modelPath, "--preset", preset, "--batch", String(batch), "--out", out.path]
            + names.map { (folder as NSString).appendingPathComponent($0) }
        var walls: [Double] = []
        var rss = 0, note = ""
        for _ in 0..<explainRepeats {
            defer { try? fm.removeItem(at: out) }
            let run = Self.runMeasured(tool, arguments, tag: "\(batch)")
            rss = max(rss, run.rss)
            if let failure = run.failure { return (nil, names.count, rss, failure) }
            walls.append(run.wall / Double(names.count))
            note = run.note
        }
        walls.sort()
        if walls.count > 1 {
            let range = String(format: "median of %d runs, %.1f–%.1f ms per image", walls.count, walls[0] * 1e3, walls.last! * 1e3)
            note = note.isEmpty ? range : "\(note); \(range)"
        }
        return (walls[walls.count / 2], names.count, rss, note)
    }

    /// Runs `tool arguments` once: wall seconds, its peak RSS in KB, a note on how the RSS was
    /// read, and the last line of its stderr if it failed.
    static func runMeasured(_ tool: URL, _ arguments: [String], tag: String)
        -> (wall: Double, rss: Int, note: String, failure: String?) {
        let fm = FileManager.default
        // A forked child's peak RSS (getrusage RUSAGE_CHILDREN) starts at the parent's RSS at the
        // fork and survives the exec, so it would count this process's models too. GNU time's
        // child is forked from a small process: its %M is the tool's own peak.
        let gnuTime = "/usr/bin/time"
        let rssFile = fm.temporaryDirectory.appendingPathComponent("lrp-bench-rss-\(getpid())-\(tag)")
        defer { try? fm.removeItem(at: rssFile) }
        let viaTime = fm.isExecutableFile(atPath: gnuTime)
        let p = Process()
        p.executableURL = viaTime ? URL(fileURLWithPath: gnuTime) : tool
        p.arguments = viaTime ? ["-f", "%M", "-o", rssFile.path, tool.path] + arguments : arguments
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        let t = now()
        do { try p.run() } catch { return (0, 0, "", "cannot start \(tool.path): \(error.localizedDescription)") }
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let wall = now() - t
        var u = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &u)
        var rss = u.ru_maxrss
        var note = viaTime ? "" : "peak RSS includes lrp-bench's own at the start (no \(gnuTime))"
        if viaTime {
            let text = (try? String(contentsOf: rssFile, encoding: .utf8)) ?? ""
            if let kb = text.split(separator: "\n").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                rss = kb
            } else {
                note = "peak RSS includes lrp-bench's own at the start (\(gnuTime) wrote no figure)"
            }
        }
        let failure = p.terminationStatus == 0 ? nil : "lrp-cnn failed: \(errText.split(separator: "\n").last ?? "")"
        return (wall, rss, note, failure)
    }

    // MARK: zennit

    func runZennit(_ m: inout Measurement, threads: Int) {
        let fm = FileManager.default
        guard fm.fileExists(atPath: zennitScript) else {
            m.zennitNote = "skipped: \(zennitScript) not found"
            return
        }
        // the project's venv (Scripts/python-env.sh), or another one named by $LRP_PYTHON
        let candidates = [ProcessInfo.processInfo.environment["LRP_PYTHON"], ".venv/bin/python"].compactMap { $0 }
        guard let python = candidates.first(where: { fm.isExecutableFile(atPath: $0) }) else {
            m.zennitNote = "skipped: no Python venv (.venv from Scripts/python-env.sh, or $LRP_PYTHON)"
            return
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [zennitScript, "--model", zennitArchitecture, "--batch", String(m.batch), "--threads", String(threads),
                       "--composite", preset, "--repeats", String(zennitRepeatCount)]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do {
            try p.run()
        } catch {
            m.zennitNote = "failed to start \(python): \(error.localizedDescription)"
            return
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        // the last line that is a JSON object with the keys bench_zennit.py prints
        for line in text.split(separator: "\n").reversed() {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let rel = (obj["relevance_s"] as? NSNumber)?.doubleValue else { continue }
            m.zennitRelevance = rel
            m.zennitForward = (obj["forward_s"] as? NSNumber)?.doubleValue
            m.zennitRSS = (obj["max_rss_kb"] as? NSNumber)?.intValue
            if let t = obj["threads"] { m.zennitNote = "torch threads \(t)" }
            return
        }
        let reason = String(decoding: errData, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "no output"
        m.zennitNote = "no result (exit \(p.terminationStatus)): \(reason)"
    }

    // MARK: report

    func printTable(_ rs: [Measurement], flops: Double, sgemm: (shape: String, one: Double, all: Double, square: Double),
                    threads: Int) {
        func ms(_ s: Double?) -> String { s.map { String(format: "%.1f", $0 * 1e3) } ?? "–" }
        func ratio(_ a: Double, _ b: Double?) -> String { b.map { String(format: "%.3f", a / $0) } ?? "–" }
        print("")
        print("Benchmark: \(modelPath) (zennit: \(zennitArchitecture)), preset \(preset), \(threads) threads (times: median, ms per batch)")
        print("| batch | ours forward | ours fwd+relevance | per image | zennit forward | zennit fwd+relevance | ratio forward | ratio fwd+relevance |")
        print("|---|---|---|---|---|---|---|---|")
        for m in rs {
            print("| \(m.batch) | \(ms(m.forward)) | \(ms(m.explain)) | \(ms(m.explain / Double(m.batch))) | \(ms(m.zennitForward)) "
                + "| \(ms(m.zennitRelevance)) | \(ratio(m.forward, m.zennitForward)) | \(ratio(m.explain, m.zennitRelevance)) |")
        }
        for m in rs where !m.zennitNote.isEmpty { print("zennit batch \(m.batch): \(m.zennitNote)") }
        if rs.contains(where: { $0.endToEnd != nil || !$0.endToEndNote.isEmpty }) {
            print("")
            print("End to end: lrp-cnn explain on \(explainFolder ?? "") (decode, explain, write all 5 files; model loading included), per image")
            print("| batch | images | lrp-cnn explain wall per image | engine fwd+relevance per image | ratio | zennit fwd+relevance per image | ratio to zennit | peak RSS of lrp-cnn MB |")
            print("|---|---|---|---|---|---|---|---|")
            for m in rs {
                guard let e = m.endToEnd else { print("| \(m.batch) | \(m.endToEndImages) | \(m.endToEndNote) | | | | | |"); continue }
                let engine = m.explain / Double(m.batch)
                let z = m.zennitRelevance.map { $0 / Double(m.batch) }
                print("| \(m.batch) | \(m.endToEndImages) | \(ms(e)) | \(ms(engine)) | \(String(format: "%.2f", e / engine)) | \(ms(z)) | "
                    + "\(z.map { String(format: "%.3f", e / $0) } ?? "–") | \(m.endToEndRSS / 1024) |")
            }
            for m in rs where m.endToEnd != nil && !m.endToEndNote.isEmpty { print("end to end, batch \(m.batch): \(m.endToEndNote)") }
        }
        print("")
        print("| batch | sweep over all K (\(rs.first?.sweepCount ?? 0) maps, incl. forward) | ratio to one explanation |")
        print("|---|---|---|")
        for m in rs { print("| \(m.batch) | \(ms(m.sweep)) | \(String(format: "%.2f", m.sweep / m.explain)) |") }
        print("")
        print("| batch | forward GFLOP/s (all layers, \(threads) threads) | OpenBLAS sgemm GFLOP/s \(sgemm.shape) (1 thread / \(threads) threads) | sgemm 1024³ (\(threads) threads) | peak RSS MB (this process so far) | zennit process peak RSS MB |")
        print("|---|---|---|---|---|---|")
        for m in rs {
            print(String(format: "| %d | %.1f | %.1f / %.1f | %.1f | %.0f | ", m.batch, flops * Double(m.batch) / m.forward / 1e9,
                         sgemm.one, sgemm.all, sgemm.square, Double(m.maxRSS) / 1024)
                + (m.zennitRSS.map { String(format: "%.0f |", Double($0) / 1024) } ?? "– |"))
        }
    }

    // MARK: helpers

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    static func median(_ n: Int, _ body: () throws -> Void) throws -> Double {
        var times: [Double] = []
        for _ in 0..<n {
            let t = now()
            try body()
            times.append(now() - t)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// Deterministic ImageNet-normalised noise image(s).
    static func input(shape: [Int]) -> NDArray {
        var state: UInt64 = 0x1234_5678
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        let count = shape.reduce(1, *), plane = shape[2] * shape[3]
        var data = [Float](repeating: 0, count: count)
        for i in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let u = Float(state >> 40) / Float(1 << 24)
            let c = (i / plane) % 3
            data[i] = (u - mean[c]) / std[c]
        }
        return NDArray(shape: shape, data: data)
    }

    static func topClasses(_ pass: ForwardPass) -> [Int] {
        let c = pass.logits.shape[1]
        return (0..<pass.batchSize).map { n in
            (0..<c).max { pass.logits.data[n * c + $0] < pass.logits.data[n * c + $1] }!
        }
    }

    /// Multiply-adds ×2 of the conv and linear layers for one image.
    static func forwardFlops(_ g: Graph) -> Double {
        var f = 0.0
        for n in g.nodes {
            switch n.op {
            case .conv(let c):
                let o = g.valueShapes[n.output.index]
                f += 2 * Double(c.outChannels * (c.inChannels / c.groups) * c.kernelH * c.kernelW * o[1] * o[2])
            case .linear(let l):
                f += 2 * Double(l.inFeatures * l.outFeatures)
            default: break
            }
        }
        return f
    }

    /// OpenBLAS sgemm rate on the most expensive pointwise layer's matrix shape (1 thread, and
    /// one sgemm per worker thread concurrently), and on 1024³ with all workers.
    static func sgemmRates(_ g: Graph, threads: Int) -> (shape: String, one: Double, all: Double, square: Double) {
        var best = (m: 256, n: 784, k: 256, flops: 0.0)
        for node in g.nodes {
            if case .conv(let c) = node.op, c.kernelH == 1, c.kernelW == 1, c.groups == 1 {
                let o = g.valueShapes[node.output.index]
                let f = 2.0 * Double(c.outChannels * c.inChannels * o[1] * o[2])
                if f > best.flops { best = (c.outChannels, o[1] * o[2], c.inChannels, f) }
            }
        }
        func rate(_ m: Int, _ n: Int, _ k: Int, workers: Int) -> Double {
            let a = (0..<workers).map { _ in [Float](repeating: 0.5, count: m * k) }
            let b = (0..<workers).map { _ in [Float](repeating: 0.25, count: k * n) }
            let cs = (0..<workers).map { _ in FloatArrayBox(count: m * n) }
            let flops = 2.0 * Double(m * n * k)
            let reps = max(3, Int(2e9 / flops))
            var bestTime = Double.infinity
            for _ in 0..<3 {
                let t = now()
                Parallel.forEach(workers) { w in
                    for _ in 0..<reps {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a[w], Int32(k),
                                    b[w], Int32(n), 0, cs[w].pointer, Int32(n))
                    }
                }
                bestTime = min(bestTime, now() - t)
            }
            return flops * Double(reps * workers) / bestTime / 1e9
        }
        return ("\(best.m)×\(best.k)·\(best.k)×\(best.n)", rate(best.m, best.n, best.k, workers: 1),
                rate(best.m, best.n, best.k, workers: threads), rate(1024, 1024, 1024, workers: threads))
    }

    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return s(u.ru_utime) + s(u.ru_stime)
    }

    static func maxRSS() -> Int {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return u.ru_maxrss  // KB on Linux
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }
}

/// A float buffer written from several threads (one per worker).
final class FloatArrayBox: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(count: Int) {
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }
    deinit { pointer.deallocate() }
}
