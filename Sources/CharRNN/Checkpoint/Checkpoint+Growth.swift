// A trained model's weights for a grown vocabulary, the start of fine-tuning (`charrnn train --init-from`). Every
// old parameter is copied bit for bit; the embedding gains a row and the decoder a row and a bias per added token.
// The new rows are not random and not `<unk>`'s: each token starts as the base model's average token, at the
// frequency it has in the new text.
//
//   embedding row       Σ p_i · E_i            p_i: token i's share of the base's corpus (its vocabulary counts)
//   decoder row         Σ p_i · W_i
//   decoder bias        ln q + Σ p_i · (b_i − ln p_i)     q: the new token's share of the new text
//
// The bias rule reads the base model's relation between a token's frequency and its bias (the mean of b − ln p)
// and places the new token by its own frequency: a rare new character starts rare, a frequent one frequent.
import Foundation

extension Checkpoint {
    /// The weights of this checkpoint for `vocabulary`, which must be this checkpoint's vocabulary with tokens
    /// added after it (`Vocabulary.adding`): weights only, a fresh training state.
    ///
    /// - Parameters:
    ///   - vocabulary: the grown vocabulary (this checkpoint's, then the added block).
    ///   - textTokens: the tokens of the text the added tokens' counts come from (their shares).
    public func grown(to vocabulary: Vocabulary, textTokens: Int) -> Checkpoint {
        let old = model.vocabularySize
        precondition(vocabulary.count >= old && Array(vocabulary.tokens.prefix(old)) == self.vocabulary.tokens)
        var config = model
        config.vocabularySize = vocabulary.count
        var grown = Checkpoint(
            model: config, vocabulary: vocabulary, training: TrainingConfig(), state: TrainingState(),
            optimizerStep: 0)
        let added = vocabulary.count - old
        let total = Double(self.vocabulary.counts.reduce(0, +))
        // Shares of the base's tokens (uniform when the base has no counts).
        let shares = (0..<old).map { total > 0 ? Double(self.vocabulary.counts[$0]) / total : 1 / Double(old) }
        func mean(_ name: String, width: Int) -> [Float] {
            let rows = tensors[name]!
            var sum = [Double](repeating: 0, count: width)
            for i in 0..<old where shares[i] > 0 {
                for j in 0..<width { sum[j] += shares[i] * Double(rows[i * width + j]) }
            }
            return sum.map { Float($0) }
        }
        let (e, h) = (model.embeddingSize, model.hiddenSize)
        let bias = tensors["decoder.bias"]!
        var offset = 0.0
        for i in 0..<old where shares[i] > 0 { offset += shares[i] * (Double(bias[i]) - log(shares[i])) }
        let newTokens = Double(max(1, textTokens))
        for view in ParameterStore<Float>.layout(config) {
            var values = tensors[view.name]!
            switch view.name {
            case "embedding.weight":
                let row = mean(view.name, width: e)
                for _ in 0..<added { values += row }
            case "decoder.weight":
                let row = mean(view.name, width: h)
                for _ in 0..<added { values += row }
            case "decoder.bias":
                for id in old..<vocabulary.count {
                    let share = max(Double(vocabulary.counts[id]), 1) / newTokens
                    values.append(Float(log(share) + offset))
                }
            default:
                break
            }
            grown.add(view.name, shape: view.shape, values: values)
        }
        return grown
    }
}
