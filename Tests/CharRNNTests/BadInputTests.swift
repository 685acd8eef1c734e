// Bad input through the binary: each case exits non-zero with one line on stderr that starts `charrnn: error:`,
// says what is wrong, and leaves no output file behind.
import Foundation
import Testing
import TestSupport

@testable import CharRNN

@Suite struct BadInputTests {
    /// Runs `arguments` (with `{out}` replaced by a path in a fresh directory) and checks the failure and that
    /// nothing exists at `{out}` afterwards.
    func expectOneLineFailure(
        _ arguments: [String], stdin: Data? = ResumeTests.text, message: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path
        let r = try runCharRNN(arguments.map { $0.replacingOccurrences(of: "{out}", with: out) }, stdin: stdin)
        #expect(r.status != 0, "\(arguments): status 0", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("charrnn: error: "), "\(arguments): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(
            !FileManager.default.fileExists(atPath: out), "\(arguments) left \(out)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        (["--seq-length", "0"], "--seq-length must be at least 1, got 0"),
        (["--embedding", "0"], "--embedding must be at least 1, got 0"),
        (["--dropout=-0.1"], "--dropout must be in [0, 1), got -0.1"),
        (["--val-frac=-0.5"], "--val-frac must be in [0, 1), got -0.5"),
        (["--learning-rate=-1"], "--learning-rate must be positive, got -1.0"),
        (["--grad-clip=-2"], "--grad-clip must be 0 (off) or positive, got -2.0"),
        (["--threads", "0"], "--threads must be at least 1, got 0"),
        (["--weight-drop", "1"], "--weight-drop must be in [0, 1), got 1.0"),
        (["--input-dropout=-0.2"], "--input-dropout must be in [0, 1), got -0.2"),
        (["--output-dropout", "nan"], "--output-dropout must be in [0, 1), got nan"),
        (["--embedding-dropout", "1.5"], "--embedding-dropout must be in [0, 1), got 1.5"),
        (["--dropout-masks", "sometimes"], "The value 'sometimes' is invalid for '--dropout-masks"),
        (
            ["--warmup-steps", "5"],
            "--warmup-steps, --min-lr-factor and --lr-decay-steps apply only to --lr-schedule cosine"
        ),
    ])
    func badTrainingFlags(flags: [String], message: String) throws {
        try expectOneLineFailure(["train", "--no-auto", "-o", "{out}", "--max-steps", "2"] + flags, message: message)
    }

    /// A corrupt checkpoint given to every command that reads one.
    @Test func corruptCheckpoints() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try tinyCheckpoint(in: dir)
        let corrupt = dir.appendingPathComponent("corrupt.safetensors").path
        var bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        bytes.removeLast(bytes.count / 3)
        try bytes.write(to: URL(fileURLWithPath: corrupt))
        let message = "\(corrupt): not a valid safetensors checkpoint"
        try expectOneLineFailure(["eval", "-m", corrupt], message: message)
        try expectOneLineFailure(["export", corrupt, "-o", "{out}"], message: message)
        try expectOneLineFailure(
            ["train", "--no-auto", "-o", "{out}", "--resume", corrupt, "--max-steps", "2"], message: message)
        try expectOneLineFailure(["info", corrupt], message: message)
        try expectOneLineFailure(["sample", "-m", corrupt, "--prime", "a"], message: message)
    }

    /// `vocab -o` writes nothing when the input is bad.
    @Test func vocabularyOutputAfterBadInput() throws {
        try expectOneLineFailure(["vocab", "-o", "{out}"], stdin: Data(), message: "<stdin>: the input is empty")
        try expectOneLineFailure(
            ["vocab", "/no/such/corpus.txt", "-o", "{out}"], message: "/no/such/corpus.txt: no such file")
        try expectOneLineFailure(
            ["vocab", "--strict-utf8", "-o", "{out}"], stdin: Data([0x61, 0xFF, 0x0A]),
            message: "ill-formed UTF-8 at byte offset 1")
        try expectOneLineFailure(
            ["vocab", "-o", "{out}"], stdin: Data("a\u{0}b\n".utf8), message: "binary data (NUL byte at offset 1)")
    }
}
