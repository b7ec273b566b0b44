import ArgumentParser
import CLISupport
import Evaluation
import FisherVectors
import Foundation
import LRPCore

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the shards of a sharded run (docs/DESIGN.md §9).",
        discussion: """
        eval shards: the same table and JSON report (--json) as the unsharded eval. explain shards: \
        checks that every image of every shard is done and, with --out, writes a combined index. \
        encode shards: checks that they are complete. Nothing is written unless every shard is \
        present, finished and of the same model and options.
        """)

    @Argument(help: "Shard folders, or output folders holding shard-* folders.") var folders: [String] = []
    @Option(help: "eval: also write the report as JSON to this file.") var json: String?
    @Option(help: "explain: write an index (JSON) of all outputs to this file.") var out: String?
    @Flag(help: "Only check that the shards are complete and consistent; write nothing.") var check = false

    func validate() throws {
        guard !folders.isEmpty else { throw ValidationError("no shard folders given") }
        try OptionRange.path("--json", json)
        try OptionRange.path("--out", out)
    }

    func run() throws {
        let urls = folders.map { URL(fileURLWithPath: $0) }
        let set = try ShardSet.gather(urls, tool: "lrp-fv", commands: ["eval", "explain", "encode"], allowFailed: true)
        switch set.first.command {
        case "explain":
            try ShardReports.mergeExplain(urls, tool: "lrp-fv", out: check ? nil : out)
        case "encode":
            let failed = set.manifests.reduce(0) { $0 + $1.counts.failed }
            print("\(set.manifests.count) encode shards complete: \(set.first.totalItems) images, \(failed) could not be encoded")
        default:
            let merged = try MergedEvaluation.merge(urls, tool: "lrp-fv")
            if check {
                print("\(set.manifests.count) eval shards complete: \(merged.report.imageCount) images scored, \(merged.skippedImages.count) skipped")
                return
            }
            let context = merged.context["report"]?.any as? [String: Any] ?? [:]
            SkipReport.print("skipped images", merged.skippedImages)
            try EvalCommand.report(merged.report, skippedImages: merged.skippedImages,
                                   datasetWarnings: context["datasetWarnings"] as? [String] ?? [],
                                   dataset: context["dataset"] as? String ?? "", split: context["split"] as? String ?? "", json: check ? nil : json)
        }
    }
}
