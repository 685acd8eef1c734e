// Reading checkpoints checks everything first: every truncation of a real one, each header defect, a missing file,
// a directory and an empty file are errors (CheckpointError), never traps.
import Foundation
import Testing
import TestSupport

@testable import CharRNN

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
