// `charrnn vocab` through the built binary: output, JSON, --output, exit codes and one-line errors.
import Foundation
import Testing
import TestSupport

@testable import CharRNN

@Suite struct VocabCommandTests {
    @Test func reportsCountsAndTopTokensFromStdin() throws {
        let r = try runCharRNN(["vocab", "--top", "2"], stdin: Data("abracadabra\n".utf8))
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.contains("read 12 bytes from 1 input"))
        #expect(r.stdout.contains("tokens: 12 (unit grapheme, normalization nfc)"))
        #expect(r.stdout.contains("distinct tokens: 6"))
        #expect(r.stdout.contains("vocabulary: 7 ids (6 tokens + <unk>), covering 100.00% of the text"))
        let lines = r.stdout.split(separator: "\n")
        #expect(
            lines.suffix(2).map { $0.split(separator: " ").map(String.init) } == [
                ["1", "5", "41.67%", "2", "\"a\""], ["2", "2", "16.67%", "3", "\"b\""],
            ])
    }

    @Test func jsonOutputAndSavedVocabulary() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("vocab.json").path
        let r = try runCharRNN(
            ["vocab", "--json", "--all", "--max-vocab", "3", "-o", out], stdin: Data("aab c\n".utf8))
        #expect(r.status == 0)
        let report = try jsonObject(r.stdout)
        #expect(report["tokens"] as? Int == 6)
        #expect(report["distinctTokens"] as? Int == 5)
        #expect(report["vocabularySize"] as? Int == 3)
        #expect(report["unknownCount"] as? Int == 3)
        #expect((report["top"] as? [Any])?.count == 5)
        let saved = try Vocabulary.decode(jsonData: Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(saved.count == 3)
        // a (2), then the smallest of the tokens seen once (b, " ", c, "\n"): the line feed, 0x0A.
        #expect(saved.decode([1, 2]) == "\na")
    }

    @Test(arguments: [
        (["vocab", "/no/such/corpus.txt"], "/no/such/corpus.txt: no such file or directory"),
        (["vocab", "--max-vocab", "1", "x"], "--max-vocab must be at least 2"),
        (["vocab", "--min-count", "0", "x"], "--min-count must be at least 1"),
        (["vocab", "--unit", "letters", "x"], "'letters' is invalid for '--unit <unit>'"),
        (["vocab", "--bogus"], "Unknown option '--bogus'"),
    ])
    func badInputIsOneLineAndNonZeroExit(arguments: [String], message: String) throws {
        let r = try runCharRNN(arguments, stdin: Data())
        #expect(r.status != 0)
        #expect(r.stderr.hasPrefix("charrnn: error: "), "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }

    @Test func emptyInputAndEmptyDirectoryAreErrors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = try runCharRNN(["vocab"], stdin: Data())
        #expect(
            empty.status == 1
                && empty.stderr == "charrnn: error: <stdin>: the input is empty; give a corpus with some text in it\n")
        try Data([0, 1, 2]).write(to: dir.appendingPathComponent("blob.bin"))
        let noText = try runCharRNN(["vocab", dir.path])
        #expect(noText.status == 1)
        #expect(noText.stderr.contains("directory holds no text files (1 binary or hidden files skipped)"))
    }

    /// A path that exists but cannot be opened for reading, whoever runs the test (root reads any file, so
    /// permissions cannot show it): a UNIX socket, which open() refuses. One line, status 1, no output file.
    @Test func unreadableInputIsOneLine() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("socket").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0, "bind: \(String(cString: strerror(errno)))")
        let output = dir.appendingPathComponent("vocab.json").path
        let r = try runCharRNN(["vocab", path, "-o", output])
        #expect(r.status == 1 && r.stderr.hasPrefix("charrnn: error: \(path): cannot read"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func invalidUTF8WarnsOnceOrFailsWhenStrict() throws {
        let bytes = Data([0x61, 0xFF, 0x62, 0x0A, 0xC3])
        let lenient = try runCharRNN(["vocab"], stdin: bytes)
        #expect(lenient.status == 0)
        #expect(
            lenient.stderr
                == "charrnn: warning: <stdin>: 2 ill-formed UTF-8 sequences replaced by U+FFFD, the first at byte "
                + "offset 1; use --strict-utf8 to refuse such input\n"
        )
        let strict = try runCharRNN(["vocab", "--strict-utf8"], stdin: bytes)
        #expect(strict.status == 1)
        #expect(strict.stderr.hasPrefix("charrnn: error: <stdin>: ill-formed UTF-8 at byte offset 1"))
    }

    @Test func helpDocumentsEveryOption() throws {
        let r = try runCharRNN(["vocab", "--help"])
        #expect(r.status == 0)
        for option in [
            "--unit", "--normalize", "--strict-utf8", "--locale", "--max-vocab", "--min-count", "--top",
            "--all", "--json", "--output",
        ] {
            #expect(r.stdout.contains(option), "\(option) missing from --help")
        }
    }
}
