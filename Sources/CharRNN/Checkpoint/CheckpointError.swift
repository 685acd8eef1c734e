// Everything that can be wrong with a checkpoint file, each with what was expected, what was found, and a hint.

/// A checkpoint that cannot be read or used.
public enum CheckpointError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No file at the path.
    case missing(path: String)
    /// The file exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// The file is not a well-formed safetensors container.
    case malformed(path: String, reason: String)
    /// The container is well formed, but its contents do not describe a charrnn model.
    case inconsistent(path: String, reason: String)
    /// Written by a newer charrnn, in a format version this build does not know.
    case unsupportedVersion(path: String, found: Int, supported: Int)

    public var description: String {
        switch self {
        case .missing(let path):
            return
                "\(path): no such checkpoint; check the path (training writes RUN_DIR/latest.safetensors and "
                + "best.safetensors)"
        case .unreadable(let path, let reason):
            return "\(path): cannot read checkpoint (\(reason))"
        case .malformed(let path, let reason):
            return "\(path): not a valid safetensors checkpoint: \(reason); the file is damaged or not a checkpoint"
        case .inconsistent(let path, let reason):
            return "\(path): not a usable charrnn checkpoint: \(reason)"
        case .unsupportedVersion(let path, let found, let supported):
            return
                "\(path): checkpoint format version \(found) is newer than this charrnn reads (\(supported)); upgrade "
                + "charrnn"
        }
    }
}
