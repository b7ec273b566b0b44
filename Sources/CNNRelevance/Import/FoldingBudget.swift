/// Memory that constant folding may allocate during one import.
///
/// Exporters fold shape arithmetic (bytes) and, rarely, a transposed weight (at most a few
/// hundred MB for VGG's fully connected layers). A corrupt or hostile file can instead chain
/// ConstantOfShape, Concat, Gather and broadcasts so that a few kilobytes become gigabytes,
/// each step within the per-tensor limit. Every folding step therefore claims the bytes of its
/// result and scratch arrays *before* allocating them; claims are never returned (folded
/// constants live until the import ends), and past the limit the import fails naming the node.
final class FoldingBudget {
    /// 512 MiB: shape arithmetic needs bytes, and a folded Transpose of a weight of up to 32 M
    /// elements still fits (index list plus result); DESIGN §5.6 states the bound.
    static let defaultLimit = 512 << 20

    let limit: Int
    private(set) var claimed = 0

    init(limit: Int = FoldingBudget.defaultLimit) { self.limit = limit }

    /// Claims `elements × bytesPerElement` bytes for the node of `ctx`, or throws when the
    /// import's total would pass the limit. Overflowing products count as past the limit.
    func claim(elements: Int, bytesPerElement: Int, _ ctx: NodeContext) throws {
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: bytesPerElement)
        guard elements >= 0, !overflow, bytes <= limit - claimed else {
            throw ctx.error("constant folding would allocate more than \(limit >> 20) MiB in this model "
                + "(a corrupt or hostile file; exporters fold shape arithmetic of a few bytes)")
        }
        claimed += bytes
    }
}
