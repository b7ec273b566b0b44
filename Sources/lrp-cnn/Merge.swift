import ArgumentParser
import CLISupport
import CNNRelevance
import Evaluation
import Foundation
import LRPCore

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Combine the shards of a sharded run (docs/DESIGN.md §9).",
        discussion: """
            eval shards: the same report (table and JSON) as the unsharded eval. explain shards: checks \
            that every image of every shard is done and, with --out, writes a combined index. Nothing is \
            written unless every shard is present, finished and of the same model and options.
            """)

    @Argument(help: "Shard folders, or output folders holding shard-* folders.")
    var folders: [String] = []

    @Option(help: "eval: the report file (JSON); explain: an index file (JSON) of all outputs.")
    var out: String?

    @Flag(help: "Only check that the shards are complete and consistent; write nothing.")
    var check = false

    func validate() throws {
        guard !folders.isEmpty else { throw ValidationError("no shard folders given") }
        try OptionRange.path("--out", out)
    }

    func run() throws {
        let urls = folders.map { URL(fileURLWithPath: $0) }
        let set = try ShardSet.gather(urls, tool: "lrp-cnn", commands: ["eval", "explain"], allowFailed: true)
        if set.first.command == "explain" {
            try ShardReports.mergeExplain(urls, tool: "lrp-cnn", out: check ? nil : out)
            return
        }
        let merged = try MergedEvaluation.merge(urls, tool: "lrp-cnn")
        let context = merged.context["report"]?.any as? [String: Any] ?? [:]
        let json = CNNEvaluator.reportJSON(merged.report, context: context, skippedImages: merged.skippedImages.count,
                                           seconds: merged.seconds)
        if check {
            print("\(set.manifests.count) eval shards complete: \(merged.report.imageCount) images scored, \(merged.skippedImages.count) skipped")
            return
        }
        guard let out else { throw ValidationError("merging eval shards needs --out FILE for the report (or --check)") }
        SkipReport.print("skipped images", merged.skippedImages)
        try AtomicFile.write(try JSONOutput.encode(json), to: URL(fileURLWithPath: out))
        let model = URL(fileURLWithPath: context["model"] as? String ?? "model").lastPathComponent
        let dataset = URL(fileURLWithPath: context["dataset"] as? String ?? "dataset").lastPathComponent
        print(merged.report.table(title: "\(model) on \(dataset)/\(context["split"] as? String ?? "")"))
        print("report written to \(out)")
    }
}

