/// Display names for class identifiers that are WordNet ids.
public enum ClassNames {
    /// The ten Imagenette classes (ImageNet names), so tables read "tench" rather than
    /// "n01440764". Other ids are shown as they are.
    public static let imagenette: [String: String] = [
        "n01440764": "tench", "n02102040": "English springer", "n02979186": "cassette player",
        "n03000684": "chain saw", "n03028079": "church", "n03394916": "French horn",
        "n03417042": "garbage truck", "n03425413": "gas pump", "n03445777": "golf ball",
        "n03888257": "parachute",
    ]

    public static func displayName(for id: String) -> String { imagenette[id] ?? id }
}
