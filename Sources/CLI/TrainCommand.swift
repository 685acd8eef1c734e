// `charrnn train`: flags → TrainingOptions; the library joins the MPI job when there is one, reads the corpus and
// resolves a new run or a resumed one (TrainingSetup), then trains (Trainer); progress on stderr. Interrupts.swift
// says what SIGINT and SIGTERM do.
import ArgumentParser
import CharRNN
import Foundation

extension CellKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension ClipMode: ExpressibleByArgument {}
extension TrainingOptions.ScheduleKind: ExpressibleByArgument {}
extension GradientExchange: ExpressibleByArgument {}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a character-level language model on a corpus.",
        discussion: """
            Writes RUN_DIR/latest.safetensors (every evaluation), RUN_DIR/best.safetensors (lowest validation \
            loss) and RUN_DIR/metrics.jsonl (one JSON line per evaluation). With no limit given, trains 20 minutes.

            --resume continues a run with the checkpoint's \(flagList(TrainingOptions.keptOnResume)): giving \
            them other values is an error. \(flagList(TrainingOptions.changeableOnResume)) may change (each \
            change is reported), and the limits (--max-steps, --max-epochs, --max-time) are this command's own.

            A new run chooses what is not given for its corpus and budget (--max-steps, --max-epochs or \
            --max-time; 20 minutes with none): model size, regularisation, learning rate and its cosine schedule, \
            batch and sequence length, validations. It prints what it chose, why, and the flags that repeat the \
            run; --no-auto takes the fixed defaults shown below instead (and 10 epochs with no limit).

            Started by mpirun or srun, N processes train one model, each on B/N of the --batch-size B streams \
            (README: Training on many machines).

            Examples:
              charrnn train corpora/classical-zh.txt -o runs/poems --max-time 120
              cat corpus.txt | charrnn train -o runs/mine --hidden 512 --max-steps 2000
              charrnn train corpus.txt -o runs/mine --resume runs/mine/latest.safetensors --learning-rate 1e-3
              charrnn train my-poems.txt -o runs/poems --init-from models/fortunes-en.safetensors --max-time 300
            """)

    @OptionGroup(title: "Input") var input: CorpusInputOptions
    @OptionGroup(title: "Tokenizer") var tokenizer: TokenizerOptions

    @Option(
        name: [.customShort("o"), .customLong("output")],
        help: ArgumentHelp("Run directory for checkpoints and metrics.", valueName: "dir"))
    var runDirectory = "runs/run"
    @Option(
        help: ArgumentHelp(
            "Continue training from this checkpoint (its model and data layout are kept).", valueName: "checkpoint"))
    var resume: String?
    @Option(
        help: ArgumentHelp(
            "Fine-tune: start from this trained or exported model's weights (its shape and tokenizer; tokens the "
                + "text adds grow its vocabulary) with a fresh optimizer and schedule.", valueName: "checkpoint"))
    var initFrom: String?

    // Every training flag is optional, so a resumed run can tell a flag given from a default. The defaults shown
    // are ModelConfig's and TrainingConfig's.
    @Option(help: "Recurrent cell: lstm, gru or rnn. (default: lstm)") var cell: CellKind?
    @Option(help: "Stacked recurrent layers. (default: 2)") var layers: Int?
    @Option(help: "Hidden units per layer. (default: 256)") var hidden: Int?
    @Option(help: "Embedding width. (default: 64)") var embedding: Int?
    @OptionGroup(title: "Regularisation") var regularization: RegularizationOptions
    @Option(help: "Largest vocabulary, <unk> included (default: no limit).") var maxVocab: Int?
    @Option(help: "Map tokens seen fewer times to <unk>.") var minCount = 1

    @Option(help: "Parallel streams per batch. (default: 50)") var batchSize: Int?
    @Option(help: "Time steps per update (truncated BPTT length). (default: 50)") var seqLength: Int?
    @Option(help: "Optimizer: adam, rmsprop or sgd. (default: adam)") var optimizer: OptimizerKind?
    @Option(help: "Base learning rate. (default: 0.002)") var learningRate: Double?
    @Option(help: "Decoupled weight decay. (default: 0)") var weightDecay: Double?
    @Option(help: "Learning-rate schedule: constant, step or cosine. (default: constant)")
    var lrSchedule: TrainingOptions.ScheduleKind?
    @Option(help: "step schedule: decay every n updates. (default: 1000)") var lrStepEvery: Int?
    @Option(help: "step schedule: multiply the rate by this. (default: 0.5)") var lrDecay: Double?
    @Option(help: "cosine schedule: warm-up updates. (default: 100)") var warmupSteps: Int?
    @Option(help: "cosine schedule: final rate as a fraction of the base. (default: 0.1)") var minLrFactor: Double?
    @Option(
        help: ArgumentHelp(
            "cosine schedule: the update where the decay ends (default: --max-steps, else 10000). Set it to stop "
                + "early and resume onto the same schedule."))
    var lrDecaySteps: Int?
    @Option(help: "Gradient clipping threshold (0 disables). (default: 5)") var gradClip: Double?
    @Option(help: "Clip the global norm (norm) or each element (value, as char-rnn). (default: norm)") var clipMode:
        ClipMode?

    @Option(help: "Fraction of the text held out for validation (the end). (default: 0.1)") var valFrac: Double?
    @Option(help: "Validate and checkpoint every n updates. (default: 500)") var evalEvery: Int?
    @Option(help: "Validate on at most n tokens (default: the whole split).") var evalTokens: Int?
    @Option(help: "Stop after n updates.") var maxSteps: Int?
    @Option(help: "Stop after n epochs.") var maxEpochs: Int?
    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds")) var maxTime: Double?
    @Option(
        help: ArgumentHelp(
            "Stop early after n validations in a row without a new best validation loss (default: off).",
            valueName: "n"))
    var patience: Int?
    @Option(help: "Random seed (initialization, dropout). (default: 1)") var seed: UInt64?
    @Option(
        help: ArgumentHelp(
            "With several MPI ranks, how gradients cross the network: float32, or bfloat16 in half the bytes. "
                + "(default: float32)", valueName: "float32|bfloat16"))
    var gradientExchange: GradientExchange?
    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Choose the settings not given for this corpus and budget; --no-auto: the fixed defaults. A resumed run "
                + "keeps its checkpoint's."))
    var auto = true
    @Option(help: "Threads for matrix products, gate math and the update (default: all cores).") var threads: Int?
    @Flag(help: "Print nothing while training.") var quiet = false

    /// The flags as the library's options: nil where not given.
    var options: TrainingOptions {
        var o = TrainingOptions()
        (o.cell, o.layers, o.hiddenSize, o.embeddingSize) = (cell, layers, hidden, embedding)
        regularization.apply(to: &o)
        (o.batchSize, o.sequenceLength, o.validationFraction, o.optimizer, o.seed) = (
            batchSize, seqLength, valFrac, optimizer, seed
        )
        (o.learningRate, o.weightDecay, o.gradientClip, o.clipMode) = (learningRate, weightDecay, gradClip, clipMode)
        (o.schedule, o.stepEvery, o.stepFactor) = (lrSchedule, lrStepEvery, lrDecay)
        (o.warmupSteps, o.minimumFactor, o.decaySteps) = (warmupSteps, minLrFactor, lrDecaySteps)
        (o.evaluateEvery, o.evaluationTokens, o.gradientExchange) = (evalEvery, evalTokens, gradientExchange)
        o.patience = patience
        o.automatic = auto && resume == nil
        (o.maxSteps, o.maxEpochs, o.maxSeconds) = (maxSteps, maxEpochs, maxTime)
        return o
    }

    func validate() throws {
        if resume != nil && initFrom != nil {
            throw ValidationError(
                "--init-from starts a new run from a model's weights and --resume continues a run: give one of them")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let maxVocab, maxVocab < 2 { throw ValidationError("--max-vocab must be at least 2, got \(maxVocab)") }
        if minCount < 1 { throw ValidationError("--min-count must be at least 1, got \(minCount)") }
        do {
            if let problem = try options.model(vocabularySize: 2).problem ?? options.newRun().problem {
                throw ValidationError(userMessage(problem))
            }
        } catch let error as TrainingOptionsError {
            throw ValidationError(userMessage(error))
        }
    }

    func run() throws {
        // Under mpirun or srun every rank runs this; rank 0 reads the corpus and the checkpoint and writes every
        // file, and the others get what they need from it (TrainingSetup).
        let group = try reportingFailures { try ProcessGroup.joinIfLaunched() }
        joinedGroup = group
        let quiet = self.quiet || !group.isRoot
        try reportingFailures { try group.checkSameArguments(CommandLine.arguments) }
        // The host's cores shared among the ranks on it.
        let threads = self.threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / group.localSize)
        let setup = try reportingFailures {
            try TrainingSetup(
                options: options, resume: resume, text: { try input.source() }, tokenizer: tokenizer.config,
                limits: VocabularyLimits(maxSize: maxVocab, minCount: minCount), group: group, threads: threads,
                initFrom: initFrom.map {
                    InitialModel(path: $0, unit: tokenizer.unit, normalization: tokenizer.normalize)
                })
        }
        if group.isRoot { warnAboutInvalidUTF8(setup.corpus.statistics) }
        for change in setup.changes where !quiet {
            Terminal.note("resuming with \(change.setting.flag) \(change.value) (checkpoint: \(change.checkpoint))")
        }
        let (corpus, model, training) = (setup.corpus, setup.model, setup.training)
        if let base = training.baseModel, !quiet {
            let added = base.addedTokens
            let unknown =
                corpus.unknownCount > 0
                ? "; \(corpus.unknownCount.grouped) occurrences of tokens --max-vocab or --min-count left out are "
                    + "<unk>"
                : ""
            Terminal.note(
                "fine-tuning \(base.name) (sha256 \(base.sha256.prefix(12))…): its \(base.vocabularySize.grouped) ids "
                    + "kept, \(added.grouped) token\(added == 1 ? "" : "s") the text adds appended\(unknown)")
        }
        if resume == nil, let choice = training.automatic, !quiet {
            let chosen = choice.flags(model: model, training: training)
            Terminal.note(
                "automatic settings \(choice.reason): \(chosen.joined(separator: " ")) (--no-auto: the defaults)")
            let given = Array(CommandLine.arguments.dropFirst().drop { $0 != "train" }.dropFirst())
            Terminal.note("to repeat this run: charrnn train \(shellWords(given + chosen))")
        }
        let trainer = try reportingFailures { try setup.makeTrainer(runDirectory: runDirectory, threads: threads) }
        // From here a signal stops training with a checkpoint (set before the banner, so a signal sent on seeing
        // the banner is never taken for one before training).
        Interrupts.trainingStarted.store(true, ordering: .releasing)
        let progress = Progress(quiet: quiet)
        if !quiet {
            let ranks =
                group.size > 1
                ? "\(group.size) ranks on \(group.hosts) host\(group.hosts == 1 ? "" : "s") × \(threads) threads"
                : "\(threads) threads"
            Terminal.writeError(
                "charrnn: \(corpus.statistics.tokens.grouped) tokens, vocabulary \(corpus.vocabulary.count), "
                    + "\(trainer.model.parameters.count.grouped) parameters (\(model.layers)×\(model.hiddenSize) "
                    + "\(model.cell.rawValue)); \(ranks), OpenBLAS \(BLASCore.name) kernels; writing to "
                    + "\(runDirectory)\n"
            )
        }
        let final = try reportingFailures {
            try trainer.run(report: progress.show, shouldStop: { Interrupts.requested })
        }
        progress.finish()
        let plot = group.isRoot ? drawPlot(evaluateEvery: training.evaluateEvery) : nil
        if trainer.interrupted {
            if group.isRoot {
                Terminal.writeError(
                    "charrnn: interrupted at step \(final.step); saved \(runDirectory)/latest.safetensors. Resume "
                        + "with: charrnn train CORPUS -o \(runDirectory) --resume \(runDirectory)/latest.safetensors\n"
                )
            }
            throw ExitCode(130)
        }
        if !quiet, trainer.stoppedEarly, let patience = training.patience {
            Terminal.writeError(
                "charrnn: stopped early at step \(final.step): \(patience) validation\(patience == 1 ? "" : "s") in "
                    + "a row brought no better loss than the best (--patience \(patience)); best.safetensors holds it\n"
            )
        }
        if !quiet {
            let best =
                final.bestValidationLoss.map { String(format: "%.4f nats (%.4f bits) per token", $0, $0 / log(2)) }
                ?? "no validation split"
            Terminal.writeError(
                "charrnn: trained \(final.step) steps in \(String(format: "%.1f", final.elapsedSeconds)) s; best "
                    + "validation loss \(best)\n"
            )
            Terminal.writeError(
                "charrnn: checkpoints \(runDirectory)/best.safetensors and latest.safetensors, metrics "
                    + "\(runDirectory)/metrics.jsonl\(plot.map { ", plot \($0)" } ?? "")\n"
            )
            if let p = trainer.profile {
                Terminal.note(
                    String(
                        format: "per update: compute %.1f ms, all-reduce %.1f ms, waiting for other ranks %.1f ms; "
                            + "%.1f MB summed over %d ranks", p.compute * 1e3, p.allReduce * 1e3, p.waiting * 1e3,
                        Double(p.bytes) / 1e6, p.ranks))
            }
        }
    }

    /// Draws RUN_DIR/loss.svg and returns its path; nil (saying why, unless quiet) when there is nothing to draw
    /// yet or it cannot be drawn: the plot costs nothing that matters, so a failure is a warning.
    func drawPlot(evaluateEvery: Int) -> String? {
        guard FileManager.default.fileExists(atPath: runDirectory + "/metrics.jsonl") else {
            if !quiet { Terminal.note("no loss plot yet: the first validation comes at step \(evaluateEvery)") }
            return nil
        }
        do { return try LossPlot.write(runDirectory: runDirectory) } catch {
            Terminal.warning("no loss plot: \(error)")
            return nil
        }
    }
}

/// The progress display: one live line on a terminal; otherwise a plain line at each evaluation and at least
/// once a minute.
final class Progress {
    let quiet: Bool
    let live = isatty(2) == 1
    var drawn = false
    var lastPlainLine = Date()

    init(quiet: Bool) { self.quiet = quiet }

    func show(_ e: TrainingEvent) {
        guard !quiet else { return }
        // The total is exact for a step or epoch limit, estimated (~) when the time limit comes first.
        let exact = e.totalSteps != nil && e.expectedTotalSteps == e.totalSteps
        let total = e.expectedTotalSteps.map { "/\(exact ? "" : "~")\($0)" } ?? ""
        let validation = e.validationLoss.map { String(format: "%.4f", $0) } ?? "—"
        var eta = ""
        if let seconds = e.secondsRemaining {
            eta = String(format: "  ETA %dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
        }
        let line = String(
            format: "step %d%@  epoch %.2f  train %.4f  val %@  %.0f tok/s  |g| %.2f%@", e.step, total, e.epoch,
            e.trainLoss, validation, e.tokensPerSecond, e.gradientNorm, eta)
        if live {
            Terminal.writeError("\r\u{1B}[K" + line)
            drawn = true
            if e.kind == .evaluation { Terminal.writeError("\n"); drawn = false }
        } else if e.kind == .evaluation || Date().timeIntervalSince(lastPlainLine) >= 60 {
            Terminal.writeError(line + "\n")
            lastPlainLine = Date()
        }
    }

    func finish() {
        if drawn { Terminal.writeError("\n") }
    }
}
