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

extension RecurrentState {
    /// Copies stream `row` of `source` (h and c of every layer) into stream `destination` of this state.
    func copyRow(_ row: Int, of source: RecurrentState, to destination: Int) {
        precondition(source.hiddenSize == hiddenSize && source.hidden.count == hidden.count, "states of another shape")
        precondition(row >= 0 && row < source.batch && destination >= 0 && destination < batch, "row out of range")
        let h = hiddenSize
        for k in hidden.indices {
            (hidden[k].pointer + destination * h).update(from: source.hidden[k].pointer + row * h, count: h)
            if cell[k].count > 0 {
                (cell[k].pointer + destination * h).update(from: source.cell[k].pointer + row * h, count: h)
            }
        }
    }

    /// Returns stream `row` (h and c of every layer) to zero.
    func zeroRow(_ row: Int) {
        precondition(row >= 0 && row < batch, "row out of range")
        let h = hiddenSize
        for k in hidden.indices {
            (hidden[k].pointer + row * h).update(repeating: 0, count: h)
            if cell[k].count > 0 { (cell[k].pointer + row * h).update(repeating: 0, count: h) }
        }
    }
}
