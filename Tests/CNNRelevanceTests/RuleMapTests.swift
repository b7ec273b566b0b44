import Foundation
import LRPCore
import XCTest
@testable import CNNRelevance

/// Rule maps (RuleMapFile.md): the hand-written maps against zennit (Tests/Fixtures/cnn/rulemaps.json,
/// written by Scripts/make_cnn_fixtures.py), the composite's resolution and summaries, and the
/// validation errors.
final class RuleMapTests: XCTestCase {
    struct Cases: Decodable {
        struct Case: Decodable {
            let model, rules: String
            let epsilon, alpha, beta: Float
            let zBoxLow, zBoxHigh: [Float]
            let cutoff: Int
            let targets: [Int]
            let relevance: String
        }
        let cases: [Case]
    }

    static let directory = ZennitFixtureTests.directory

    func map(_ json: String) throws -> RuleMap { try RuleMap(json: Data(json.utf8)) }

    func testHandWrittenMapsMatchZennit() throws {
        let url = Self.directory.appendingPathComponent("rulemaps.json")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: url.path), "no rule map fixtures")
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: url)).cases
        XCTAssertEqual(cases.count, 5)
        var worst: (Float, String) = (0, "")
        for c in cases {
            let graph = try ONNXImporter.load(url: Self.directory.appendingPathComponent("\(c.model).onnx"))
            var plan = try RulePlan(preset: .epsilonPlusFlat, epsilon: c.epsilon, alpha: c.alpha, beta: c.beta,
                                    zBoxLow: c.zBoxLow, zBoxHigh: c.zBoxHigh)
            plan.ruleMap = try RuleMap(contentsOf: Self.directory.appendingPathComponent(c.rules))
            let e = try Explainer(graph: graph, plan: plan)
            let pass = try e.forward(try NPY.read(Self.directory.appendingPathComponent("\(c.model).input.npy")))
            let ours = try e.explain(pass, targets: c.targets, cutoff: c.cutoff)
            let ref = try NPY.read(Self.directory.appendingPathComponent(c.relevance))
            XCTAssertEqual(ours.shape, ref.shape, c.relevance)
            let scale = ref.data.map(abs).max() ?? 0
            let err = zip(ours.data, ref.data).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(err, 1e-4 * scale, "\(c.relevance): max error \(err / scale) of the map's maximum")
            if err / scale > worst.0 { worst = (err / scale, c.relevance) }
        }
        print("rule map fixtures: \(cases.count) cases, worst max|ours − zennit| / max|zennit| = \(worst.0) (\(worst.1))")
    }

    /// Which rule each layer of the fixture maps gets (name > layers > kind > preset).
    func testFixtureMapsResolveAsDocumented() throws {
        func rules(_ model: String) throws -> ([String], Composite) {
            let graph = try ONNXImporter.load(url: Self.directory.appendingPathComponent("\(model).onnx"))
            var plan = try RulePlan(preset: .epsilon, zBoxLow: [-2, -2, -2], zBoxHigh: [2, 2, 2])
            plan.ruleMap = try RuleMap(contentsOf: Self.directory.appendingPathComponent("\(model).rulemap.json"))
            return (try Explainer(graph: graph, plan: plan).mappingLayers.map(\.rule), try Composite(plan: plan))
        }
        let (branchy, composite) = try rules("branchy")
        XCTAssertEqual(branchy, ["wsquare", "alpha-beta(2.0,1.0)", "alpha-beta(2.0,1.0)", "z-plus", "epsilon(0.01)", "epsilon(0.25)"])
        XCTAssertEqual(composite.maxPoolRule(name: "/pool/MaxPool"), .proportional)
        XCTAssertEqual(composite.maxPoolRule(name: "other"), .winnerTakeAll)
        XCTAssertEqual(composite.preset, .epsilonPlusFlat)
        XCTAssertEqual(try rules("mobile").0, ["zbox", "alpha-beta(1.5,0.5)", "alpha-beta(1.5,0.5)", "z-plus", "epsilon(0.05)", "z"])
    }

    func testPrecedence() throws {
        var plan = try RulePlan(preset: .epsilonPlusFlat, firstLayer: .wsquare)
        // the base preset alone: layer 1 from firstLayer, convs z-plus, linear epsilon
        var c = try Composite(plan: plan)
        XCTAssertEqual(c.mappingRule(number: 1, name: "a", isLinear: false, inputChannels: 3).name, "wsquare")
        XCTAssertEqual(c.mappingRule(number: 2, name: "b", isLinear: false, inputChannels: 3).name, "z-plus")
        XCTAssertEqual(c.mappingRule(number: 3, name: "c", isLinear: true, inputChannels: 3).name, "epsilon(1e-06)")
        // a user kind beats the whole preset, the first-layer entry included
        plan.ruleMap = try map(#"{"rules": [{"kind": "conv", "rule": "z"}]}"#)
        c = try Composite(plan: plan)
        XCTAssertEqual(c.mappingRule(number: 1, name: "a", isLinear: false, inputChannels: 3).name, "z")
        XCTAssertEqual(c.mappingRule(number: 3, name: "c", isLinear: true, inputChannels: 3).name, "epsilon(1e-06)")
        // name > layers > kind, regardless of order; the later of equal entries wins
        plan.ruleMap = try map("""
            {"rules": [{"name": "b", "rule": "flat"}, {"layers": "1-3", "rule": "alpha-beta", "beta": 2},
                       {"kind": "conv", "rule": "z"}, {"layers": 3, "rule": "epsilon"}]}
            """)
        c = try Composite(plan: plan)
        XCTAssertEqual(c.mappingRule(number: 1, name: "a", isLinear: false, inputChannels: 3).name, "alpha-beta(3.0,2.0)")
        XCTAssertEqual(c.mappingRule(number: 2, name: "b", isLinear: false, inputChannels: 3).name, "flat")
        XCTAssertEqual(c.mappingRule(number: 3, name: "c", isLinear: true, inputChannels: 3).name, "epsilon(1e-06)")
        XCTAssertEqual(c.mappingRule(number: 4, name: "d", isLinear: false, inputChannels: 3).name, "z")
        // parameters left out take the plan's
        plan = try RulePlan(preset: .epsilon, epsilon: 0.5, alpha: 4, beta: 3)
        plan.ruleMap = try map(#"{"preset": "alpha2beta1", "rules": [{"kind": "linear", "rule": "epsilon"}]}"#)
        c = try Composite(plan: plan)
        XCTAssertEqual(c.mappingRule(number: 1, name: "a", isLinear: false, inputChannels: 3).name, "alpha-beta(4.0,3.0)")
        XCTAssertEqual(c.mappingRule(number: 1, name: "a", isLinear: true, inputChannels: 3).name, "epsilon(0.5)")
        XCTAssertEqual(plan.summary["preset"] as? String, "alpha2beta1")
    }

    /// The summaries of the presets keep the keys and values they had before composites were data.
    func testPresetSummaries() throws {
        func rules(_ plan: RulePlan) -> [String: String] { plan.summary["rules"] as? [String: String] ?? [:] }
        let fixed = ["averagePool": "proportional", "residualSum": "proportional", "activation": "pass"]
        var plan = try RulePlan(preset: .epsilonPlusFlat)
        XCTAssertEqual(rules(plan), fixed.merging(["firstLayer": "flat", "conv": "z-plus", "linear": "epsilon(1e-06)",
                                                   "maxPool": "winner-take-all", "unfoldedBatchNorm": "epsilon(1e-06)"]) { $1 })
        XCTAssertEqual(plan.summary["firstLayer"] as? String, "flat")
        XCTAssertEqual(plan.summary["maxPool"] as? String, "wta")
        XCTAssertEqual(plan.summary["preset"] as? String, "epsilon-plus-flat")
        XCTAssertNil(plan.summary["zBoxLow"])

        plan = try RulePlan(preset: .alpha2beta1, firstLayer: .wsquare, maxPool: .proportional)
        XCTAssertEqual(rules(plan), fixed.merging(["firstLayer": "wsquare", "conv": "alpha-beta(2.0,1.0)",
                                                   "linear": "alpha-beta(2.0,1.0)", "maxPool": "proportional",
                                                   "unfoldedBatchNorm": "epsilon(1e-06)"]) { $1 })
        XCTAssertEqual(plan.summary["firstLayer"] as? String, "wsquare")
        XCTAssertEqual(plan.summary["maxPool"] as? String, "proportional")

        plan = try RulePlan(preset: .epsilon, epsilon: 0)
        XCTAssertEqual(rules(plan), fixed.merging(["firstLayer": "z", "conv": "z", "linear": "z",
                                                   "maxPool": "winner-take-all", "unfoldedBatchNorm": "epsilon(0.0)"]) { $1 })
        XCTAssertEqual(plan.summary["firstLayer"] as? String, "epsilon")

        plan = try RulePlan(preset: .epsilonAlpha2Beta1Flat, firstLayer: .zbox, zBoxLow: [0], zBoxHigh: [1])
        XCTAssertEqual(rules(plan)["firstLayer"], "zbox")
        XCTAssertEqual(rules(plan)["conv"], "alpha-beta(2.0,1.0)")
        XCTAssertEqual(plan.summary["zBoxLow"] as? [Double], [0])
        XCTAssertEqual(try RulePlan(preset: .alpha2beta1).summary["firstLayer"] as? String, "alpha-beta")
    }

    /// The table the summary was written from before composites were data (kept here verbatim
    /// as the reference): every preset × first layer × max pool × ε gives the same dictionary.
    func testSummaryMatchesTheFormerTable() throws {
        func legacyRule(_ plan: RulePlan, index: Int, isLinear: Bool) -> String {
            if index == 0, let first = plan.firstLayer { return first == .zbox ? "zbox" : first.rawValue }
            switch plan.preset {
            case .epsilon: return EpsilonRule(epsilon: plan.epsilon).name
            case .alpha2beta1: return AlphaBetaRule(alpha: plan.alpha, beta: plan.beta).name
            case .epsilonPlusFlat, .epsilonAlpha2Beta1Flat:
                if index == 0 { return "flat" }
                if isLinear { return EpsilonRule(epsilon: plan.epsilon).name }
                return plan.preset == .epsilonPlusFlat ? "z-plus" : AlphaBetaRule(alpha: plan.alpha, beta: plan.beta).name
            }
        }
        func legacyFirstName(_ preset: RulePreset) -> String {
            switch preset {
            case .epsilon: return "epsilon"
            case .alpha2beta1: return "alpha-beta"
            case .epsilonPlusFlat, .epsilonAlpha2Beta1Flat: return "flat"
            }
        }
        for preset in RulePreset.allCases {
            for first in [nil] + FirstLayerRule.allCases.map(Optional.some) {
                for pool in MaxPoolRule.allCases {
                    for (eps, alpha) in [(Float(1e-6), Float(2)), (0, 1), (0.25, 1.5)] {
                        let plan = try RulePlan(preset: preset, epsilon: eps, alpha: alpha, beta: alpha - 1, firstLayer: first,
                                                maxPool: pool, zBoxLow: [0, 0, 0], zBoxHigh: [1, 1, 1])
                        let label = "\(preset) \(String(describing: first)) \(pool) \(eps)"
                        var rules = try XCTUnwrap(plan.summary["rules"] as? [String: String], label)
                        XCTAssertEqual(rules.removeValue(forKey: "activation"), "pass", label)
                        XCTAssertEqual(rules, [
                            "firstLayer": legacyRule(plan, index: 0, isLinear: false),
                            "conv": legacyRule(plan, index: 1, isLinear: false),
                            "linear": legacyRule(plan, index: 1, isLinear: true),
                            "maxPool": pool == .winnerTakeAll ? "winner-take-all" : "proportional",
                            "averagePool": "proportional",
                            "residualSum": "proportional",
                            "unfoldedBatchNorm": "epsilon(\(eps))",
                        ], label)
                        XCTAssertEqual(plan.summary["firstLayer"] as? String, first?.rawValue ?? legacyFirstName(preset), label)
                        XCTAssertEqual(plan.summary["maxPool"] as? String, pool.rawValue, label)
                        XCTAssertEqual(plan.summary["preset"] as? String, preset.rawValue, label)
                        XCTAssertEqual(plan.summary["zBoxLow"] != nil, first == .zbox, label)
                    }
                }
            }
        }
    }

    func testUserMapInSummary() throws {
        var plan = try RulePlan(preset: .epsilon)
        plan.ruleMap = try map(#"{"rules": [{"layers": "2-3", "rule": "z-plus"}, {"name": "p", "rule": "proportional"}]}"#)
        let user = try XCTUnwrap((plan.summary["rules"] as? [String: Any])?["userMap"] as? [[String: String]])
        XCTAssertEqual(user, [["layers": "2-3", "rule": "z-plus"], ["name": "p", "rule": "proportional"]])
    }

    // MARK: validation

    func expectError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let message = (error as? LRPError)?.message ?? "\(error)"
            for f in fragments {
                XCTAssertTrue(message.contains(f), "'\(message)' does not mention '\(f)'", file: file, line: line)
            }
            XCTAssertFalse(message.contains("--"), "library errors name no flags: \(message)", file: file, line: line)
        }
    }

    func testFileErrors() {
        expectError(["unknown rule 'epsilom'", "rule 1"]) { _ = try map(#"{"rules": [{"kind": "conv", "rule": "epsilom"}]}"#) }
        expectError(["unknown kind 'pool'"]) { _ = try map(#"{"rules": [{"kind": "pool", "rule": "wta"}]}"#) }
        expectError(["rule 2", "bad layer range '5-2'"]) {
            _ = try map(#"{"rules": [{"kind": "conv", "rule": "z"}, {"layers": "5-2", "rule": "flat"}]}"#)
        }
        expectError(["bad layer range '0'"]) { _ = try map(#"{"rules": [{"layers": 0, "rule": "flat"}]}"#) }
        expectError(["bad layer range 'x-3'"]) { _ = try map(#"{"rules": [{"layers": "x-3", "rule": "flat"}]}"#) }
        expectError(["unknown parameter 'epsilon'", "flat"]) {
            _ = try map(#"{"rules": [{"kind": "conv", "rule": "flat", "epsilon": 1}]}"#)
        }
        expectError(["alpha - beta must equal 1"]) {
            _ = try map(#"{"rules": [{"kind": "conv", "rule": "alpha-beta", "alpha": 3, "beta": 1}]}"#)
        }
        expectError(["exactly one of"]) { _ = try map(#"{"rules": [{"kind": "conv", "layers": 1, "rule": "z"}]}"#) }
        expectError(["rule wta does not apply to conv"]) { _ = try map(#"{"rules": [{"kind": "conv", "rule": "wta"}]}"#) }
        expectError(["averagePool", "fixed"]) { _ = try map(#"{"rules": [{"kind": "averagePool", "rule": "proportional"}]}"#) }
        expectError(["unknown preset 'eps'"]) { _ = try map(#"{"preset": "eps", "rules": []}"#) }
        expectError(["unknown key 'rule'"]) { _ = try map(#"{"rule": []}"#) }
        expectError(["not valid JSON"]) { _ = try map("{rules: }") }
    }

    func testGraphErrors() throws {
        let graph = try ONNXImporter.load(url: Self.directory.appendingPathComponent("branchy.onnx"))
        func explainer(_ json: String) throws {
            var plan = try RulePlan(preset: .epsilon, zBoxLow: [-2, -2, -2], zBoxHigh: [2, 2, 2])
            plan.ruleMap = try map(json)
            try plan.validate(against: graph)
            _ = try Explainer(graph: graph, plan: plan)
        }
        expectError(["no layer named '/branch_c/Conv'", "/stem/Conv"]) {
            try explainer(#"{"rules": [{"name": "/branch_c/Conv", "rule": "flat"}]}"#)
        }
        expectError(["layers 5-7", "out of range", "6 conv/linear layers"]) {
            try explainer(#"{"rules": [{"layers": "5-7", "rule": "flat"}]}"#)
        }
        expectError(["'/act/Relu'", "Relu"]) { try explainer(#"{"rules": [{"name": "/act/Relu", "rule": "flat"}]}"#) }
        expectError(["rule proportional does not apply", "/stem/Conv"]) {
            try explainer(#"{"rules": [{"name": "/stem/Conv", "rule": "proportional"}]}"#)
        }
        expectError(["layer 2 '/branch_a/Conv' (zbox) has 8 input channels"]) { try explainer(#"{"rules": [{"layers": 2, "rule": "zbox"}]}"#) }
        // the Explainer checks on its own, too
        var plan = try RulePlan(preset: .epsilon)
        plan.ruleMap = try map(#"{"rules": [{"name": "nope", "rule": "z"}]}"#)
        expectError(["no layer named 'nope'"]) { _ = try Explainer(graph: graph, plan: plan) }
        plan.ruleMap = try map(#"{"rules": [{"layers": 1, "rule": "zbox"}]}"#)
        expectError(["z-box", "bounds"]) { _ = try Explainer(graph: graph, plan: plan) }
        // the valid map works
        try explainer(#"{"rules": [{"layers": 1, "rule": "zbox"}, {"name": "/pool/MaxPool", "rule": "proportional"}]}"#)
    }

    /// The sample file in Samples/ parses.
    func testSampleFile() throws {
        let url = Self.directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Samples/rules.example.json")
        let m = try RuleMap(contentsOf: url)
        XCTAssertFalse(m.entries.isEmpty)
    }
}
