// Everything a run needs before its first update, for one process or every rank of an MPI job: the checkpoint to
// resume and the corpus (rank 0 reads them and sends them to the others, so they need to exist only where rank 0
// runs), and the model and training configurations from the options: a new run's, or the checkpoint's under the
// resume policy (TrainingOptions). Rank 0 works the configurations out, so the ranks can never disagree on them;
// a failure on rank 0 fails every rank with it; so does choosing automatic settings (AutomaticSettings), which
// rank 0 alone times. Then `makeTrainer` gives each rank its Trainer.
import Foundation

/// A run ready to train: the corpus, the checkpoint it continues (if any) and its configurations.
public struct TrainingSetup {
    /// The processes training together (`.single` for one).
    public let group: ProcessGroup
    /// The encoded corpus (in the checkpoint's vocabulary when resuming).
    public let corpus: Corpus
    /// The checkpoint this run continues, or nil for a new run.
    public let checkpoint: Checkpoint?
    public let model: ModelConfig
    public let training: TrainingConfig
    /// When resuming, each setting that differs from the checkpoint's (for the user to see).
    public let changes: [SettingChange]
    /// A fine-tuned run's starting weights (the base model grown to `corpus.vocabulary`), else nil.
    public let weights: Checkpoint?

    /// Reads the checkpoint and the corpus on rank 0, shares them, and resolves the configurations.
    ///
    /// - Parameters:
    ///   - options: the run as the user asked for it.
    ///   - resume: the path of a checkpoint to continue, or nil for a new run.
    ///   - initFrom: a new run's base model (fine-tuning: `FineTuning.swift`), or nil for random weights. Its
    ///     shape and tokenizer replace `tokenizer` and the model options (which must agree with them).
    ///   - text: the corpus's text (called on rank 0 only).
    ///   - tokenizer: how a new run tokenizes the text (a resumed run uses the checkpoint's vocabulary).
    ///   - limits: a new run's vocabulary limits.
    ///   - group: the processes training together. Default: this process alone.
    ///   - threads: the threads each process trains with; with `options.automatic` and a time budget, rank 0
    ///     times candidate models with them (the other ranks wait). Default 1.
    /// - Throws: `ResumeError` (naming the checkpoint) when the checkpoint cannot continue on this corpus with
    ///   these options; `SettingError` and `TrainingOptionsError` for settings that cannot work; the corpus's and
    ///   the checkpoint's own read errors; `DistributedError` when the processes fail.
    public init(
        options: TrainingOptions, resume: String?, text: () throws -> TextSource, tokenizer: TokenizerConfig,
        limits: VocabularyLimits = VocabularyLimits(), group: ProcessGroup = .single, threads: Int = 1,
        initFrom: InitialModel? = nil
    ) throws {
        if resume != nil && initFrom != nil { throw FineTuningError.withResume }
        let checkpoint = try resume.map { try group.checkpointFromRoot($0) }
        let base = try initFrom.map { try group.checkpointFromRoot($0.path) }
        if let initFrom, let base { try group.onRoot { try initFrom.check(options, against: base) } }
        let corpus = try group.corpusFromRoot {
            if let checkpoint { return try Corpus.load(from: text(), vocabulary: checkpoint.vocabulary) }
            if let base {
                return try Corpus.load(
                    from: text(), extending: base.vocabulary, limits: limits, strictUTF8: tokenizer.strictUTF8
                ).corpus
            }
            return try Corpus.load(from: text(), tokenizer: tokenizer, limits: limits)
        }
        // Every rank grows the base the same way from the same corpus.
        let weights = base?.grown(to: corpus.vocabulary, textTokens: corpus.ids.count)
        let resolved = try group.fromRoot {
            guard let checkpoint, let resume else {
                guard let initFrom, let base else {
                    return try Self.newRun(options, corpus: corpus, ranks: group.size, threads: threads)
                }
                var run = try Self.newRun(
                    initFrom.shaped(options, by: base), corpus: corpus, ranks: group.size, threads: threads)
                run.training.baseModel = try initFrom.lineage(base: base, vocabulary: corpus.vocabulary)
                return run
            }
            do {
                if corpus.unknownCount > 0 { throw TrainingError.tokensOutsideVocabulary(corpus.unknownCount) }
                let (model, training, changes) = try options.resuming(checkpoint)
                if let problem = training.problem { throw problem }
                return Resolved(model: model, training: training, changes: changes)
            } catch let error as any NamesSettings {
                throw ResumeError(checkpoint: resume, reason: error)
            }
        }
        self.group = group
        self.corpus = corpus
        self.checkpoint = checkpoint
        self.weights = weights
        (model, training, changes) = (resolved.model, resolved.training, resolved.changes)
    }

    /// This process's trainer for the run, writing to `runDirectory` (see `Trainer.init`). A new run with
    /// automatic settings starts its clock at the seconds their measurements took, so a time limit covers them.
    public func makeTrainer(runDirectory: String, threads: Int) throws -> Trainer {
        let trainer = try Trainer(
            corpus: corpus, model: model, training: training, runDirectory: runDirectory, resume: checkpoint,
            weights: weights, threads: threads, group: group)
        if checkpoint == nil { trainer.state.elapsedSeconds = training.automatic?.measuringSeconds ?? 0 }
        return trainer
    }

    /// A new run's configurations: the options over the defaults, or, with `options.automatic`, over the settings
    /// `AutomaticSettings` chooses for this corpus (timing candidates on this process, with `threads`, on its
    /// share of the batch).
    private static func newRun(
        _ options: TrainingOptions, corpus: Corpus, ranks: Int, threads: Int
    ) throws
        -> Resolved
    {
        var options = options
        var choice: AutomaticChoice?
        if options.automatic {
            let split = try CorpusSplit(
                tokenCount: corpus.ids.count,
                validationFraction: options.validationFraction ?? TrainingConfig().validationFraction)
            (options, choice) = try AutomaticSettings.choose(
                options, trainingTokens: split.training.count, validationTokens: split.validation.count,
                vocabularySize: corpus.vocabulary.count, ranks: ranks
            ) { model, training, seconds in
                var share = training
                share.batchSize = max(1, training.batchSize / ranks)
                let directory = FileManager.default.temporaryDirectory
                    .appendingPathComponent("charrnn-timing-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let trainer = try Trainer(
                    corpus: corpus, model: model, training: share, runDirectory: directory, threads: threads)
                return try trainer.measureSecondsPerUpdate(seconds: seconds)
            }
        }
        var training = try options.newRun()
        training.automatic = choice
        return Resolved(model: options.model(vocabularySize: corpus.vocabulary.count), training: training, changes: [])
    }

    /// The configurations as rank 0 sends them to the others.
    private struct Resolved: Codable {
        var model: ModelConfig
        var training: TrainingConfig
        var changes: [SettingChange]
    }
}

/// A checkpoint that cannot continue on this corpus with these options: the checkpoint's path and why.
public struct ResumeError: NamesSettings {
    public var checkpoint: String
    public var reason: any NamesSettings

    public func worded(_ name: (Setting) -> String) -> String { "\(checkpoint): \(reason.worded(name))" }
}

extension ProcessGroup {
    /// The MPI job this process was started in (`joinMPI`), or this process alone when no MPI launcher started it.
    public static func joinIfLaunched() throws(DistributedError) -> ProcessGroup {
        launchedByMPI ? try joinMPI() : .single
    }
}
