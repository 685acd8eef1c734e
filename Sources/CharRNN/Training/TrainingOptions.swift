// TrainingOptions: a run as the user asks for it — each setting given or left out — and the rules that turn it
// into the model and training configurations of a new run, or of a resumed one (the resume policy).
//
// Resuming continues exactly where the checkpoint stopped only when nothing that shapes the run changes. So the
// model, the data layout (batch size, sequence length, validation fraction), the optimizer's kind and the seed
// come from the checkpoint, and giving a different value is an error; how the run goes on from there (learning
// rate and schedule, weight decay, clipping, how often and on how much it validates, when it stops) may be
// changed, and each change is reported. With no changes, N steps and N/2 + N/2 resumed give the same bytes.
// `keptOnResume` and `changeableOnResume` list the settings on each side; `charrnn train --help` words them as
// flags, for the documents to point at.
import Foundation

/// A training run's settings as given by the user, each nil when not given. `charrnn train` maps its flags one to
/// one onto these fields; a field left nil takes the documented default (`ModelConfig`, `TrainingConfig`) for a
/// new run, and the checkpoint's value when resuming.
public struct TrainingOptions: Sendable, Equatable {
    /// Which learning-rate schedule (its parameters are separate fields).
    public enum ScheduleKind: String, Sendable, CaseIterable {
        case constant, step, cosine
    }

    // The model (`ModelConfig`).
    public var cell: CellKind?
    public var layers: Int?
    public var hiddenSize: Int?
    public var embeddingSize: Int?
    public var dropout: Double?

    // The data layout and the optimizer (`TrainingConfig`).
    public var batchSize: Int?
    public var sequenceLength: Int?
    public var validationFraction: Double?
    public var optimizer: OptimizerKind?
    public var seed: UInt64?

    // How training goes on; may change when resuming.
    public var learningRate: Double?
    public var weightDecay: Double?
    public var schedule: ScheduleKind?
    /// step schedule: decay every n updates (default 1000).
    public var stepEvery: Int?
    /// step schedule: the factor (default 0.5).
    public var stepFactor: Double?
    /// cosine schedule: warm-up updates (default 100).
    public var warmupSteps: Int?
    /// cosine schedule: the final rate as a fraction of the base (default 0.1).
    public var minimumFactor: Double?
    /// cosine schedule: the update where the decay ends (default `maxSteps`, else 10,000).
    public var decaySteps: Int?
    public var gradientClip: Double?
    public var clipMode: ClipMode?
    public var evaluateEvery: Int?
    public var evaluationTokens: Int?
    /// Early stopping after this many validations without a new best (nil: off, or the checkpoint's when resuming).
    public var patience: Int?
    /// How gradients cross the network with several processes (nil: float32).
    public var gradientExchange: GradientExchange?
    // Regularisation (`Regularization`); may change when resuming, like the rest of how training goes on.
    public var dropoutMasks: DropoutMasks?
    public var inputDropout: Double?
    public var outputDropout: Double?
    public var weightDrop: Double?
    public var embeddingDropout: Double?

    // When to stop: always this run's own (10 epochs when none is given; with `automatic`, 20 minutes).
    public var maxSteps: Int?
    public var maxEpochs: Int?
    public var maxSeconds: Double?

    /// A new run chooses the settings left out for its corpus and budget (`AutomaticSettings`) instead of taking
    /// the fixed defaults. Default false here; `charrnn train` sets it unless given `--no-auto`. A resumed run never
    /// chooses: it continues with the checkpoint's settings.
    public var automatic = false

    /// No setting given: every default.
    public init() {}

    /// The model of a new run with `vocabularySize` entries: the given sizes, defaults for the rest.
    public func model(vocabularySize: Int) -> ModelConfig {
        let d = ModelConfig(vocabularySize: vocabularySize)
        return ModelConfig(
            vocabularySize: vocabularySize, cell: cell ?? d.cell, layers: layers ?? d.layers,
            hiddenSize: hiddenSize ?? d.hiddenSize, embeddingSize: embeddingSize ?? d.embeddingSize,
            dropout: dropout ?? d.dropout)
    }

    /// The training configuration of a new run: the given settings over `TrainingConfig()`'s defaults.
    ///
    /// - Throws: `TrainingOptionsError` when a schedule parameter is given for another schedule.
    public func newRun() throws(TrainingOptionsError) -> TrainingConfig {
        try apply(to: TrainingConfig(), resuming: false)
    }

    /// The model and training configuration that continue `checkpoint`: its model, data layout, optimizer and
    /// seed, with this run's limits and any change to how training goes on.
    ///
    /// - Returns: the configurations, and each setting that differs from the checkpoint's (the learning rate
    ///   from 0.002 to 0.001, say), for the user to see.
    /// - Throws: `TrainingOptionsError.conflicts` naming every given setting the checkpoint fixes and that differs
    ///   from it; `TrainingOptionsError` for a schedule parameter given for another schedule.
    public func resuming(
        _ checkpoint: Checkpoint
    ) throws(TrainingOptionsError) -> (model: ModelConfig, training: TrainingConfig, changes: [SettingChange]) {
        let (m, t) = (checkpoint.model, checkpoint.training)
        var fixed: [SettingChange] = []
        func check<V: Equatable>(_ setting: Setting, _ given: V?, _ kept: V, _ show: (V) -> String = { "\($0)" }) {
            if let given, given != kept {
                fixed.append(SettingChange(setting, value: show(given), checkpoint: show(kept)))
            }
        }
        check(.cell, cell, m.cell, \.rawValue)
        check(.layers, layers, m.layers)
        check(.hiddenSize, hiddenSize, m.hiddenSize)
        check(.embeddingSize, embeddingSize, m.embeddingSize)
        check(.dropout, dropout, m.dropout)
        check(.batchSize, batchSize, t.batchSize)
        check(.sequenceLength, sequenceLength, t.sequenceLength)
        check(.validationFraction, validationFraction, t.validationFraction)
        check(.optimizer, optimizer, t.optimizer.kind, \.rawValue)
        check(.seed, seed, t.seed)
        if !fixed.isEmpty { throw .conflicts(fixed) }
        let training = try apply(to: t, resuming: true)
        var changes: [SettingChange] = []
        func note<V: Equatable>(_ setting: Setting, _ new: V, _ old: V, _ show: (V) -> String = { "\($0)" }) {
            if new != old { changes.append(SettingChange(setting, value: show(new), checkpoint: show(old))) }
        }
        note(.learningRate, training.optimizer.learningRate, t.optimizer.learningRate)
        note(.weightDecay, training.optimizer.weightDecay, t.optimizer.weightDecay)
        note(.schedule, training.schedule, t.schedule, Self.describe)
        note(.gradientClip, training.gradientClip, t.gradientClip)
        note(.clipMode, training.clipMode, t.clipMode, \.rawValue)
        note(.evaluateEvery, training.evaluateEvery, t.evaluateEvery)
        note(.evaluationTokens, training.evaluationTokens, t.evaluationTokens) { $0.map(String.init) ?? "all" }
        note(.patience, training.patience, t.patience) { $0.map(String.init) ?? "off" }
        note(.gradientExchange, training.gradientExchange, t.gradientExchange) { ($0 ?? .float32).rawValue }
        let (r, old) = (training.effectiveRegularization, t.effectiveRegularization)
        note(.dropoutMasks, r.dropoutMasks, old.dropoutMasks, \.rawValue)
        for ((setting, new), (_, was)) in zip(r.probabilities, old.probabilities) { note(setting, new, was) }
        return (m, training, changes)
    }

    /// The settings a resumed run takes from its checkpoint; giving another value is an error.
    public static let keptOnResume: [Setting] = [
        .cell, .layers, .hiddenSize, .embeddingSize, .dropout, .batchSize, .sequenceLength, .validationFraction,
        .optimizer, .seed,
    ]

    /// The settings a resumed run may change (each change is reported). The stopping limits (`maxSteps`,
    /// `maxEpochs`, `maxSeconds`) are always the run's own.
    public static let changeableOnResume: [Setting] = [
        .learningRate, .schedule, .stepEvery, .stepFactor, .warmupSteps, .minimumFactor, .decaySteps, .weightDecay,
        .gradientClip, .clipMode, .evaluateEvery, .evaluationTokens, .patience, .gradientExchange, .dropoutMasks,
        .inputDropout, .outputDropout, .weightDrop, .embeddingDropout,
    ]

    /// The given settings over `base`; for a resumed run, only those that may change. The stopping limits are
    /// always this run's.
    private func apply(to base: TrainingConfig, resuming: Bool) throws(TrainingOptionsError) -> TrainingConfig {
        var c = base
        if !resuming {
            c.batchSize = batchSize ?? c.batchSize
            c.sequenceLength = sequenceLength ?? c.sequenceLength
            c.validationFraction = validationFraction ?? c.validationFraction
            c.optimizer.kind = optimizer ?? c.optimizer.kind
            c.seed = seed ?? c.seed
        }
        c.optimizer.learningRate = learningRate ?? c.optimizer.learningRate
        c.optimizer.weightDecay = weightDecay ?? c.optimizer.weightDecay
        c.schedule = try resolvedSchedule(base: base.schedule)
        c.gradientClip = gradientClip ?? c.gradientClip
        c.clipMode = clipMode ?? c.clipMode
        c.evaluateEvery = evaluateEvery ?? c.evaluateEvery
        c.evaluationTokens = evaluationTokens ?? c.evaluationTokens
        c.patience = patience ?? c.patience
        if let gradientExchange { c.gradientExchange = gradientExchange == .float32 ? nil : gradientExchange }
        c.regularization = regularization(base: c.regularization, resuming: resuming)
        c.maxSteps = maxSteps
        c.maxEpochs = maxEpochs ?? (maxSteps == nil && maxSeconds == nil ? 10 : nil)
        c.maxSeconds = maxSeconds
        return c
    }

    /// The regularisation: the given settings over `base`'s (a new run's defaults are `Regularization()`'s). A
    /// resumed run that changes nothing keeps `base` as it is, nil included, so its checkpoints keep their bytes.
    private func regularization(base: Regularization?, resuming: Bool) -> Regularization? {
        let given = [inputDropout, outputDropout, weightDrop, embeddingDropout].contains { $0 != nil }
        if resuming && !given && dropoutMasks == nil { return base }
        var r = resuming ? base ?? .beforeRegularization : Regularization()
        r.dropoutMasks = dropoutMasks ?? r.dropoutMasks
        r.inputDropout = inputDropout ?? r.inputDropout
        r.outputDropout = outputDropout ?? r.outputDropout
        r.weightDrop = weightDrop ?? r.weightDrop
        r.embeddingDropout = embeddingDropout ?? r.embeddingDropout
        return r
    }

    /// The schedule: the given kind (else `base`'s), its parameters as given, else `base`'s when it is of that
    /// kind, else the defaults. A cosine decay ends at `decaySteps`, else where `base`'s ends, else `maxSteps`,
    /// else at update 10,000.
    private func resolvedSchedule(base: LearningRateSchedule) throws(TrainingOptionsError) -> LearningRateSchedule {
        let kind = schedule ?? Self.kind(of: base)
        let stepGiven = stepEvery != nil || stepFactor != nil
        let cosineGiven = warmupSteps != nil || minimumFactor != nil || decaySteps != nil
        if kind != .step && stepGiven { throw .parameterForOtherSchedule([.stepEvery, .stepFactor], .step) }
        if kind != .cosine && cosineGiven {
            throw .parameterForOtherSchedule([.warmupSteps, .minimumFactor, .decaySteps], .cosine)
        }
        switch (kind, base) {
        case (.constant, _):
            return .constant
        case (.step, .step(let every, let factor)):
            return .step(every: stepEvery ?? every, factor: stepFactor ?? factor)
        case (.step, _):
            return .step(every: stepEvery ?? 1000, factor: stepFactor ?? 0.5)
        case (.cosine, .cosine(let warmup, let total, let minimum)):
            return .cosine(
                warmup: warmupSteps ?? warmup, total: decaySteps ?? total, minimumFactor: minimumFactor ?? minimum)
        case (.cosine, _):
            return .cosine(
                warmup: warmupSteps ?? 100, total: decaySteps ?? maxSteps ?? 10_000, minimumFactor: minimumFactor ?? 0.1
            )
        }
    }

    private static func kind(of schedule: LearningRateSchedule) -> ScheduleKind {
        switch schedule {
        case .constant: return .constant
        case .step: return .step
        case .cosine: return .cosine
        }
    }

    /// A schedule as the flags that give it.
    static func describe(_ schedule: LearningRateSchedule) -> String {
        switch schedule {
        case .constant: return "constant"
        case .step(let every, let factor): return "step (every \(every), factor \(factor))"
        case .cosine(let warmup, let total, let minimum):
            return "cosine (warm-up \(warmup), decay to \(total), min factor \(minimum))"
        }
    }
}

/// Why `TrainingOptions` cannot make a run.
public enum TrainingOptionsError: NamesSettings, Equatable {
    /// Settings a resumed run keeps from its checkpoint were given with other values.
    case conflicts([SettingChange])
    /// Parameters of one learning-rate schedule were given with another schedule.
    case parameterForOtherSchedule([Setting], TrainingOptions.ScheduleKind)

    public func worded(_ name: (Setting) -> String) -> String {
        switch self {
        case .conflicts(let changes):
            let given = changes.map { "\(name($0.setting)) \($0.value) (checkpoint: \($0.checkpoint))" }
            return
                "resuming keeps the checkpoint's model, data layout, optimizer and seed, but "
                + "\(given.joined(separator: ", ")) "
                + "\(given.count == 1 ? "was" : "were") given; drop \(given.count == 1 ? "it" : "them") or train a new "
                + "run"
        case .parameterForOtherSchedule(let settings, let schedule):
            return "\(listed(settings, name)) apply only to \(name(.schedule)) \(schedule.rawValue)"
        }
    }
}
