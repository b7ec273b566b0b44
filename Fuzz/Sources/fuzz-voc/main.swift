import Evaluation
import Foundation
import FuzzDriver

// Dataset lists: a PASCAL VOC ImageSets/Main/<class>_<split>.txt label file.
exit(lrp_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { data, size in
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? VOCReader.parseLabelFile(text, file: "fuzz_train.txt")
    return 0
})
