// Settings as values: which setting, the value given, and the limit it breaks. The library names a setting by
// its field (`Setting`); each front end words it for its own users (the CLI as a flag, the server as a JSON field),
// so no message in the library names a flag or a field of a protocol.

/// A setting of the library's configurations, as errors and resume reports name it. The raw value is the field's
/// name in its configuration (`ModelConfig`, `TrainingConfig`, `Regularization`, `TokenizerConfig`,
/// `SamplingConfig`, `DynamicEvaluation`, `GenerationRequest`).
public enum Setting: String, Sendable, CaseIterable, Codable {
    // ModelConfig
    case vocabularySize, cell, layers, hiddenSize, embeddingSize, dropout
    // TrainingConfig: the data layout, the optimizer and the seed
    case batchSize, sequenceLength, validationFraction, optimizer, seed
    // TrainingConfig: how training goes on
    case learningRate, weightDecay, schedule, stepEvery, stepFactor, warmupSteps, minimumFactor, decaySteps
    case gradientClip, clipMode, evaluateEvery, evaluationTokens, gradientExchange
    // TrainingConfig: when to stop
    case maxSteps, maxEpochs, maxSeconds, patience
    // Regularization
    case dropoutMasks, inputDropout, outputDropout, weightDrop, embeddingDropout
    // SamplingConfig
    case temperature, topK, topP
    // Reading text (TokenizerConfig)
    case unit, normalization, strictUTF8
    // DynamicEvaluation
    case segmentLength, dynamicLearningRate, dynamicDecay
    // GenerationRequest
    case choices, maxTokens, topLogprobs
}

/// A setting's value as given, for messages.
public enum SettingValue: Sendable, Equatable, CustomStringConvertible {
    case integer(Int)
    case real(Double)

    public var description: String {
        switch self {
        case .integer(let n): return "\(n)"
        case .real(let x): return "\(x)"
        }
    }
}

/// What a setting must be.
public enum SettingLimit: Sendable, Equatable, CustomStringConvertible {
    /// An integer at least this.
    case atLeast(Int)
    /// An integer at most this.
    case atMost(Int)
    /// An integer in this range.
    case between(Int, Int)
    /// A finite number above 0.
    case positive
    /// 0 or a number above it.
    case zeroOrPositive
    /// 0 (which turns the feature off) or a number above it.
    case offOrPositive
    /// A number in [0, 1] with the ends included as given: [0, 1), (0, 1] or [0, 1].
    case fraction(includingZero: Bool, includingOne: Bool)
    /// A multiple of this count of processes, so each trains the same share.
    case multipleOfRanks(Int)

    public var description: String {
        switch self {
        case .atLeast(let n): return "at least \(n)"
        case .atMost(let n): return "at most \(n)"
        case .between(let a, let b): return "\(a) to \(b)"
        case .positive: return "positive"
        case .zeroOrPositive: return "0 or positive"
        case .offOrPositive: return "0 (off) or positive"
        case .fraction(let zero, let one): return "in \(zero ? "[" : "(")0, 1\(one ? "]" : ")")"
        case .multipleOfRanks(let n): return "a multiple of the \(n) ranks"
        }
    }
}

/// A setting outside what works: which one, the value given and the limit it breaks.
public struct SettingError: NamesSettings, Sendable, Equatable {
    public var setting: Setting
    public var value: SettingValue
    public var limit: SettingLimit

    public init(_ setting: Setting, _ value: SettingValue, _ limit: SettingLimit) {
        self.setting = setting
        self.value = value
        self.limit = limit
    }

    /// The error when `value` breaks `limit`, or nil.
    static func check(_ setting: Setting, _ value: Int, _ limit: SettingLimit) -> SettingError? {
        let holds: Bool
        switch limit {
        case .atLeast(let n): holds = value >= n
        case .atMost(let n): holds = value <= n
        case .between(let a, let b): holds = value >= a && value <= b
        case .multipleOfRanks(let n): holds = value % n == 0
        default: holds = check(setting, Double(value), limit) == nil
        }
        return holds ? nil : SettingError(setting, .integer(value), limit)
    }

    /// The error when `value` breaks `limit`, or nil (NaN breaks every limit).
    static func check(_ setting: Setting, _ value: Double, _ limit: SettingLimit) -> SettingError? {
        let holds: Bool
        switch limit {
        case .atLeast(let n): holds = value >= Double(n)
        case .atMost(let n): holds = value <= Double(n)
        case .between(let a, let b): holds = value >= Double(a) && value <= Double(b)
        case .positive: holds = value > 0 && value.isFinite
        case .zeroOrPositive, .offOrPositive: holds = value >= 0
        case .fraction(let zero, let one):
            holds = (zero ? value >= 0 : value > 0) && (one ? value <= 1 : value < 1)
        case .multipleOfRanks: holds = false
        }
        return holds ? nil : SettingError(setting, .real(value), limit)
    }

    public func worded(_ name: (Setting) -> String) -> String { "\(name(setting)) must be \(limit), got \(value)" }
}

/// An error whose message names settings. `description` names them by their fields ("hiddenSize must be at least
/// 1, got 0"); a front end words the same message with its own names: the CLI with its flags, the server with its
/// JSON fields.
public protocol NamesSettings: Error, CustomStringConvertible {
    /// The message, each setting in it called `name(setting)`.
    func worded(_ name: (Setting) -> String) -> String
}

extension NamesSettings {
    public var description: String { worded(\.rawValue) }
}

/// `settings` as a sentence's list, each called `name(setting)`: "a", "a and b", "a, b and c".
public func listed(_ settings: [Setting], _ name: (Setting) -> String) -> String {
    let names = settings.map(name)
    guard let last = names.last, names.count > 1 else { return names.first ?? "" }
    return names.dropLast().joined(separator: ", ") + " and " + last
}

/// A setting given two values: this run's and a checkpoint's (resuming).
public struct SettingChange: Sendable, Equatable, Codable {
    public var setting: Setting
    /// This run's value, for messages.
    public var value: String
    /// The checkpoint's value, for messages.
    public var checkpoint: String

    public init(_ setting: Setting, value: String, checkpoint: String) {
        self.setting = setting
        self.value = value
        self.checkpoint = checkpoint
    }
}
