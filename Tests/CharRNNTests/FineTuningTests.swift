// Fine-tuning (`--init-from`): a vocabulary grows without moving an id and is written as version 2 (one block
// stays version 1), the limits apply to what is added, a grown model keeps every old parameter bit for bit and
// starts each new token by the documented rule; through the binary: the line saying what was added, `info`'s
// lineage, sampling and scoring the new characters, fine-tune then resume bit for bit, and one-line errors that
// write nothing. PyTorch loading a grown model is in PyTorchParityTests.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct FineTuningTests {
    static let english = String(repeating: "the cat sat on the mat, and the dog sat by the door.\n", count: 40)
    /// The English text with characters the base never saw: accents, a euro sign, Cyrillic.
    static let newText = String(
        repeating: "Größe, naïveté, déjà vu: ça coûte 5 €. Привет, мир! the cat sat on the mat.\n", count: 30)

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func aVocabularyGrowsWithoutMovingAnIdAndIsVersion2() throws {
        let base = try loadCorpus(bytes: Self.bytes(Self.english)).vocabulary
        let grown = try base.adding([(Array("é".utf8), 3), (Array("Ж".utf8), 1), (Array("ç".utf8), 2)])
        #expect(Array(grown.tokens.prefix(base.count)) == base.tokens && grown.blocks == [base.count - 1, 3])
        // The added block is sorted by bytes: ç (C3 A7) < é (C3 A9) < Ж (D0 96).
        #expect(grown.tokens.suffix(3).map { String(decoding: $0, as: UTF8.self) } == ["ç", "é", "Ж"])
        #expect(grown.id(of: "é") == base.count + 1 && grown.counts.suffix(3) == [2, 3, 1])
        let json = try grown.jsonData()
        #expect(grown.jsonVersion == 2 && String(decoding: json, as: UTF8.self).contains("\"blocks\":["))
        #expect(try Vocabulary.decode(jsonData: json) == grown)
        // One block is still version 1, without the key.
        let plain = String(decoding: try base.jsonData(), as: UTF8.self)
        #expect(plain.contains("\"version\":1") && !plain.contains("blocks"))
        // Adding a token it has, or a block out of order, is refused.
        #expect(throws: VocabularyError.self) { try grown.adding([(Array("é".utf8), 1)]) }
        #expect(throws: VocabularyError.self) {
            try Vocabulary(
                tokenizer: TokenizerConfig(), tokens: [[0x61], [0x63], [0x62], [0x61]], counts: [0, 1, 1, 1, 1],
                blocks: [2, 2])
        }
        #expect(throws: VocabularyError.self) {
            try Vocabulary(
                tokenizer: TokenizerConfig(), tokens: [[0x61], [0x63], [0x62]], counts: [0, 1, 1, 1], blocks: [2])
        }
        let newer = plain.replacingOccurrences(of: "\"version\":1", with: "\"version\":3")
        #expect(
            throws: VocabularyError.unreadable(
                "version 3 is not one this charrnn reads (1 to 2); use a matching charrnn")
        ) {
            try Vocabulary.decode(jsonData: Data(newer.utf8))
        }
    }

    @Test func theLimitsApplyToWhatIsAddedAndNothingIsDroppedSilently() throws {
        let base = try loadCorpus(bytes: Self.bytes(Self.english)).vocabulary
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("new.txt")
        // "b" is the base's and appears once in the new text: it keeps its id whatever the limits. x and z are new
        // and rare; € is new and frequent.
        try Data((Self.newText + "b xyzzy €\n").utf8).write(to: file)
        let all = try Corpus.load(from: TextSource(paths: [file.path]), extending: base)
        #expect(all.corpus.unknownCount == 0 && all.added == all.corpus.vocabulary.count - base.count)
        #expect(all.corpus.vocabulary.id(of: "b") == base.id(of: "b") && base.id(of: "b") != 0)
        let rare = try Corpus.load(
            from: TextSource(paths: [file.path]), extending: base, limits: VocabularyLimits(minCount: 30))
        // Only the characters of the repeated line (30 times) are added; x (once) and z (twice) stay <unk>.
        #expect(rare.corpus.vocabulary.id(of: "z") == 0 && rare.corpus.vocabulary.id(of: "é") > 0)
        #expect(rare.corpus.vocabulary.id(of: "b") == base.id(of: "b"))
        #expect(rare.corpus.unknownCount == 3 && rare.added == all.added - 2)
        let capped = try Corpus.load(
            from: TextSource(paths: [file.path]), extending: base, limits: VocabularyLimits(maxSize: base.count + 2))
        #expect(capped.added == 2 && capped.corpus.vocabulary.count == base.count + 2)
    }

    @Test func aGrownModelKeepsEveryOldParameterAndStartsNewTokensByTheRule() throws {
        try withTemporaryDirectory { dir in
            let corpus = try loadCorpus(bytes: Self.bytes(Self.english))
            let trainer = try Trainer(
                corpus: corpus, model: smallModel(corpus.vocabulary.count, .lstm), training: smallTraining(steps: 10),
                runDirectory: dir.path)
            _ = try trainer.run { _ in }
            let base = try Checkpoint.read(from: dir.path + "/latest.safetensors")
            let file = dir.appendingPathComponent("new.txt")
            try Data(Self.newText.utf8).write(to: file)
            let (new, added) = try Corpus.load(from: TextSource(paths: [file.path]), extending: base.vocabulary)
            let grown = base.grown(to: new.vocabulary, textTokens: new.ids.count)
            #expect(added > 10 && grown.model.vocabularySize == base.model.vocabularySize + added)
            let (v, e, h) = (base.model.vocabularySize, base.model.embeddingSize, base.model.hiddenSize)
            for name in ParameterStore<Float>.layout(base.model).map(\.name) {
                let (old, now) = (base.tensors[name]!, grown.tensors[name]!)
                // Bit for bit: the old values are the first ones of each grown tensor.
                #expect(old.map(\.bitPattern) == now.prefix(old.count).map(\.bitPattern), "\(name)")
            }
            // The rule, recomputed in Double.
            let counts = base.vocabulary.counts.map(Double.init)
            let shares = counts.map { $0 / counts.reduce(0, +) }
            func mean(_ name: String, _ width: Int) -> [Double] {
                let rows = base.tensors[name]!
                return (0..<width).map { j in (0..<v).reduce(0) { $0 + shares[$1] * Double(rows[$1 * width + j]) } }
            }
            let bias = base.tensors["decoder.bias"]!
            let offset = (0..<v).filter { shares[$0] > 0 }.reduce(0.0) {
                $0 + shares[$1] * (Double(bias[$1]) - log(shares[$1]))
            }
            for id in v..<grown.model.vocabularySize {
                let embedding = grown.tensors["embedding.weight"]![(id * e)..<((id + 1) * e)]
                let decoder = grown.tensors["decoder.weight"]![(id * h)..<((id + 1) * h)]
                #expect(zip(embedding, mean("embedding.weight", e)).allSatisfy { abs(Double($0) - $1) < 1e-6 })
                #expect(zip(decoder, mean("decoder.weight", h)).allSatisfy { abs(Double($0) - $1) < 1e-6 })
                let share = Double(new.vocabulary.counts[id]) / Double(new.ids.count)
                #expect(abs(Double(grown.tensors["decoder.bias"]![id]) - (log(share) + offset)) < 1e-5)
            }
        }
    }

    // MARK: Through the binary

    /// A small base model trained from `english` through the binary, in `dir`/base.
    static func trainBase(in dir: URL) throws -> String {
        let run = dir.path + "/base"
        let r = try runCharRNN(
            [
                "train", "--no-auto", "-o", run, "--hidden", "16", "--embedding", "8", "--batch-size", "4",
                "--seq-length", "10", "--max-steps", "10", "--eval-every", "10", "--quiet",
            ], stdin: Data(english.utf8))
        try #require(r.status == 0, "\(r.stderr)")
        return run + "/latest.safetensors"
    }

    @Test func fineTuningSaysWhatItAddedSamplesAndScoresTheNewCharactersAndResumesExactly() throws {
        try withTemporaryDirectory { dir in
            let base = try Self.trainBase(in: dir)
            let text = dir.appendingPathComponent("new.txt").path
            try Data(Self.newText.utf8).write(to: URL(fileURLWithPath: text))
            let flags = [
                "--init-from", base, "--no-auto", "--batch-size", "4", "--seq-length", "10", "--eval-every", "4",
                "--dropout", "0.1", "--lr-schedule", "cosine", "--warmup-steps", "2", "--lr-decay-steps", "8",
            ]
            let whole = dir.path + "/whole"
            let r = try runCharRNN(["train", text, "-o", whole, "--max-steps", "8"] + flags)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("fine-tuning latest.safetensors (sha256 "), "\(r.stderr)")
            #expect(r.stderr.contains("tokens the text adds appended"), "\(r.stderr)")
            // Half, then resumed: the same bytes.
            let half = dir.path + "/half"
            #expect(try runCharRNN(["train", text, "-o", half, "--max-steps", "4"] + flags).status == 0)
            let resumed = try runCharRNN(
                ["train", text, "-o", half, "--resume", half + "/latest.safetensors", "--max-steps", "8", "--quiet"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            let (a, b) = (
                try Data(contentsOf: URL(fileURLWithPath: whole + "/latest.safetensors")),
                try Data(contentsOf: URL(fileURLWithPath: half + "/latest.safetensors"))
            )
            #expect(a == b, "fine-tuned 8 and 4 + 4 differ")
            let info = try runCharRNN(["info", whole + "/latest.safetensors"])
            let digest = sha256Hex(Array(try Data(contentsOf: URL(fileURLWithPath: base))))
            #expect(info.stdout.contains("(charrnn format 2)"), "\(info.stdout)")
            #expect(info.stdout.contains("fine-tuned from: latest.safetensors (sha256 \(digest))"), "\(info.stdout)")
            // Every new character survives: a prompt of them is read without <unk>, and the text scores.
            let sample = try runCharRNN(
                ["sample", "-m", whole + "/latest.safetensors", "--prime", "Привет ça €", "--length", "20"])
            #expect(sample.status == 0 && sample.stdout.hasPrefix("Привет ça €"), "\(sample.stderr)")
            let eval = try runCharRNN(["eval", "-m", whole + "/latest.safetensors", text])
            #expect(eval.status == 0 && !eval.stderr.contains("<unk>"), "\(eval.stdout)\(eval.stderr)")
        }
    }

    @Test func aMissingBaseANonModelOrAConflictGetOneLineAndWriteNothing() throws {
        try withTemporaryDirectory { dir in
            let base = try Self.trainBase(in: dir)
            let notAModel = dir.appendingPathComponent("notes.txt").path
            try Data(Self.english.utf8).write(to: URL(fileURLWithPath: notAModel))
            let cases: [([String], String)] = [
                (["--init-from", dir.path + "/none.safetensors"], "none.safetensors: no such checkpoint"),
                (["--init-from", notAModel], "notes.txt: not a valid safetensors checkpoint"),
                (
                    ["--init-from", base, "--unit", "byte"],
                    "fine-tuning keeps the base model's shape and tokenizer, but --unit byte (base model: grapheme)"
                ),
                (["--init-from", base, "--hidden", "32"], "--hidden 32 (base model: 16) was given"),
                (["--init-from", base, "--resume", base], "--init-from starts a new run"),
            ]
            for (flags, message) in cases {
                let out = dir.path + "/out"
                let r = try runCharRNN(
                    ["train", "-o", out, "--max-steps", "2"] + flags, stdin: Data(Self.newText.utf8))
                #expect(r.status != 0 && r.stderr.contains(message), "\(flags): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(flags): \(r.stderr)")
                #expect(!FileManager.default.fileExists(atPath: out), "\(flags) wrote \(out)")
            }
        }
    }
}
