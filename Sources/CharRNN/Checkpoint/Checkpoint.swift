// A charrnn checkpoint: one safetensors file with the model's tensors under PyTorch's names, the optimizer's
// moments under `optimizer.first.` / `optimizer.second.`, the carried hidden state under `state.`, and in
// `__metadata__` (strings, JSON-encoded) the format version, model config, vocabulary (with its tokenizer
// settings), training config and training state. PyTorch users load it with
// `safetensors.torch.load_file(path)` and pass the tensors without a dot-prefix of optimizer/state to
// `load_state_dict`.
import Foundation

/// Everything a checkpoint holds, in memory.
public struct Checkpoint {
    /// The newest format this build reads and writes; it reads every older one. Version 2 (2026-12-07) is a
    /// checkpoint whose vocabulary fine-tuning grew (`Vocabulary.blocks`), which builds before it must refuse:
    /// they assume a vocabulary sorted by bytes. Every other checkpoint is still written as version 1, byte for
    /// byte as before.
    public static let formatVersion = 2

    /// The format this checkpoint is written in: 2 when its vocabulary was grown, else 1.
    public var version: Int { vocabulary.jsonVersion > 1 ? 2 : 1 }

    public var model: ModelConfig
    public var vocabulary: Vocabulary
    public var training: TrainingConfig
    public var state: TrainingState
    /// Values by tensor name: parameters, `optimizer.first.<name>`, `optimizer.second.<name>`, `state.hidden_l<k>`,
    /// `state.cell_l<k>`.
    public var tensors: [String: [Float]]
    /// Shapes by tensor name.
    public var shapes: [String: [Int]]
    /// Tensor names in file order.
    public var order: [String]
    /// Optimizer updates applied (Adam's t).
    public var optimizerStep: Int

    /// A checkpoint without tensors yet; add them with `add(_:shape:values:)`.
    public init(
        model: ModelConfig, vocabulary: Vocabulary, training: TrainingConfig, state: TrainingState, optimizerStep: Int
    ) {
        self.model = model
        self.vocabulary = vocabulary
        self.training = training
        self.state = state
        self.optimizerStep = optimizerStep
        tensors = [:]
        shapes = [:]
        order = []
    }

    /// Adds a tensor (kept in insertion order).
    public mutating func add(_ name: String, shape: [Int], values: [Float]) {
        precondition(
            shape.reduce(1, *) == values.count, "tensor \(name): shape \(shape) does not hold \(values.count) values")
        if tensors[name] == nil { order.append(name) }
        tensors[name] = values
        shapes[name] = shape
    }

    /// The same checkpoint with the model's parameters only: no optimizer moments and no carried state. A third
    /// of the size, enough to sample, evaluate and load into PyTorch, but not to resume training exactly.
    public func weightsOnly() -> Checkpoint {
        var copy = self
        for name in order where name.hasPrefix("optimizer.") || name.hasPrefix("state.") {
            copy.tensors[name] = nil
            copy.shapes[name] = nil
        }
        copy.order = order.filter { copy.tensors[$0] != nil }
        return copy
    }

    /// Whether the optimizer's moments are here (false for a `weightsOnly()` checkpoint).
    public var hasOptimizerState: Bool { order.contains { $0.hasPrefix("optimizer.") } }

    /// Writes the checkpoint atomically (temporary file, fsync, rename): the file at `path` is always a whole
    /// checkpoint, the old one or the new one.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func json<V: Encodable>(_ v: V) throws -> String { String(decoding: try encoder.encode(v), as: UTF8.self) }
        let metadata = [
            "format": "charrnn", "format_version": String(version), "model": try json(model),
            "vocabulary": String(decoding: try vocabulary.jsonData(), as: UTF8.self),
            "training_config": try json(training),
            "training_state": try json(state), "optimizer_step": String(optimizerStep),
        ]
        let arrays = order.map { tensors[$0]! }
        let bytes = try withBuffers(arrays) { buffers in
            try Safetensors.encode(
                zip(order, buffers).map { SafetensorsEntry(name: $0, shape: shapes[$0]!, values: $1) },
                metadata: metadata)
        }
        try AtomicFile.write(bytes, to: path)
    }

    /// Reads and validates a checkpoint: the container, the metadata, and every tensor's presence and shape
    /// against the model config. Nothing is used before everything has been checked.
    public static func read(from path: String) throws(CheckpointError) -> Checkpoint {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path) }
        return try decode(readWholeFile(path), path: path)
    }

    /// Decodes and validates a checkpoint's bytes (`path` names it in errors). Any bytes give a checkpoint or a
    /// `CheckpointError`, never a trap (fuzzed: see RELIABILITY.md).
    public static func decode(_ bytes: [UInt8], path: String) throws(CheckpointError) -> Checkpoint {
        let file = try Safetensors.decode(bytes, path: path)
        func bad(_ reason: String) -> CheckpointError { .inconsistent(path: path, reason: reason) }
        let m = file.metadata
        guard m["format"] == "charrnn" else { throw bad("its metadata does not say format \"charrnn\"") }
        guard let versionText = m["format_version"], let version = Int(versionText) else {
            throw bad("no format_version in its metadata")
        }
        guard version <= formatVersion else {
            throw .unsupportedVersion(path: path, found: version, supported: formatVersion)
        }
        func decode<V: Decodable>(_ type: V.Type, _ key: String) throws(CheckpointError) -> V {
            guard let text = m[key] else { throw bad("no \(key) in its metadata") }
            do { return try JSONDecoder().decode(type, from: Data(text.utf8)) } catch {
                throw bad("its \(key) metadata is invalid (\(error))")
            }
        }
        let model = try decode(ModelConfig.self, "model")
        if let problem = model.problem { throw bad("its model config is invalid: \(problem)") }
        let vocabulary = try decode(Vocabulary.self, "vocabulary")
        guard vocabulary.count == model.vocabularySize else {
            throw bad("its vocabulary has \(vocabulary.count) entries but the model expects \(model.vocabularySize)")
        }
        var checkpoint = Checkpoint(
            model: model, vocabulary: vocabulary, training: try decode(TrainingConfig.self, "training_config"),
            state: try decode(TrainingState.self, "training_state"), optimizerStep: Int(m["optimizer_step"] ?? "0") ?? 0
        )
        // Every tensor the model needs, with its shape; optional optimizer and state tensors must match too.
        var expected: [String: [Int]] = [:]
        var required: Set<String> = []
        for view in ParameterStore<Float>.layout(model) {
            expected[view.name] = view.shape
            expected["optimizer.first." + view.name] = view.shape
            expected["optimizer.second." + view.name] = view.shape
            required.insert(view.name)
        }
        let streams = checkpoint.training.batchSize
        for k in 0..<model.layers {
            expected["state.hidden_l\(k)"] = [streams, model.hiddenSize]
            expected["state.cell_l\(k)"] = [streams, model.hiddenSize]
        }
        for name in required where file.tensors[name] == nil { throw bad("tensor \(name) is missing") }
        for (name, tensor) in file.tensors.sorted(by: { $0.value.range.lowerBound < $1.value.range.lowerBound }) {
            guard let shape = expected[name] else {
                throw bad("unexpected tensor \(name) for a \(model.layers)-layer \(model.cell.rawValue) model")
            }
            guard tensor.shape == shape else {
                throw bad("tensor \(name) has shape \(tensor.shape), expected \(shape)")
            }
            checkpoint.add(name, shape: shape, values: file.floats(name))
        }
        return checkpoint
    }
}

/// Runs `body` with buffer pointers over each array.
private func withBuffers<R>(_ arrays: [[Float]], _ body: ([UnsafeBufferPointer<Float>]) throws -> R) rethrows -> R {
    var pointers: [UnsafeBufferPointer<Float>] = []
    func go(_ i: Int) throws -> R {
        if i == arrays.count { return try body(pointers) }
        return try arrays[i].withUnsafeBufferPointer { p in
            pointers.append(p)
            return try go(i + 1)
        }
    }
    return try go(0)
}

/// The whole file at `path`, read straight into one array: through `Data` a second copy of the file stayed
/// alive while the array was made (40 MB more at peak for a 2×512 LSTM checkpoint with its optimizer state).
func readWholeFile(_ path: String) throws(CheckpointError) -> [UInt8] {
    func failure(_ reason: String? = nil) -> CheckpointError {
        .unreadable(path: path, reason: reason ?? String(cString: strerror(errno)).lowercased())
    }
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw failure() }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw failure() }
    guard info.st_mode & S_IFMT == S_IFREG else { throw failure("not a regular file") }
    // One byte more than the size, so the read that finds the end has room; grown only if the file grew.
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
    var filled = 0
    while true {
        if filled == bytes.count { bytes += [UInt8](repeating: 0, count: max(4096, bytes.count / 8)) }
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
        if n < 0 {
            if errno == EINTR { continue }
            throw failure()
        }
        if n == 0 { break }
        filled += n
    }
    bytes.removeLast(bytes.count - filled)
    return bytes
}
