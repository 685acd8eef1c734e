// BatchLayout: how a token range is cut into minibatches for truncated backpropagation through time.
//
// The layout of char-rnn, torch-rnn and llm.c's loader: the N tokens are inputs x = t[0..<N-1] and targets
// y = t[1..<N]. K = ⌊(N - 1) / (B·T)⌋ batches fit in an epoch; the first B·K·T inputs are cut into B streams of
// K·T consecutive tokens, and batch k takes the k-th T-token window of every stream. So row i of batch k + 1
// continues row i of batch k, and a hidden state carried from one batch to the next stays on the same text.
// The last (N - 1) - B·K·T inputs are not used in that epoch.
//
// Shapes: a batch is time-major, `(T, B)` with element `[t * B + i]` = row i at step t, the order the recurrent
// layers consume it.

/// The minibatch layout of one token range.
public struct BatchLayout: Sendable, Equatable {
    /// B: parallel streams.
    public let batchSize: Int
    /// T: time steps per batch.
    public let sequenceLength: Int
    /// K: batches in an epoch.
    public let batchesPerEpoch: Int
    /// The token range being laid out (indices into the corpus).
    public let tokens: Range<Int>

    /// - Throws: `CorpusError.invalidSetting` for B or T < 1; `.tooShortForBatch` when not even one batch fits
    ///   (it needs B·T + 1 tokens).
    public init(tokens: Range<Int>, batchSize: Int, sequenceLength: Int) throws(CorpusError) {
        if let e = SettingError.check(.batchSize, batchSize, .atLeast(1)) { throw .invalidSetting(e) }
        if let e = SettingError.check(.sequenceLength, sequenceLength, .atLeast(1)) { throw .invalidSetting(e) }
        let (needed, overflow) = batchSize.multipliedReportingOverflow(by: sequenceLength)
        guard !overflow, tokens.count - 1 >= needed else {
            throw .tooShortForBatch(tokens: tokens.count, batchSize: batchSize, sequenceLength: sequenceLength)
        }
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.batchesPerEpoch = (tokens.count - 1) / needed
        self.tokens = tokens
    }

    /// Corpus index of the first input token of row `row` in batch `batch` (its targets start one later).
    public func start(row: Int, batch: Int) -> Int {
        precondition(row >= 0 && row < batchSize && batch >= 0 && batch < batchesPerEpoch, "batch or row out of range")
        return tokens.lowerBound + row * batchesPerEpoch * sequenceLength + batch * sequenceLength
    }

    /// Fills time-major `(T, B)` inputs and targets for batch `batch`.
    ///
    /// - Parameters:
    ///   - batch: the batch's index in the epoch, `0 ..< batchesPerEpoch`.
    ///   - ids: the whole token stream the layout's ranges index into.
    ///   - inputs: receives `T·B` ids; `inputs[t * B + i]` is row i's token at step t.
    ///   - targets: receives `T·B` ids, each the token after the corresponding input.
    public func fill(batch: Int, from ids: TokenIDs, inputs: inout [Int32], targets: inout [Int32]) {
        fill(batch: batch, rows: 0..<batchSize, from: ids, inputs: &inputs, targets: &targets)
    }

    /// Fills time-major `(T, R)` inputs and targets for rows `rows` (R of them) of batch `batch`: the part of the
    /// batch one process trains when several share it.
    ///
    /// - Parameters:
    ///   - batch: the batch's index in the epoch, `0 ..< batchesPerEpoch`.
    ///   - rows: the rows (streams) to fill, within `0 ..< batchSize`.
    ///   - ids: the whole token stream the layout's ranges index into.
    ///   - inputs: receives `T·R` ids; `inputs[t * R + i]` is row `rows.lowerBound + i`'s token at step t.
    ///   - targets: receives `T·R` ids, each the token after the corresponding input.
    public func fill(batch: Int, rows: Range<Int>, from ids: TokenIDs, inputs: inout [Int32], targets: inout [Int32]) {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= batchSize, "rows \(rows) outside 0..<\(batchSize)")
        let (b, t) = (rows.count, sequenceLength)
        if inputs.count != b * t { inputs = [Int32](repeating: 0, count: b * t) }
        if targets.count != b * t { targets = [Int32](repeating: 0, count: b * t) }
        for (i, row) in rows.enumerated() {
            let start = start(row: row, batch: batch)
            for step in 0..<t {
                inputs[step * b + i] = Int32(ids[start + step])
                targets[step * b + i] = Int32(ids[start + step + 1])
            }
        }
    }
}
