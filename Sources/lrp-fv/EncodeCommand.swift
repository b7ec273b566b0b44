import ArgumentParser
import CLISupport
import Evaluation
import FisherVectors
import Foundation
import LRPCore

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode the training images of a dataset split into Fisher vectors with a codebook, one shard at a time.",
        discussion: """
        Writes <out>/shard-iiii-of-nnnn/fisher-vectors.npy (float16 rows, Sources/FisherVectors/Model/EncodedShards.md) \
        and manifest.json (ids, labels, per-image checksums). The codebook comes from 'lrp-fv train --codebook-only'; \
        the images are the ones that training selects (its --max-images-per-class and --seed). \
        Train the SVMs from all shards with 'lrp-fv train --codebook FILE --features <out>'.
        """)

    @Option(help: "Codebook file (lrp-fv train --codebook-only).") var codebook: String
    @Option(help: "Dataset root folder.") var dataset: String
    @Option(help: "Dataset layout: imagenet or voc.") var layout: DatasetLayout = .imagenet
    @Option(help: "Split to encode.") var split = "train"
    @Option(help: "Output folder (gets one folder per shard).") var out: String
    @OptionGroup var shardOptions: ShardOptions

    func validate() throws {
        try OptionRange.path("--out", out)
        try OptionRange.path("--codebook", codebook)
    }

    func run() throws {
        let shard = try shardOptions.resolve() ?? .whole
        let url = URL(fileURLWithPath: codebook)
        let book = try Codebook.read(url)
        let data = try Dataset.load(root: URL(fileURLWithPath: dataset), layout: layout, split: split)
        SkipReport.print("skipped dataset entries", data.warnings)
        let run = try EncodedShard.encode(codebook: book, codebookURL: url, dataset: data,
                                          options: ["dataset": dataset, "split": split, "layout": layout.rawValue], shard: shard,
                                          output: URL(fileURLWithPath: out), progress: ProgressPrinter().handler)
        SkipReport.print("images that could not be encoded", run.manifest.items.compactMap { $0.status == .failed ? $0.error : nil })
        ShardReports.summary(run)
    }
}
