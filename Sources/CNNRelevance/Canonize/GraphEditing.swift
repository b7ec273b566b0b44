/// Small graph-rewriting helpers the canonizers share.
extension Graph {
    /// For each value index, the indices of the nodes that read it (in node order).
    func consumers() -> [[Int]] {
        var out = [[Int]](repeating: [], count: valueShapes.count)
        for (k, n) in nodes.enumerated() {
            for v in n.inputs where v.index < out.count { out[v.index].append(k) }
        }
        return out
    }

    /// Index of the node producing `v`, if any (the input has none).
    func producer(of v: ValueID) -> Int? {
        nodes.firstIndex { $0.output == v }
    }

    /// Makes every reader of `old` (and the graph output) read `new` instead.
    mutating func replaceUses(of old: ValueID, with new: ValueID) {
        for k in nodes.indices {
            nodes[k].inputs = nodes[k].inputs.map { $0 == old ? new : $0 }
        }
        if output == old { output = new }
    }

    /// Renumbers values densely: the input is 0, then the node outputs in node order. Values
    /// no node produces any more are dropped.
    func compacted() -> Graph {
        var map: [Int: Int] = [0: 0]
        var shapes = [valueShapes[0]], names = [valueNames[0]]
        for n in nodes {
            map[n.output.index] = shapes.count
            shapes.append(valueShapes[n.output.index])
            names.append(valueNames[n.output.index])
        }
        var g = self
        g.valueShapes = shapes
        g.valueNames = names
        g.nodes = nodes.map { n in
            var m = n
            m.inputs = n.inputs.map { ValueID(map[$0.index] ?? $0.index) }
            m.output = ValueID(map[n.output.index] ?? n.output.index)
            return m
        }
        g.output = ValueID(map[output.index] ?? output.index)
        return g
    }
}
