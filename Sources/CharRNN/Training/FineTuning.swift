// Fine-tuning: a new run that starts from a trained model's weights (`charrnn train --init-from`, the name
// char-rnn and nanoGPT use) instead of random ones, with a fresh optimizer, schedule and run directory. The base
// fixes the model's shape and its tokenizer; the new text's tokens that the base lacks are added to the vocabulary
// (Corpus.load(from:extending:)), and the model grows a row for each (Checkpoint.grown). The result is an ordinary
// checkpoint that records its lineage (`TrainingConfig.baseModel`).
import Foundation

/// The trained model a fine-tuned run starts from, and the tokenizer settings the user gave (each must agree with
/// the base's).
public struct InitialModel: Sendable {
    /// The base checkpoint's path (a training checkpoint or an exported, weights-only one).
    public var path: String
    /// The token unit and normalization given for this run, nil when not given.
    public var unit: TokenUnit?
    public var normalization: NormalizationForm?

    public init(path: String, unit: TokenUnit? = nil, normalization: NormalizationForm? = nil) {
        (self.path, self.unit, self.normalization) = (path, unit, normalization)
    }

    /// The model settings a fine-tuned run takes from `base`: given ones must equal them.
    ///
    /// - Throws: `FineTuningError.conflicts` naming every given setting that differs from the base's.
    func check(_ options: TrainingOptions, against base: Checkpoint) throws(FineTuningError) {
        let (m, t) = (base.model, base.vocabulary.tokenizer)
        var conflicts: [SettingChange] = []
        func check<V: Equatable>(_ setting: Setting, _ given: V?, _ kept: V, _ show: (V) -> String = { "\($0)" }) {
            if let given, given != kept {
                conflicts.append(SettingChange(setting, value: show(given), checkpoint: show(kept)))
            }
        }
        check(.unit, unit, t.unit, \.rawValue)
        check(.normalization, normalization, t.normalization, \.rawValue)
        check(.cell, options.cell, m.cell, \.rawValue)
        check(.layers, options.layers, m.layers)
        check(.hiddenSize, options.hiddenSize, m.hiddenSize)
        check(.embeddingSize, options.embeddingSize, m.embeddingSize)
        if !conflicts.isEmpty { throw .conflicts(path: path, conflicts) }
    }

    /// `options` with the base's model shape filled in.
    func shaped(_ options: TrainingOptions, by base: Checkpoint) -> TrainingOptions {
        var o = options
        (o.cell, o.layers, o.hiddenSize, o.embeddingSize) = (
            base.model.cell, base.model.layers, base.model.hiddenSize, base.model.embeddingSize
        )
        return o
    }

    /// The lineage of a run started from `base` (read from this path) whose vocabulary became `vocabulary`.
    func lineage(base: Checkpoint, vocabulary: Vocabulary) throws -> BaseModel {
        BaseModel(
            name: URL(fileURLWithPath: path).lastPathComponent, sha256: sha256Hex(try readWholeFile(path)),
            vocabularySize: base.vocabulary.count, addedTokens: vocabulary.count - base.vocabulary.count)
    }
}

/// Why a run cannot start from a base model.
public enum FineTuningError: NamesSettings, Equatable {
    /// Settings the base fixes were given with other values.
    case conflicts(path: String, [SettingChange])
    /// `--init-from` together with `--resume`: a resumed run already has its weights.
    case withResume

    public func worded(_ name: (Setting) -> String) -> String {
        switch self {
        case .conflicts(let path, let changes):
            let given = changes.map { "\(name($0.setting)) \($0.value) (base model: \($0.checkpoint))" }
            return
                "\(path): fine-tuning keeps the base model's shape and tokenizer, but \(given.joined(separator: ", ")) "
                + "\(given.count == 1 ? "was" : "were") given; drop \(given.count == 1 ? "it" : "them") or train from "
                + "scratch"
        case .withResume:
            return "a run starts from a base model or resumes a checkpoint, not both: drop one of them"
        }
    }
}
