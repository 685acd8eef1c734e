// The recurrent layers' backward pass: finite-difference gradient checks in Double (every input, parameter and
// initial state; B=2, T=3, D=4, H=5, and H=11 for a full SIMD chunk plus a tail).
import Foundation
import Testing

@testable import CharRNN

@Suite struct RecurrentLayerGradientTests {
    @Test(arguments: CellKind.allCases, [5, 11])
    func gradientsMatchFiniteDifferences(cell: CellKind, hidden: Int) {
        let f = LayerFixture<Double>(cell, hiddenSize: hidden)
        let (t, b, h) = (f.steps, f.batch, hidden)
        let cache = f.layer.makeCache(steps: t, batch: b)
        var rng = SplitMix64(seed: 12)
        // L = Σ outputs ⊙ dOut + Σ h_T ⊙ dh_T + Σ c_T ⊙ dc_T, with random upstream gradients.
        let dOut: Buffer<Double> = randomBuffer(t * b * h, using: &rng)
        let dhT: Buffer<Double> = randomBuffer(b * h, using: &rng)
        let dcT: Buffer<Double> = randomBuffer(b * h, using: &rng)
        func loss() -> Double {
            f.forward(cache)
            var l = dot(cache.outputs.pointer, dOut.pointer, t * b * h)
            l += dot(f.layer.finalHidden(cache), dhT.pointer, b * h)
            if cell.hasCellState { l += dot(f.layer.finalCell(cache), dcT.pointer, b * h) }
            return l
        }
        _ = loss()
        let (dInput, dh0, dc0) = f.backward(cache, dOutput: dOut, dFinalHidden: dhT, dFinalCell: dcT)
        expectGradientsMatch(f.gWeightIH.array, numericalGradient(f.weightIH, loss), "\(cell) weight_ih")
        expectGradientsMatch(f.gWeightHH.array, numericalGradient(f.weightHH, loss), "\(cell) weight_hh")
        expectGradientsMatch(f.gBiasIH.array, numericalGradient(f.biasIH, loss), "\(cell) bias_ih")
        expectGradientsMatch(f.gBiasHH.array, numericalGradient(f.biasHH, loss), "\(cell) bias_hh")
        expectGradientsMatch(dInput.array, numericalGradient(f.input, loss), "\(cell) input")
        expectGradientsMatch(dh0.array, numericalGradient(f.h0, loss), "\(cell) h0")
        if cell.hasCellState { expectGradientsMatch(dc0.array, numericalGradient(f.c0, loss), "\(cell) c0") }
    }

    /// Two backward passes leave twice one pass's gradients in every parameter buffer: backward adds, it never
    /// overwrites (the caller zeroes once per update).
    @Test(arguments: CellKind.allCases)
    func backwardAccumulatesIntoGradients(cell: CellKind) {
        let f = LayerFixture<Double>(cell)
        let cache = f.layer.makeCache(steps: f.steps, batch: f.batch)
        let dOut = Buffer<Double>((0..<(f.steps * f.batch * 5)).map { Double($0 % 7) / 7 })
        func run() {
            f.forward(cache)
            f.layer.backward(
                dOutput: dOut.pointer, dFinalHidden: nil, dFinalCell: nil, input: f.input.pointer,
                parameters: f.parameters, gradients: f.gradients, dInput: nil, dInitialHidden: nil, dInitialCell: nil,
                cache: cache)
        }
        run()
        let once = [f.gWeightIH, f.gWeightHH, f.gBiasIH, f.gBiasHH].map(\.array)
        run()
        for (name, (buffer, first)) in zip(
            ["weight_ih", "weight_hh", "bias_ih", "bias_hh"],
            zip([f.gWeightIH, f.gWeightHH, f.gBiasIH, f.gBiasHH], once))
        {
            #expect(first.contains { $0 != 0 }, "\(cell) \(name): zero after one pass")
            #expect(zip(buffer.array, first).allSatisfy { abs($0 - 2 * $1) < 1e-12 }, "\(cell) \(name)")
        }
    }
}
