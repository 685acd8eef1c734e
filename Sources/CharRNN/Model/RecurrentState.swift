// The hidden state carried from one batch to the next in truncated BPTT (detached: no gradient flows back
// through it), one (h, c) pair per layer.

/// Per-layer hidden (and, for LSTMs, cell) states for B streams.
public final class RecurrentState<T: RNNScalar> {
    public let batch: Int
    public let hiddenSize: Int
    /// h of each layer, (B, H).
    let hidden: [Buffer<T>]
    /// c of each layer, (B, H); zero-sized for GRU and RNN.
    let cell: [Buffer<T>]

    /// Zero states for `batch` streams of a model of `config`'s shape.
    public init(config: ModelConfig, batch: Int) {
        self.batch = batch
        hiddenSize = config.hiddenSize
        hidden = (0..<config.layers).map { _ in Buffer(count: batch * config.hiddenSize) }
        cell = (0..<config.layers).map { _ in Buffer(count: config.cell.hasCellState ? batch * config.hiddenSize : 0) }
    }

    /// Layer `layer`'s h, (B, H) row-major.
    public func hidden(layer: Int) -> [T] { hidden[layer].array }

    /// Layer `layer`'s c, (B, H) row-major; empty for the GRU and the RNN.
    public func cell(layer: Int) -> [T] { cell[layer].array }

    /// Returns every state to zero.
    public func reset() {
        hidden.forEach { $0.zero() }
        cell.forEach { $0.zero() }
    }
}
