// Trainer: the training loop. Each update runs forward and backward on one batch (truncated BPTT), clips the
// gradients and applies the optimizer at the schedule's rate; every `evaluateEvery` updates it validates and writes
// checkpoints. The parts live beside this file: one update (Trainer+Update), validation, metrics and reports
// (Trainer+Evaluation), several processes (Trainer+DataParallel), and checkpoints (Checkpoint/Checkpoint+Trainer).
//
// The hidden state is carried from batch to batch (detached) and reset only at an epoch boundary, when every
// stream jumps back to its start; validation uses its own state, so it never disturbs training's.
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
    /// Whether the last `run` ended early: `TrainingConfig.patience` validations in a row brought no new best.
    public internal(set) var stoppedEarly = false
    /// The processes training this model together (data parallelism), or one process alone.
    public let group: ProcessGroup
    /// With several processes: compare a hash of the parameters every this many updates (and at every checkpoint);
    /// a difference stops the run. Default 100.
    public var replicaCheckInterval = 100
    /// Called after each backward pass with the update's number (0 for the first) and this process's gradients,
    /// before they are summed over processes and clipped: to look at them, or to change them (noise, a planted
    /// fault). Nil by default; the gradients are then left as they are.
    public var afterBackward: ((_ step: Int, _ gradients: UnsafeMutableBufferPointer<Float>) -> Void)?
    /// Called after each update is applied, with the number of updates made and this process's parameters: to look
    /// at them, or to change them (a fault planted in one replica, which the replica check must catch). Nil by
    /// default.
    public var afterUpdate: ((_ step: Int, _ parameters: UnsafeMutableBufferPointer<Float>) -> Void)?
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
    let split: CorpusSplit
    let layout: BatchLayout
    /// The carried state of this process's streams, (B / ranks, H) per layer.
    let hidden: RecurrentState<Float>
    var rng: SplitMix64
    /// Where this process's updates began, and when (for the pace behind `TrainingEvent.secondsRemaining`).
    var firstStepOfProcess = 0
    var processStart = Date()
    /// Work buffers for one batch's time-major inputs and targets.
    var inputs: [Int32] = []
    var targets: [Int32] = []

    /// Sets up a new run (or continues `resume`), validating every size before allocating the model.
    ///
    /// - Parameters:
    ///   - corpus: the encoded text (its last `training.validationFraction` is held out for validation).
    ///   - modelConfig: the model to train (for `resume`, the checkpoint's).
    ///   - training: how to train (for `resume`, see `TrainingOptions.resuming`).
    ///   - runDirectory: where checkpoints, metrics.jsonl and the loss plot go (created if missing).
    ///   - resume: a checkpoint to continue, or nil for a new run.
    ///   - weights: a new run's starting weights instead of random ones (fine-tuning: `Checkpoint.grown`); its
    ///     model must be `modelConfig`. The optimizer, schedule and state start fresh.
    ///   - threads: threads for the model's passes, clipping and the update (default 1; the same bits for any).
    ///   - group: the processes training together (every one makes its Trainer with the same corpus, configs and
    ///     checkpoint); each trains `training.batchSize / group.size` of the streams, and rank 0 alone writes to
    ///     `runDirectory`. Default: this process alone.
    /// - Throws: `SettingError` for a setting outside its limits, `TrainingError` for a model that does not fit in
    ///   memory or a checkpoint that does not match, `CorpusError` for a corpus too short, `FileWriteError` for a
    ///   run directory that cannot be written.
    public init(
        corpus: Corpus, model modelConfig: ModelConfig, training: TrainingConfig, runDirectory: String,
        resume: Checkpoint? = nil, weights: Checkpoint? = nil, threads: Int = 1, group: ProcessGroup = .single
    ) throws {
        if let problem = SettingError.check(.batchSize, training.batchSize, .multipleOfRanks(group.size)) {
            throw problem
        }
        if let problem = training.problem ?? modelConfig.problem { throw problem }
        if training.patience != nil && training.validationFraction == 0 {
            throw TrainingError.patienceWithoutValidation
        }
        let needed = Self.estimatedBytes(model: modelConfig, training: training)
        let available = Double(ProcessInfo.processInfo.physicalMemory)
        if needed > available * 0.9 { throw TrainingError.insufficientMemory(needed: needed, available: available) }
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
            if let weights {
                var shape = weights.model
                shape.dropout = modelConfig.dropout  // a training setting, not part of the weights
                guard shape == modelConfig else {
                    throw TrainingError.modelMismatch(given: modelConfig, checkpoint: weights.model)
                }
                let p = model.parameters
                for view in p.views {
                    (p.values.pointer + view.offset).update(from: weights.tensors[view.name]!, count: view.count)
                }
            }
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

    /// Trains until a limit is reached (or, with `TrainingConfig.patience`, until validation stops improving),
    /// then validates, checkpoints and returns the final state.
    ///
    /// - Parameters:
    ///   - report: receives progress and evaluation events.
    ///   - shouldStop: polled before every update; when it returns true (an interrupt), training writes
    ///     `latest.safetensors` without validating, so it ends within seconds, and returns with `interrupted` set.
    /// - Throws: `TrainingError.diverged` when the loss stays non-finite (the last checkpoint on disk is kept),
    ///   `FileWriteError` when a checkpoint or the metrics cannot be written, `DistributedError` when the processes
    ///   fail or disagree.
    public func run(report: (TrainingEvent) -> Void, shouldStop: () -> Bool = { false }) throws -> TrainingState {
        if group.isRoot { AtomicFile.removeLeftovers(in: runDirectory) }  // init created the directory
        let start = Date()
        let elapsedBefore = state.elapsedSeconds
        func elapsed() -> Double { elapsedBefore + Date().timeIntervalSince(start) }
        func finished() -> Bool {
            if let n = totalSteps, state.step >= n { return true }
            if let s = config.maxSeconds, elapsed() >= s { return true }
            return false
        }
        func stopWithCheckpoint() throws -> TrainingState {
            state.elapsedSeconds = elapsed()
            try saveInterrupted()
            interrupted = true
            return state
        }
        (firstStepOfProcess, processStart, timing) = (state.step, start, (0, 0, 0))
        (interrupted, stoppedEarly) = (false, false)
        var sinceEvaluation = LossSum()
        var sinceReport = LossSum()
        var lastReport = start
        var faults = 0  // updates in a row with a non-finite loss or gradient
        while !finished() {
            // One process checks before the update; several decide together after the backward pass.
            if group.size == 1 && shouldStop() { return try stopWithCheckpoint() }
            guard let loss = try forwardBackward(stop: group.size > 1 && shouldStop()) else {
                return try stopWithCheckpoint()  // every rank saw the request in this update: the state before it
            }
            let norm = clipGradients(
                model.parameters.gradients, threshold: config.gradientClip, mode: config.clipMode, threads: threads)
            let rate = config.optimizer.learningRate * config.schedule.factor(at: state.step)
            guard loss.isFinite && norm.isFinite else {
                // A non-finite loss or gradient never reaches the weights or a checkpoint.
                faults += 1
                if faults >= 5 { throw TrainingError.diverged(step: state.step, .nonFiniteUpdates(faults)) }
                hidden.reset()
                continue
            }
            faults = 0
            try apply(learningRate: rate)
            sinceEvaluation.add(loss)
            sinceReport.add(loss)
            let now = Date()
            if now.timeIntervalSince(lastReport) >= 0.5 || finished() {
                let seconds = now.timeIntervalSince(lastReport)
                let tokens = sinceReport.count * config.batchSize * config.sequenceLength
                report(
                    event(
                        .step, trainLoss: sinceReport.mean, validation: state.lastValidationLoss, rate: rate,
                        norm: norm, tokensPerSecond: Double(tokens) / max(seconds, 1e-9), elapsed: elapsed()))
                (sinceReport, lastReport) = (LossSum(), now)
            }
            if state.step % config.evaluateEvery == 0 || finished() {
                state.elapsedSeconds = elapsed()
                try evaluateAndSave(trainLoss: sinceEvaluation.mean, rate: rate, norm: norm, report: report)
                sinceEvaluation = LossSum()
                if let patience = config.patience, (state.validationsSinceBest ?? 0) >= patience {
                    stoppedEarly = true  // every rank validated the same loss, so all stop here
                    break
                }
            }
        }
        if group.size > 1 { profile = try collectProfile() }
        return state
    }
}

/// A running sum of per-update losses.
struct LossSum {
    var total = 0.0
    var count = 0

    mutating func add(_ loss: Double) {
        total += loss
        count += 1
    }

    /// The mean (0 for none).
    var mean: Double { total / Double(max(1, count)) }
}
