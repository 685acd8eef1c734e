// Half-precision generation: the binary16 conversion, the vectorized kernels of both layouts against their
// portable and Swift twins, the AVX-512 kernels against the AVX2 ones bit for bit, and StepModel's float16 step
// against the float32 model run on the same rounded weights.
import CKernels
import CKernels.Testing
import Testing

@testable import CharRNN

@Suite struct HalfPrecisionTests {
    @Test func halfToFloatMatchesSwiftOnEveryBitPattern() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = crnn_half_to_float(bits)
            if expected.isNaN {
                #expect(got.isNaN, "pattern \(bits)")
            } else {
                #expect(got.bitPattern == expected.bitPattern, "pattern \(bits): \(got) vs \(expected)")
            }
        }
    }

    @Test(arguments: [1, 3, 4, 7, 13, 16, 17, 66], [1, 5, 8, 16, 17, 40, 67])
    func kernelsAgreeWithTheNaiveTwin(rows: Int, cols: Int) {
        var rng = SplitMix64(seed: UInt64(rows * 100 + cols))
        let values = (0..<(rows * cols)).map { _ in Float(rng.nextNormal()) }
        for layout in [HalfMatrix.Layout.rows, .panels] {
            let matrix = values.withUnsafeBufferPointer {
                HalfMatrix($0.baseAddress!, rows: rows, cols: cols, layout: layout)!
            }
            for r in 0..<rows {
                for c in 0..<cols {
                    #expect(matrix[r, c] == Float(Float16(values[r * cols + c])), "\(layout) (\(r), \(c))")
                }
            }
            // 13 streams: the panel kernel's blocks of 4, 4 and 5.
            for batch in [1, 3, 8, 13] {
                let x = (0..<(batch * cols)).map { _ in Float(rng.nextNormal()) }
                let ldy = rows + 2
                let start = (0..<(batch * ldy)).map { _ in Float(rng.nextNormal()) }
                var naive = start, dispatched = start, portable = start
                naive.withUnsafeMutableBufferPointer {
                    matrix.naiveMultiplyAdd(x, batch: batch, into: $0.baseAddress!, ldy: ldy)
                }
                dispatched.withUnsafeMutableBufferPointer {
                    matrix.multiplyAdd(x, batch: batch, into: $0.baseAddress!, ldy: ldy)
                }
                portable.withUnsafeMutableBufferPointer {
                    if layout == .rows {
                        crnn_matvec_f16_portable(matrix.bits, rows, cols, x, batch, $0.baseAddress!, ldy)
                    } else {
                        crnn_gemm_half_panels_portable(batch, rows, cols, x, matrix.bits, $0.baseAddress!, ldy)
                    }
                }
                for i in 0..<(batch * ldy) {
                    let scale = max(1, abs(naive[i]))
                    #expect(
                        abs(dispatched[i] - naive[i]) <= 1e-5 * scale * Float(cols),
                        "\(layout) \(i): \(dispatched[i]) vs \(naive[i])")
                    #expect(portable[i] == naive[i], "\(layout) \(i): portable \(portable[i]) vs \(naive[i])")
                    if i % ldy >= rows { #expect(dispatched[i] == start[i], "\(layout): padding \(i) was written") }
                }
            }
        }
    }

    @Test(arguments: [HalfMatrix.Layout.rows, .panels])
    func splittingOverThreadsGivesTheSameBits(layout: HalfMatrix.Layout) {
        let (rows, cols) = (1030, 520)  // above the threading threshold, rows a multiple of neither 4 nor 16
        var rng = SplitMix64(seed: 3)
        let values = (0..<(rows * cols)).map { _ in Float(rng.nextNormal()) * 0.05 }
        let matrix = values.withUnsafeBufferPointer {
            HalfMatrix($0.baseAddress!, rows: rows, cols: cols, layout: layout)!
        }
        let batch = 7
        let x = (0..<(batch * cols)).map { _ in Float(rng.nextNormal()) }
        func run(threads: Int) -> [Float] {
            var y = [Float](repeating: 0.5, count: batch * rows)
            y.withUnsafeMutableBufferPointer {
                matrix.multiplyAdd(x, batch: batch, into: $0.baseAddress!, ldy: rows, threads: threads)
            }
            return y
        }
        #expect(run(threads: 1) == run(threads: 2))
        #expect(run(threads: 1) == run(threads: 3))
    }

    /// The AVX-512 kernels give the AVX2 kernels' bits (so samples do not depend on which a CPU has): row counts
    /// that leave a one-row tail, column counts with a last 8 and a scalar tail, 1 to 29 streams (blocks of 1 … 10
    /// and partial panels). Skipped on a CPU without AVX-512, where both levels would run the AVX2 kernels.
    @Test(
        .enabled(if: CPU.hasAVX512, "this CPU has no AVX-512: its kernels cannot run here"),
        arguments: [(4, 16), (7, 40), (17, 9), (66, 67), (130, 1000)], [1, 2, 13, 29])
    func avx512KernelsGiveTheAVX2KernelsBits(shape: (rows: Int, cols: Int), batch: Int) {
        let (rows, cols) = shape
        var rng = SplitMix64(seed: UInt64(rows * 1000 + cols * 10 + batch))
        let weights = (0..<(rows * cols)).map { _ in Float16(Float(rng.nextNormal())).bitPattern }
        let x = (0..<(batch * cols)).map { _ in Float(rng.nextNormal()) }
        let y0 = (0..<(batch * (rows + 3))).map { _ in Float(rng.nextNormal()) }
        var packed = [UInt16](repeating: 0, count: crnn_half_panels_count(rows, cols))
        crnn_pack_half_panels(weights, rows, cols, &packed)
        for panels in [false, true] {
            var results: [[UInt32]] = []
            for level: Int32 in [1, 2] {
                var y = y0
                if panels {
                    crnn_gemm_half_panels_at_level(level, batch, rows, cols, x, packed, &y, rows + 3)
                } else {
                    crnn_matvec_f16_at_level(level, weights, rows, cols, x, batch, &y, rows + 3)
                }
                results.append(y.map(\.bitPattern))
            }
            #expect(results[0] == results[1], "\(panels ? "panels" : "rows") \(rows)×\(cols), \(batch) streams")
        }
    }

    /// Panels from three streams everywhere; for fewer, panels where the AVX-512 kernels run and rows otherwise.
    /// Whether they run is read from the kernel's own description of the CPU (/proc/cpuinfo's flags), not from the
    /// detection the code uses.
    @Test(.enabled(if: CPUInfo.flags != nil, "no /proc/cpuinfo flags on this system"))
    func layoutFollowsStreamsAndCPU() throws {
        let flags = try #require(CPUInfo.flags)
        let avx512 = ["avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd"].allSatisfy(flags.contains)
        let few: HalfMatrix.Layout = avx512 ? .panels : .rows
        #expect(StepModel.halfLayout(streams: 1) == few && StepModel.halfLayout(streams: 2) == few)
        #expect(StepModel.halfLayout(streams: 3) == .panels && StepModel.halfLayout(streams: 32) == .panels)
    }

    @Test func valuesBeyondHalfRangeAreRefused() {
        let values: [Float] = [1, -2, 70000]
        #expect(values.withUnsafeBufferPointer { HalfMatrix($0.baseAddress!, rows: 1, cols: 3) } == nil)
        let fits: [Float] = [1, -2, 65504]
        #expect(fits.withUnsafeBufferPointer { HalfMatrix($0.baseAddress!, rows: 1, cols: 3) } != nil)
    }

    /// Both layouts (the row-major kernel and the panel kernel), for one stream and for four.
    @Test(arguments: CellKind.allCases, [(1, HalfMatrix.Layout.rows), (1, .panels), (4, .rows), (4, .panels)])
    func float16StepEqualsTheModelOnRoundedWeights(
        cell: CellKind, run: (streams: Int, layout: HalfMatrix.Layout)
    ) throws {
        let (streams, layout) = run
        // Sizes that all differ; H not a multiple of 8 exercises the kernels' tails.
        let config = ModelConfig(vocabularySize: 11, cell: cell, layers: 3, hiddenSize: 13, embeddingSize: 6)
        let model = CharRNNModel<Float>(config: config)
        var rng = SplitMix64(seed: 21)
        model.initialize(using: &rng)
        // The reference: the float32 model with exactly the matrices StepModel keeps in float16 rounded to it
        // (W_ih of layer 0 is folded into a float32 table with the embedding, and biases stay float32).
        let rounded = CharRNNModel<Float>(config: config)
        rounded.parameters.values.pointer.update(from: model.parameters.values.pointer, count: model.parameters.count)
        var names = ["decoder.weight"]
        for k in 0..<config.layers {
            names.append("rnn.weight_hh_l\(k)")
            if k > 0 { names.append("rnn.weight_ih_l\(k)") }
        }
        for name in names {
            let (p, n) = (rounded.parameters.value(name), rounded.parameters.view(name).count)
            for i in 0..<n { p[i] = Float(Float16(p[i])) }
        }
        let half = try StepModel(model: model, streams: streams, precision: .float16, halfLayout: layout)
        let exact = try StepModel(model: model, streams: streams, precision: .float32)
        let reference = try StepModel(model: rounded, streams: streams, precision: .float32)
        var worstHalfVsExact: Float = 0
        for t in 0..<20 {
            let tokens = (0..<streams).map { Int32(($0 * 5 + t * 3) % 11) }
            let a = Array(tokens.withUnsafeBufferPointer { half.step($0) })
            let b = Array(tokens.withUnsafeBufferPointer { reference.step($0) })
            let c = Array(tokens.withUnsafeBufferPointer { exact.step($0) })
            let direct = Array(
                tokens.withUnsafeBufferPointer {
                    model.logits(
                        inputs: $0, steps: 1, batch: streams, state: RecurrentState(config: config, batch: streams))
                })
            if t == 0 {
                let worst = zip(c, direct).map { abs($0 - $1) / max(1, abs($1)) }.max()!
                #expect(worst < 1e-5, "float32 steps are the model's forward pass, summed in another order: \(worst)")
            }
            for i in 0..<a.count {
                #expect(abs(a[i] - b[i]) <= 1e-5 * max(1, abs(b[i])), "step \(t) logit \(i): \(a[i]) vs \(b[i])")
                worstHalfVsExact = max(worstHalfVsExact, abs(a[i] - c[i]))
            }
        }
        #expect(worstHalfVsExact > 0, "float16 rounding should be visible")
        #expect(worstHalfVsExact < 0.05, "float16 logits far from float32: \(worstHalfVsExact)")
    }
}
