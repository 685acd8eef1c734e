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

    /// Why the config cannot be used, or nil.
    public var problem: String? {
        if vocabularySize < 2 { return "the vocabulary needs at least 2 entries, has \(vocabularySize)" }
        if layers < 1 { return "--layers must be at least 1, got \(layers)" }
        if hiddenSize < 1 { return "--hidden must be at least 1, got \(hiddenSize)" }
        if embeddingSize < 1 { return "--embedding must be at least 1, got \(embeddingSize)" }
        if !(dropout >= 0 && dropout < 1) { return "--dropout must be in [0, 1), got \(dropout)" }
        // Bounds far beyond any model that fits in memory; they keep size arithmetic from overflowing.
        let limit = 1 << 24
        if vocabularySize > limit { return "the vocabulary must have at most \(limit) entries, has \(vocabularySize)" }
        if layers > 1024 { return "--layers must be at most 1024, got \(layers)" }
        if hiddenSize > limit { return "--hidden must be at most \(limit), got \(hiddenSize)" }
        if embeddingSize > limit { return "--embedding must be at most \(limit), got \(embeddingSize)" }
        return nil
    }
}
