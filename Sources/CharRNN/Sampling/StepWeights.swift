// The weights a generation step multiplies by, prepared once: each matrix in the form its products read fastest,
// layer 0's input product folded into a table, and the step's scratch sized for the most streams it will run.
//
// Two kinds of matrix, one per `WeightPrecision`:
//   float32   PackedStepMatrix: the float32 weights packed into 16-column panels (PackedMatrix), summed over k in
//             order for each output. A row's result depends only on its own input, never on how many streams
//             share the step or where in the batch it sits, so a stream's text is the same alone or in company.
//   float16   HalfMatrix: a binary16 copy with single-precision sums, half the bytes read per token.
//
// Shapes: W_ih (G·H, E or H), W_hh (G·H, H), decoder (V, H); G = 4 (LSTM), 3 (GRU) or 1 (RNN).

/// A weight matrix W, (rows, cols), as a generation step multiplies by it.
protocol StepMatrix: AnyObject {
    /// y[b·ldy + r] += Σ_k W[r, k] · x[b·cols + k] for every row r and each of the `batch` vectors in x, split
    /// over up to `threads` threads without changing a bit.
    func multiplyAdd(
        _ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, ldy: Int, threads: Int)
}

extension HalfMatrix: StepMatrix {}

/// A float32 matrix packed once for products with a few vectors (`PackedMatrix` holding Wᵀ).
final class PackedStepMatrix: StepMatrix {
    let rows: Int
    let cols: Int
    private let packed: PackedMatrix

    /// Packs `values`, (rows, cols) row-major.
    init(_ values: UnsafePointer<Float>, rows: Int, cols: Int, threads: Int) {
        self.rows = rows
        self.cols = cols
        packed = PackedMatrix(k: cols, n: rows)
        packed.pack(values, ldb: cols, .transposed, threads: threads)
    }

    func multiplyAdd(
        _ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, ldy: Int, threads: Int
    ) {
        packed.multiplyOverWorkers(m: batch, a: x, lda: cols, beta: 1, c: y, ldc: ldy, threads: threads)
    }
}

/// Everything a step reads besides the state: the matrices, the biases, the vocabulary table, and scratch for
/// up to `streams` streams.
final class StepWeights {
    let inputTable: Buffer<Float>  // (V, G·H): embedding · W_ih0ᵀ + b_ih0 (+ b_hh0 except GRU)
    let biases: [Buffer<Float>]  // per layer: (G·H) b_ih + b_hh, GRU b_ih only; layer 0's is folded into the table
    let hiddenBiases: [Buffer<Float>]  // GRU: b_hh per layer
    let weightsIH: [(any StepMatrix)?]  // nil for layer 0, which uses the table
    let weightsHH: [any StepMatrix]
    let decoder: any StepMatrix
    let decoderBias: Buffer<Float>
    let gates: Buffer<Float>  // (B, G·H)
    let hiddenProjection: Buffer<Float>  // GRU: (B, G·H)
    let hiddenN: Buffer<Float>  // GRU: (B, H), unused after the step
    let logits: Buffer<Float>  // (B, V)

    /// The model's weights in `precision` (float16 in `halfLayout`), with scratch for `streams` streams.
    ///
    /// - Throws: `StepModelError.weightOutOfHalfRange` when float16 cannot hold a weight.
    init(model: CharRNNModel<Float>, streams: Int, precision: WeightPrecision, halfLayout: HalfMatrix.Layout) throws {
        let c = model.config
        let (v, e, h, g) = (c.vocabularySize, c.embeddingSize, c.hiddenSize, c.cell.gateCount * c.hiddenSize)
        let p = model.parameters
        func matrix(_ values: UnsafePointer<Float>, rows: Int, cols: Int) throws -> any StepMatrix {
            switch precision {
            case .float32:
                return PackedStepMatrix(values, rows: rows, cols: cols, threads: model.threads)
            case .float16:
                guard let m = HalfMatrix(values, rows: rows, cols: cols, layout: halfLayout) else {
                    throw StepModelError.weightOutOfHalfRange
                }
                return m
            }
        }
        func combinedBias(_ k: Int) -> Buffer<Float> {
            let r = p.recurrent(k)
            return Buffer((0..<g).map { c.cell == .gru ? r.biasIH[$0] : r.biasIH[$0] + r.biasHH[$0] })
        }
        let first = p.recurrent(0)
        biases = (0..<c.layers).map { combinedBias($0) }
        // The table is made once, in float32 for both precisions: row t is what layer 0's input product and
        // biases give for token t.
        inputTable = Buffer(count: v * g)
        for t in 0..<v { (inputTable.pointer + t * g).update(from: biases[0].pointer, count: g) }
        matrixMultiply(
            .none, .transposed, m: v, n: g, k: e, a: p.value("embedding.weight"), lda: e, b: first.weightIH, ldb: e,
            beta: 1, c: inputTable.pointer, ldc: g, threads: model.threads)
        hiddenBiases = (0..<c.layers).map {
            Buffer(Array(UnsafeBufferPointer(start: p.recurrent($0).biasHH, count: g)))
        }
        var weightsIH: [(any StepMatrix)?] = [nil]
        var weightsHH: [any StepMatrix] = []
        for k in 0..<c.layers {
            let r = p.recurrent(k)
            if k > 0 { weightsIH.append(try matrix(r.weightIH, rows: g, cols: h)) }
            weightsHH.append(try matrix(r.weightHH, rows: g, cols: h))
        }
        self.weightsIH = weightsIH
        self.weightsHH = weightsHH
        decoder = try matrix(p.value("decoder.weight"), rows: v, cols: h)
        decoderBias = Buffer(Array(UnsafeBufferPointer(start: p.value("decoder.bias"), count: v)))
        gates = Buffer(count: streams * g)
        hiddenProjection = Buffer(count: c.cell == .gru ? streams * g : 0)
        hiddenN = Buffer(count: c.cell == .gru ? streams * h : 0)
        logits = Buffer(count: streams * v)
    }
}
