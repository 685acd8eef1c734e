// `charrnn sample` through the built binary: seeds, primes, stop texts, every cell and unit, bad flags and
// checkpoints. tinyCheckpoint trains the small model the other command tests use too.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

/// Trains a tiny model (through the binary) in `dir`, a directory of the calling test's own, and returns its
/// checkpoint path.
func tinyCheckpoint(in dir: URL, unit: String = "grapheme", cell: String = "lstm") throws -> String {
    let run = dir.appendingPathComponent("tiny-\(unit)-\(cell)").path
    var text = ""
    for i in 0..<40 { text += "床前明月光，疑是地上霜。héllo wörld \(i % 3)\n" }
    let r = try runCharRNN(
        [
            "train", "--no-auto", "-o", run, "--unit", unit, "--cell", cell, "--hidden", "16", "--embedding", "8",
            "--batch-size", "4", "--seq-length", "8", "--max-steps", "10", "--eval-every", "10", "--quiet",
        ], stdin: Data(text.utf8))
    try #require(r.status == 0, "\(r.stderr)")
    return run + "/latest.safetensors"
}

@Suite struct SampleCommandTests {
    @Test func sameSeedGivesTheSameBytesAndThePrimeIsEchoed() throws {
        try withTemporaryDirectory { dir in
            let model = try tinyCheckpoint(in: dir)
            let a = try runCharRNN(["sample", "-m", model, "--length", "50", "--seed", "5"], stdin: Data("床前".utf8))
            let b = try runCharRNN(["sample", "-m", model, "--length", "50", "--seed", "5"], stdin: Data("床前".utf8))
            #expect(a.status == 0 && a.stderr.isEmpty, "\(a.stderr)")
            #expect(a.stdout == b.stdout)
            #expect(a.stdout.hasPrefix("床前"))
            // The same prime and seed without the echo: the same continuation, without the prime in front.
            let c = try runCharRNN([
                "sample", "-m", model, "--length", "50", "--seed", "5", "--prime", "床前", "--no-echo-prime",
            ])
            #expect(c.status == 0 && "床前" + c.stdout == a.stdout, "\(c.stdout) vs \(a.stdout)")
            let several = try runCharRNN([
                "sample", "-m", model, "--length", "20", "--seed", "5", "--num-samples", "3", "--separator", "\n@@\n",
                "--prime", "h",
            ])
            let samples = several.stdout.components(separatedBy: "\n@@\n")
            #expect(samples.count == 3 && samples.allSatisfy { $0.hasPrefix("h") }, "\(several.stdout)")
        }
    }

    @Test func stopEndsTheSampleAndUnknownPrimeTokensWarnOrFail() throws {
        try withTemporaryDirectory { dir in
            let model = try tinyCheckpoint(in: dir)
            let stopped = try runCharRNN([
                "sample", "-m", model, "--length", "500", "--seed", "1", "--prime", "床", "--stop", "\n",
            ])
            #expect(stopped.status == 0)
            // The stop text, then the final line feed.
            #expect(stopped.stdout.dropLast().hasSuffix("\n"), "\(stopped.stdout)")
            #expect(stopped.stdout.dropLast().filter { $0 == "\n" }.count == 1)
            let warned = try runCharRNN(["sample", "-m", model, "--length", "5", "--prime", "zq床"])
            #expect(
                warned.status == 0
                    && warned.stderr.contains("outside the model's vocabulary, read as <unk>: \"z\", \"q\""),
                "\(warned.stderr)")
            let strict = try runCharRNN(["sample", "-m", model, "--length", "5", "--prime", "zq床", "--strict"])
            #expect(strict.status == 1 && strict.stderr.hasPrefix("charrnn: error: the prime has 2 tokens outside"))
        }
    }

    @Test(arguments: [
        ("grapheme", "lstm"), ("grapheme", "gru"), ("grapheme", "rnn"), ("codepoint", "lstm"), ("word", "gru"),
        ("byte", "rnn"),
    ])
    func everyCellAndUnitSamples(unit: String, cell: String) throws {
        try withTemporaryDirectory { dir in
            let model = try tinyCheckpoint(in: dir, unit: unit, cell: cell)
            let r = try runCharRNN(["sample", "-m", model, "--length", "40", "--seed", "2", "--prime", "床前"])
            #expect(r.status == 0 && r.stderr.isEmpty, "\(unit) \(cell): \(r.stderr)")
            #expect(r.stdout.hasPrefix("床前") && r.stdout.count > 3)
        }
    }

    @Test func byteModelsEmitValidUTF8() throws {
        try withTemporaryDirectory { dir in
            let model = try tinyCheckpoint(in: dir, unit: "byte")
            for seed in 1...5 {
                let r = try runCharRNN([
                    "sample", "-m", model, "--length", "200", "--seed", "\(seed)", "--temperature", "2", "--prime", "é",
                ])
                #expect(r.status == 0)
                // `stdout` is decoded leniently; decode the bytes strictly.
                #expect(String(validating: r.stdoutBytes, as: UTF8.self) != nil && !r.stdoutBytes.isEmpty)
            }
        }
    }

    @Test func closedPipeEndsQuietlyWithStatusZero() throws {
        try withTemporaryDirectory { dir in
            let model = try tinyCheckpoint(in: dir)
            let stderrFile = dir.appendingPathComponent("stderr").path
            let exe = charrnnExecutable.path
            // pipefail: the pipeline's status is charrnn's (141 if SIGPIPE killed it) unless charrnn exits 0.
            let script =
                "set -o pipefail; '\(exe)' sample -m '\(model)' --length 100000 --prime h --seed 1 2>'\(stderrFile)' | "
                + "head -c 100 >/dev/null"
            let process = try runProgram(URL(fileURLWithPath: "/bin/bash"), ["-c", script])
            #expect(process.status == 0)
            let stderr = try String(contentsOfFile: stderrFile, encoding: .utf8)
            #expect(stderr.isEmpty, "\(stderr)")
        }
    }

    @Test(arguments: [
        (["sample", "-m", "/no/such.safetensors", "--prime", "a"], "/no/such.safetensors: no such checkpoint"),
        (["sample", "--temperature", "0", "--prime", "a"], "--temperature must be positive"),
        (["sample", "--temperature=-1", "--prime", "a"], "--temperature must be positive"),
        (["sample", "--top-p", "1.5", "--prime", "a"], "--top-p must be in (0, 1]"),
        (["sample", "--top-p", "0", "--prime", "a"], "--top-p must be in (0, 1]"),
        (["sample", "--top-k", "0", "--prime", "a"], "--top-k must be at least 1"),
        (["sample", "--length=-1", "--prime", "a"], "--length must be 0 or more"),
        (["sample", "--prime", "a", "--prime-file", "/etc/hostname"], "give --prime or --prime-file, not both"),
        (["sample", "--prime-file", "/no/such/prime.txt"], "--prime-file /no/such/prime.txt: no such file"),
        (["sample", "--prime-file", "/tmp"], "--prime-file /tmp: a directory, not a file"),
    ])
    func badFlagsAreOneLineErrors(arguments: [String], message: String) throws {
        let r = try runCharRNN(arguments)
        #expect(r.status != 0 && r.stderr.hasPrefix("charrnn: error: ") && r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    /// An empty stdin, /dev/null, a socket a parent left open and an explicit empty prime all sample unprimed,
    /// alike and without waiting for input; a regular file on stdin primes like --prime.
    @Test func stdinThatIsNotTextSamplesUnprimedAndNeverHangs() throws {
        try withTemporaryDirectory { dir in
            let model = try tinyCheckpoint(in: dir)
            let args = ["sample", "-m", model, "--length", "30", "--seed", "4"]
            let reference = try runCharRNN(args + ["--prime", ""])
            #expect(
                reference.status == 0 && reference.stderr.isEmpty && !reference.stdout.isEmpty, "\(reference.stderr)")
            let empty = try runCharRNN(args, stdin: Data())
            #expect(empty.status == 0 && empty.stderr.isEmpty && empty.stdout == reference.stdout, "\(empty.stderr)")
            let devNull = try runCharRNN(
                args, standardInput: try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/null")))
            #expect(devNull.status == 0 && devNull.stdout == reference.stdout, "\(devNull.stderr)")
            // A socket whose other end stays open and silent: reading it would never end.
            var ends: [Int32] = [0, 0]
            try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
            let (ours, theirs) = (
                FileHandle(fileDescriptor: ends[0], closeOnDealloc: true),
                FileHandle(fileDescriptor: ends[1], closeOnDealloc: true)
            )
            let socket = try runCharRNN(args, standardInput: theirs)
            #expect(socket.status == 0 && socket.stdout == reference.stdout, "\(socket.stderr)")
            try ours.close()
            // A regular file on stdin is read, as a pipe is.
            let file = dir.appendingPathComponent("prime.txt")
            try Data("床前".utf8).write(to: file)
            let fromFile = try runCharRNN(args, standardInput: try FileHandle(forReadingFrom: file))
            let fromFlag = try runCharRNN(args + ["--prime", "床前"])
            #expect(fromFile.status == 0 && fromFile.stdout == fromFlag.stdout && fromFile.stdout.hasPrefix("床前"))
        }
    }

    /// --prime-file primes as --prime does with the same text, under the same <unk> rules.
    @Test func primeFileIsTheSameAsThePrimeText() throws {
        try withTemporaryDirectory { dir in
            let model = try tinyCheckpoint(in: dir)
            let prime = String(repeating: "床前明月光，疑是地上霜。\n", count: 200)
            let file = dir.appendingPathComponent("prime.txt").path
            try Data(prime.utf8).write(to: URL(fileURLWithPath: file))
            let args = ["sample", "-m", model, "--length", "40", "--seed", "6", "--no-echo-prime"]
            let fromFile = try runCharRNN(args + ["--prime-file", file])
            let fromText = try runCharRNN(args + ["--prime", prime])
            #expect(
                fromFile.status == 0 && fromFile.stderr.isEmpty && fromFile.stdout == fromText.stdout,
                "\(fromFile.stderr)")
            let echoed = try runCharRNN(["sample", "-m", model, "--length", "5", "--seed", "6", "--prime-file", file])
            #expect(echoed.stdout.hasPrefix(prime))
            try Data("zq床".utf8).write(to: URL(fileURLWithPath: file))
            let warned = try runCharRNN(["sample", "-m", model, "--length", "5", "--prime-file", file])
            #expect(warned.status == 0 && warned.stderr.contains("read as <unk>: \"z\", \"q\""), "\(warned.stderr)")
            let strict = try runCharRNN(["sample", "-m", model, "--length", "5", "--prime-file", file, "--strict"])
            #expect(strict.status == 1 && strict.stderr.hasPrefix("charrnn: error: the prime has 2 tokens outside"))
        }
    }

    @Test func badCheckpointsAreOneLineErrors() throws {
        try withTemporaryDirectory { dir in
            let model = try tinyCheckpoint(in: dir)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: model))
            for (name, data) in [
                ("truncated", bytes.prefix(bytes.count / 2)), ("garbage", Data("not a checkpoint at all".utf8)),
                ("empty", Data()),
            ] {
                let path = dir.appendingPathComponent(name).path
                try data.write(to: URL(fileURLWithPath: path))
                let r = try runCharRNN(["sample", "-m", path, "--prime", "a"])
                #expect(
                    r.status == 1 && r.stderr.hasPrefix("charrnn: error: \(path): not a valid safetensors checkpoint"),
                    "\(name): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1)
            }
        }
    }
}
