// Inputs: directories expand to their text files in sorted order (hidden and binary files skipped), inputs are
// joined with a line feed where one is missing, and errors name the path.
import Foundation
import Testing
import TestSupport

@testable import CharRNN

@Suite struct TextSourceTests {
    func write(_ text: String, _ name: String, in dir: URL) throws {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func read(_ source: TextSource, chunkSize: Int = 1 << 20) throws -> String {
        var bytes: [UInt8] = []
        try source.forEachChunk(chunkSize: chunkSize) { bytes += $0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func directoriesExpandRecursivelyInSortedOrderSkippingHiddenAndBinary() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write("B\n", "b.txt", in: dir)
        try write("A", "a.txt", in: dir)  // no trailing newline: one is inserted
        try write("C\n", "sub/c.txt", in: dir)
        try write("Z\n", "Z.txt", in: dir)  // "Z" (0x5A) sorts before "a" (0x61)
        try write("hidden\n", ".hidden.txt", in: dir)
        try write("git\n", ".git/config", in: dir)
        try Data([0x50, 0x4B, 0x03, 0x04, 0x00, 0x00]).write(to: dir.appendingPathComponent("archive.zip"))
        let source = try TextSource(paths: [dir.path])
        #expect(source.inputs.map(\.name) == ["Z.txt", "a.txt", "b.txt", "sub/c.txt"].map { dir.path + "/" + $0 })
        #expect(source.skipped == 2)  // .hidden.txt and archive.zip (.git is skipped whole)
        #expect(try read(source) == "Z\nA\nB\nC\n")
    }

    @Test func lastInputGetsNoExtraNewlineAndOrderIsAsGiven() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write("one", "1.txt", in: dir)
        try write("two", "2.txt", in: dir)
        let source = try TextSource(paths: [
            dir.appendingPathComponent("2.txt").path, dir.appendingPathComponent("1.txt").path,
        ])
        #expect(try read(source) == "two\none")
    }

    @Test func chunksEndAfterLineFeedsAndLocateFindsTheInput() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write("aaaa\nbbbb\ncccc", "x.txt", in: dir)
        try write("dd\nee\n", "y.txt", in: dir)
        let source = try TextSource(paths: [
            dir.appendingPathComponent("x.txt").path, dir.appendingPathComponent("y.txt").path,
        ])
        var chunks: [String] = []
        let positions = StreamPositions()
        try source.forEachChunk(chunkSize: 3, positions: positions) {
            chunks.append(String(decoding: $0, as: UTF8.self))
        }
        #expect(chunks.joined() == "aaaa\nbbbb\ncccc\ndd\nee\n")
        #expect(chunks.dropLast().allSatisfy { $0.hasSuffix("\n") })
        #expect(positions.inputStarts == [0, 15])
        #expect(source.locate(16, in: positions).offset == 1)
        #expect(source.locate(16, in: positions).input == .file(dir.appendingPathComponent("y.txt").path))
    }

    @Test func nulBytesAreBinaryDataWithTheirInputAndOffset() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write("first\n", "a.txt", in: dir)
        // A NUL far past the first 8 KiB: the directory keeps the file, reading it is the error.
        try write(String(repeating: "x", count: 10_000) + "\u{0}tail\n", "b.txt", in: dir)
        let b = dir.appendingPathComponent("b.txt").path
        #expect(throws: CorpusError.binary(source: b, offset: 10_000)) {
            try read(TextSource(paths: [dir.path]), chunkSize: 4096)
        }
        #expect(throws: CorpusError.binary(source: b, offset: 10_000)) { try read(TextSource(paths: [b])) }
        // Through the binary: stdin, one line, non-zero exit.
        let r = try runCharRNN(["vocab", "-"], stdin: Data("ab\u{0}c\n".utf8))
        #expect(r.status == 1)
        #expect(
            r.stderr
                == "charrnn: error: <stdin>: binary data (NUL byte at offset 2); charrnn reads UTF-8 text: remove the "
                + "file from the corpus (directories skip files that look binary), or strip NUL bytes with tr -d "
                + "'\\000'\n",
            "\(r.stderr)")
    }

    @Test func errorsNameThePath() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: CorpusError.missing(path: "/no/such/file")) { try TextSource(paths: ["/no/such/file"]) }
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(throws: CorpusError.noTextFiles(directory: empty.path, skipped: 0)) {
            try TextSource(paths: [empty.path])
        }
        try write("", "blank.txt", in: dir)
        #expect(throws: CorpusError.empty(source: dir.appendingPathComponent("blank.txt").path)) {
            try Corpus.load(
                from: TextSource(paths: [dir.appendingPathComponent("blank.txt").path]), tokenizer: TokenizerConfig())
        }
    }

    @Test func loadsTinyShakespeareLikeNanoGPT() throws {
        let corpus = try Corpus.load(from: TextSource(paths: [tinyShakespeare.path]), tokenizer: TokenizerConfig())
        #expect(corpus.statistics.bytes == 1_115_394)
        #expect(corpus.ids.count == 1_115_394)
        #expect(corpus.vocabulary.count == 66)  // 65 characters + <unk>
        #expect(corpus.ids.bytesPerID == 2)
    }
}
