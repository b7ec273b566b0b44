import Foundation

/// Everything the browsable report shows (docs/DESIGN.md §10.3). Plain values: the pipeline fills
/// them in, `ReportPage` renders them with the Mustache templates of `ReportTemplates`, and the
/// report folder also keeps them as `report.json`. File references are paths relative to the
/// report folder (`images/003/cnn-k12.png`), so the folder can be moved or served as it is.
public struct ReportDocument: Codable, Sendable, Equatable {
    public var title: String
    /// Where the images came from (folder and how the subset was chosen).
    public var dataset: String
    /// When the report was made (ISO 8601, UTC).
    public var generated: String
    public var images: [ReportImage]
    public var faithfulness: ReportFaithfulness?
    /// Table 1: average precision per class of both models (from `lrp-cnn eval` / `lrp-fv eval`).
    public var averagePrecision: ReportTable?
    /// Free-form lines shown under the title (models, rule plan, skipped images, timing).
    public var notes: [String]

    public init(title: String, dataset: String, generated: String = ReportDocument.now(), images: [ReportImage],
                faithfulness: ReportFaithfulness? = nil, averagePrecision: ReportTable? = nil, notes: [String] = []) {
        self.title = title
        self.dataset = dataset
        self.generated = generated
        self.images = images
        self.faithfulness = faithfulness
        self.averagePrecision = averagePrecision
        self.notes = notes
    }

    public static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }
}

/// One photograph: both models' view of the same class and the maps the sliders step through.
public struct ReportImage: Codable, Sendable, Equatable {
    /// Shown name, e.g. `n01440764/ILSVRC2012_val_00009111.JPEG`.
    public var name: String
    /// The explained class (display name).
    public var className: String
    public var cnn: ReportModelResult
    public var fv: ReportModelResult
    /// The Figure-1 panel (§10.1).
    public var panel: String
    /// CNN maps in increasing cut-off order: `key` is K as text ("0", "4", …).
    public var cnnMaps: [ReportMap]
    /// Fisher-vector maps, fine to coarse: `key` "bin", then "descriptor" (§4.2).
    public var fvMaps: [ReportMap]

    public init(name: String, className: String, cnn: ReportModelResult, fv: ReportModelResult, panel: String,
                cnnMaps: [ReportMap], fvMaps: [ReportMap]) {
        self.name = name
        self.className = className
        self.cnn = cnn
        self.fv = fv
        self.panel = panel
        self.cnnMaps = cnnMaps
        self.fvMaps = fvMaps
    }
}

/// One model's result on one image.
public struct ReportModelResult: Codable, Sendable, Equatable {
    /// Model name, e.g. `mobilenet_v2.onnx (10 Imagenette logits)`.
    public var model: String
    /// Score (logit or SVM score) of the explained class.
    public var score: Double
    /// The model's own top class (display name).
    public var predicted: String
    /// Rule plan or relevance settings.
    public var detail: String

    public init(model: String, score: Double, predicted: String, detail: String) {
        self.model = model
        self.score = score
        self.predicted = predicted
        self.detail = detail
    }
}

/// One relevance map at one decomposition depth.
public struct ReportMap: Codable, Sendable, Equatable {
    /// The depth as it appears in the URL fragment: the cut-off K ("12") or the FV resolution ("bin").
    public var key: String
    /// Shown next to the slider, e.g. "K = 12" or "SIFT bin".
    public var label: String
    /// The map's picture, relative to the report folder.
    public var file: String

    public init(key: String, label: String, file: String) {
        self.key = key
        self.label = label
        self.file = file
    }
}

/// The faithfulness section (§10.2): the table, the plot, and links to the raw curves.
public struct ReportFaithfulness: Codable, Sendable, Equatable {
    public var table: ReportTable
    /// The score-vs-step plot (PNG, shown on the page).
    public var plot: String
    /// Downloads: curves (CSV, JSON), the plot as SVG, the Markdown table.
    public var files: [ReportLink]
    /// Measured statements (most faithful depth per family, margins over the baselines).
    public var findings: [String]

    public init(table: ReportTable, plot: String, files: [ReportLink] = [], findings: [String] = []) {
        self.table = table
        self.plot = plot
        self.files = files
        self.findings = findings
    }
}

/// A table of text cells (already formatted numbers).
public struct ReportTable: Codable, Sendable, Equatable {
    public var caption: String
    public var header: [String]
    public var rows: [[String]]
    /// Rows shown in bold (mean AP, best method): indices into `rows`.
    public var emphasized: [Int]

    public init(caption: String, header: [String], rows: [[String]], emphasized: [Int] = []) {
        self.caption = caption
        self.header = header
        self.rows = rows
        self.emphasized = emphasized
    }
}

/// A file of the report offered as a link.
public struct ReportLink: Codable, Sendable, Equatable {
    public var label: String
    public var file: String

    public init(label: String, file: String) {
        self.label = label
        self.file = file
    }
}
