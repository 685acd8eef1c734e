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
            let nats = -logProbability(of: ids[position], in: row)
            total += nats
            each(position, nats)
        }
        switch precision {
        case .float32:
            _ = run(ids.dropLast(), chunk: chunk) { logits, start, steps in
                for t in 0..<steps {
                    visit(UnsafeBufferPointer(rebasing: logits[(t * v)..<((t + 1) * v)]), position: start + t + 1)
                }
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
    public func stateAfter<C: RandomAccessCollection<Int>>(_ ids: C, chunk: Int = 256) -> RecurrentState<Float> {
        run(ids, chunk: chunk) { _, _, _ in }
    }

    /// Runs `ids` as one stream from a zero state in chunks of at most `chunk` steps (so any length runs in
    /// bounded memory), calling `body` with each chunk's logits (steps, V), its first position and its length;
    /// returns the final state.
    private func run<C: RandomAccessCollection<Int>>(
        _ ids: C, chunk: Int,
        _ body: (_ logits: UnsafeBufferPointer<Float>, _ start: Int, _ steps: Int) -> Void
    ) -> RecurrentState<Float> {
        let state = RecurrentState<Float>(config: config, batch: 1)
        var (index, position) = (ids.startIndex, 0)
        while index < ids.endIndex {
            let end = ids.index(index, offsetBy: chunk, limitedBy: ids.endIndex) ?? ids.endIndex
            let inputs = ids[index..<end].map { Int32($0) }
            inputs.withUnsafeBufferPointer {
                body(logits(inputs: $0, steps: inputs.count, batch: 1, state: state), position, inputs.count)
            }
            (index, position) = (end, position + inputs.count)
        }
        return state
    }
}

/// log p(id) under softmax(row), in Double from the largest logit down (scoring and generation's logprobs).
func logProbability(of id: Int, in row: UnsafeBufferPointer<Float>) -> Double {
    let m = Double(row.max()!)
    let sum = row.reduce(0.0) { $0 + exp(Double($1) - m) }
    return Double(row[id]) - m - log(sum)
}
