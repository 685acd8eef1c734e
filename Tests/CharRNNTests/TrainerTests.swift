// Training end to end in the library: checkpoints round-trip and are validated, the same seed gives the same
// bytes, resuming continues exactly, and the loss goes down.
import Foundation
import Testing
import TestSupport

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

@Suite struct TrainerTests {
    @Test(arguments: CellKind.allCases)
    func lossDecreasesAndCheckpointsRoundTrip(cell: CellKind) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try smallCorpus()
        let trainer = try Trainer(
            corpus: corpus, model: smallModel(corpus.vocabulary.count, cell), training: smallTraining(steps: 40),
            runDirectory: dir.path)
        let first = trainer.validationLoss()!
        let state = try trainer.run { _ in }
        #expect(state.step == 40)
        #expect(state.bestValidationLoss! < first - 0.5, "validation loss \(first) → \(state.bestValidationLoss!)")
        let read = try Checkpoint.read(from: dir.path + "/latest.safetensors")
        let made = trainer.makeCheckpoint()
        #expect(read.model == made.model && read.vocabulary == made.vocabulary && read.training == made.training)
        var saved = made.state
        saved.elapsedSeconds = 0  // not stored, so equal commands write equal bytes
        #expect(read.state == saved && read.optimizerStep == 40)
        #expect(read.tensors == made.tensors && read.order == made.order)
        let metrics = try String(contentsOfFile: dir.path + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 8)  // every 5 steps
        #expect(FileManager.default.fileExists(atPath: dir.path + "/best.safetensors"))
    }

    @Test func sameSeedGivesTheSameBytesAndResumeContinuesExactly() throws {
        let corpus = try smallCorpus()
        let model = smallModel(corpus.vocabulary.count, .lstm)
        func train(_ steps: Int, in dir: URL, resume: Checkpoint? = nil) throws -> [UInt8] {
            let trainer = try Trainer(
                corpus: corpus, model: model, training: smallTraining(steps: steps), runDirectory: dir.path,
                resume: resume)
            _ = try trainer.run { _ in }
            return Array(try Data(contentsOf: dir.appendingPathComponent("latest.safetensors")))
        }
        let (a, b, c) = (try temporaryDirectory(), try temporaryDirectory(), try temporaryDirectory())
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(at: d) } }
        let once = try train(30, in: a)
        #expect(try train(30, in: b) == once)
        _ = try train(15, in: c)
        let halfway = try Checkpoint.read(from: c.path + "/latest.safetensors")
        var resumed = halfway
        resumed.training.maxSteps = 30
        #expect(try train(30, in: c, resume: resumed) == once)
    }

    @Test func tooShortCorpusAndBadSettingsAreErrors() throws {
        let corpus = try loadCorpus(bytes: Array("tiny text\n".utf8))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: CorpusError.self) {
            try Trainer(
                corpus: corpus, model: smallModel(corpus.vocabulary.count, .lstm), training: TrainingConfig(),
                runDirectory: dir.path)
        }
        var bad = smallTraining(steps: 1)
        bad.optimizer.learningRate = -1
        #expect(throws: CorpusError.self) {
            try Trainer(corpus: try smallCorpus(), model: smallModel(50, .lstm), training: bad, runDirectory: dir.path)
        }
    }
}

@Suite struct CheckpointValidationTests {
    /// A valid checkpoint's bytes: a one-layer GRU with 4 units after one update (about 4 KB, its optimizer state
    /// included).
    static func valid() throws -> [UInt8] {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try smallCorpus()
        let model = ModelConfig(
            vocabularySize: corpus.vocabulary.count, cell: .gru, layers: 1, hiddenSize: 4, embeddingSize: 2)
        let trainer = try Trainer(
            corpus: corpus, model: model, training: smallTraining(steps: 1), runDirectory: dir.path)
        try trainer.makeCheckpoint().write(to: dir.path + "/c.safetensors")
        return Array(try Data(contentsOf: dir.appendingPathComponent("c.safetensors")))
    }

    func read(_ bytes: [UInt8]) throws -> Checkpoint {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.path + "/c.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try Checkpoint.read(from: path)
    }

    /// The checkpoint with its JSON header replaced by `edit(header)`.
    func withHeader(_ edit: (inout [String: Any]) throws -> Void) throws -> [UInt8] {
        let v = try Self.valid()
        let n = Int(v[0..<8].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        var header = try expectType(
            try JSONSerialization.jsonObject(with: Data(v[8..<(8 + n)])), [String: Any].self, "the header")
        try edit(&header)
        var json = Array(try JSONSerialization.data(withJSONObject: header))
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        return out + json + v[(8 + n)...]
    }

    @Test func validCheckpointReads() throws {
        #expect(try read(try Self.valid()).model.cell == .gru)
    }

    /// Every proper prefix of a checkpoint, from empty to one byte short, is an error and never a trap.
    @Test func truncatedAtEveryLengthIsAnError() throws {
        let v = try Self.valid()
        #expect(v.count > 2_000, "the checkpoint is \(v.count) bytes")
        var decoded = 0
        for cut in 0..<v.count {
            if (try? Checkpoint.decode(Array(v[..<cut]), path: "c.safetensors")) != nil { decoded += 1 }
        }
        #expect(decoded == 0, "\(decoded) truncated checkpoints decoded")
        #expect(throws: Never.self) { try Checkpoint.decode(v, path: "c.safetensors") }
        // Through the file reader as well, at a few lengths.
        for cut in [0, 7, 8, v.count / 2, v.count - 1] {
            #expect(throws: CheckpointError.self, "cut at \(cut)") { try read(Array(v[..<cut])) }
        }
    }

    @Test func headerLengthBeyondTheFileIsAnError() throws {
        var v = try Self.valid()
        v.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: CheckpointError.self) { try read(v) }
    }

    @Test func malformedHeadersAreErrors() throws {
        #expect(try read(try withHeader { _ in }).model.cell == .gru)  // re-encoding alone is harmless
        func object(_ value: Any?) throws -> [String: Any] {
            try expectType(value, [String: Any].self, "a header entry")
        }
        func metadata(_ value: Any?) throws -> [String: String] {
            try expectType(value, [String: String].self, "the metadata")
        }
        let edits: [(String, (inout [String: Any]) throws -> Void)] = [
            (
                "wrong dtype",
                { h in
                    var e = try object(h["decoder.bias"]); e["dtype"] = "F16"; h["decoder.bias"] = e
                }
            ),
            ("missing tensor", { h in h["rnn.weight_hh_l0"] = nil }),
            ("extra tensor", { h in h["extra.weight"] = h["decoder.bias"] }),
            (
                "wrong shape",
                { h in
                    var e = try object(h["decoder.bias"])
                    let s = try expectType(e["shape"], [Int].self)
                    e["shape"] = [s[0] - 1, 1]
                    h["decoder.bias"] = e
                }
            ),
            (
                "offsets outside",
                { h in
                    var e = try object(h["decoder.bias"]); e["data_offsets"] = [0, 1 << 40]; h["decoder.bias"] = e
                }
            ),
            (
                "overlap",
                { h in
                    let a = try object(h["decoder.bias"])
                    var b = try object(h["rnn.bias_hh_l0"])
                    (b["data_offsets"], b["shape"]) = (a["data_offsets"], a["shape"])
                    h["rnn.bias_hh_l0"] = b
                }
            ),
            (
                "newer version",
                { h in
                    var m = try metadata(h["__metadata__"]); m["format_version"] = "99"; h["__metadata__"] = m
                }
            ),
            (
                "vocabulary vs embedding",
                { h in
                    var m = try metadata(h["__metadata__"])
                    m["model"] = m["model"]?.replacingOccurrences(
                        of: "\"vocabularySize\":", with: "\"vocabularySize\":1")
                    h["__metadata__"] = m
                }
            ),
            (
                "absurd sizes",
                { h in
                    var m = try metadata(h["__metadata__"])
                    m["model"] = m["model"]?.replacingOccurrences(
                        of: "\"hiddenSize\":", with: "\"hiddenSize\":4000000000000")
                    h["__metadata__"] = m
                }
            ),
            (
                "bad model json",
                { h in
                    var m = try metadata(h["__metadata__"]); m["model"] = "{"; h["__metadata__"] = m
                }
            ),
            ("not charrnn", { h in h["__metadata__"] = ["format": "pt"] }),
        ]
        for (what, edit) in edits {
            let bytes = try withHeader(edit)
            #expect(throws: CheckpointError.self, "\(what)") { try read(bytes) }
        }
        var nonObject = Array("[1,2,3]   ".utf8)
        while nonObject.count % 8 != 0 { nonObject.append(0x20) }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(nonObject.count).littleEndian) { bytes += $0 }
        #expect(throws: CheckpointError.self) { try read(bytes + nonObject) }
    }

    @Test func missingFileIsAnError() {
        #expect(throws: CheckpointError.missing(path: "/no/such.safetensors")) {
            try Checkpoint.read(from: "/no/such.safetensors")
        }
    }

    /// A directory and an empty file are errors, not traps. (Whole files are read back by the tests above.)
    @Test func directoriesAndEmptyFilesAreErrors() throws {
        let dir = try temporaryDirectory()
        #expect(throws: CheckpointError.unreadable(path: dir.path, reason: "not a regular file")) {
            try Checkpoint.read(from: dir.path)
        }
        let empty = dir.path + "/empty.safetensors"
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(throws: CheckpointError.self) { try Checkpoint.read(from: empty) }
    }
}
