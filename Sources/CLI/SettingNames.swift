// The library names settings by their fields (`Setting`); the CLI words every library error with its own flags,
// so a user reads "--hidden must be at least 1, got 0", never a field name.
import CharRNN

extension Setting {
    /// The flag that gives this setting (the few without one, as words).
    var flag: String {
        switch self {
        case .vocabularySize: return "the vocabulary size"
        case .cell: return "--cell"
        case .layers: return "--layers"
        case .hiddenSize: return "--hidden"
        case .embeddingSize: return "--embedding"
        case .dropout: return "--dropout"
        case .batchSize: return "--batch-size"
        case .sequenceLength: return "--seq-length"
        case .validationFraction: return "--val-frac"
        case .optimizer: return "--optimizer"
        case .seed: return "--seed"
        case .learningRate: return "--learning-rate"
        case .weightDecay: return "--weight-decay"
        case .schedule: return "--lr-schedule"
        case .stepEvery: return "--lr-step-every"
        case .stepFactor: return "--lr-decay"
        case .warmupSteps: return "--warmup-steps"
        case .minimumFactor: return "--min-lr-factor"
        case .decaySteps: return "--lr-decay-steps"
        case .gradientClip: return "--grad-clip"
        case .clipMode: return "--clip-mode"
        case .evaluateEvery: return "--eval-every"
        case .evaluationTokens: return "--eval-tokens"
        case .gradientExchange: return "--gradient-exchange"
        case .maxSteps: return "--max-steps"
        case .maxEpochs: return "--max-epochs"
        case .maxSeconds: return "--max-time"
        case .patience: return "--patience"
        case .dropoutMasks: return "--dropout-masks"
        case .inputDropout: return "--input-dropout"
        case .outputDropout: return "--output-dropout"
        case .weightDrop: return "--weight-drop"
        case .embeddingDropout: return "--embedding-dropout"
        case .temperature: return "--temperature"
        case .topK: return "--top-k"
        case .topP: return "--top-p"
        case .unit: return "--unit"
        case .normalization: return "--normalize"
        case .strictUTF8: return "--strict-utf8"
        case .segmentLength: return "--dynamic-segment"
        case .dynamicLearningRate: return "--dynamic-lr"
        case .dynamicDecay: return "--dynamic-decay"
        // The server's request fields; no command takes them.
        case .choices: return "the number of choices"
        case .maxTokens: return "the token limit"
        case .topLogprobs: return "the number of top log-probabilities"
        }
    }
}

/// `error`'s message for a user of the CLI: settings named by their flags.
func userMessage(_ error: any Error) -> String {
    if let error = error as? any NamesSettings { return error.worded(\.flag) }
    return String(describing: error)
}

/// `settings` as a sentence's list of flags: "--a, --b and --c".
func flagList(_ settings: [Setting]) -> String { listed(settings, \.flag) }
