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

    // 2. Generate one stream, token by token. `next(into:)` picks each stream's next token; UTF8Stream turns the
    //    tokens' bytes into valid UTF-8 as they come (a byte-level model may split a character).
    let generator = try TextGenerator(
        model: model, vocabulary: vocabulary, streams: 1, sampling: SamplingConfig(temperature: 0.7), seed: 42)
    let (primeIDs, unknown) = try vocabulary.encode(prime)
    if !unknown.isEmpty { FileHandle.standardError.write(Data("prime tokens outside the vocabulary: \(unknown)\n".utf8)) }
    generator.prime(primeIDs)
    var utf8 = UTF8Stream()
    var bytes: [UInt8] = Array(prime.utf8)
    var tokens: [Int] = []
    for _ in 0..<300 {
        generator.next(into: &tokens)
        utf8.push(vocabulary.bytes(of: tokens), into: &bytes)
        FileHandle.standardOutput.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }
    utf8.finish(into: &bytes)
    FileHandle.standardOutput.write(Data(bytes + [0x0A]))

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
