import CNNRelevance
import Foundation
import FuzzDriver

// Class-label files (one name per line, synonyms after commas), then a lookup by label.
exit(lrp_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let labels = try? ClassLabels.parse(text, source: "fuzz.txt") {
        _ = labels.name(0)
        _ = try? labels.index(of: labels.names.last ?? "")
    }
    return 0
})
