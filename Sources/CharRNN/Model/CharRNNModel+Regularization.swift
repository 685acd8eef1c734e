// The model's training-time regularisation, forward and backward: dropout on the input of every layer and of the
// decoder, DropConnect on W_hh, embedding rows dropped (see `Regularization`). Evaluation and sampling never call
// these: the model they run is the one stored.
//
// Draw order per update, from the run's generator: the embedding's row mask (V draws), each layer's W_hh mask
// (G·H·H draws, layer 0 first), then the activation masks in the order the data flows: layer 0's input (the
// embedding's output), layer 1's, …, the decoder's. With only `--dropout` and per-position masks this is the
// order charrnn has always drawn in, so such runs keep their bytes.
//
// Shapes: layer k's input (T, B, D_k), D_0 = E and D_k = H above; the decoder's input (T, B, H).

extension CharRNNModel {
    /// Regularisation buffers for one (T, B) and one setting of `regularization` and `config.dropout`.
    final class Dropouts {
        /// The settings the buffers were made for.
        let settings: Regularization
        let steps: Int
        let batch: Int
        /// Dropout probability on the input of layer k, k = 0 … L − 1, and of the decoder, k = L.
        let probabilities: [Double]
        /// Width of each of those inputs: E for layer 0, H above.
        let widths: [Int]
        /// Per input k with a probability above 0: its mask ((B, D_k) locked, (T, B, D_k) elementwise) and its
        /// dropped copy, (T, B, D_k); nil elsewhere.
        let masks: [Buffer<T>?]
        let dropped: [Buffer<T>?]
        /// Per layer with `weightDrop` above 0: W_hh under DropConnect.
        let recurrentWeights: [DroppedParameter<T>?]
        /// With `embeddingDropout` above 0: the embedding with whole rows dropped.
        let embedding: DroppedParameter<T>?

        /// Buffers for `model`'s settings; none at all when the workspace will not train.
        init(model: CharRNNModel, steps: Int, batch: Int, training: Bool) {
            let (c, r) = (model.config, model.regularization)
            settings = r
            self.steps = steps
            self.batch = batch
            let probabilities =
                training ? [r.inputDropout] + Array(repeating: c.dropout, count: c.layers - 1) + [r.outputDropout] : []
            let widths = [c.embeddingSize] + Array(repeating: c.hiddenSize, count: c.layers)
            let (n, maskRows) = (steps * batch, r.dropoutMasks == .locked ? batch : steps * batch)
            self.probabilities = probabilities
            self.widths = widths
            masks = probabilities.enumerated().map { k, p in p > 0 ? Buffer(count: maskRows * widths[k]) : nil }
            dropped = probabilities.enumerated().map { k, p in p > 0 ? Buffer(count: n * widths[k]) : nil }
            recurrentWeights = model.layers.map {
                training && r.weightDrop > 0 ? DroppedParameter(count: $0.gateRows * $0.hiddenSize) : nil
            }
            embedding =
                training && r.embeddingDropout > 0
                ? DroppedParameter(count: c.vocabularySize * c.embeddingSize, rowWidth: c.embeddingSize) : nil
        }

        /// Whether the input of layer k (k = L: the decoder) is dropped.
        func dropsInput(_ k: Int) -> Bool { masks.indices.contains(k) && masks[k] != nil }

        /// Draws this update's masks of the embedding rows and of every W_hh and makes the masked copies.
        func drawParameterMasks(_ p: ParameterStore<T>, using rng: inout SplitMix64, threads: Int) {
            embedding?.draw(
                from: p.value("embedding.weight"), probability: settings.embeddingDropout, using: &rng,
                threads: threads)
            for (k, dropped) in recurrentWeights.enumerated() {
                dropped?.draw(
                    from: p.recurrent(k).weightHH, probability: settings.weightDrop, using: &rng, threads: threads)
            }
        }

        /// The embedding the forward pass reads: the masked copy when training with embedding dropout.
        func embeddingValues(_ p: ParameterStore<T>, training: Bool) -> UnsafeMutablePointer<T> {
            training ? embedding?.values.pointer ?? p.value("embedding.weight") : p.value("embedding.weight")
        }

        /// Where backward accumulates ∂L/∂(the embedding it read): the masked copy's gradient when there is one
        /// (`finishBackward` takes it to the embedding), else the embedding's own.
        func embeddingGradient(_ p: ParameterStore<T>) -> UnsafeMutablePointer<T> {
            embedding?.gradient.pointer ?? p.gradient("embedding.weight")
        }

        /// Layer k's weights as the forward pass reads them: W_hh masked when training with weight drop.
        func recurrent(_ k: Int, _ p: ParameterStore<T>, training: Bool) -> RecurrentParameters<T> {
            var weights = p.recurrent(k)
            if training, let dropped = recurrentWeights[k] { weights.weightHH = dropped.values.pointer }
            return weights
        }

        /// Where backward accumulates layer k's gradients: W_hh's into the masked copy's gradient when there is one.
        func recurrentGradients(_ k: Int, _ p: ParameterStore<T>) -> RecurrentParameters<T> {
            var gradients = p.recurrent(k, gradient: true)
            if let dropped = recurrentWeights[k] { gradients.weightHH = dropped.gradient.pointer }
            return gradients
        }

        /// Input k as the next part reads it: `input` itself, or its dropped copy with a mask drawn now.
        func dropInput(
            _ k: Int, _ input: UnsafePointer<T>, using rng: inout SplitMix64, part: BatchPart?
        ) -> UnsafePointer<T> {
            guard dropsInput(k), let mask = masks[k], let out = dropped[k] else { return input }
            let width = widths[k]
            out.pointer.update(from: input, count: steps * batch * width)
            drawActivationMask(
                mask.pointer, kind: settings.dropoutMasks, steps: steps, rows: batch, width: width,
                probability: probabilities[k], part: part, using: &rng)
            applyActivationMask(
                out.pointer, mask: mask.pointer, kind: settings.dropoutMasks, steps: steps, rows: batch, width: width)
            return UnsafePointer(out.pointer)
        }

        /// ∂L/∂(input k) from ∂L/∂(its dropped copy), in place.
        func backwardInput(_ k: Int, _ gradient: UnsafeMutablePointer<T>) {
            guard dropsInput(k), let mask = masks[k] else { return }
            applyActivationMask(
                gradient, mask: mask.pointer, kind: settings.dropoutMasks, steps: steps, rows: batch, width: widths[k])
        }

        /// Takes the masked copies' gradients to the parameters (after the whole backward pass).
        func finishBackward(_ p: ParameterStore<T>) {
            embedding?.accumulateGradient(into: p.gradient("embedding.weight"))
            for (k, dropped) in recurrentWeights.enumerated() {
                dropped?.accumulateGradient(into: p.recurrent(k, gradient: true).weightHH)
            }
        }
    }
}
