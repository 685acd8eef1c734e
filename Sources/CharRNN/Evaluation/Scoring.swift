// Scoring text token by token: the surprisal −log p(token | what came before) of every predicted token, with
// either weight precision, for `charrnn eval --per-token` and for measuring what float16 costs.
import Foundation

extension CharRNNModel where T == Float {
    /// Runs `ids` as one stream from a zero state and calls `each(position, nats)` for every predicted token
    /// (positions 1 … count − 1), in order.
    ///
    /// With float32 the model runs in chunks of `chunk` steps (batched products, bounded memory); with float16
    /// it runs the StepModel generation uses, one token at a time.
    ///
    /// - Returns: the summed surprisal in nats.
    /// - Throws: `StepModelError` when float16 cannot hold the weights.
    @discardableResult
    public func score(
        _ ids: TokenIDs, precision: WeightPrecision = .float32, chunk: Int = 256,
        each: (Int, Double) -> Void = { _, _ in }
    ) throws -> Double {
        guard ids.count >= 2 else { return 0 }
        let v = config.vocabularySize
        var total = 0.0
        func visit(_ row: UnsafeBufferPointer<Float>, position: Int) {
            let m = Double(row.max()!)
            let logSum = m + log(row.reduce(0.0) { $0 + exp(Double($1) - m) })
            let nats = logSum - Double(row[ids[position]])
            total += nats
            each(position, nats)
        }
        switch precision {
        case .float32:
            let state = RecurrentState<Float>(config: config, batch: 1)
            var start = 0
            while start < ids.count - 1 {
                let steps = min(chunk, ids.count - 1 - start)
                let inputs = (0..<steps).map { Int32(ids[start + $0]) }
                let logits = inputs.withUnsafeBufferPointer {
                    self.logits(inputs: $0, steps: steps, batch: 1, state: state)
                }
                for t in 0..<steps {
                    visit(UnsafeBufferPointer(rebasing: logits[(t * v)..<((t + 1) * v)]), position: start + t + 1)
                }
                start += steps
            }
        case .float16:
            let stepper = try StepModel(model: self, streams: 1, precision: .float16)
            var token: [Int32] = [0]
            for position in 1..<ids.count {
                token[0] = Int32(ids[position - 1])
                visit(token.withUnsafeBufferPointer { stepper.step($0) }, position: position)
            }
        }
        return total
    }
}

extension CharRNNModel where T == Float {
    /// The state of one stream after `ids`, run from a zero state in chunks of `chunk` steps (the priming of
    /// generation: `TextGenerator.prime`, `GenerationEngine`).
    public func stateAfter<C: Collection<Int>>(_ ids: C, chunk: Int = 256) -> RecurrentState<Float> {
        let state = RecurrentState<Float>(config: config, batch: 1)
        let ids = ids.map { Int32($0) }
        var start = 0
        while start < ids.count {
            let steps = min(chunk, ids.count - start)
            _ = ids[start..<(start + steps)].withUnsafeBufferPointer {
                logits(inputs: $0, steps: steps, batch: 1, state: state)
            }
            start += steps
        }
        return state
    }
}
