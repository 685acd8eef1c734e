// Building a model from a checkpoint's tensors.

extension CharRNNModel where T == Float {
    /// A model holding the weights of `checkpoint` (already validated by `Checkpoint.read`).
    public convenience init(checkpoint: Checkpoint) {
        self.init(config: checkpoint.model)
        for view in parameters.views {
            (parameters.values.pointer + view.offset).update(from: checkpoint.tensors[view.name]!, count: view.count)
        }
    }
}

extension CharRNNModel {
    /// Mean loss over `ids` (nats per predicted token) as one stream from a zero state, in chunks of `chunk`
    /// steps with the state carried, so any length runs in bounded memory.
    ///
    /// - Returns: the summed loss in nats and the number of predicted tokens (`ids.count − 1`).
    public func evaluate(_ ids: TokenIDs, range: Range<Int>? = nil, chunk: Int = 256) -> (totalNats: Double, predictions: Int) {
        let range = range ?? ids.startIndex..<ids.endIndex
        guard range.count >= 2 else { return (0, 0) }
        let state = RecurrentState<T>(config: config, batch: 1)
        var unused = SplitMix64(seed: 0)
        var total = 0.0
        var start = range.lowerBound
        while start < range.upperBound - 1 {
            let steps = min(chunk, range.upperBound - 1 - start)
            let inputs = (0..<steps).map { Int32(ids[start + $0]) }
            let targets = (0..<steps).map { Int32(ids[start + $0 + 1]) }
            total += run(inputs: inputs, targets: targets, steps: steps, batch: 1, state: state, train: false, rng: &unused) * Double(steps)
            start += steps
        }
        return (total, range.count - 1)
    }
}
