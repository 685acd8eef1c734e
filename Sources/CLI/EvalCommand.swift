// `charrnn eval`: score text with a trained model, in nats and bits per token.
import ArgumentParser
import CharRNN
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score text with a checkpoint: loss in nats and bits per token, bits per byte, perplexity.",
        discussion: """
            The text is tokenized with the checkpoint's own settings and run as one stream from a zero state, \
            in chunks with the state carried, so any length runs in bounded memory. Tokens outside the \
            vocabulary count as <unk>.
            """)

    @Option(
        name: [.customShort("m"), .customLong("model")],
        help: ArgumentHelp("Checkpoint to score with.", valueName: "checkpoint"))
    var checkpoint: String
    @OptionGroup(title: "Input") var input: CorpusInputOptions
    @Flag(help: "Print the result as JSON.") var json = false
    @Option(
        help:
            "Threads for the matrix products and the gate math (default 1: scoring one stream gains little from more).")
    var threads = 1
    @Flag(help: "Print each token with its surprisal in bits (TSV: position, token, bits), then the summary.")
    var perToken = false
    @Option(
        help: ArgumentHelp(
            "Weights to score with: float32 (as trained) or float16 (what `sample --precision float16` generates with, "
                + "run one token at a time).",
            valueName: "float32|float16"))
    var precision: WeightPrecision = .float32
    @Flag(
        help: ArgumentHelp(
            "Also score with dynamic evaluation: after each segment, one SGD step on it, so the model adapts to the "
                + "text (the checkpoint is not changed). Reported apart from the static figures."))
    var dynamic = false
    @Option(help: "Dynamic evaluation: tokens per segment. (default: 50)") var dynamicSegment: Int?
    @Option(help: "Dynamic evaluation: SGD step size. (default: 0.25)") var dynamicLr: Double?
    @Option(help: "Dynamic evaluation: pull back towards the checkpoint's weights per step. (default: 0.01)")
    var dynamicDecay: Double?

    /// The dynamic evaluation asked for, or nil.
    var dynamicSettings: DynamicEvaluation? {
        guard dynamic else { return nil }
        let d = DynamicEvaluation()
        return DynamicEvaluation(
            segmentLength: dynamicSegment ?? d.segmentLength, learningRate: dynamicLr ?? d.learningRate,
            decay: dynamicDecay ?? d.decay)
    }

    func validate() throws {
        if !dynamic && (dynamicSegment != nil || dynamicLr != nil || dynamicDecay != nil) {
            throw ValidationError("--dynamic-segment, --dynamic-lr and --dynamic-decay apply only with --dynamic")
        }
        if dynamic && (perToken || precision == .float16) {
            throw ValidationError("--dynamic scores in float32 and as a summary only; drop --per-token and --precision")
        }
        if let problem = dynamicSettings?.problem { throw ValidationError(userMessage(problem)) }
    }

    func run() throws {
        let checkpoint = try reportingFailures { try Checkpoint.read(from: self.checkpoint) }
        let source = try input.source()
        let corpus = try reportingFailures { try Corpus.load(from: source, vocabulary: checkpoint.vocabulary) }
        warnAboutInvalidUTF8(corpus.statistics)
        let model = CharRNNModel<Float>(checkpoint: checkpoint, threads: threads)
        // One TSV line per predicted token: its position, the token (escaped) and −log₂ p(token | before).
        if perToken { print("position\ttoken\tbits") }
        let vocabulary = corpus.vocabulary
        let result = try reportingFailures {
            try model.evaluate(
                corpus, precision: precision,
                each: perToken
                    ? { position, nats in
                        let bits = String(format: "%.3f", nats / log(2))
                        print("\(position)\t\(vocabulary.displayName(of: corpus.ids[position]))\t\(bits)")
                    } : nil)
        }
        // Dynamic evaluation's figures: the same text and counts, another loss.
        let adaptive = dynamicSettings.map { settings in
            var adapted = result
            adapted.totalNats = model.evaluateDynamically(corpus.ids, settings: settings).totalNats
            return (settings: settings, result: adapted)
        }
        if json {
            var fields: [String: Any] = [
                "tokens": result.tokens, "predictions": result.predictions, "nats_per_token": result.natsPerToken,
                "bits_per_token": result.bitsPerToken, "bits_per_byte": result.bitsPerByte,
                "perplexity": result.perplexity,
                "unknown_tokens": result.unknownTokens,
            ]
            if let (settings, adapted) = adaptive {
                fields["dynamic"] = [
                    "nats_per_token": adapted.natsPerToken, "bits_per_token": adapted.bitsPerToken,
                    "bits_per_byte": adapted.bitsPerByte, "perplexity": adapted.perplexity,
                    "segment": settings.segmentLength, "learning_rate": settings.learningRate,
                    "decay": settings.decay,
                ]
            }
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self)
            )
        } else {
            print(
                String(
                    format: "%@ tokens: %.4f nats/token, %.4f bits/token, %.4f bits/byte, perplexity %.3f",
                    result.tokens.grouped, result.natsPerToken, result.bitsPerToken, result.bitsPerByte,
                    result.perplexity))
            if let (settings, adapted) = adaptive {
                print(
                    String(
                        format: "dynamic (segments of %d, lr %g, decay %g): %.4f nats/token, %.4f bits/token, "
                            + "%.4f bits/byte, perplexity %.3f",
                        settings.segmentLength, settings.learningRate, settings.decay, adapted.natsPerToken,
                        adapted.bitsPerToken, adapted.bitsPerByte, adapted.perplexity))
            }
            if result.unknownTokens > 0 {
                print("\(result.unknownTokens.grouped) tokens were outside the vocabulary (scored as <unk>)")
            }
        }
    }
}
