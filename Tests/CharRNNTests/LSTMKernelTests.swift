// CKernels' AVX2/FMA LSTM gate math against its Swift twin (lstmForwardStep/lstmBackwardStep), on hidden sizes
// with a partial last vector and pre-activations well into saturation.
import CKernels
import Testing

@testable import CharRNN

@Suite struct LSTMKernelTests {
    /// Skipped on a CPU without AVX2, where the kernel does not run (the Swift twin does).
    @Test(.enabled(if: CPU.hasAVX2, "this CPU has no AVX2: the Swift twin runs instead"), arguments: [1, 8, 13, 37])
    func vectorizedGateMathMatchesTheSwiftTwin(hidden h: Int) throws {
        let batch = 3
        var rng = SplitMix64(seed: UInt64(h))
        func random(_ n: Int, _ scale: Double) -> [Float] {
            (0..<n).map { _ in Float((rng.nextUnitDouble() * 2 - 1) * scale) }
        }
        let pre = random(batch * 4 * h, 12)
        let cPrev = random(batch * h, 2)
        let dh = random(batch * h, 1)
        let dcIn = random(batch * h, 1)

        var (gatesC, cellC, hiddenC) = (
            pre, [Float](repeating: 0, count: batch * h), [Float](repeating: 0, count: batch * h)
        )
        #expect(crnn_lstm_forward(&gatesC, cPrev, &cellC, &hiddenC, batch, h) == 1)
        var (gatesS, cellS, hiddenS) = (
            pre, [Float](repeating: 0, count: batch * h), [Float](repeating: 0, count: batch * h)
        )
        lstmForwardStep(
            gates: &gatesS, cellPrevious: cPrev, cell: &cellS, hidden: &hiddenS, batch: batch, hiddenSize: h)
        for (name, a, b) in [("gates", gatesC, gatesS), ("cell", cellC, cellS), ("hidden", hiddenC, hiddenS)] {
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-6, "forward \(name), H=\(h): off by \(worst)")
        }
        // In place (cell_prev = cell, as generation calls it): the same bits as with separate buffers.
        var (gatesA, cellA, hiddenA) = (pre, cPrev, [Float](repeating: 0, count: batch * h))
        #expect(
            cellA.withUnsafeMutableBufferPointer { c in
                crnn_lstm_forward(&gatesA, c.baseAddress!, c.baseAddress!, &hiddenA, batch, h)
            } == 1)
        for (name, a, b) in [("gates", gatesA, gatesC), ("cell", cellA, cellC), ("hidden", hiddenA, hiddenC)] {
            #expect(firstDifference(a, b) == nil, "forward in place \(name), H=\(h)")
        }

        var (dcC, dGatesC) = (dcIn, [Float](repeating: 0, count: batch * 4 * h))
        #expect(crnn_lstm_backward(gatesS, cellS, cPrev, dh, &dcC, &dGatesC, batch, h) == 1)
        var (dcS, dGatesS) = (dcIn, [Float](repeating: 0, count: batch * 4 * h))
        lstmBackwardStep(
            gates: gatesS, cell: cellS, cellPrevious: cPrev, dHidden: dh, dCell: &dcS, dGates: &dGatesS, batch: batch,
            hiddenSize: h)
        for (name, a, b) in [("dCell", dcC, dcS), ("dGates", dGatesC, dGatesS)] {
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-6, "backward \(name), H=\(h): off by \(worst)")
        }
    }
}
