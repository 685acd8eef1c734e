// Regularisation while training (AWD-LSTM, Merity et al. 2018): dropout on the inputs of the layers and the
// decoder, DropConnect on the recurrent weights and whole embedding rows dropped. None of it changes the model at
// inference: the weights keep their shapes and meaning, and evaluation and sampling use them as they are.

/// How the dropout masks on activations are drawn.
public enum DropoutMasks: String, Codable, Sendable, CaseIterable {
    /// One mask per stream and update, the same at every time step (variational or "locked" dropout, Gal and
    /// Ghahramani 2016): a unit dropped from a sequence stays dropped for all of it, so the recurrence cannot route
    /// around the noise step by step.
    case locked
    /// A fresh mask at every position (PyTorch nn.LSTM's dropout; charrnn's only kind before 2026-12-02).
    case elementwise
}

/// Training-time regularisation beyond `ModelConfig.dropout` (the probability between layers). Each probability
/// is in [0, 1); 0 turns it off. Every mask comes from the run's seeded generator, one draw per masked value, so
/// the same seed gives the same masks for any thread count, and resuming continues the same sequence of masks.
public struct Regularization: Codable, Sendable, Equatable {
    /// How `ModelConfig.dropout`, `inputDropout` and `outputDropout` draw their masks. Default `.locked`: AWD-LSTM's
    /// choice (variational dropout), the one the quality recipe uses; the two kinds have not yet been compared in
    /// otherwise equal runs. Checkpoints written before it existed resume with `.elementwise`.
    public var dropoutMasks: DropoutMasks
    /// Dropout on the embedding's output, the first layer's input (AWD-LSTM's dropouti). Default 0.
    public var inputDropout: Double
    /// Dropout on the last layer's output, the decoder's input (AWD-LSTM's dropout). Default 0.
    public var outputDropout: Double
    /// DropConnect on every layer's recurrent weights W_hh: each weight is zeroed with this probability (the rest
    /// scaled by 1/(1 − p)), one mask per update shared by all time steps and streams (AWD-LSTM's WeightDrop, its
    /// main regulariser; 0.2–0.5 in their recipes). Default 0.
    public var weightDrop: Double
    /// Whole rows of the embedding dropped per update (every occurrence of a token loses its vector in that
    /// update; the rest scaled by 1/(1 − p)); AWD-LSTM's dropoute. Default 0.
    public var embeddingDropout: Double

    /// The given settings; every default is the documented one.
    public init(
        dropoutMasks: DropoutMasks = .locked, inputDropout: Double = 0, outputDropout: Double = 0,
        weightDrop: Double = 0, embeddingDropout: Double = 0
    ) {
        self.dropoutMasks = dropoutMasks
        self.inputDropout = inputDropout
        self.outputDropout = outputDropout
        self.weightDrop = weightDrop
        self.embeddingDropout = embeddingDropout
    }

    /// What a checkpoint without these settings was trained with: `--dropout`'s per-position masks and nothing
    /// else.
    public static let beforeRegularization = Regularization(dropoutMasks: .elementwise)

    /// Each probability with its setting.
    var probabilities: [(setting: Setting, value: Double)] {
        [
            (.inputDropout, inputDropout), (.outputDropout, outputDropout), (.weightDrop, weightDrop),
            (.embeddingDropout, embeddingDropout),
        ]
    }

    /// Why the settings cannot be used (the first probability outside [0, 1)), or nil.
    public var problem: SettingError? {
        probabilities.lazy.compactMap {
            SettingError.check($0.setting, $0.value, .fraction(includingZero: true, includingOne: false))
        }.first
    }
}
