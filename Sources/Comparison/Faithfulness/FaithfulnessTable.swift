import Foundation

/// The Markdown report of a faithfulness run (docs/DESIGN.md §10.2): the table, the conclusion
/// and the time split.
public enum FaithfulnessTable {
    public static func markdown(_ r: FaithfulnessResult) -> String {
        var s = "# Faithfulness by region perturbation\n\n"
        s += "\(r.timing.images) images; \(r.settings.regionSize)×\(r.settings.regionSize) regions, L = \(r.settings.steps) steps, "
        s += "re-scored every \(r.settings.every) (\(r.scoredSteps.count) points per curve), seed \(r.settings.seed), "
        s += "95% percentile bootstrap over images (\(r.settings.bootstrapResamples) resamples). "
        s += "AOPC = mean over the scored steps of f(x⁰) − f(xᵏ); ABPC = AOPC(MoRF) − AOPC(LeRF).\n\n"
        s += table(r.methods)
        s += "\n## Conclusion\n\n"
        for c in r.conclusions { s += "- \(c.statement)\n" }
        s += "\n## Models and input spaces\n\n"
        for f in r.families {
            s += "- \(f.family.displayName) (`\(f.model)`): perturbed in \(f.inputSpace.description); \(f.regionColumns)×\(f.regionRows) regions. "
            s += "Explained class: \(f.target); f = \(f.score).\n"
        }
        s += "\n## Time\n\n" + timing(r.timing)
        return s
    }

    public static func table(_ methods: [MethodResult]) -> String {
        var s = "| method | AOPC MoRF [95% CI] | AOPC LeRF [95% CI] | ABPC [95% CI] |\n|---|---|---|---|\n"
        for m in methods {
            s += "| \(m.method.id) | \(m.aopcMoRF.formatted()) | \(m.aopcLeRF.formatted()) | \(m.abpc.formatted()) |\n"
        }
        return s
    }

    public static func timing(_ t: TimingReport) -> String {
        var s = String(format: "Wall clock %.1f s for %d images (%.2f s per image, %d workers; 100 images at this pace: %.1f min). "
                       + "CPU %.1f s (%.2f s per image): 100 images on %d otherwise idle cores: %.1f min.\n\n",
                       t.totalSeconds, t.images, t.secondsPerImage, t.workers, t.projected100ImagesSeconds / 60,
                       t.cpuSeconds, t.cpuSecondsPerImage, t.workers, t.projected100ImagesCPUBoundSeconds / 60)
        s += "| family | explaining: wall s (CPU s) | re-scoring: wall s (CPU s) | re-scorings |\n|---|---|---|---|\n"
        for key in t.explainSeconds.keys.sorted() {
            s += String(format: "| %@ | %.1f (%.1f) | %.1f (%.1f) | %d |\n", key, t.explainSeconds[key] ?? 0,
                        t.explainCPUSeconds[key] ?? 0, t.rescoreSeconds[key] ?? 0, t.rescoreCPUSeconds[key] ?? 0,
                        t.rescorings[key] ?? 0)
        }
        if let i = t.fvIncremental {
            s += String(format: "\nFV incremental re-scoring: %.0f of %.0f descriptors recomputed per re-scoring (%.0f changed); "
                        + "%.1f ms instead of %.1f ms CPU for a full encoding and scoring (%.1f× faster, one thread).\n",
                        i.recomputedPerRescore, i.descriptorsPerImage, i.changedPerRescore, 1000 * i.incrementalRescoreSeconds,
                        1000 * i.fullRescoreSeconds, i.speedup)
        }
        return s
    }
}
