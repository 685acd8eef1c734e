// Automatic settings: a new run's model, regularisation and schedule chosen for its corpus and its budget, so a
// user who gives only a text and a time gets the recipe the quality benchmark uses, sized to both. Every setting
// the user gives is kept and the rest are chosen around it. The rule is a small table, measured
// (BENCHMARKS.md: Automatic settings): the layout first (sequences of 100, batches of 50 unless the text is too
// short for them), then the largest hidden size the text can use whose run still makes enough updates in the
// budget, then the regularisation and learning rate by the epochs that run makes, and a cosine decay that ends
// where the budget does.
//
// A step or epoch limit makes the choice a pure function of the corpus's size and the count, the same anywhere. A
// time limit (or none: `defaultSeconds`) needs the updates that fit, so the candidate model is timed on this
// machine for a few updates (`Measure`), within a few percent of the time; the run after the choice is as
// deterministic as any run given those settings as flags.

/// What a new run may spend, as its limits give it.
public enum TrainingBudget: Codable, Sendable, Equatable {
    /// A step or epoch limit, in updates.
    case updates(Int)
    /// A time limit, in seconds.
    case seconds(Double)

    // In JSON (checkpoints, `charrnn info --json`): {"updates": 2000} or {"seconds": 300}.
    private enum CodingKeys: String, CodingKey { case updates, seconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let u = try c.decodeIfPresent(Int.self, forKey: .updates) {
            self = .updates(u)
        } else {
            self = .seconds(try c.decode(Double.self, forKey: .seconds))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .updates(let u): try c.encode(u, forKey: .updates)
        case .seconds(let s): try c.encode(s, forKey: .seconds)
        }
    }
}

/// What the automatic settings chose and why. Stored in the checkpoint's training configuration
/// (`TrainingConfig.automatic`) and shown by `charrnn info`.
public struct AutomaticChoice: Codable, Sendable, Equatable {
    /// Tokens in the training split.
    public var trainingTokens: Int
    /// The budget the choice was sized for.
    public var budget: TrainingBudget
    /// Whether `budget` is `AutomaticSettings.defaultSeconds` because no limit was given.
    public var defaultBudget: Bool
    /// Seconds per update of the chosen model, measured on this machine (time budgets only).
    public var secondsPerUpdate: Double?
    /// Seconds of the measurements counted within the time limit: the time they took, at most
    /// `AutomaticSettings.measuringShare` of the limit (time budgets only).
    public var measuringSeconds: Double?
    /// The updates the run is planned for: where the cosine decay ends.
    public var updates: Int
    /// The passes over the training split those updates make.
    public var epochs: Double
    /// The settings that were chosen; the others were given.
    public var chosen: [Setting]
}

/// The rule behind automatic settings (see the file's header). `choose` applies it.
public enum AutomaticSettings {
    /// Times `model` training with `training` on this machine, spending at most about `seconds`: returns the
    /// seconds per update and the seconds spent.
    public typealias Measure = (_ model: ModelConfig, _ training: TrainingConfig, _ seconds: Double) throws -> (
        perUpdate: Double, spent: Double
    )

    /// The budget when no limit is given: 20 minutes.
    public static let defaultSeconds = 1200.0
    /// Sequence length: 100, the quality recipe's (long enough to learn a line's structure).
    public static let sequenceLength = 100
    /// Streams per batch: 50 for a text of `fullBatchTokens` training tokens or more, fewer below (`batch`).
    public static let batchSize = 50
    /// The training tokens from which a batch has `batchSize` streams.
    public static let fullBatchTokens = 400_000
    /// Stacked layers: 2.
    public static let layers = 2
    /// The hidden sizes the rule chooses from.
    public static let hiddenSizes = [128, 256, 384, 512, 640]
    /// The largest hidden size a text can use, by training tokens: the first row whose bound the text is within.
    public static let largestHidden: [(tokens: Int, hidden: Int)] = [
        (50_000, 128), (300_000, 384), (Int.max, 640),
    ]
    /// In a time budget, a larger model is chosen only while its run still makes this many updates: on 100 KB of
    /// English in 5 minutes, 2×256 for 1,700 updates beat 2×384 for 875 and 2×512 for 500, and with half the batch
    /// for 3,400 updates did better still (BENCHMARKS.md); the quality recipe's 2×640 makes 2,800–4,600 in its
    /// hour.
    public static let minimumUpdates = 2000
    /// Regularisation and learning rate by the epochs the run makes: the last row whose `fromEpochs` it reaches.
    public static let tiers: [Tier] = [
        Tier(from: 0, rate: 0.003, dropout: 0, input: 0, output: 0, weightDrop: 0),
        Tier(from: 3, rate: 0.003, dropout: 0.15, input: 0.05, output: 0.15, weightDrop: 0.2),
        Tier(from: 18, rate: 0.002, dropout: 0.2, input: 0.1, output: 0.2, weightDrop: 0.3),
    ]
    /// The share of a time budget planned for updates; validations and checkpoints take the rest. Planning short
    /// did worse: on 100 KB texts in 5 minutes, decays planned for 85% of the time ended 0.014 and 0.048
    /// nats/char above decays planned long enough that the time cut them off at a quarter of the rate
    /// (2026-12-07, Intel Xeon; BENCHMARKS.md).
    public static let updateShare = 0.95
    /// The share of a time budget the speed measurements may take.
    public static let measuringShare = 0.03
    /// Validations planned over a run.
    public static let validations = 10
    /// Early stopping after this many of them in a row without a new best (`TrainingConfig.patience`). In the
    /// runs behind the table, a run with these settings never had more than one validation without a new best
    /// before a later one, while a run that overfits stops after three (BENCHMARKS.md).
    public static let patience = 3

    /// One row of the regularisation table: from how many epochs it applies, the learning rate, and the dropout
    /// probabilities (`ModelConfig.dropout`, `Regularization`'s input and output dropout and weight drop).
    public struct Tier: Sendable, Equatable {
        public var fromEpochs: Double
        public var learningRate: Double
        public var dropout, inputDropout, outputDropout, weightDrop: Double

        public init(from: Double, rate: Double, dropout: Double, input: Double, output: Double, weightDrop: Double) {
            (fromEpochs, learningRate, self.dropout) = (from, rate, dropout)
            (inputDropout, outputDropout, self.weightDrop) = (input, output, weightDrop)
        }
    }

    /// `given` with every setting the rule covers and the user left out filled in, and the choice (nil when every
    /// one was given: nothing is timed then).
    ///
    /// - Parameters:
    ///   - given: the run as the user asked for it (a new run's).
    ///   - trainingTokens: tokens in the training split.
    ///   - validationTokens: tokens in the validation split.
    ///   - vocabularySize: the corpus's vocabulary, `<unk>` included.
    ///   - ranks: processes training together; a chosen batch is a multiple of them.
    ///   - measure: times a candidate (called only for a time budget, at most three times).
    public static func choose(
        _ given: TrainingOptions, trainingTokens: Int, validationTokens: Int, vocabularySize: Int, ranks: Int = 1,
        measure: Measure
    ) throws -> (options: TrainingOptions, choice: AutomaticChoice?) {
        var o = given
        var chosen: [Setting] = []
        func pick<V>(_ field: WritableKeyPath<TrainingOptions, V?>, _ setting: Setting, _ value: V) {
            if o[keyPath: field] == nil {
                o[keyPath: field] = value
                chosen.append(setting)
            }
        }
        let n = max(1, trainingTokens)
        pick(\.sequenceLength, .sequenceLength, sequenceLength)
        let t = o.sequenceLength ?? sequenceLength
        pick(\.batchSize, .batchSize, batch(trainingTokens: n, sequenceLength: t, ranks: ranks))
        let b = o.batchSize ?? batchSize
        pick(\.layers, .layers, layers)
        pick(\.schedule, .schedule, .cosine)

        // The budget in updates: a step or epoch limit's, else the time's (measured, per candidate size).
        let perEpoch = max(1, n / max(1, b * t))
        let byLimit = [o.maxSteps, o.maxEpochs.map { $0 * perEpoch }].compactMap { $0 }.min()
        let seconds = o.maxSeconds ?? defaultSeconds
        var measured: (perUpdate: Double, hidden: Int, regularised: Bool)?
        var spent = 0.0
        // The measurements count within the time, up to `measuringShare` of it: on a machine so slow that two
        // updates take longer, the run still gets the rest of its time.
        var counted: Double { min(spent, seconds * measuringShare) }
        // A candidate is timed as it will train: with the regularisation it will have (dropout masks and weight
        // drop's masked copies cost a fifth of an update at 2×256), the heavier tier's until the tier is known.
        func updates(hidden: Int, regularised: Bool = true) throws -> Int {
            if let byLimit { return byLimit }
            if measured == nil || measured!.hidden != hidden || measured!.regularised != regularised {
                let candidate = o.with(hiddenSize: hidden).with(regularisation: regularised ? tiers.last! : tiers[0])
                let m = try measure(
                    candidate.model(vocabularySize: vocabularySize), try candidate.newRun(),
                    seconds * measuringShare / 3)
                spent += m.spent
                measured = (m.perUpdate, hidden, regularised)
            }
            return max(1, Int((seconds - counted) * updateShare / measured!.perUpdate))
        }
        func epochs(_ u: Int) -> Double { Double(u) * Double(b * t) / Double(n) }

        if o.hiddenSize == nil {
            let cap = largestHidden.first { n <= $0.tokens }?.hidden ?? hiddenSizes.last!
            let candidates = hiddenSizes.filter { $0 <= cap }
            var hidden = candidates.first ?? cap
            if byLimit != nil {
                hidden = candidates.last ?? cap
            } else {
                // The speeds of the smaller sizes follow from the largest's by their cost per token.
                let largest = candidates.last ?? cap
                let u = try updates(hidden: largest)
                let layers = o.layers ?? Self.layers
                func cost(_ h: Int) -> Double {
                    tokenCost(
                        cell: o.cell ?? .lstm, hidden: h, layers: layers, embedding: o.embeddingSize ?? 64,
                        vocabulary: vocabularySize)
                }
                hidden =
                    candidates.last { h in Double(u) * cost(largest) / cost(h) >= Double(minimumUpdates) }
                    ?? candidates.first ?? cap
            }
            pick(\.hiddenSize, .hiddenSize, hidden)
        }
        let left: [Any?] = [
            o.dropout, o.inputDropout, o.outputDropout, o.weightDrop, o.learningRate, o.evaluateEvery,
            o.schedule == .cosine ? o.warmupSteps : 0, o.schedule == .cosine ? o.decaySteps : 0,
        ]
        if chosen.isEmpty && !left.contains(where: { $0 == nil }) { return (o, nil) }  // nothing to choose
        var u = try updates(hidden: o.hiddenSize!)
        let tier = tiers.last { epochs(u) >= $0.fromEpochs } ?? tiers[0]
        let givenMasks = [o.dropout, o.inputDropout, o.outputDropout, o.weightDrop].contains { ($0 ?? 0) > 0 }
        if tier.weightDrop == 0 && tier.dropout == 0 && !givenMasks {
            u = try updates(hidden: o.hiddenSize!, regularised: false)  // no masks to pay for: timed again
        }
        let e = epochs(u)
        pick(\.dropout, .dropout, tier.dropout)
        pick(\.inputDropout, .inputDropout, tier.inputDropout)
        pick(\.outputDropout, .outputDropout, tier.outputDropout)
        pick(\.weightDrop, .weightDrop, tier.weightDrop)
        pick(\.learningRate, .learningRate, tier.learningRate)
        if o.schedule == .cosine {
            pick(\.warmupSteps, .warmupSteps, min(200, max(1, u / 20)))
            pick(\.decaySteps, .decaySteps, u)
        }
        pick(\.evaluateEvery, .evaluateEvery, max(1, u / validations))
        if (o.validationFraction ?? TrainingConfig().validationFraction) > 0 { pick(\.patience, .patience, patience) }
        // Validations cost at most about 1.5% of the training's tokens (a forward pass costs a third of an update's).
        let validationCap = max(20_000, Int(0.015 * Double(u) * Double(b * t)))
        if validationTokens > validationCap { pick(\.evaluationTokens, .evaluationTokens, validationCap) }
        if byLimit == nil && o.maxSeconds == nil { pick(\.maxSeconds, .maxSeconds, defaultSeconds) }
        let order = Setting.allCases
        chosen.sort { order.firstIndex(of: $0)! < order.firstIndex(of: $1)! }
        let choice = AutomaticChoice(
            trainingTokens: trainingTokens, budget: byLimit.map { .updates($0) } ?? .seconds(seconds),
            defaultBudget: byLimit == nil && given.maxSeconds == nil, secondsPerUpdate: measured?.perUpdate,
            measuringSeconds: byLimit == nil ? counted : nil, updates: u, epochs: e, chosen: chosen)
        return (o, choice)
    }

    /// Streams per batch for a text of `trainingTokens` (N): `batchSize` from `fullBatchTokens` up; below,
    /// 50·√(N / 400,000), so a smaller text gets more and smaller updates in the same time (25 at 100,000 tokens:
    /// on 100 KB of English in 5 minutes, 2×256 reached 1.861 nats/char with 25 streams, 1.938 with 50); never
    /// more than gives each stream 8 sequences per epoch; a multiple of `ranks` (at least `ranks`).
    public static func batch(trainingTokens n: Int, sequenceLength: Int, ranks: Int) -> Int {
        let scaled = Double(batchSize) * (Double(n) / Double(fullBatchTokens)).squareRoot()
        let bySize = n >= fullBatchTokens ? batchSize : max(1, Int(scaled))
        let fits = max(1, n / (8 * (sequenceLength + 1)))
        let b = min(bySize, fits)
        return max(ranks, b / ranks * ranks)
    }

    /// A model's work per token, for comparing the speeds of sizes: the multiply-adds of the forward pass (gates of
    /// every layer, decoder) and a fixed part for the rest (measured on 2 cores of an Intel Xeon (Emerald Rapids),
    /// 2026-12-07: seconds per update of 2-layer LSTMs of 128 to 640 units follow this within 10%).
    public static func tokenCost(cell: CellKind, hidden h: Int, layers: Int, embedding: Int, vocabulary: Int) -> Double
    {
        let (g, h, e, v) = (Double(cell.gateCount), Double(h), Double(embedding), Double(vocabulary))
        return g * h * (e + h) + Double(max(0, layers - 1)) * g * h * (2 * h) + h * v + v + 145_000
    }
}

extension TrainingOptions {
    /// These options with the hidden size set.
    func with(hiddenSize: Int) -> TrainingOptions {
        var o = self
        o.hiddenSize = hiddenSize
        return o
    }

    /// These options with `tier`'s regularisation wherever none is given.
    func with(regularisation tier: AutomaticSettings.Tier) -> TrainingOptions {
        var o = self
        o.dropout = o.dropout ?? tier.dropout
        o.inputDropout = o.inputDropout ?? tier.inputDropout
        o.outputDropout = o.outputDropout ?? tier.outputDropout
        o.weightDrop = o.weightDrop ?? tier.weightDrop
        return o
    }
}
