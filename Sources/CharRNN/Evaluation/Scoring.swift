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
                return true
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
    /// The state of one stream after `ids`, run from a zero state in chunks of `chunk` steps (how generation is
    /// primed with more than `TextGenerator.steppedPrimeTokens` tokens: `TextGenerator.prime`, `GenerationEngine`).
    public func stateAfter<C: RandomAccessCollection<Int>>(_ ids: C, chunk: Int = 256) -> RecurrentState<Float> {
        run(ids, chunk: chunk, decode: false) { _, _, _ in true }
    }

    /// `stateAfter(_:chunk:)` that asks `cancelled` before each chunk after the first and gives up (nil) when it
    /// says yes: a server stops priming a prompt its client has left within one chunk.
    func stateAfter<C: RandomAccessCollection<Int>>(
        _ ids: C, chunk: Int = 256, unless cancelled: () -> Bool
    ) -> RecurrentState<Float>? {
        var gaveUp = false
        let state = run(ids, chunk: chunk, decode: false) { _, start, steps in
            gaveUp = start + steps < ids.count && cancelled()
            return !gaveUp
        }
        return gaveUp ? nil : state
    }

    /// Runs `ids` as one stream from a zero state in chunks of at most `chunk` steps (so any length runs in
    /// bounded memory), calling `body` with each chunk's logits (steps, V; empty when `decode` is false, for
    /// callers that want the state only), its first position and its length; returns the final state, or the
    /// state so far when `body` returns false (to go no further).
    fileprivate func run<C: RandomAccessCollection<Int>>(
        _ ids: C, chunk: Int, decode: Bool = true,
        _ body: (_ logits: UnsafeBufferPointer<Float>, _ start: Int, _ steps: Int) -> Bool
    ) -> RecurrentState<Float> {
        let state = RecurrentState<Float>(config: config, batch: 1)
        var (index, position) = (ids.startIndex, 0)
        while index < ids.endIndex {
            let end = ids.index(index, offsetBy: chunk, limitedBy: ids.endIndex) ?? ids.endIndex
            let inputs = ids[index..<end].map { Int32($0) }
            let goOn = inputs.withUnsafeBufferPointer {
                guard decode else {
                    advance(inputs: $0, steps: inputs.count, batch: 1, state: state)
                    return body(UnsafeBufferPointer(start: nil, count: 0), position, inputs.count)
                }
                return body(logits(inputs: $0, steps: inputs.count, batch: 1, state: state), position, inputs.count)
            }
            (index, position) = (end, position + inputs.count)
            if !goOn { break }
        }
        return state
    }
}

extension CharRNNModel where T == Float {
    /// Every predicted token of `ids` (positions 1 … count − 1, in order) with its log-probability, as `score`
    /// computes it, and the `top` most likely tokens at its position: the log-probabilities the server reports
    /// for a prompt with echo. Float32, in chunks of `chunk` steps.
    public func predictions(_ ids: [Int], top: Int = 0, chunk: Int = 256) -> [TokenPrediction] {
        guard ids.count >= 2 else { return [] }
        let v = config.vocabularySize
        var out: [TokenPrediction] = []
        out.reserveCapacity(ids.count - 1)
        _ = run(ids.dropLast(), chunk: chunk) { logits, start, steps in
            for t in 0..<steps {
                let softmax = LogSoftmax(UnsafeBufferPointer(rebasing: logits[(t * v)..<((t + 1) * v)]))
                out.append(TokenPrediction(logprob: softmax(ids[start + t + 1]), top: softmax.mostLikely(top)))
            }
            return true
        }
        return out
    }
}

/// A token and its natural log-probability under the model.
public struct RankedToken: Sendable, Equatable {
    public var id: Int
    public var logprob: Double

    public init(id: Int, logprob: Double) {
        self.id = id
        self.logprob = logprob
    }
}

/// What the model said at one position: the log-probability of the token that came, and the most likely tokens
/// (most likely first; empty unless asked for).
public struct TokenPrediction: Sendable, Equatable {
    public var logprob: Double
    public var top: [RankedToken]

    public init(logprob: Double, top: [RankedToken]) {
        self.logprob = logprob
        self.top = top
    }
}

/// log softmax over one row of logits, in Double from the largest logit down: the log-probabilities scoring,
/// generation's logprobs and their alternatives all report, so the same token gets the same bits in each.
struct LogSoftmax {
    let row: UnsafeBufferPointer<Float>
    private let largest: Double
    private let logSum: Double

    /// row: (V) logits, V ≥ 1.
    init(_ row: UnsafeBufferPointer<Float>) {
        self.row = row
        let m = Double(row.max()!)
        largest = m
        logSum = log(row.reduce(0.0) { $0 + exp(Double($1) - m) })
    }

    /// log p(id).
    func callAsFunction(_ id: Int) -> Double { Double(row[id]) - largest - logSum }

    /// The `count` most likely tokens (all of them if fewer), most likely first; equal logits in id order. One
    /// pass keeping a sorted list of `count`: the alternatives asked for are few (the server takes up to 5).
    func mostLikely(_ count: Int) -> [RankedToken] {
        let k = min(max(count, 0), row.count)
        guard k > 0 else { return [] }
        var ids: [Int] = []
        ids.reserveCapacity(k + 1)
        for id in row.indices {
            let x = row[id]
            if ids.count == k, x <= row[ids[k - 1]] { continue }
            var at = ids.count
            while at > 0, x > row[ids[at - 1]] { at -= 1 }
            ids.insert(id, at: at)
            if ids.count > k { ids.removeLast() }
        }
        return ids.map { RankedToken(id: $0, logprob: self($0)) }
    }
}

/// log p(id) under softmax(row) (scoring and generation's logprobs).
func logProbability(of id: Int, in row: UnsafeBufferPointer<Float>) -> Double { LogSoftmax(row)(id) }
