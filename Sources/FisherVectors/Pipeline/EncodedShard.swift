import Evaluation
import Foundation
import LRPCore

/// The Fisher vectors of an `encode` shard (docs/DESIGN.md §9, format in Model/EncodedShards.md):
/// `fisher-vectors.npy` in the shard folder, a NumPy array of dtype `<f2` (little-endian
/// binary16), shape [shard items, cells·2·K·D], row r = the manifest's item r (zeros for a failed
/// image). The file is created at full size and each row is written in place; the manifest
/// (labels, ids, SHA-256 of each row's bytes) is saved at most every 2 s and at the end, each time
/// after the rows it records are synced to disk; a torn row is caught by its checksum and encoded
/// again.
public enum EncodedShard {
    public static let fileName = "fisher-vectors.npy"

    /// NPY version 1.0 header for a 2-D `<f2` array, padded to a multiple of 64 bytes.
    static func header(rows: Int, columns: Int) -> [UInt8] {
        var dict = "{'descr': '<f2', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let n = dict.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(dict.utf8)
    }

    /// Encodes the shard's images that are not done yet with the codebook into
    /// `<output>/<shard folder>/`, resuming a previous run.
    public static func encode(codebook: Codebook, codebookURL: URL, dataset: Dataset, options: [String: String], shard: Shard,
                              output: URL, progress: ProgressHandler? = nil) throws -> ShardRun {
        BLASThreads.apply()
        let model = codebook.model
        guard dataset.classes == model.classes else {
            throw LRPError("the dataset's classes \(dataset.classes) are not the codebook's \(model.classes)")
        }
        let all = FisherVectorTrainer.selectItems(dataset, maxPerClass: codebook.maxImagesPerClass, seed: codebook.seed)
        let items = shard.members(of: Array(all.indices)).map { ShardManifest.Item(id: all[$0].id, position: $0, labels: all[$0].labels) }
        let context: [String: JSONValue] = ["classes": try JSONValue(any: model.classes), "classNames": try JSONValue(any: model.classNames),
                                            "columns": .int(model.fisherLength)]
        let fresh = ShardManifest(tool: "lrp-fv", command: "encode", modelSHA256: try SHA256.hex(file: codebookURL),
                                  options: options, shard: shard, totalItems: all.count, context: context, items: items)
        let run = try ShardRun(output: output, fresh: fresh)
        let file = try RowFile(url: run.folder.appendingPathComponent(fileName), rows: items.count, columns: model.fisherLength)
        let todo = run.todo { file.checksum(row: $0) == run.manifest.items[$0].checksum }
        let encoder = ImageEncoder(model: model)
        let total = items.count
        var done = total - todo.count
        if todo.isEmpty { progress?(ProgressEvent(stage: "encode", done: total, total: total, detail: "already complete")) }
        let chunk = 8 * Parallel.workerCount
        var lastSave = Date()
        for start in stride(from: 0, to: todo.count, by: chunk) {
            let part = Array(todo[start..<min(todo.count, start + chunk)])
            let started = Date()
            let outcomes = ParallelSlots<Result<String, Error>>(count: part.count)
            Parallel.forEach(part.count) { k in
                let i = part[k]
                outcomes.set(k, Result {
                    let vector = try encoder.encode(try Image.load(all[items[i].position].url), threads: 1).fisherVector
                    return try file.write(row: i, vector)
                })
            }
            for (k, i) in part.enumerated() {
                switch outcomes.get(k)! {
                case .success(let sum): run.markDone(i, checksum: sum)
                case .failure(let e):
                    _ = try file.write(row: i, [Float](repeating: 0, count: model.fisherLength))
                    run.markFailed(i, error: skipLine(all[items[i].position].url, e))
                }
            }
            run.addSeconds(Date().timeIntervalSince(started))
            if Date().timeIntervalSince(lastSave) >= 2 {
                try file.sync()
                try run.save()
                lastSave = Date()
            }
            done += part.count
            progress?(ProgressEvent(stage: "encode", done: done, total: total,
                                    detail: "shard \(shard), \(run.manifest.counts.failed) failed"))
        }
        try file.sync()
        try run.save()
        return run
    }

    /// The training rows of complete `encode` shards made with the codebook whose SHA-256 is
    /// `codebookSHA256`, in the training run's order, with their labels and whether each
    /// could be encoded.
    public static func load(_ paths: [URL], codebookSHA256: String, columns: Int, scratchDirectory: URL?)
        throws -> (store: HalfRowStore, labels: [[Int8]], usable: [Bool], skipped: [String]) {
        let set = try ShardSet.gather(paths, tool: "lrp-fv", commands: ["encode"], allowFailed: true)
        guard set.first.modelSHA256 == codebookSHA256 else {
            throw LRPError("\(set.folders[0].path): encoded with another codebook (SHA-256 \(set.first.modelSHA256.prefix(12))…, the codebook has \(codebookSHA256.prefix(12))…)")
        }
        let files = try zip(set.manifests, set.folders).map { m, f in
            try RowFile(url: f.appendingPathComponent(fileName), rows: m.items.count, columns: columns, create: false)
        }
        let n = set.first.totalItems
        let store = try HalfRowStore(rows: n, columns: columns, scratchDirectory: scratchDirectory)
        var labels = [[Int8]](repeating: [], count: n), usable = [Bool](repeating: false, count: n), skipped: [String] = []
        var next = [Int](repeating: 0, count: set.manifests.count)
        var row = [UInt16](repeating: 0, count: columns)
        for (item, s) in set.itemsInOrder {
            let r = next[s]
            next[s] += 1
            labels[item.position] = item.labels ?? []
            guard item.status == .done else { skipped.append(item.error ?? item.id); continue }
            try files[s].read(row: r, into: &row)
            guard RowFile.checksum(row) == item.checksum else {
                throw LRPError("\(set.folders[s].path): the vector of \(item.id) does not match the manifest; re-run the shard")
            }
            row.withUnsafeBufferPointer { store.setRow(item.position, halfBits: $0.baseAddress!) }
            usable[item.position] = true
        }
        return (store, labels, usable, skipped)
    }
}

/// An unusable image as the training's skip list shows it.
func skipLine(_ url: URL, _ error: Error) -> String {
    let message = error.userMessage
    return message.hasPrefix(url.path) ? message : "\(url.path): \(message)"
}

/// A `<f2` .npy file of fixed shape whose rows are written and read in place.
final class RowFile: @unchecked Sendable {
    let url: URL
    let rows: Int, columns: Int
    private let fd: Int32
    private let offset: Int

    init(url: URL, rows: Int, columns: Int, create: Bool = true) throws {
        self.url = url
        self.rows = rows
        self.columns = columns
        let header = EncodedShard.header(rows: rows, columns: columns)
        offset = header.count
        let size = header.count + rows * columns * 2
        let existing = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        let head = FileManager.default.contents(atPath: url.path).map { Array($0.prefix(header.count)) }
        if existing != size || head != header {
            guard create else { throw LRPError("\(url.path): missing or not a [\(rows), \(columns)] float16 array") }
            try AtomicFile.write(to: url) { tmp in
                guard FileManager.default.createFile(atPath: tmp.path, contents: Data(header)), truncate(tmp.path, off_t(size)) == 0 else {
                    throw LRPError("cannot create \(url.path): \(String(cString: strerror(errno)))")
                }
            }
        }
        fd = open(url.path, create ? O_RDWR : O_RDONLY)
        guard fd >= 0 else { throw LRPError("cannot open \(url.path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    static func checksum(_ bits: [UInt16]) -> String {
        bits.withUnsafeBytes { SHA256.hex($0) }
    }

    /// Writes a vector as float16 (little-endian) and returns the checksum of the row's bytes.
    func write(row r: Int, _ values: [Float]) throws -> String {
        let bits = HalfPrecision.encode(values)
        let n = bits.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset + r * columns * 2)) }
        guard n == columns * 2 else { throw LRPError("cannot write \(url.path): \(String(cString: strerror(errno)))") }
        return Self.checksum(bits)
    }

    func read(row r: Int, into bits: inout [UInt16]) throws {
        let n = bits.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset + r * columns * 2)) }
        guard n == columns * 2 else { throw LRPError("\(url.path): truncated") }
    }

    func checksum(row r: Int) -> String? {
        var bits = [UInt16](repeating: 0, count: columns)
        guard (try? read(row: r, into: &bits)) != nil else { return nil }
        return Self.checksum(bits)
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw LRPError("cannot write \(url.path): \(String(cString: strerror(errno)))") }
    }
}
