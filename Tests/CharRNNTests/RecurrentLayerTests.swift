// The recurrent layers: finite-difference gradient checks in Double (every input, parameter and initial state;
// B=2, T=3, D=4, H=5, and H=11 for a full SIMD chunk plus a tail), a naive scalar twin for the forward pass, and
// chunked == whole with carried state.
import Foundation
import Testing

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

/// The naive twin: one step of each cell, gate by gate, with plain loops and libm.
func naiveStep(
    _ cell: CellKind, x: [Double], h: [Double], c: [Double], wih: [Double], whh: [Double], bih: [Double],
    bhh: [Double], inputSize d: Int, hiddenSize n: Int
) -> (h: [Double], c: [Double]) {
    func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
    // Row r of W·v + b.
    func affine(_ w: [Double], _ v: [Double], _ b: [Double], _ r: Int, _ cols: Int) -> Double {
        var s = b[r]
        for k in 0..<cols { s += w[r * cols + k] * v[k] }
        return s
    }
    var hOut = [Double](repeating: 0, count: n)
    var cOut = [Double](repeating: 0, count: n)
    for j in 0..<n {
        switch cell {
        case .lstm:
            let pre = (0..<4).map { affine(wih, x, bih, $0 * n + j, d) + affine(whh, h, bhh, $0 * n + j, n) }
            let (i, f, g, o) = (sigmoid(pre[0]), sigmoid(pre[1]), tanh(pre[2]), sigmoid(pre[3]))
            cOut[j] = f * c[j] + i * g
            hOut[j] = o * tanh(cOut[j])
        case .gru:
            let r = sigmoid(affine(wih, x, bih, j, d) + affine(whh, h, bhh, j, n))
            let z = sigmoid(affine(wih, x, bih, n + j, d) + affine(whh, h, bhh, n + j, n))
            let nn = tanh(affine(wih, x, bih, 2 * n + j, d) + r * affine(whh, h, bhh, 2 * n + j, n))
            hOut[j] = (1 - z) * nn + z * h[j]
        case .rnn:
            hOut[j] = tanh(affine(wih, x, bih, j, d) + affine(whh, h, bhh, j, n))
        }
    }
    return (hOut, cOut)
}

@Suite struct RecurrentLayerReferenceTests {
    @Test(arguments: CellKind.allCases)
    func forwardMatchesNaiveTwinInDoubleAndFloat(cell: CellKind) {
        let f = LayerFixture<Double>(cell, steps: 4, batch: 3, inputSize: 6, hiddenSize: 9)
        let (t, b, d, n) = (4, 3, 6, 9)
        let cache = f.layer.makeCache(steps: t, batch: b)
        f.forward(cache)
        // Float through the same kernels (polynomial exp), from the same numbers.
        let ff = LayerFixture<Float>(cell, steps: 4, batch: 3, inputSize: 6, hiddenSize: 9)
        for (dst, src) in [
            (ff.weightIH, f.weightIH), (ff.weightHH, f.weightHH), (ff.biasIH, f.biasIH), (ff.biasHH, f.biasHH),
            (ff.input, f.input), (ff.h0, f.h0), (ff.c0, f.c0),
        ] {
            for i in 0..<src.count { dst[i] = Float(src[i]) }
        }
        let fcache = ff.layer.makeCache(steps: t, batch: b)
        ff.forward(fcache)
        var worstDouble = 0.0
        var worstFloat = 0.0
        for row in 0..<b {
            var h = Array(f.h0.array[(row * n)..<((row + 1) * n)])
            var c = Array(f.c0.array[(row * n)..<((row + 1) * n)])
            for step in 0..<t {
                let x = Array(f.input.array[((step * b + row) * d)..<((step * b + row + 1) * d)])
                (h, c) = naiveStep(
                    cell, x: x, h: h, c: c, wih: f.weightIH.array, whh: f.weightHH.array, bih: f.biasIH.array,
                    bhh: f.biasHH.array, inputSize: d, hiddenSize: n)
                for j in 0..<n {
                    worstDouble = max(worstDouble, abs(cache.outputs[(step * b + row) * n + j] - h[j]))
                    worstFloat = max(worstFloat, abs(Double(fcache.outputs[(step * b + row) * n + j]) - h[j]))
                }
            }
        }
        #expect(worstDouble < 1e-12)
        #expect(worstFloat < 2e-6)
    }

    @Test(arguments: CellKind.allCases)
    func chunksWithCarriedStateEqualTheWholeSequence(cell: CellKind) {
        let whole = LayerFixture<Float>(cell, steps: 6, batch: 2, inputSize: 4, hiddenSize: 10)
        let wholeCache = whole.layer.makeCache(steps: 6, batch: 2)
        whole.forward(wholeCache)
        let chunk = whole.layer.makeCache(steps: 3, batch: 2)
        let half = 3 * 2 * 4
        whole.forward(chunk)
        let first = chunk.outputs.array
        let h = Buffer<Float>(Array(UnsafeBufferPointer(start: whole.layer.finalHidden(chunk), count: 20)))
        let c =
            cell.hasCellState
            ? Buffer<Float>(Array(UnsafeBufferPointer(start: whole.layer.finalCell(chunk), count: 20)))
            : Buffer<Float>(count: 20)
        whole.forward(chunk, input: whole.input.pointer + half, h0: h.pointer, c0: c.pointer)
        let second = chunk.outputs.array
        #expect(first + second == wholeCache.outputs.array)
    }
}
