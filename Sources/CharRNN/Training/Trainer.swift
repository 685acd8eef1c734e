// Trainer: truncated BPTT over the batch layout, clipping, the optimizer and schedule, validation, metrics and
// checkpoints. The hidden state is carried from batch to batch (detached) and reset only at an epoch boundary,
// when every stream jumps back to its start; validation uses its own state, so it never disturbs training's.
import Foundation

/// What the trainer reports as it goes.
public struct TrainingEvent: Sendable {
    /// What happened.
    public enum Kind: Sendable {
        /// Updates since the last report (at most every half second).
        case step
        /// A validation, with checkpoints written.
        case evaluation
    }

    public var kind: Kind
    public var step: Int
    /// Updates the run will make if it runs to its step or epoch limit (nil when only time limits it).
    public var totalSteps: Int?
    /// Updates the run is expected to have made when it ends: `totalSteps` when that limit comes first, else an
    /// estimate from the time limit at this process's pace (nil before the pace is known or without limits).
    public var expectedTotalSteps: Int?
    /// Seconds until the run ends at whichever limit comes first, estimated at this process's pace.
    public var secondsRemaining: Double?
    /// Fractional epochs done.
    public var epoch: Double
    /// Mean training loss (nats per token) since the last event of this kind.
    public var trainLoss: Double
    public var validationLoss: Double?
    public var learningRate: Double
    /// Gradient norm before clipping, at the last update.
    public var gradientNorm: Double
    public var tokensPerSecond: Double
    public var elapsedSeconds: Double
}

/// Trains a model on an encoded corpus, writing checkpoints and metrics to a run directory.
public final class Trainer {
    public let corpus: Corpus
    public let config: TrainingConfig
    public let model: CharRNNModel<Float>
    public let optimizer: Optimizer<Float>
    public internal(set) var state: TrainingState
    /// Whether the last `run` ended because `shouldStop` asked it to.
    public internal(set) var interrupted = false
    /// The processes training this model together (data parallelism), or one process alone.
    public let group: ProcessGroup
    /// With several processes: compare a hash of the parameters every this many updates (and at every checkpoint);
    /// a difference stops the run. Default 100.
    public var replicaCheckInterval = 100
    /// This process's streams of the batch (all of them for one process).
    let part: BatchPart
    /// With several processes, where the time of the last `run` went, per update (on rank 0; nil before a run ends).
    public internal(set) var profile: DataParallelProfile?
    /// This rank's sums behind `profile`.
    var timing = (compute: 0.0, reduce: 0.0, updates: 0)
    /// The bfloat16 copy of the gradients (`TrainingConfig.gradientExchange`).
    var halves: [UInt16] = []
    public let runDirectory: String
    /// Threads for the model's passes, clipping and the update (the model's own count); results do not depend on
    /// it.
    public var threads: Int { model.threads }
    /// Tests only: called with the gradient buffer after each backward pass, before clipping (to plant a fault).
    var gradientHook: ((_ step: Int, _ gradients: UnsafeMutableBufferPointer<Float>) -> Void)?
    let split: CorpusSplit
    let layout: BatchLayout
    /// The carried state of this process's streams, (B / ranks, H) per layer.
    let hidden: RecurrentState<Float>
    var rng: SplitMix64

    /// Sets up a new run (or continues `resume`), validating every size before allocating the model.
    ///
    /// - Parameters:
    ///   - corpus: the encoded text (its last `training.validationFraction` is held out for validation).
    ///   - modelConfig: the model to train (for `resume`, the checkpoint's).
    ///   - training: how to train (for `resume`, see `TrainingOptions.resuming`).
    ///   - runDirectory: where checkpoints, metrics.jsonl and the loss plot go (created if missing).
    ///   - resume: a checkpoint to continue, or nil for a new run.
    ///   - threads: threads for the model's passes, clipping and the update (default 1; the same bits for any).
    ///   - group: the processes training together (every one makes its Trainer with the same corpus, configs and
    ///     checkpoint); each trains `training.batchSize / group.size` of the streams, and rank 0 alone writes to
    ///     `runDirectory`. Default: this process alone.
    public init(
        corpus: Corpus, model modelConfig: ModelConfig, training: TrainingConfig, runDirectory: String,
        resume: Checkpoint? = nil, threads: Int = 1, group: ProcessGroup = .single
    ) throws {
        guard training.batchSize % group.size == 0 else {
            throw CorpusError.invalidSetting(
                "--batch-size \(training.batchSize) does not divide evenly among \(group.size) ranks; give a multiple "
                    + "of \(group.size)")
        }
        if let problem = training.problem { throw CorpusError.invalidSetting(problem) }
        if let problem = modelConfig.problem { throw CorpusError.invalidSetting(problem) }
        let needed = Self.estimatedBytes(model: modelConfig, training: training)
        let available = ProcessInfo.processInfo.physicalMemory
        if needed > Double(available) * 0.9 {
            throw CorpusError.invalidSetting(
                String(
                    format:
                        "this model and batch need about %.1f GiB of memory, more than this machine's %.1f GiB; lower "
                        + "--hidden, --layers, --batch-size or --seq-length",
                    needed / 1_073_741_824, Double(available) / 1_073_741_824))
        }
        split = try CorpusSplit(tokenCount: corpus.ids.count, validationFraction: training.validationFraction)
        layout = try BatchLayout(
            tokens: split.training, batchSize: training.batchSize, sequenceLength: training.sequenceLength)
        try group.onRoot {
            do {
                try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            } catch {
                throw FileWriteError(path: runDirectory, reason: "cannot create the run directory")
            }
            guard access(runDirectory, W_OK) == 0 else {
                throw FileWriteError(path: runDirectory, reason: "the run directory is not writable")
            }
        }
        self.group = group
        let share = training.batchSize / group.size
        part = BatchPart(streams: (group.rank * share)..<((group.rank + 1) * share), batch: training.batchSize)
        self.corpus = corpus
        self.config = training
        self.runDirectory = runDirectory
        model = CharRNNModel(config: modelConfig, threads: threads)
        model.regularization = training.effectiveRegularization
        optimizer = Optimizer(config: training.optimizer, parameterCount: model.parameters.count)
        hidden = RecurrentState(config: modelConfig, batch: part.streams.count)
        state = TrainingState()
        rng = SplitMix64(seed: training.seed)
        if let resume {
            try restore(resume)
        } else {
            model.initialize(using: &rng)
            state.rngState = rng.state
        }
    }

    /// Memory a run needs, estimated before anything is allocated: parameters, gradients and two optimizer moments
    /// (Float), and per-batch activations and workspaces (T·B positions of gates, states and their gradients per
    /// layer, logits), with a margin for what the estimate leaves out.
    public static func estimatedBytes(model m: ModelConfig, training t: TrainingConfig) -> Double {
        let store =
            Double(m.vocabularySize * m.embeddingSize)
            + Double(m.layers) * Double(m.cell.gateCount * m.hiddenSize)
            * Double(m.embeddingSize + 2 * m.hiddenSize + 2)
            + Double(m.vocabularySize * (m.hiddenSize + 1))
        let positions = Double(t.batchSize) * Double(t.sequenceLength)
        let perLayer = positions * Double(3 * m.cell.gateCount * m.hiddenSize + 4 * m.hiddenSize)
        let activations =
            Double(m.layers) * perLayer + positions
            * Double(2 * m.vocabularySize + 2 * m.embeddingSize + 2 * m.hiddenSize)
        return 4 * (4 * store + activations) * 1.2
    }

    /// Number of updates this run is limited to by steps or epochs, if any.
    public var totalSteps: Int? {
        let byEpochs = config.maxEpochs.map { $0 * layout.batchesPerEpoch }
        switch (config.maxSteps, byEpochs) {
        case let (s?, e?): return min(s, e)
        case let (s?, nil): return s
        case let (nil, e?): return e
        case (nil, nil): return nil
        }
    }

    /// Trains until a limit is reached, then validates, checkpoints and returns the final state.
    ///
    /// - Parameters:
    ///   - report: receives progress and evaluation events.
    ///   - shouldStop: polled before every update; when it returns true (an interrupt), training writes
    ///     `latest.safetensors` without validating, so it ends within seconds, and returns with `interrupted` set.
    public func run(report: (TrainingEvent) -> Void, shouldStop: () -> Bool = { false }) throws -> TrainingState {
        if group.isRoot { AtomicFile.removeLeftovers(in: runDirectory) }  // init created the directory
        let distributed = group.size > 1
        var inputs: [Int32] = []
        var targets: [Int32] = []
        let (b, t) = (config.batchSize, config.sequenceLength)
        let start = Date()
        let elapsedBefore = state.elapsedSeconds
        var sinceEval = (loss: 0.0, steps: 0)
        var sinceReport = (loss: 0.0, steps: 0, time: Date())
        var lastNorm = 0.0
        var faults = 0
        firstStepOfProcess = state.step
        processStart = start
        timing = (0, 0, 0)
        func elapsed() -> Double { elapsedBefore + Date().timeIntervalSince(start) }
        func done() -> Bool {
            if let n = totalSteps, state.step >= n { return true }
            if let s = config.maxSeconds, elapsed() >= s { return true }
            return false
        }
        while !done() {
            // One process checks before the update; several decide together after it (`exchange`).
            if !distributed && shouldStop() {
                state.elapsedSeconds = elapsed()
                try makeCheckpoint().write(to: runDirectory + "/latest.safetensors")
                interrupted = true
                return state
            }
            let computeStart = DispatchTime.now().uptimeNanoseconds
            layout.fill(
                batch: state.batchInEpoch, rows: part.streams, from: corpus.ids, inputs: &inputs, targets: &targets)
            model.parameters.zeroGradients(threads: threads)
            var loss = model.run(
                inputs: inputs, targets: targets, steps: t, batch: part.streams.count, state: hidden, train: true,
                rng: &rng, part: distributed ? part : nil)
            if let gradientHook {
                let g = model.parameters.gradients
                gradientHook(state.step, UnsafeMutableBufferPointer(start: g.pointer, count: g.count))
            }
            if distributed {
                let reduceStart = DispatchTime.now().uptimeNanoseconds
                let (total, stop) = try exchange(loss: loss, stop: shouldStop())
                let reduceEnd = DispatchTime.now().uptimeNanoseconds
                timing.compute += Double(reduceStart - computeStart) * 1e-9
                timing.reduce += Double(reduceEnd - reduceStart) * 1e-9
                timing.updates += 1
                if stop {
                    // Every rank saw the request in the same update: the state is the one before it.
                    state.elapsedSeconds = elapsed()
                    try saveCollectively(interrupted: true)
                    interrupted = true
                    return state
                }
                loss = total
            }
            let norm = clipGradients(
                model.parameters.gradients, threshold: config.gradientClip, mode: config.clipMode, threads: threads)
            let rate = config.optimizer.learningRate * config.schedule.factor(at: state.step)
            guard loss.isFinite && norm.isFinite else {
                // A non-finite loss or gradient never reaches the weights or a checkpoint.
                faults += 1
                if faults >= 5 {
                    throw CorpusError.invalidSetting(
                        "training diverged: \(faults) updates in a row had a non-finite loss or gradient at step "
                            + "\(state.step); resume from the last checkpoint with a lower --learning-rate or "
                            + "--grad-clip"
                    )
                }
                hidden.reset()
                continue
            }
            faults = 0
            optimizer.update(
                parameters: model.parameters.values, gradients: model.parameters.gradients, learningRate: rate,
                threads: threads)
            lastNorm = norm
            state.step += 1
            state.tokensSeen += b * t
            state.batchInEpoch += 1
            if state.batchInEpoch == layout.batchesPerEpoch {
                state.batchInEpoch = 0
                state.epoch += 1
                hidden.reset()  // every stream starts over from its beginning
            }
            state.rngState = rng.state
            if distributed {
                perturbForTests()
                if state.step % replicaCheckInterval == 0 { try checkReplicas() }
            }
            sinceEval.loss += loss
            sinceEval.steps += 1
            sinceReport.loss += loss
            sinceReport.steps += 1
            let now = Date()
            if now.timeIntervalSince(sinceReport.time) >= 0.5 || done() {
                let seconds = now.timeIntervalSince(sinceReport.time)
                report(
                    event(
                        .step, trainLoss: sinceReport.loss / Double(sinceReport.steps),
                        validation: state.lastValidationLoss, rate: rate, norm: norm,
                        tokensPerSecond: Double(sinceReport.steps * b * t) / max(seconds, 1e-9), elapsed: elapsed()))
                sinceReport = (0, 0, now)
            }
            if state.step % config.evaluateEvery == 0 || done() {
                state.elapsedSeconds = elapsed()
                try evaluateAndSave(
                    trainLoss: sinceEval.loss / Double(max(1, sinceEval.steps)), rate: rate, norm: lastNorm,
                    report: report)
                sinceEval = (0, 0)
            }
        }
        if distributed { profile = try collectProfile() }
        return state
    }

    /// Mean loss (nats per token) over the validation split (or its first `evaluationTokens`), from a zero state.
    public func validationLoss() -> Double? {
        guard let layout = validationLayout() else { return nil }
        let (b, t) = (layout.batchSize, layout.sequenceLength)
        let fresh = RecurrentState<Float>(config: model.config, batch: b)
        var inputs: [Int32] = []
        var targets: [Int32] = []
        var total = 0.0
        var unused = SplitMix64(seed: 0)
        for k in 0..<layout.batchesPerEpoch {
            layout.fill(batch: k, from: corpus.ids, inputs: &inputs, targets: &targets)
            total += model.run(
                inputs: inputs, targets: targets, steps: t, batch: b, state: fresh, train: false, rng: &unused)
        }
        return total / Double(layout.batchesPerEpoch)
    }

    /// How validation cuts the validation split (or its first `evaluationTokens`): up to B streams of T-step
    /// batches (fewer when the split is short), each stream from a zero state; nil when it is too short to score.
    func validationLayout() -> BatchLayout? {
        var range = split.validation
        if let n = config.evaluationTokens { range = range.lowerBound..<min(range.upperBound, range.lowerBound + n) }
        guard range.count >= 2 else { return nil }
        let t = min(config.sequenceLength, range.count - 1)
        let b = max(1, min(config.batchSize, (range.count - 1) / t))
        return try? BatchLayout(tokens: range, batchSize: b, sequenceLength: t)
    }

    private func evaluateAndSave(trainLoss: Double, rate: Double, norm: Double, report: (TrainingEvent) -> Void) throws
    {
        let validation = group.size > 1 ? try collectiveValidationLoss() : validationLoss()
        if let validation, !validation.isFinite {
            // Diverged weights: keep the last checkpoint on disk, which was written from finite ones.
            throw CorpusError.invalidSetting(
                "training diverged: the validation loss at step \(state.step) is not finite; resume from the last "
                    + "checkpoint with a lower --learning-rate or --grad-clip"
            )
        }
        state.lastValidationLoss = validation
        let improved = validation.map { v in state.bestValidationLoss.map { v < $0 } ?? true } ?? false
        if improved { state.bestValidationLoss = validation }
        let e = event(
            .evaluation, trainLoss: trainLoss, validation: validation, rate: rate, norm: norm,
            tokensPerSecond: Double(state.tokensSeen) / max(state.elapsedSeconds, 1e-9), elapsed: state.elapsedSeconds)
        if group.size > 1 {
            try checkReplicas()
            try saveCollectively(interrupted: false, best: improved || validation == nil, metrics: e)
        } else {
            let checkpoint = makeCheckpoint()
            try checkpoint.write(to: runDirectory + "/latest.safetensors")
            if improved || validation == nil { try checkpoint.write(to: runDirectory + "/best.safetensors") }
            try appendMetrics(e)
        }
        report(e)
    }

    /// Where this process's updates began, and when (for the pace behind `TrainingEvent.secondsRemaining`).
    private var firstStepOfProcess = 0
    private var processStart = Date()

    /// The expected final step and the seconds until then, from this process's pace so far.
    private func remaining(elapsed: Double) -> (total: Int?, seconds: Double?) {
        let done = state.step - firstStepOfProcess
        let seconds = Date().timeIntervalSince(processStart)
        guard done > 0 && seconds > 0 else { return (totalSteps, nil) }
        let pace = Double(done) / seconds  // updates per second
        var total = totalSteps.map(Double.init)
        if let limit = config.maxSeconds {
            let byTime = Double(state.step) + pace * max(0, limit - elapsed)
            total = min(total ?? byTime, byTime)
        }
        guard let total else { return (nil, nil) }
        return (Int(total.rounded()), max(0, total - Double(state.step)) / pace)
    }

    private func event(
        _ kind: TrainingEvent.Kind, trainLoss: Double, validation: Double?, rate: Double, norm: Double,
        tokensPerSecond: Double, elapsed: Double
    ) -> TrainingEvent {
        let (expected, secondsLeft) = remaining(elapsed: elapsed)
        return TrainingEvent(
            kind: kind, step: state.step, totalSteps: totalSteps, expectedTotalSteps: expected,
            secondsRemaining: secondsLeft,
            epoch: Double(state.epoch) + Double(state.batchInEpoch) / Double(layout.batchesPerEpoch),
            trainLoss: trainLoss,
            validationLoss: validation, learningRate: rate, gradientNorm: norm, tokensPerSecond: tokensPerSecond,
            elapsedSeconds: elapsed)
    }

    /// One JSON line per evaluation in RUN_DIR/metrics.jsonl.
    func appendMetrics(_ e: TrainingEvent) throws {
        var fields: [String: Any] = [
            "step": e.step, "epoch": e.epoch, "tokens": state.tokensSeen, "train_loss": e.trainLoss,
            "learning_rate": e.learningRate,
            "grad_norm": e.gradientNorm, "tokens_per_second": e.tokensPerSecond, "elapsed_seconds": e.elapsedSeconds,
        ]
        if let v = e.validationLoss {
            fields["val_loss"] = v
            fields["val_bits_per_token"] = v / log(2)
        }
        var line = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        line.append(0x0A)
        let path = runDirectory + "/metrics.jsonl"
        if !FileManager.default.fileExists(atPath: path) && !FileManager.default.createFile(atPath: path, contents: nil)
        {
            throw FileWriteError(path: path, reason: "cannot create it")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw FileWriteError(path: path, reason: "cannot open for appending")
        }
        defer { try? handle.close() }
        // The throwing calls: the older write(_:) traps on a full disk instead of reporting it.
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        } catch {
            throw FileWriteError(path: path, reason: error.localizedDescription)
        }
    }

    /// The complete state of this run as a checkpoint (for one process; with several, rank 0's checkpoint holds
    /// every rank's streams, see `saveCollectively`).
    public func makeCheckpoint() -> Checkpoint { makeCheckpoint(state: hidden) }

    /// The checkpoint with `carried` as the state of all B streams.
    func makeCheckpoint(state carried: RecurrentState<Float>) -> Checkpoint {
        var c = Checkpoint(
            model: model.config, vocabulary: corpus.vocabulary, training: config, state: state,
            optimizerStep: optimizer.step)
        let p = model.parameters
        for view in p.views {
            c.add(
                view.name, shape: view.shape,
                values: Array(UnsafeBufferPointer(start: p.values.pointer + view.offset, count: view.count)))
        }
        for (prefix, buffer) in [("optimizer.first.", optimizer.first), ("optimizer.second.", optimizer.second)]
        where buffer.count > 0 {
            for view in p.views {
                c.add(
                    prefix + view.name, shape: view.shape,
                    values: Array(UnsafeBufferPointer(start: buffer.pointer + view.offset, count: view.count)))
            }
        }
        for k in 0..<model.config.layers {
            c.add("state.hidden_l\(k)", shape: [carried.batch, carried.hiddenSize], values: carried.hidden[k].array)
            if model.config.cell.hasCellState {
                c.add("state.cell_l\(k)", shape: [carried.batch, carried.hiddenSize], values: carried.cell[k].array)
            }
        }
        return c
    }

    private func restore(_ c: Checkpoint) throws {
        guard c.model == model.config else {
            throw CorpusError.invalidSetting(
                "the model flags differ from the checkpoint's (\(c.model)); drop them when resuming")
        }
        guard c.vocabulary == corpus.vocabulary else {
            throw CorpusError.invalidSetting(
                "the corpus's vocabulary differs from the checkpoint's; resume on the same corpus")
        }
        guard c.hasOptimizerState || config.optimizer.kind == .sgd && config.optimizer.momentum == 0 else {
            throw CorpusError.invalidSetting(
                "the checkpoint holds weights only (exported for sampling), not the optimizer state that resuming "
                    + "needs; resume from the run's own latest.safetensors"
            )
        }
        let p = model.parameters
        for view in p.views {
            (p.values.pointer + view.offset).update(from: c.tensors[view.name]!, count: view.count)
            if optimizer.first.count > 0, let m = c.tensors["optimizer.first." + view.name] {
                (optimizer.first.pointer + view.offset).update(from: m, count: view.count)
            }
            if optimizer.second.count > 0, let v = c.tensors["optimizer.second." + view.name] {
                (optimizer.second.pointer + view.offset).update(from: v, count: view.count)
            }
        }
        // The checkpoint holds all B streams' state; this process takes its own (all of them when alone). A
        // checkpoint written by any number of ranks resumes on any number.
        let rows = part.streams.lowerBound * model.config.hiddenSize..<part.streams.upperBound * model.config.hiddenSize
        for k in 0..<model.config.layers {
            if let h = c.tensors["state.hidden_l\(k)"], h.count == part.batch * model.config.hiddenSize {
                hidden.hidden[k].pointer.update(from: Array(h[rows]), count: rows.count)
            }
            if let s = c.tensors["state.cell_l\(k)"], s.count == part.batch * model.config.hiddenSize {
                hidden.cell[k].pointer.update(from: Array(s[rows]), count: rows.count)
            }
        }
        optimizer.step = c.optimizerStep
        state = c.state
        rng = SplitMix64(seed: 0)
        rng.state = c.state.rngState
    }
}
