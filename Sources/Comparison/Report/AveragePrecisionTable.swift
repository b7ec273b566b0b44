import Foundation
import LRPCore

/// Table 1 of the report (docs/DESIGN.md §10.3): per-class average precision of both models,
/// read from the JSON reports that `lrp-cnn eval --out FILE` and `lrp-fv eval --json FILE` write
/// (`EvaluationReport.json`: classes, classNames, averagePrecision per class, mAP, top-1).
public enum AveragePrecisionTable {
    /// The fields of one evaluation report the table needs.
    public struct Scores: Decodable, Sendable, Equatable {
        public var classes: [String]
        public var classNames: [String]?
        public var averagePrecision: [String: Double]
        public var meanAveragePrecision: Double
        public var top1: Double
        public var images: Int?
        public var split: String?
    }

    /// Reads one evaluation report.
    /// - Throws: `LRPError` naming the file if it cannot be read or is not such a report.
    public static func read(_ url: URL) throws -> Scores {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw LRPError("cannot read the evaluation report \(url.path): \(error.localizedDescription)")
        }
        do {
            let scores = try JSONDecoder().decode(Scores.self, from: data)
            guard !scores.classes.isEmpty, scores.classes.allSatisfy({ scores.averagePrecision[$0] != nil }) else {
                throw LRPError("an average precision is missing for some class")
            }
            return scores
        } catch let e as LRPError {
            throw LRPError("\(url.path) is not an evaluation report of lrp-cnn/lrp-fv eval: \(e.message)")
        } catch {
            throw LRPError("\(url.path) is not an evaluation report of lrp-cnn/lrp-fv eval (JSON with classes, averagePrecision, meanAveragePrecision, top1)")
        }
    }

    /// The table: one row per class (in the order of the first report; classes only one report
    /// has come last), then mAP and top-1, in percent. Columns: Fisher vectors, then CNN.
    public static func table(fv: Scores?, cnn: Scores?) -> ReportTable? {
        let columns = [("Fisher vectors", fv), ("CNN", cnn)].compactMap { name, s in s.map { (name, $0) } }
        guard !columns.isEmpty else { return nil }
        var classes: [String] = [], names: [String: String] = [:]
        for (_, s) in columns {
            for (i, c) in s.classes.enumerated() where names[c] == nil {
                classes.append(c)
                names[c] = s.classNames.flatMap { i < $0.count ? $0[i] : nil } ?? c
            }
        }
        func percent(_ v: Double?) -> String { v.map { String(format: "%.2f", $0 * 100) } ?? "—" }
        var rows = classes.map { c in [names[c] ?? c] + columns.map { percent($0.1.averagePrecision[c]) } }
        rows.append(["mAP"] + columns.map { percent($0.1.meanAveragePrecision) })
        rows.append(["top-1 accuracy"] + columns.map { percent($0.1.top1) })
        let counts = columns.map { name, s in "\(name): \(s.images.map { "\($0) images" } ?? "?")\(s.split.map { ", \($0)" } ?? "")" }
        return ReportTable(caption: "Average precision per class (%), VOC 2007 11-point (\(counts.joined(separator: "; ")))",
                           header: ["class"] + columns.map(\.0), rows: rows, emphasized: [rows.count - 2])
    }
}
