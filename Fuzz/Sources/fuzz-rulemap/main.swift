import CNNRelevance
import Foundation
import FuzzDriver

// The rule-map JSON of `lrp-cnn explain --rules`.
exit(lrp_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in
    guard let data else { return 0 }
    _ = try? RuleMap(json: Data(bytes: data, count: size))
    return 0
})
