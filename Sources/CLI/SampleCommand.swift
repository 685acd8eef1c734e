// `charrnn sample`: generate text from a checkpoint, primed by --prime or stdin, streamed to stdout.
import ArgumentParser
import CharRNN
import Foundation

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate text from a trained checkpoint.",
        discussion: """
            Text piped through stdin (or given by --prime or --prime-file) primes the model and is echoed before \
            the continuation; stdin is read only when it is a pipe or a file, and an empty one means no prime. \
            Output is written as it is generated and is always valid UTF-8. Without -m, \
            models/default.safetensors is used when it exists.

            Examples:
              charrnn sample -m runs/poems/best.safetensors --length 200
              echo "床前明月光" | charrnn sample -m runs/poems/best.safetensors --temperature 0.6 --seed 7
              charrnn sample -m runs/demo/best.safetensors --num-samples 4 --top-p 0.9 --stop $'\\n\\n'
            """)

    @Option(
        name: [.customShort("m"), .customLong("model")],
        help: ArgumentHelp("Checkpoint to sample from (default: models/default.safetensors).", valueName: "checkpoint"))
    var checkpoint: String?
    @Option(help: "Tokens to generate per sample.") var length = 1000
    @Option(help: ArgumentHelp("Text to prime the model with (instead of stdin).", valueName: "text")) var prime:
        String?
    @Option(
        help: ArgumentHelp("A file whose text primes the model (instead of stdin), for long primes.", valueName: "path")
    )
    var primeFile: String?
    @Flag(help: "Do not echo the prime before the continuation.") var noEchoPrime = false
    @Flag(help: "Refuse a prime with tokens outside the vocabulary instead of mapping them to <unk>.") var strict =
        false
    @Option(help: "Temperature τ > 0: lower is more conservative.") var temperature = SamplingConfig().temperature
    @Flag(help: "Always take the most likely token.") var greedy = false
    @Option(help: ArgumentHelp("Sample from the k most likely tokens only.", valueName: "k")) var topK: Int?
    @Option(
        help: ArgumentHelp(
            "Sample from the most likely tokens up to cumulative probability p, in (0, 1].", valueName: "p")) var topP:
        Double?
    @Option(help: "Random seed: the same seed and checkpoint give the same bytes (default: random).") var seed: UInt64?
    @Option(help: "Samples to generate together.") var numSamples = 1
    @Option(help: "Printed between samples.") var separator = "\n\n"
    @Option(help: ArgumentHelp("End a sample when it produces this text.", valueName: "text")) var stop: String?
    @Option(help: "Threads for the matrix-vector products (default: all cores; each reads part of the weights).")
    var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(
        help: ArgumentHelp(
            "Weights to generate with: float32 (the model as trained) or float16 (a half-precision copy, about twice "
                + "as fast for one stream; a prime of more than 64 tokens still runs in float32).",
            valueName: "float32|float16"))
    var precision: WeightPrecision = .float32

    var sampling: SamplingConfig { SamplingConfig(temperature: temperature, greedy: greedy, topK: topK, topP: topP) }

    func validate() throws {
        if let problem = sampling.problem { throw ValidationError(userMessage(problem)) }
        if length < 0 { throw ValidationError("--length must be 0 or more, got \(length)") }
        if numSamples < 1 { throw ValidationError("--num-samples must be at least 1, got \(numSamples)") }
        if threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let stop, stop.isEmpty { throw ValidationError("--stop needs a non-empty text") }
        if prime != nil && primeFile != nil { throw ValidationError("give --prime or --prime-file, not both") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)  // a closed pipe (`| head`) ends the output quietly instead of killing us
        let path = try checkpoint ?? defaultModelPath()
        let checkpoint = try reportingFailures { try Checkpoint.read(from: path) }
        let vocabulary = checkpoint.vocabulary
        let primeText = try primeText()
        let (primeIDs, unknown) = try reportingFailures { try vocabulary.encode(primeText ?? "") }
        if !unknown.isEmpty {
            let names =
                unknown.prefix(10).map { "\"\($0)\"" }.joined(separator: ", ") + (unknown.count > 10 ? ", …" : "")
            if strict {
                throw CommandFailure(
                    message:
                        "the prime has \(unknown.count) token\(unknown.count == 1 ? "" : "s") outside the model's "
                        + "vocabulary: \(names); drop --strict to map them to <unk>"
                )
            }
            Terminal.warning(
                "the prime has \(unknown.count) token\(unknown.count == 1 ? "" : "s") outside the model's vocabulary, "
                    + "read as <unk>: \(names)"
            )
        }
        let model = CharRNNModel<Float>(checkpoint: checkpoint, threads: threads)
        var system = SystemRandomNumberGenerator()
        let generator = try reportingFailures {
            try TextGenerator(
                model: model, vocabulary: vocabulary, streams: numSamples, sampling: sampling,
                seed: seed ?? system.next(), precision: precision)
        }
        generator.prime(primeIDs)
        let out = Output()
        let echo = noEchoPrime ? "" : primeText ?? ""
        generator.writeSamples(tokens: length, echo: echo, separator: separator, stop: stop.map { [$0] } ?? []) {
            out.write($0)
        }
        out.write("\n")
    }

    /// The prime: --prime, the text of --prime-file, or stdin when it is a pipe or a file (an empty one, or none:
    /// no prime, generation starts as after a line feed). A terminal or a socket is not read: see `Terminal`.
    func primeText() throws -> String? {
        if let prime { return prime }
        if let primeFile {
            guard let data = FileManager.default.contents(atPath: primeFile) else {
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: primeFile, isDirectory: &isDirectory)
                let why =
                    !exists
                    ? "no such file"
                    : isDirectory.boolValue ? "a directory, not a file" : "cannot read it (check its permissions)"
                throw CommandFailure(message: "--prime-file \(primeFile): \(why)")
            }
            return String(decoding: data, as: UTF8.self)
        }
        guard Terminal.standardInputIsReadable else { return nil }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        return data.isEmpty ? nil : String(decoding: data, as: UTF8.self)
    }

    /// models/default.safetensors in the current directory or beside the checkout the binary was built in.
    func defaultModelPath() throws -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let candidates = [
            "models/default.safetensors",
            executable.deletingLastPathComponent().appendingPathComponent("../../../models/default.safetensors")
                .standardized.path,
        ]
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw CommandFailure(
            message:
                "no model given and no default model at models/default.safetensors; train one (charrnn train CORPUS -o "
                + "runs/mine) and pass -m runs/mine/best.safetensors"
        )
    }
}

/// stdout, written as generated; a closed pipe ends the program quietly with status 0.
final class Output {
    func write(_ text: String) { write(Array(text.utf8)) }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(1, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { exit(0) }
                Terminal.error("cannot write the output: \(String(cString: strerror(errno)))")
                exit(1)
            }
            offset += n
        }
    }
}

extension WeightPrecision: ExpressibleByArgument {}
