// A recurrent layer with random parameters and inputs, for the layer and kernel tests.
import Foundation

@testable import CharRNN

/// A layer with its own random parameters and inputs, for tests.
final class LayerFixture<T: RNNScalar> {
    let layer: RecurrentLayer<T>
    let steps: Int, batch: Int
    let weightIH, weightHH, biasIH, biasHH: Buffer<T>
    let gWeightIH, gWeightHH, gBiasIH, gBiasHH: Buffer<T>
    let input, h0, c0: Buffer<T>

    init(_ cell: CellKind, steps: Int = 3, batch: Int = 2, inputSize: Int = 4, hiddenSize: Int = 5, seed: UInt64 = 11) {
        var rng = SplitMix64(seed: seed)
        layer = RecurrentLayer(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize)
        self.steps = steps
        self.batch = batch
        let g = layer.gateRows
        weightIH = randomBuffer(g * inputSize, scale: 0.6, using: &rng)
        weightHH = randomBuffer(g * hiddenSize, scale: 0.6, using: &rng)
        biasIH = randomBuffer(g, scale: 0.3, using: &rng)
        biasHH = randomBuffer(g, scale: 0.3, using: &rng)
        gWeightIH = Buffer(count: g * inputSize)
        gWeightHH = Buffer(count: g * hiddenSize)
        gBiasIH = Buffer(count: g)
        gBiasHH = Buffer(count: g)
        input = randomBuffer(steps * batch * inputSize, using: &rng)
        h0 = randomBuffer(batch * hiddenSize, scale: 0.5, using: &rng)
        c0 = randomBuffer(batch * hiddenSize, scale: 0.5, using: &rng)
    }

    var parameters: RecurrentParameters<T> {
        RecurrentParameters(
            weightIH: weightIH.pointer, weightHH: weightHH.pointer, biasIH: biasIH.pointer, biasHH: biasHH.pointer)
    }
    var gradients: RecurrentParameters<T> {
        RecurrentParameters(
            weightIH: gWeightIH.pointer, weightHH: gWeightHH.pointer, biasIH: gBiasIH.pointer, biasHH: gBiasHH.pointer)
    }

    func forward(
        _ cache: RecurrentLayer<T>.Cache, input: UnsafePointer<T>? = nil, h0: UnsafePointer<T>? = nil,
        c0: UnsafePointer<T>? = nil
    ) {
        layer.forward(
            input: input ?? UnsafePointer(self.input.pointer), initialHidden: h0 ?? UnsafePointer(self.h0.pointer),
            initialCell: layer.cell.hasCellState ? (c0 ?? UnsafePointer(self.c0.pointer)) : nil,
            parameters: parameters, cache: cache)
    }

    /// Backward after `forward(cache)` from ∂L/∂outputs and ∂L/∂h_T (and ∂L/∂c_T for the LSTM), accumulating into
    /// the gradient buffers; returns ∂L/∂X, ∂L/∂h0 and ∂L/∂c0.
    func backward(
        _ cache: RecurrentLayer<T>.Cache, dOutput: Buffer<T>, dFinalHidden: Buffer<T>, dFinalCell: Buffer<T>
    ) -> (dInput: Buffer<T>, dh0: Buffer<T>, dc0: Buffer<T>) {
        let (h, d) = (layer.hiddenSize, layer.inputSize)
        let dInput = Buffer<T>(count: steps * batch * d)
        let dh0 = Buffer<T>(count: batch * h)
        let dc0 = Buffer<T>(count: batch * h)
        layer.backward(
            dOutput: dOutput.pointer, dFinalHidden: dFinalHidden.pointer,
            dFinalCell: layer.cell.hasCellState ? dFinalCell.pointer : nil,
            input: input.pointer, parameters: parameters, gradients: gradients, dInput: dInput.pointer,
            dInitialHidden: dh0.pointer, dInitialCell: dc0.pointer, cache: cache)
        return (dInput, dh0, dc0)
    }
}
