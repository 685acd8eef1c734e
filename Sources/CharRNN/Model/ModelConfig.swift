// The model's architecture: token embedding → L stacked recurrent layers → linear decoder → softmax.

/// Sizes and cell type of a character-level language model. Stored in every checkpoint.
public struct ModelConfig: Codable, Sendable, Equatable {
    /// V: vocabulary size, `<unk>` included (set from the corpus).
    public var vocabularySize: Int
    /// Recurrent cell. Default `.lstm`: the most reliable of the three on character data.
    public var cell: CellKind
    /// L: stacked recurrent layers. Default 2, as char-rnn and torch-rnn.
    public var layers: Int
    /// H: hidden units per layer. Default 256: twice char-rnn's 128, which plateaus around 1.6 nats on
    /// tiny-shakespeare, and still trains at tens of thousands of characters per second on two cores.
    public var hiddenSize: Int
    /// E: embedding width. Default 64, torch-rnn's `wordvec_size`.
    public var embeddingSize: Int
    /// Dropout probability on the outputs of every recurrent layer but the last (PyTorch's nn.LSTM semantics).
    /// Default 0: small corpora and short runs rarely need it; raise to 0.2–0.5 for long runs on big models.
    public var dropout: Double

    /// A configuration; every size has the documented default except the vocabulary size.
    public init(
        vocabularySize: Int, cell: CellKind = .lstm, layers: Int = 2, hiddenSize: Int = 256, embeddingSize: Int = 64,
        dropout: Double = 0
    ) {
        self.vocabularySize = vocabularySize
        self.cell = cell
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.embeddingSize = embeddingSize
        self.dropout = dropout
    }

    /// Why the config cannot be used (the first setting outside its limits), or nil.
    public var problem: SettingError? {
        // The upper bounds are far beyond any model that fits in memory; they keep size arithmetic from
        // overflowing.
        let limit = 1 << 24
        let checks: [SettingError?] = [
            SettingError.check(.vocabularySize, vocabularySize, .atLeast(2)),
            SettingError.check(.layers, layers, .atLeast(1)),
            SettingError.check(.hiddenSize, hiddenSize, .atLeast(1)),
            SettingError.check(.embeddingSize, embeddingSize, .atLeast(1)),
            SettingError.check(.dropout, dropout, .fraction(includingZero: true, includingOne: false)),
            SettingError.check(.vocabularySize, vocabularySize, .atMost(limit)),
            SettingError.check(.layers, layers, .atMost(1024)),
            SettingError.check(.hiddenSize, hiddenSize, .atMost(limit)),
            SettingError.check(.embeddingSize, embeddingSize, .atMost(limit)),
        ]
        return checks.lazy.compactMap { $0 }.first
    }
}
