// Why a training run cannot start or go on. Each case carries what happened, in values; `description` words it
// in the library's terms, and a front end words it with its own names for the settings (`NamesSettings`).
import Foundation

/// A training run that cannot start, or cannot go on.
public enum TrainingError: NamesSettings, Sendable, Equatable {
    /// Why the run stopped diverging.
    public enum Divergence: Sendable, Equatable {
        /// This many updates in a row had a non-finite loss or gradient (none reached the weights).
        case nonFiniteUpdates(Int)
        /// The validation loss was not finite.
        case nonFiniteValidation
    }

    /// The loss or the weights became non-finite at `step`; the last checkpoint on disk is from finite weights.
    case diverged(step: Int, Divergence)
    /// The model and batch need more memory than the machine has (bytes, estimated before allocating).
    case insufficientMemory(needed: Double, available: Double)
    /// Resuming with a model that differs from the checkpoint's.
    case modelMismatch(given: ModelConfig, checkpoint: ModelConfig)
    /// Resuming on a corpus whose vocabulary differs from the checkpoint's.
    case vocabularyMismatch
    /// Resuming on a corpus with this many tokens outside the checkpoint's vocabulary.
    case tokensOutsideVocabulary(Int)
    /// Resuming from a checkpoint that holds weights only (exported for sampling), without the optimizer state.
    case weightsOnly
    /// Early stopping asked for without a validation split to watch.
    case patienceWithoutValidation

    public func worded(_ name: (Setting) -> String) -> String {
        let lower = "a lower \(name(.learningRate)) or \(name(.gradientClip))"
        switch self {
        case .diverged(let step, .nonFiniteUpdates(let count)):
            return
                "training diverged: \(count) updates in a row had a non-finite loss or gradient at step \(step); "
                + "resume from the last checkpoint with \(lower)"
        case .diverged(let step, .nonFiniteValidation):
            return
                "training diverged: the validation loss at step \(step) is not finite; resume from the last "
                + "checkpoint with \(lower)"
        case .insufficientMemory(let needed, let available):
            let gib = { (bytes: Double) in String(format: "%.1f", bytes / 1_073_741_824) }
            return
                "this model and batch need about \(gib(needed)) GiB of memory, more than this machine's "
                + "\(gib(available)) GiB; lower \(name(.hiddenSize)), \(name(.layers)), \(name(.batchSize)) or "
                + "\(name(.sequenceLength))"
        case .modelMismatch(_, let checkpoint):
            return "the model differs from the checkpoint's (\(checkpoint)); resume with the checkpoint's model"
        case .vocabularyMismatch:
            return "the corpus's vocabulary differs from the checkpoint's; resume on the same corpus"
        case .tokensOutsideVocabulary(let count):
            return
                "\(count) tokens of this corpus are outside the checkpoint's vocabulary; resume on the corpus it "
                + "was trained on, or train a new run"
        case .patienceWithoutValidation:
            return
                "\(name(.patience)) stops when the validation loss stops improving, and \(name(.validationFraction)) "
                + "0 leaves no validation split; give a fraction above 0 or drop \(name(.patience))"
        case .weightsOnly:
            return
                "the checkpoint holds weights only (exported for sampling), not the optimizer state that resuming "
                + "needs; resume from the run's own latest.safetensors"
        }
    }
}
