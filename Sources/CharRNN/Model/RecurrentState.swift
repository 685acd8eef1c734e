// The hidden state carried from one batch to the next in truncated BPTT (detached: no gradient flows back
// through it), one (h, c) pair per layer.

/// Per-layer hidden (and, for LSTMs, cell) states for B streams.
public final class RecurrentState<T: RNNScalar> {
    public let batch: Int
    public let hiddenSize: Int
    /// h of each layer, (B, H).
    public let hidden: [Buffer<T>]
    /// c of each layer, (B, H); zero-sized for GRU and RNN.
    public let cell: [Buffer<T>]

    /// Zero states for `batch` streams of a model of `config`'s shape.
    public init(config: ModelConfig, batch: Int) {
        self.batch = batch
        hiddenSize = config.hiddenSize
        hidden = (0..<config.layers).map { _ in Buffer(count: batch * config.hiddenSize) }
        cell = (0..<config.layers).map { _ in Buffer(count: config.cell.hasCellState ? batch * config.hiddenSize : 0) }
    }

    /// Returns every state to zero.
    public func reset() {
        hidden.forEach { $0.zero() }
        cell.forEach { $0.zero() }
    }
}
