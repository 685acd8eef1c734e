// The recurrent layers' forward pass against a naive scalar twin, and chunked == whole with carried state.
import Foundation
import Testing

@testable import CharRNN

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
