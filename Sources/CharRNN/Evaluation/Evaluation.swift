// Scoring text with a model: the loss of a token stream (the figure training's validation reports), and the
// result `charrnn eval` prints — nats and bits per token, bits per byte, perplexity. Token-by-token surprisal, in
// either weight precision, is in Scoring.swift.
import Foundation

extension CharRNNModel {
    /// Mean loss over `ids` (nats per predicted token) as one stream from a zero state, in chunks of `chunk`
    /// steps with the state carried, so any length runs in bounded memory.
    ///
    /// - Returns: the summed loss in nats and the number of predicted tokens (`ids.count − 1`).
    public func evaluate(
        _ ids: TokenIDs, range: Range<Int>? = nil, chunk: Int = 256
    ) -> (totalNats: Double, predictions: Int) {
        let range = range ?? ids.startIndex..<ids.endIndex
        guard range.count >= 2 else { return (0, 0) }
        let state = RecurrentState<T>(config: config, batch: 1)
        var unused = SplitMix64(seed: 0)
        var total = 0.0
        forEachSegment(of: ids, range: range, length: chunk) { inputs, targets in
            total +=
                run(
                    inputs: inputs, targets: targets, steps: inputs.count, batch: 1, state: state, train: false,
                    rng: &unused) * Double(inputs.count)
        }
        return (total, range.count - 1)
    }
}

/// Calls `body` with the inputs and targets of each segment of `range` in `ids` read as one stream: segments of
/// `length` tokens (the last may be shorter), each input followed by its target, so every token but the first is
/// a target once.
func forEachSegment(
    of ids: TokenIDs, range: Range<Int>, length: Int, _ body: (_ inputs: [Int32], _ targets: [Int32]) -> Void
) {
    var start = range.lowerBound
    while start < range.upperBound - 1 {
        let steps = min(length, range.upperBound - 1 - start)
        body((0..<steps).map { Int32(ids[start + $0]) }, (0..<steps).map { Int32(ids[start + $0 + 1]) })
        start += steps
    }
}

/// What scoring a text with a model gives: its loss and the figures derived from it.
public struct EvaluationResult: Sendable, Equatable {
    /// Tokens in the text (after tokenizing with the model's settings).
    public var tokens: Int
    /// Tokens predicted: every token but the first.
    public var predictions: Int
    /// Summed surprisal of the predicted tokens, in nats.
    public var totalNats: Double
    /// Bytes of the text as read (before normalization).
    public var bytes: Int
    /// Tokens outside the model's vocabulary, scored as `<unk>`.
    public var unknownTokens: Int

    /// Mean loss: nats per predicted token.
    public var natsPerToken: Double { totalNats / Double(predictions) }
    /// Mean loss in bits per predicted token.
    public var bitsPerToken: Double { natsPerToken / log(2) }
    /// Bits per byte of the text: comparable across tokenizations (a grapheme model against a byte model).
    public var bitsPerByte: Double { totalNats / log(2) / Double(bytes) }
    /// e^(nats per token).
    public var perplexity: Double { exp(natsPerToken) }
}

extension CharRNNModel where T == Float {
    /// Scores a corpus (tokenized with this model's vocabulary) as one stream from a zero state.
    ///
    /// With float32 the summary is the training code's own loss (`evaluate(_:range:chunk:)`, the figure training's
    /// validation reports); with float16 it is the sum of what `score` gives.
    ///
    /// - Parameters:
    ///   - corpus: the text's tokens, with the byte count and the `<unk>` count.
    ///   - precision: the weights to score with (float16: what `sample --precision float16` generates with).
    ///   - each: when given, called with every predicted token's position and surprisal in nats, in order.
    /// - Throws: `CorpusError.tooShort` for fewer than 2 tokens; `StepModelError` when float16 cannot hold the
    ///   weights.
    public func evaluate(
        _ corpus: Corpus, precision: WeightPrecision = .float32,
        each: ((_ position: Int, _ nats: Double) -> Void)? = nil
    ) throws -> EvaluationResult {
        guard corpus.ids.count >= 2 else {
            throw CorpusError.tooShortToScore(tokens: corpus.ids.count)
        }
        var total = 0.0
        if each != nil || precision == .float16 {
            total = try score(corpus.ids, precision: precision) { position, nats in each?(position, nats) }
        }
        if precision == .float32 { total = evaluate(corpus.ids).totalNats }
        return EvaluationResult(
            tokens: corpus.ids.count, predictions: corpus.ids.count - 1, totalNats: total,
            bytes: corpus.statistics.bytes,
            unknownTokens: corpus.unknownCount)
    }
}
