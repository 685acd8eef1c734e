// The small corpus, training settings and models the library's tests train and generate with.
import Foundation

@testable import CharRNN

/// A small corpus with structure to learn: a repeated verse with variations.
func smallCorpus() throws -> Corpus {
    var text = ""
    for i in 0..<60 { text += "the cat sat on the mat \(i % 7). 床前明月光\n" }
    return try loadCorpus(bytes: Array(text.utf8))
}

func smallTraining(steps: Int) -> TrainingConfig {
    var c = TrainingConfig()
    c.batchSize = 4
    c.sequenceLength = 8
    c.maxSteps = steps
    c.evaluateEvery = 5
    c.seed = 7
    c.optimizer.learningRate = 1e-2  // a tiny model on a tiny corpus: a high rate shows learning in a few steps
    return c
}

func smallModel(_ v: Int, _ cell: CellKind) -> ModelConfig {
    ModelConfig(vocabularySize: v, cell: cell, layers: 2, hiddenSize: 12, embeddingSize: 6, dropout: 0.1)
}

/// A freshly initialized Float model (H = 16, E = 8) over a vocabulary of `vocabularySize`.
func smallModel(vocabularySize: Int, cell: CellKind = .lstm, seed: UInt64) -> CharRNNModel<Float> {
    let model = CharRNNModel<Float>(
        config: ModelConfig(vocabularySize: vocabularySize, cell: cell, hiddenSize: 16, embeddingSize: 8))
    var rng = SplitMix64(seed: seed)
    model.initialize(using: &rng)
    return model
}
