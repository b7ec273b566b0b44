/// Progress of long work (training, evaluation), reported by libraries through a callback so
/// that only executables print (to stderr).
public struct ProgressEvent: Sendable {
    /// Short name of the stage, e.g. "descriptors", "gmm", "encode", "svm".
    public var stage: String
    public var done: Int
    public var total: Int
    /// Optional detail, e.g. "log-likelihood -1.23e6" or "skipped 2 corrupt images".
    public var detail: String

    public init(stage: String, done: Int, total: Int, detail: String = "") {
        self.stage = stage
        self.done = done
        self.total = total
        self.detail = detail
    }
}

public typealias ProgressHandler = @Sendable (ProgressEvent) -> Void
