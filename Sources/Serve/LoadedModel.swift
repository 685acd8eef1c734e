// The models a server holds: each checkpoint loaded once, with a GenerationEngine of its own, under a name
// clients pick it by.
import CharRNN
import Foundation

/// One served model.
final class LoadedModel: @unchecked Sendable {
    /// What clients call it: `-m NAME=PATH`'s name, or the file's name without `.safetensors`.
    let id: String
    let path: String
    let checkpoint: Checkpoint
    let engine: GenerationEngine
    /// When it was loaded, seconds since 1970 (OpenAI's `created`).
    let created: Int

    /// Loads `spec` (`PATH` or `NAME=PATH`) and makes its engine (started by the caller).
    ///
    /// - Throws: `ServeError` when the checkpoint cannot be read or float16 cannot hold it.
    init(spec: String, threads: Int, precision: WeightPrecision, limits: EngineLimits) throws {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        let named = parts.count == 2 && !parts[0].contains("/")  // a "=" inside a path is not a name
        let path = named ? parts[1] : spec
        let file = URL(fileURLWithPath: path).lastPathComponent
        let id = named ? parts[0] : file.hasSuffix(".safetensors") ? String(file.dropLast(".safetensors".count)) : file
        guard !id.isEmpty else { throw ServeError("-m \(spec): the model needs a name (NAME=PATH)") }
        do {
            checkpoint = try Checkpoint.read(from: path)
        } catch {
            throw ServeError("-m \(spec): \(error)")
        }
        let model = CharRNNModel<Float>(checkpoint: checkpoint, threads: threads)
        do {
            engine = try GenerationEngine(
                model: model, vocabulary: checkpoint.vocabulary, precision: precision, limits: limits)
        } catch {
            throw ServeError("-m \(spec): \(error)")
        }
        self.id = id
        self.path = path
        created = Int(Date().timeIntervalSince1970)
    }

    /// The model as GET /v1/models lists it: OpenAI's fields, then what `charrnn info` tells; GET
    /// /v1/models/{model} adds the vocabulary, its tokens in id order (the ids a prompt may be given in).
    func description(vocabulary: Bool = false) -> JSONOut {
        let c = checkpoint
        let parameters = ParameterStore<Float>.layout(c.model).reduce(0) { $0 + $1.count }
        var facts: [(String, JSONOut)] = [
            ("cell", .string(c.model.cell.rawValue)), ("layers", .int(c.model.layers)),
            ("hidden_size", .int(c.model.hiddenSize)), ("embedding_size", .int(c.model.embeddingSize)),
            ("parameters", .int(parameters)), ("vocabulary_size", .int(c.vocabulary.count)),
            ("token_unit", .string(c.vocabulary.tokenizer.unit.rawValue)),
            ("training_step", .int(c.state.step)),
            ("best_validation_loss", c.state.bestValidationLoss.map { .double($0) } ?? .null),
        ]
        if vocabulary {
            // <unk> and a byte that is not UTF-8 by itself by their listing names ("<unk>", "0xE4"); the rest as text.
            let names = c.vocabulary.tokens.indices.map { id in
                let bytes = c.vocabulary.tokens[id]
                return id == Vocabulary.unknownID || (bytes.count == 1 && bytes[0] >= 0x80)
                    ? c.vocabulary.displayName(of: id) : String(decoding: bytes, as: UTF8.self)
            }
            facts.append(("vocabulary", .array(names.map { .string($0) })))
        }
        return .object([
            ("id", .string(id)), ("object", .string("model")), ("created", .int(created)),
            ("owned_by", .string("charrnn")), ("charrnn", .object(facts)),
        ])
    }
}

/// A reason the server cannot start, as one line.
struct ServeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
