// `charrnn train`: flags → ModelConfig / TrainingConfig, then the library's Trainer; progress on stderr.
import ArgumentParser
import CharRNN
import Foundation
import Synchronization

/// Interrupts received (SIGINT, SIGTERM): the first asks training to checkpoint and stop; a second SIGINT exits
/// at once. Checkpoints are written atomically, so an immediate exit never leaves a broken one.
let interrupts = Atomic<Int>(0)

private func installInterruptHandlers() {
    let handler: @convention(c) (Int32) -> Void = { signal in
        let (count, _) = interrupts.add(1, ordering: .relaxed)
        if count >= 2 && signal == SIGINT { _exit(130) }
    }
    signal(SIGINT, handler)
    signal(SIGTERM, handler)
    // A parent may have started us with these signals blocked (the mask is inherited): unblock them.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

extension CellKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension ClipMode: ExpressibleByArgument {}

enum ScheduleKind: String, ExpressibleByArgument, CaseIterable {
    case constant, step, cosine
}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a character-level language model on a corpus.",
        discussion: """
            Writes RUN_DIR/latest.safetensors (every evaluation), RUN_DIR/best.safetensors (lowest validation \
            loss) and RUN_DIR/metrics.jsonl (one JSON line per evaluation). With no limit given, trains 10 epochs.

            Examples:
              charrnn train corpora/tang-song.txt -o runs/poems --max-time 120
              cat corpus.txt | charrnn train -o runs/mine --hidden 512 --max-steps 2000
            """)

    @OptionGroup(title: "Input") var input: CorpusInputOptions
    @OptionGroup(title: "Tokenizer") var tokenizer: TokenizerOptions

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Run directory for checkpoints and metrics.", valueName: "dir"))
    var runDirectory = "runs/run"
    @Option(help: ArgumentHelp("Continue training from this checkpoint (its model and settings are used).", valueName: "checkpoint"))
    var resume: String?

    // Model flags are optional so a resumed run can tell a flag given from a default (and refuse a conflict).
    @Option(help: "Recurrent cell: lstm, gru or rnn. (default: lstm)") var cell: CellKind?
    @Option(help: "Stacked recurrent layers. (default: 2)") var layers: Int?
    @Option(help: "Hidden units per layer. (default: 256)") var hidden: Int?
    @Option(help: "Embedding width. (default: 64)") var embedding: Int?
    @Option(help: "Dropout between recurrent layers, in [0, 1). (default: 0)") var dropout: Double?
    @Option(help: "Largest vocabulary, <unk> included (default: no limit).") var maxVocab: Int?
    @Option(help: "Map tokens seen fewer times to <unk>.") var minCount = 1

    @Option(help: "Parallel streams per batch.") var batchSize = 50
    @Option(help: "Time steps per update (truncated BPTT length).") var seqLength = 50
    @Option(help: "Optimizer: adam, rmsprop or sgd.") var optimizer: OptimizerKind = .adam
    @Option(help: "Base learning rate.") var learningRate = 2e-3
    @Option(help: "Decoupled weight decay.") var weightDecay = 0.0
    @Option(help: "Learning-rate schedule: constant, step or cosine.") var lrSchedule: ScheduleKind = .constant
    @Option(help: "step schedule: decay every n updates.") var lrStepEvery = 1000
    @Option(help: "step schedule: multiply the rate by this.") var lrDecay = 0.5
    @Option(help: "cosine schedule: warm-up updates.") var warmupSteps = 100
    @Option(help: "cosine schedule: final rate as a fraction of the base.") var minLrFactor = 0.1
    @Option(help: "cosine schedule: the update where the decay ends (default: --max-steps, else 10000). Set it to stop early and resume onto the same schedule.")
    var lrDecaySteps: Int?
    @Option(help: "Gradient clipping threshold (0 disables).") var gradClip = 5.0
    @Option(help: "Clip the global norm (norm) or each element (value, as char-rnn).") var clipMode: ClipMode = .norm

    @Option(help: "Fraction of the text held out for validation (the end).") var valFrac = 0.1
    @Option(help: "Validate and checkpoint every n updates.") var evalEvery = 500
    @Option(help: "Validate on at most n tokens (default: the whole split).") var evalTokens: Int?
    @Option(help: "Stop after n updates.") var maxSteps: Int?
    @Option(help: "Stop after n epochs.") var maxEpochs: Int?
    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds")) var maxTime: Double?
    @Option(help: "Random seed (initialization, dropout).") var seed: UInt64 = 1
    @Option(help: "Threads for matrix products, gate math and the update (default: all cores).") var threads: Int?
    @Flag(help: "Print nothing while training.") var quiet = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let maxVocab, maxVocab < 2 { throw ValidationError("--max-vocab must be at least 2, got \(maxVocab)") }
        if minCount < 1 { throw ValidationError("--min-count must be at least 1, got \(minCount)") }
        if let problem = trainingConfig.problem { throw ValidationError(problem) }
        if let problem = modelConfig(vocabularySize: 2).problem { throw ValidationError(problem) }
    }

    /// The model the flags describe, with ModelConfig's defaults for flags not given.
    func modelConfig(vocabularySize: Int) -> ModelConfig {
        let d = ModelConfig(vocabularySize: vocabularySize)
        return ModelConfig(
            vocabularySize: vocabularySize, cell: cell ?? d.cell, layers: layers ?? d.layers, hiddenSize: hidden ?? d.hiddenSize,
            embeddingSize: embedding ?? d.embeddingSize, dropout: dropout ?? d.dropout)
    }

    /// The model flags given on the command line that contradict `model` (for --resume).
    func conflicts(with model: ModelConfig) -> [String] {
        var out: [String] = []
        if let cell, cell != model.cell { out.append("--cell \(cell.rawValue) (checkpoint: \(model.cell.rawValue))") }
        if let layers, layers != model.layers { out.append("--layers \(layers) (checkpoint: \(model.layers))") }
        if let hidden, hidden != model.hiddenSize { out.append("--hidden \(hidden) (checkpoint: \(model.hiddenSize))") }
        if let embedding, embedding != model.embeddingSize { out.append("--embedding \(embedding) (checkpoint: \(model.embeddingSize))") }
        if let dropout, dropout != model.dropout { out.append("--dropout \(dropout) (checkpoint: \(model.dropout))") }
        return out
    }

    var trainingConfig: TrainingConfig {
        var c = TrainingConfig()
        c.batchSize = batchSize
        c.sequenceLength = seqLength
        c.optimizer.kind = optimizer
        c.optimizer.learningRate = learningRate
        c.optimizer.weightDecay = weightDecay
        switch lrSchedule {
        case .constant: c.schedule = .constant
        case .step: c.schedule = .step(every: lrStepEvery, factor: lrDecay)
        case .cosine: c.schedule = .cosine(warmup: warmupSteps, total: lrDecaySteps ?? maxSteps ?? 10_000, minimumFactor: minLrFactor)
        }
        c.gradientClip = gradClip
        c.clipMode = clipMode
        c.validationFraction = valFrac
        c.evaluateEvery = evalEvery
        c.evaluationTokens = evalTokens
        c.maxSteps = maxSteps
        c.maxEpochs = maxEpochs ?? (maxSteps == nil && maxTime == nil ? 10 : nil)
        c.maxSeconds = maxTime
        c.seed = seed
        return c
    }

    func run() throws {
        installInterruptHandlers()  // first, so an early Ctrl-C is not lost (training then stops at step 0)
        let threads = self.threads ?? ProcessInfo.processInfo.activeProcessorCount
        BLASThreads.set(1)  // OpenBLAS's idle threads spin and would take the cores charrnn's own splits need
        WorkerThreads.count = threads  // charrnn splits the products, the gate math and the optimizer's update
        let source = try input.source()
        let checkpoint = try resume.map { path in try reportingFailures { try Checkpoint.read(from: path) } }
        let corpus = try reportingFailures {
            if let checkpoint { return try Corpus.load(from: source, vocabulary: checkpoint.vocabulary) }
            return try Corpus.load(from: source, tokenizer: tokenizer.config, limits: VocabularyLimits(maxSize: maxVocab, minCount: minCount))
        }
        warnAboutInvalidUTF8(corpus.statistics)
        if let checkpoint {
            let conflicting = conflicts(with: checkpoint.model)
            if !conflicting.isEmpty {
                throw CommandFailure(message: "\(resume!): resuming keeps the checkpoint's model, but \(conflicting.joined(separator: ", ")) was given; drop the model flags or train a new run")
            }
            if corpus.unknownCount > 0 {
                throw CommandFailure(message: "\(resume!): \(corpus.unknownCount.grouped) tokens of this corpus are outside the checkpoint's vocabulary; resume on the corpus it was trained on, or train a new run")
            }
        }
        let model = checkpoint?.model ?? modelConfig(vocabularySize: corpus.vocabulary.count)
        var training = trainingConfig
        if let checkpoint {
            // Resume with the checkpoint's settings; the stopping limits come from this command line.
            let limits = training
            training = checkpoint.training
            (training.maxSteps, training.maxEpochs, training.maxSeconds) = (limits.maxSteps, limits.maxEpochs, limits.maxSeconds)
        }
        let trainer = try reportingFailures { try Trainer(corpus: corpus, model: model, training: training, runDirectory: runDirectory, resume: checkpoint) }
        let progress = Progress(quiet: quiet)
        if !quiet {
            Terminal.writeError("charrnn: \(corpus.statistics.tokens.grouped) tokens, vocabulary \(corpus.vocabulary.count), \(trainer.model.parameters.count.grouped) parameters (\(model.layers)×\(model.hiddenSize) \(model.cell.rawValue)); \(threads) threads, OpenBLAS \(BLASCore.name) kernels; writing to \(runDirectory)\n")
        }
        let final = try reportingFailures {
            try trainer.run(report: progress.show, shouldStop: { interrupts.load(ordering: .relaxed) > 0 })
        }
        progress.finish()
        // The loss plot; a failure to draw it costs nothing that matters, so it is a warning.
        var plot: String? = nil
        do { plot = try LossPlot.write(runDirectory: runDirectory) } catch { Terminal.warning("no loss plot: \(error)") }
        if trainer.interrupted {
            Terminal.writeError("charrnn: interrupted at step \(final.step); saved \(runDirectory)/latest.safetensors. Resume with: charrnn train CORPUS -o \(runDirectory) --resume \(runDirectory)/latest.safetensors\n")
            throw ExitCode(130)
        }
        if !quiet {
            let best = final.bestValidationLoss.map { String(format: "%.4f nats (%.4f bits) per token", $0, $0 / log(2)) } ?? "no validation split"
            Terminal.writeError("charrnn: trained \(final.step) steps in \(String(format: "%.1f", final.elapsedSeconds)) s; best validation loss \(best)\n")
            Terminal.writeError("charrnn: checkpoints \(runDirectory)/best.safetensors and latest.safetensors, metrics \(runDirectory)/metrics.jsonl\(plot.map { ", plot \($0)" } ?? "")\n")
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
        let total = e.totalSteps.map { "/\($0)" } ?? ""
        let validation = e.validationLoss.map { String(format: "%.4f", $0) } ?? "—"
        var eta = ""
        if let total = e.totalSteps, e.step > 0 {
            let seconds = e.elapsedSeconds / Double(e.step) * Double(total - e.step)
            eta = String(format: "  ETA %dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
        }
        let line = String(format: "step %d%@  epoch %.2f  train %.4f  val %@  %.0f tok/s  |g| %.2f%@", e.step, total, e.epoch, e.trainLoss, validation, e.tokensPerSecond, e.gradientNorm, eta)
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
