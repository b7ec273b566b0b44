import ArgumentParser
import CLISupport
import Comparison
import Foundation
import LRPCore

/// `lrp-compare report` (docs/DESIGN.md §10.3): Figure-1 panels, depth sliders and faithfulness
/// of both model families over a dataset folder, as one self-contained HTML folder.
///
/// All or nothing: the report is built in a hidden folder next to `--out` and renamed into place
/// at the end; a failure (an unreadable image included: the run stops at the first, before the
/// long steps) or an interruption leaves no report and prints one `error:` line (§7.1).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "A browsable, self-contained HTML report over a dataset folder.",
        discussion: """
        DIR: a dataset split in ImageNet layout (DIR/<wnid>/*.JPEG; the first --per-class images of each \
        class by sorted file name) or a folder of pictures. Default: the first 10 images of each class \
        of Imagenette val (100 images), at $LRP_IMAGENETTE/val or ../shared/data/imagenette/val next to \
        the repository. Runs the faithfulness measurement (region perturbation, as 'lrp-compare \
        faithfulness') and, per image, the Figure-1 panel (as 'lrp-compare figure') and the CNN maps at \
        K = 0 and every --cutoff-every-th cut-off (every K with --every-k) and the FV maps at bin and \
        descriptor resolution. Writes --out/index.html (open it in a browser; no network needed), \
        report.json, images/ and faithfulness/. The page's URL fragment holds the view: \
        #image=I&k=K&fv=bin|descriptor.
        """)

    @Argument(help: "Dataset split folder DIR/<class>/*.JPEG or a folder of pictures (default: the Imagenette subset).")
    var dataset: String?

    @Option(help: "Report folder (replaced if it holds an earlier report).") var out: String
    @Option(name: .customLong("per-class"), help: "Images per class taken from a dataset folder.") var perClass = ReportDataset.defaultPerClass
    @Option(help: "Use at most N images (the first N of the list: class by class).") var limit: Int?
    @Flag(name: .customLong("every-k"), help: "Slider over every cut-off K instead of every --cutoff-every-th.") var everyK = false
    @Option(name: .customLong("cutoff-every"), help: "CNN cut-offs measured and shown: K = 0 and every n-th.") var cutoffEvery = 4
    @Option(name: .customLong("cnn-eval"), help: "JSON report of 'lrp-cnn eval --out FILE' for the AP table.") var cnnEval: String?
    @Option(name: .customLong("fv-eval"), help: "JSON report of 'lrp-fv eval --json FILE' for the AP table.") var fvEval: String?
    @Option(name: .customLong("cnn-model"), help: "ONNX CNN (default: bundled Models/mobilenet_v2.onnx).") var cnnModel: String?
    @Option(help: "Class names of the CNN, one per line (default: the bundled ImageNet list for 1000-class models).") var labels: String?
    @Option(name: .customLong("fv-model"), help: "Fisher-vector model (default: bundled Models/fisher_imagenette.safetensors).") var fvModel: String?
    @Option(help: "Faithfulness: region side in pixels of each model's input.") var region = 9
    @Option(help: "Faithfulness: L, regions replaced per curve.") var steps = 100
    @Option(help: "Faithfulness: re-score the models every s steps.") var every = 5
    @Option(help: "Faithfulness: seed of the noise, the random orders and the bootstrap.") var seed: UInt64 = 0
    @Option(help: "Faithfulness: bootstrap resamples for the 95% intervals.") var bootstrap = 2000
    @Option(help: "Faithfulness: CNN re-scoring batch size.") var batch = 16
    @Option(name: .customLong("panel-size"), help: "Longer side of each Figure-1 panel, pixels.") var panelSize = 300
    @Option(name: .customLong("map-size"), help: "Longer side of each slider map, pixels.") var mapSize = 320

    func validate() throws {
        guard !out.isEmpty else { throw ValidationError("--out needs a folder name") }
        for (flag, value) in [("--per-class", perClass), ("--cutoff-every", cutoffEvery), ("--region", region),
                              ("--steps", steps), ("--every", every), ("--bootstrap", bootstrap), ("--batch", batch)] where value < 1 {
            throw ValidationError("\(flag) must be at least 1 (got \(value))")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1 (got \(limit))") }
        for (flag, side) in [("--panel-size", panelSize), ("--map-size", mapSize)] where !(64...2048).contains(side) {
            throw LRPError("\(flag) must be between 64 and 2048 pixels (got \(side))")
        }
    }

    func run() throws {
        let clock = Date(), cpuClock = CPUClock.process()
        // Wall and CPU seconds per step: on a shared machine the wall time includes waiting for a
        // core; CPU seconds ÷ cores is what the step costs on a machine of its own.
        var times: [(name: String, wall: Double, cpu: Double)] = []
        var cpuStart = cpuClock
        func lap(_ name: String, since start: Date) {
            let cpu = CPUClock.process()
            times.append((name, Date().timeIntervalSince(start), cpu - cpuStart))
            cpuStart = cpu
        }

        // Everything that can be checked cheaply first: images, AP reports, output folder, models.
        let folder = try dataset.map { URL(fileURLWithPath: $0) } ?? ReportDataset.defaultFolder()
        let list = try ImageList.resolve([folder.path], perClass: perClass, limit: limit)
        let ap = try AveragePrecisionTable.table(fv: fvEval.map { try AveragePrecisionTable.read(URL(fileURLWithPath: $0)) },
                                                 cnn: cnnEval.map { try AveragePrecisionTable.read(URL(fileURLWithPath: $0)) })
        let report = try ReportFolder(destination: URL(fileURLWithPath: out))
        defer { report.discard() }  // a no-op once the report is in place

        var start = Date()
        cpuStart = CPUClock.process()
        Stderr.line("report: \(list.count) images from \(folder.path); loading the models ...")
        let cnnURL = try ModelArgument.resolve(cnnModel, bundled: ModelPairOptions.bundledCNN)
        let fvURL = try ModelArgument.resolve(fvModel, bundled: ModelPairOptions.bundledFV)
        let labelsURL = labels.map { URL(fileURLWithPath: $0) }
        // nil for the bundled CNN: its bundled label list is then always used (§10.1).
        let pair = try ModelPair(ModelPairOptions(cnnModel: cnnModel.map { _ in cnnURL }, labels: labelsURL, fvModel: fvURL))
        let maps = try ReportRun(pair: pair, settings: ReportSettings(cutoffStride: everyK ? 1 : cutoffEvery, panelSide: panelSize,
                                                                      mapSide: mapSize))
        var config = FaithfulnessConfiguration()
        config.settings = PerturbationSettings(regionSize: region, steps: steps, every: every, seed: seed, bootstrapResamples: bootstrap)
        config.cnnModel = cnnURL
        config.cnnLabels = labelsURL
        config.cnnIsBundled = cnnModel == nil
        config.fvModel = fvURL
        config.cutoffStride = cutoffEvery
        config.batchSize = batch
        let faithfulness = try OptionErrors.naming(["region size": "--region", "re-scoring every": "--every"]) {
            try FaithfulnessRun(config)
        }
        lap("loading the models", since: start)

        // The long step first: it reads every image with both pipelines before it starts, so an
        // unreadable image stops the run at once.
        start = Date()
        Stderr.line("faithfulness: \(faithfulness.methods.count) methods, \(config.settings.scoredSteps.count) points per curve ...")
        let result = try OptionErrors.naming(["region size": "--region"]) {
            try faithfulness.run(list, progress: ProgressPrinter().handler)
        }
        try FaithfulnessOutput.write(result, to: report.url("faithfulness"))
        lap("faithfulness (region perturbation)", since: start)

        start = Date()
        Stderr.line("figures and maps: \(maps.cutoffs().count) CNN cut-offs (and the panel's K) and 2 FV resolutions per image ...")
        let images = try maps.images(ReportDataset.entries(list), folder: report, progress: ProgressPrinter().handler)
        lap("Figure-1 panels and slider maps", since: start)

        start = Date()
        let selection = dataset == nil
            ? "default subset: the first \(perClass) images by file name of each class"
            : "first \(perClass) images by file name of each class folder (or every picture of a plain folder)"
        var notes = [
            "Models: \(cnnURL.lastPathComponent) restricted to the \(pair.classNames.count) classes of \(fvURL.lastPathComponent); rules \(pair.planDescription).",
            "Both models explain the class the Fisher-vector model predicts; the faithfulness curves explain each model's own top class.",
        ]
        let total = Date().timeIntervalSince(clock), cpuTotal = CPUClock.process() - cpuClock
        notes.append("Time (wall / CPU seconds): " + times.map { "\($0.name) \(Int($0.wall.rounded())) / \(Int($0.cpu.rounded()))" }
            .joined(separator: ", ")
            + String(format: "; total %.1f min wall, %.1f CPU min on %d workers.", total / 60, cpuTotal / 60, Parallel.workerCount))
        let document = ReportDocument(
            title: "LRP report: CNN and Fisher vectors side by side",
            dataset: "\(folder.path) (\(selection)\(limit.map { ", at most \($0)" } ?? ""))",
            images: images, faithfulness: ReportFaithfulnessSection.make(result), averagePrecision: ap, notes: notes)
        try report.finish(document)
        lap("page", since: start)

        func row(_ name: String, _ wall: Double, _ cpu: Double) -> String {
            name.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%8.1f s wall %8.1f s CPU", wall, cpu)
        }
        for t in times { print(row(t.name, t.wall, t.cpu)) }
        print(row("total", Date().timeIntervalSince(clock), CPUClock.process() - cpuClock))
        for c in result.conclusions { print(c.statement) }
        print("report written to \(report.destination.path)/index.html")
    }
}
