// generate-text CHECKPOINT [PRIME]: continues PRIME with 300 tokens streamed to stdout as they are generated,
// then scores PRIME under the model — the library calls behind `charrnn sample` and `charrnn eval`.
import CharRNN
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: generate-text CHECKPOINT [PRIME]\n".utf8))
    exit(2)
}
do {
    // 1. Load: the checkpoint carries the model, its weights and the vocabulary (with the tokenizer settings).
    let checkpoint = try Checkpoint.read(from: arguments[1])
    let model = CharRNNModel<Float>(checkpoint: checkpoint)
    let vocabulary = checkpoint.vocabulary
    let prime = arguments.count > 2 ? arguments[2] : "The"

    // 2. Generate one stream, token by token: `generate` hands over each piece of text as it comes, always valid
    //    UTF-8 (a byte-level model may split a character over tokens). Return false to stop.
    let generator = try TextGenerator(
        model: model, vocabulary: vocabulary, streams: 1, sampling: SamplingConfig(temperature: 0.7), seed: 42)
    let (primeIDs, unknown) = try vocabulary.encode(prime)
    if !unknown.isEmpty {
        FileHandle.standardError.write(Data("prime tokens outside the vocabulary: \(unknown)\n".utf8))
    }
    generator.prime(primeIDs)
    FileHandle.standardOutput.write(Data(prime.utf8))
    generator.generate(tokens: 300) { _, text in
        FileHandle.standardOutput.write(Data(text.utf8))
        return true
    }
    FileHandle.standardOutput.write(Data("\n".utf8))

    // 3. Score: the surprisal of each token of the prime given the ones before it, and the mean in bits.
    let total = try model.score(TokenIDs(primeIDs)) { position, nats in
        print("\(vocabulary.displayName(of: primeIDs[position]))\t\(String(format: "%.2f", nats / log(2))) bits")
    }
    if primeIDs.count > 1 {
        print(String(format: "mean: %.3f bits per token", total / log(2) / Double(primeIDs.count - 1)))
    }
} catch {
    FileHandle.standardError.write(Data("generate-text: \(error)\n".utf8))
    exit(1)
}
