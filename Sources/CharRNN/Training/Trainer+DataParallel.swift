// Data-parallel training: what a Trainer does when several processes (a ProcessGroup of MPI ranks) train one
// model. Every rank holds the whole model and a contiguous block of the batch's streams; per update each runs
// forward and backward on its streams, one all-reduce sums the gradients (with the loss, the position count and
// any stop request after them), and every rank applies the same clipping and update to the same sums, so the
// replicas stay identical. Validation is split over the ranks the same way and its sums reduced; checkpoints
// gather every stream's carried state to rank 0, which alone writes files.
//
// With the same global batch, N ranks train the model one process trains, up to the order of floating-point
// sums: the gradient of each rank's part is scaled by the whole batch's position count, and the dropout masks are
// each rank's slice of the masks one process would draw (`BatchPart`).
import Foundation

extension Trainer {
    /// Sums the gradients, the loss and the stop requests over all ranks in one all-reduce.
    ///
    /// - Parameters:
    ///   - loss: this rank's mean loss over its positions.
    ///   - stop: whether this rank was asked to stop (an interrupt).
    /// - Returns: the mean loss over the whole batch, and whether any rank was asked to stop.
    func exchange(loss: Double, stop: Bool) throws -> (loss: Double, stop: Bool) {
        let parameters = model.parameters
        let positions = Double(config.sequenceLength * part.streams.count)
        let sum = loss * positions
        // The loss sum as two floats (high part and remainder), so the float sum keeps ~14 digits of it.
        let high = Float(sum)
        let extras: [Float] = [high, Float(sum - Double(high)), Float(positions), stop ? 1 : 0]
        let base = parameters.exchange.pointer + parameters.count
        for (i, value) in extras.enumerated() { base[i] = value }
        if config.gradientExchange == .bfloat16 {
            // The gradients in bfloat16, the loss and counts apart in float32 (they must stay exact).
            try group.allreduceSumBFloat16(
                UnsafeMutableBufferPointer(start: parameters.gradients.pointer, count: parameters.count),
                scratch: &halves)
            try group.allreduceSum(UnsafeMutableBufferPointer(start: base, count: ParameterStore<Float>.exchangeExtras))
        } else {
            try group.allreduceSum(
                UnsafeMutableBufferPointer(start: parameters.exchange.pointer, count: parameters.exchange.count))
        }
        let total = (Double(base[0]) + Double(base[1])) / Double(base[2])
        return (total, base[3] > 0)
    }

    /// Validation split over the ranks: each runs a contiguous block of the validation streams from a zero state,
    /// and the per-batch loss sums are reduced, giving what one process computes over all streams.
    func collectiveValidationLoss() throws -> Double? {
        guard let layout = validationLayout() else { return nil }
        let (b, t) = (layout.batchSize, layout.sequenceLength)
        let streams = (b * group.rank / group.size)..<(b * (group.rank + 1) / group.size)
        var sums = [Double](repeating: 0, count: layout.batchesPerEpoch)
        if !streams.isEmpty {
            let fresh = RecurrentState<Float>(config: model.config, batch: streams.count)
            var inputs: [Int32] = []
            var targets: [Int32] = []
            var unused = SplitMix64(seed: 0)
            for k in 0..<layout.batchesPerEpoch {
                layout.fill(batch: k, rows: streams, from: corpus.ids, inputs: &inputs, targets: &targets)
                let mean = model.run(
                    inputs: inputs, targets: targets, steps: t, batch: streams.count, state: fresh, train: false,
                    rng: &unused)
                sums[k] = mean * Double(t * streams.count)
            }
        }
        try group.allreduceSum(&sums)
        let total = sums.reduce(0.0) { $0 + $1 / Double(t * b) }
        return total / Double(layout.batchesPerEpoch)
    }

    /// Every rank's carried state assembled on rank 0, (B, H) per layer in stream order; nil on the other ranks.
    func gatheredState() throws -> RecurrentState<Float>? {
        var mine: [Float] = []
        for k in 0..<model.config.layers {
            mine += hidden.hidden[k].array
            mine += hidden.cell[k].array
        }
        let bytes = mine.withUnsafeBytes { Array($0) }
        guard let pieces = try group.gather(bytes) else { return nil }
        let full = RecurrentState<Float>(config: model.config, batch: part.batch)
        let (share, h) = (part.streams.count, model.config.hiddenSize)
        let cellCount = model.config.cell.hasCellState ? share * h : 0
        for (rank, piece) in pieces.enumerated() {
            piece.withUnsafeBytes { raw in
                let values = raw.bindMemory(to: Float.self)
                var offset = 0
                for k in 0..<model.config.layers {
                    (full.hidden[k].pointer + rank * share * h).update(
                        from: values.baseAddress! + offset, count: share * h)
                    offset += share * h
                    if cellCount > 0 {
                        (full.cell[k].pointer + rank * share * h).update(
                            from: values.baseAddress! + offset, count: cellCount)
                    }
                    offset += cellCount
                }
            }
        }
        return full
    }

    /// Writes the checkpoints (and the metrics line) from rank 0 with every rank's state gathered; a failure there
    /// stops every rank.
    func saveCollectively(interrupted: Bool, best: Bool = false, metrics: TrainingEvent? = nil) throws {
        let carried = try gatheredState()
        try group.onRoot {
            guard let carried else { return }
            let checkpoint = makeCheckpoint(state: carried)
            try checkpoint.write(to: runDirectory + "/latest.safetensors")
            if best { try checkpoint.write(to: runDirectory + "/best.safetensors") }
            if let metrics { try appendMetrics(metrics) }
        }
    }

    /// Stops the run when the ranks' copies of the parameters differ (compared by a 64-bit hash of their bits).
    func checkReplicas() throws {
        let (low, high) = try group.extremes(parameterHash())
        if low != high { throw DistributedError.replicasDiverged(step: state.step) }
    }

    /// A 64-bit hash of the parameters' bits (FNV-1a over 64-bit words, the tail zero-padded).
    func parameterHash() -> UInt64 {
        let values = model.parameters.values
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let raw = UnsafeRawPointer(values.pointer)
        let bytes = values.count * MemoryLayout<Float>.stride
        for i in stride(from: 0, to: bytes - bytes % 8, by: 8) {
            hash = (hash ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x0000_0100_0000_01B3
        }
        if bytes % 8 != 0 {
            hash = (hash ^ UInt64(raw.load(fromByteOffset: bytes - 4, as: UInt32.self))) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// Where data-parallel training's time went, per update, averaged over a run's updates.
public struct DataParallelProfile: Sendable, Equatable {
    /// Ranks.
    public var ranks: Int
    /// Forward and backward on a rank's streams (the mean over ranks), seconds.
    public var compute: Double
    /// The all-reduce itself: the least any rank spent in it (the last rank to arrive waits for no one), seconds.
    public var allReduce: Double
    /// Waiting in the all-reduce for slower ranks (the mean over ranks of their time in it beyond `allReduce`).
    public var waiting: Double
    /// Bytes each update sums over the ranks (the gradients and four values after them).
    public var bytes: Int
}

extension Trainer {
    /// Every rank's timing sums, gathered on rank 0 and turned into per-update averages there (nil elsewhere).
    func collectProfile() throws -> DataParallelProfile? {
        let mine = [timing.compute, timing.reduce, Double(timing.updates)]
        guard let pieces = try group.gather(mine.withUnsafeBytes { Array($0) }) else { return nil }
        let rows = pieces.map { piece in piece.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) } }
        let updates = max(1, rows[0][2])
        let reduces = rows.map { $0[1] / updates }
        let fastest = reduces.min() ?? 0
        return DataParallelProfile(
            ranks: group.size, compute: rows.map { $0[0] / updates }.reduce(0, +) / Double(rows.count),
            allReduce: fastest, waiting: reduces.map { $0 - fastest }.reduce(0, +) / Double(rows.count),
            bytes: config.gradientExchange == .bfloat16
                ? model.parameters.count * 2 + ParameterStore<Float>.exchangeExtras * 4
                : model.parameters.exchange.count * MemoryLayout<Float>.stride)
    }
}
