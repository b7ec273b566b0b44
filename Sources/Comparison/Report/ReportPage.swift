import Foundation
import LRPCore
import Mustache

/// Renders a `ReportDocument` as the report's `index.html` with the Mustache templates of
/// `ReportTemplates` (docs/DESIGN.md §10.3). The view handed to the templates is built here from
/// plain dictionaries, so the templates stay logic-less and every text value is escaped.
public enum ReportPage {
    /// The page for `document`.
    public static func html(_ document: ReportDocument) throws -> String {
        let library = try templates()
        guard let html = library.render(view(document), withTemplate: "page") else {
            throw LRPError("the report page template is missing")  // not reachable: registered above
        }
        return html
    }

    static func templates() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        do {
            try library.register(ReportTemplates.page, named: "page")
            try library.register(ReportTemplates.table, named: "table")
        } catch {
            throw LRPError("the report page template does not parse: \(error)")
        }
        return library
    }

    /// The template view: the document's values, plus indices, first stops and slider ranges.
    static func view(_ d: ReportDocument) -> [String: Any] {
        var view: [String: Any] = [
            "title": d.title, "dataset": d.dataset, "generated": d.generated,
            "imageCount": d.images.count, "hasImages": !d.images.isEmpty,
            "notes": d.notes, "hasNotes": !d.notes.isEmpty,
            "css": ReportTemplates.css, "script": ReportTemplates.script,
            "images": d.images.enumerated().map { imageView($0.element, index: $0.offset) },
        ]
        if let f = d.faithfulness {
            view["faithfulness"] = [
                "table": tableView(f.table), "plot": f.plot,
                "files": f.files.map { ["label": $0.label, "file": $0.file] }, "hasFiles": !f.files.isEmpty,
                "findings": f.findings, "hasFindings": !f.findings.isEmpty,
            ] as [String: Any]
        }
        if let ap = d.averagePrecision { view["averagePrecision"] = tableView(ap) }
        return view
    }

    static func imageView(_ image: ReportImage, index: Int) -> [String: Any] {
        var controls: [[String: Any]] = []
        if !image.cnnMaps.isEmpty {
            controls.append(controlView(family: "cnn", title: "CNN cut-off", maps: image.cnnMaps,
                                        fineEnd: "fine (no cut-off)", coarseEnd: "coarse"))
        }
        if !image.fvMaps.isEmpty {
            controls.append(controlView(family: "fv", title: "Fisher-vector resolution", maps: image.fvMaps,
                                        fineEnd: "fine (SIFT bin)", coarseEnd: "coarse (descriptor)"))
        }
        return [
            "index": index, "first": index == 0, "name": image.name, "className": image.className,
            "panel": image.panel, "controls": controls,
            "models": [image.cnn, image.fv].map {
                ["model": $0.model, "score": String(format: "%.3f", $0.score), "predicted": $0.predicted, "detail": $0.detail]
            },
        ]
    }

    /// One slider: positions 0…count−1 map to the stops in order (so `max` = stops − 1).
    static func controlView(family: String, title: String, maps: [ReportMap], fineEnd: String, coarseEnd: String) -> [String: Any] {
        [
            "family": family, "title": title, "max": maps.count - 1,
            "firstKey": maps[0].key, "firstLabel": maps[0].label, "firstFile": maps[0].file,
            "fineEnd": fineEnd, "coarseEnd": coarseEnd,
            "stops": maps.enumerated().map { ["position": $0.offset, "key": $0.element.key, "label": $0.element.label, "file": $0.element.file] },
        ]
    }

    /// Numbers (and "—" for a missing one) are right-aligned.
    static func isNumeric(_ cell: String) -> Bool {
        guard let c = cell.first else { return false }
        return c.isNumber || c == "—" || (c == "-" && cell.dropFirst().first?.isNumber == true)
    }

    static func tableView(_ t: ReportTable) -> [String: Any] {
        let bold = Set(t.emphasized)
        return [
            "caption": t.caption, "header": t.header,
            "rows": t.rows.enumerated().map { row in
                [
                    "cells": row.element.map { ["text": $0, "numeric": isNumeric($0)] as [String: Any] },
                    "emphasized": bold.contains(row.offset),
                ] as [String: Any]
            },
        ]
    }
}
