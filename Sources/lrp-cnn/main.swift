// lrp-cnn: relevance heatmaps for CNNs in ONNX format. Argument parsing and printing only;
// the work is done by the CNNRelevance library.
import ArgumentParser
import Foundation
import LRPCore

/// Runs the command; every failure becomes exactly one `error: ...` line on stderr.
func runCommandLine() -> Int32 {
    do {
        var command = try LRPCNN.parseAsRoot()
        try command.run()
        return 0
    } catch let e as LRPError {
        CLIOutput.error(e.message)
        return 1
    } catch {
        let code = LRPCNN.exitCode(for: error)
        if code == .success {
            print(LRPCNN.fullMessage(for: error))
            return 0
        }
        CLIOutput.error(LRPCNN.message(for: error))
        return code.rawValue == 0 ? 1 : code.rawValue
    }
}

exit(runCommandLine())
