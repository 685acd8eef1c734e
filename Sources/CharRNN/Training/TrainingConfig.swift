// Training settings and the training state a checkpoint carries so a run can continue exactly.

/// How a model is trained. The CLI's flags map onto these fields; each default is the documented one.
public struct TrainingConfig: Codable, Sendable, Equatable {
    /// B: parallel streams per batch. Default 50 (char-rnn, torch-rnn).
    public var batchSize = 50
    /// T: time steps per update (truncated BPTT length). Default 50 (char-rnn, torch-rnn).
    public var sequenceLength = 50
    public var optimizer = OptimizerConfig()
    public var schedule = LearningRateSchedule.constant
    /// Clipping threshold; 0 disables. Default 5 (char-rnn's value, applied here to the global norm).
    public var gradientClip = 5.0
    /// Default `.norm`; `.value` gives char-rnn's per-element clamp.
    public var clipMode = ClipMode.norm
    /// Fraction of the token stream held out for validation (the last part). Default 0.1, nanoGPT's.
    public var validationFraction = 0.1
    /// Validate every this many updates (and at the end). Default 500.
    public var evaluateEvery = 500
    /// Validate on at most this many tokens (nil: the whole split).
    public var evaluationTokens: Int? = nil
    /// Stop after this many updates (nil: no limit).
    public var maxSteps: Int? = nil
    /// Stop after this many epochs. Default 10 when no other limit is given.
    public var maxEpochs: Int? = nil
    /// Stop after this many seconds of wall-clock time (nil: no limit).
    public var maxSeconds: Double? = nil
    /// Early stopping: stop after this many validations in a row without a new best validation loss (nil, the
    /// default: never). The best checkpoint is the one to keep. Not written to checkpoints when nil.
    public var patience: Int? = nil
    /// Seeds initialization and dropout. Default 1.
    public var seed: UInt64 = 1
    /// With several processes (MPI), how the gradients cross the network: nil (the default) as float32;
    /// `.bfloat16` in half the bytes, at about 3 significant digits per value (docs/performance-log.md measures
    /// what that costs). Not written to checkpoints when nil, so their bytes are those of earlier versions.
    public var gradientExchange: GradientExchange? = nil
    /// Dropout masks, DropConnect and embedding dropout (`Regularization`). `charrnn train` always sets it for a
    /// new run; nil, as in checkpoints written before 2026-12-02, means `Regularization.beforeRegularization`
    /// (per-position masks for `--dropout`, nothing else), so those runs resume exactly.
    public var regularization: Regularization? = nil
    /// What automatic settings chose for this run and why (`AutomaticSettings`), or nil when it was not used. Not
    /// written to checkpoints when nil.
    public var automatic: AutomaticChoice? = nil
    /// The trained model this run started from (`charrnn train --init-from`), or nil for random weights. Not
    /// written to checkpoints when nil.
    public var baseModel: BaseModel? = nil

    public init() {}

    /// The regularisation this run trains with.
    public var effectiveRegularization: Regularization { regularization ?? .beforeRegularization }

    /// Why the settings cannot be used (the first setting outside its limits), or nil.
    public var problem: SettingError? {
        let fraction = SettingLimit.fraction(includingZero: true, includingOne: false)
        let checks: [SettingError?] = [
            SettingError.check(.batchSize, batchSize, .atLeast(1)),
            SettingError.check(.sequenceLength, sequenceLength, .atLeast(1)),
            SettingError.check(.learningRate, optimizer.learningRate, .positive),
            SettingError.check(.gradientClip, gradientClip, .offOrPositive),
            SettingError.check(.validationFraction, validationFraction, fraction),
            SettingError.check(.evaluateEvery, evaluateEvery, .atLeast(1)),
            evaluationTokens.flatMap { SettingError.check(.evaluationTokens, $0, .atLeast(2)) },
            maxSteps.flatMap { SettingError.check(.maxSteps, $0, .atLeast(1)) },
            maxEpochs.flatMap { SettingError.check(.maxEpochs, $0, .atLeast(1)) },
            maxSeconds.flatMap { SettingError.check(.maxSeconds, $0, .positive) },
            patience.flatMap { SettingError.check(.patience, $0, .atLeast(1)) },
            SettingError.check(.weightDecay, optimizer.weightDecay, .zeroOrPositive),
        ]
        return checks.lazy.compactMap { $0 }.first ?? regularization?.problem
    }
}

/// How data-parallel training sends its gradients.
public enum GradientExchange: String, Codable, CaseIterable, Sendable {
    /// Single precision, as computed.
    case float32
    /// bfloat16 (the top 16 bits of a float): half the bytes, float32's range, about 3 significant digits.
    case bfloat16
}

/// Where a training run is: everything besides weights, moments and hidden state that resuming needs.
public struct TrainingState: Codable, Sendable, Equatable {
    /// Updates applied.
    public var step = 0
    /// Completed epochs.
    public var epoch = 0
    /// The next batch within the epoch.
    public var batchInEpoch = 0
    /// Training tokens consumed.
    public var tokensSeen = 0
    /// State of the generator that draws dropout masks.
    public var rngState: UInt64 = 0
    /// Best validation loss so far (nats per token), if any evaluation has run.
    public var bestValidationLoss: Double? = nil
    /// The latest validation loss.
    public var lastValidationLoss: Double? = nil
    /// Validations in a row since the best one (counted only when `TrainingConfig.patience` is set; nil before).
    /// Saved in checkpoints, so a resumed run stops where the whole run would have.
    public var validationsSinceBest: Int? = nil
    /// Training time so far, in seconds. Not saved in checkpoints, so the same command with the same seed
    /// writes the same bytes; a resumed run counts its time from zero.
    public var elapsedSeconds = 0.0

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case step, epoch, batchInEpoch, tokensSeen, rngState, bestValidationLoss, lastValidationLoss
        case validationsSinceBest
    }
}

/// The model a fine-tuned run started from: its lineage, shown by `charrnn info`.
public struct BaseModel: Codable, Sendable, Equatable {
    /// The base checkpoint's file name (the last part of the path it was given as).
    public var name: String
    /// SHA-256 of the base checkpoint's bytes, in hexadecimal (`sha256sum` prints the same).
    public var sha256: String
    /// Ids of the base's vocabulary, `<unk>` included: the ids below this are the base's, with its rows.
    public var vocabularySize: Int
    /// Tokens the fine-tuning text added to the vocabulary.
    public var addedTokens: Int

    public init(name: String, sha256: String, vocabularySize: Int, addedTokens: Int) {
        (self.name, self.sha256, self.vocabularySize, self.addedTokens) = (name, sha256, vocabularySize, addedTokens)
    }
}
