// `charrnn info`: what a checkpoint holds.
import ArgumentParser
import CharRNN
import Foundation

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a checkpoint: model, parameters, tokenizer, vocabulary, training state, format.")

    @Argument(help: ArgumentHelp("The checkpoint.", valueName: "checkpoint")) var checkpoint: String
    @Flag(help: "Print the description as JSON.") var json = false

    func run() throws {
        let c = try reportingFailures { try Checkpoint.read(from: checkpoint) }
        let parameters = ParameterStore<Float>.layout(c.model).reduce(0) { $0 + $1.count }
        let v = c.vocabulary
        let preview = (1..<min(v.count, 41)).map { v.displayName(of: $0) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            func object<E: Encodable>(_ e: E) throws -> Any {
                try JSONSerialization.jsonObject(with: try encoder.encode(e))
            }
            let info: [String: Any] = [
                "format_version": c.version, "model": try object(c.model), "parameters": parameters,
                "tokenizer": try object(v.tokenizer), "vocabulary_size": v.count,
                "vocabulary_preview": (1..<min(v.count, 41)).map { v.decode([$0]) },
                "training": try object(c.training), "state": try object(c.state), "optimizer_step": c.optimizerStep,
            ]
            print(
                String(
                    decoding: try JSONSerialization.data(
                        withJSONObject: info, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
            return
        }
        let m = c.model
        let best =
            c.state.bestValidationLoss.map { String(format: "%.4f nats (%.4f bits) per token", $0, $0 / log(2)) }
            ?? "none yet"
        print(
            """
            checkpoint: \(checkpoint) (charrnn format \(c.version))
            model: \(m.layers)-layer \(m.cell.rawValue), hidden \(m.hiddenSize), embedding \(m.embeddingSize), \
            dropout \(m.dropout)
            parameters: \(parameters.grouped)
            tokenizer: unit \(v.tokenizer.unit.rawValue), normalization \(v.tokenizer.normalization.rawValue)\
            \(v.tokenizer.locale.isEmpty ? "" : ", locale \(v.tokenizer.locale)")
            vocabulary: \(v.count.grouped) ids (<unk> + \((v.count - 1).grouped) tokens): \
            \(preview.joined(separator: " "))\(v.count > 41 ? " …" : "")
            training: step \(c.state.step.grouped), epoch \(c.state.epoch) (+\(c.state.batchInEpoch) batches), \
            \(c.state.tokensSeen.grouped) tokens seen
            best validation loss: \(best)
            optimizer: \(c.training.optimizer.kind.rawValue), learning rate \(c.training.optimizer.learningRate), \
            batch \(c.training.batchSize) × \(c.training.sequenceLength)
            """)
        if let base = c.training.baseModel {
            print(
                "fine-tuned from: \(base.name) (sha256 \(base.sha256)); ids 0–\(base.vocabularySize - 1) are its, "
                    + "\(base.addedTokens.grouped) token\(base.addedTokens == 1 ? "" : "s") added")
        }
        if let choice = c.training.automatic {
            print(
                "automatic settings: \(choice.reason); chose "
                    + choice.flags(model: c.model, training: c.training).joined(separator: " "))
        }
        if let patience = c.training.patience {
            let since = c.state.validationsSinceBest ?? 0
            print(
                "early stopping: --patience \(patience), \(since) validation\(since == 1 ? "" : "s") since the best"
                    + (since >= patience ? " (stopped)" : ""))
        }
    }
}
