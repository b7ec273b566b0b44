/// Assigns descriptors to spatial-pyramid cells by their centre.
///
/// Cells are numbered level by level (in `FeatureOptions.pyramid` order), row-major within a
/// level. A descriptor centred at 0-based (x, y) in a W×H image falls, at a level of R rows and
/// C columns, into row ⌊y·R/H⌋ and column ⌊x·C/W⌋ (clamped to the last row/column): one cell
/// per level, so every descriptor counts once in each level's Fisher vectors.
public enum SpatialPyramid {
    public static func cells(frames: [Float], count: Int, width: Int, height: Int, levels: [PyramidLevel]) -> PyramidCells {
        let total = levels.reduce(0) { $0 + $1.cellCount }
        var indices = [Int32](repeating: 0, count: count * levels.count)
        for l in 0..<count {
            let x = Double(frames[4 * l]), y = Double(frames[4 * l + 1])
            var offset = 0
            for (v, level) in levels.enumerated() {
                let r = min(level.rows - 1, max(0, Int((y * Double(level.rows) / Double(height)).rounded(.down))))
                let c = min(level.columns - 1, max(0, Int((x * Double(level.columns) / Double(width)).rounded(.down))))
                indices[l * levels.count + v] = Int32(offset + r * level.columns + c)
                offset += level.cellCount
            }
        }
        return PyramidCells(numCells: total, cellsPerDescriptor: levels.count, indices: indices)
    }
}
