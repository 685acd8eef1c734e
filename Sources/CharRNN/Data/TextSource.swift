// TextSource: where a corpus comes from, read in chunks that the tokenizer can cut exactly.
//
// Inputs are files, directories and stdin. A directory stands for its text files, found recursively and read in
// sorted path order (byte order of the path); hidden entries (names starting with ".") are skipped, and so are
// files that look binary (a NUL byte in their first 8 KiB). Files named explicitly are always read.
//
// Joining (documented in the README): the inputs are concatenated in order, with a line feed inserted after any
// input that does not already end with one, so the last line of one file never runs into the first of the next.
//
// Chunks end just after a line feed (or at the end of the stream): no UTF-8 sequence, grapheme cluster,
// normalization span or word crosses a line feed, so chunked tokenization equals whole-text tokenization.
import Foundation

/// One input of a corpus.
public enum TextInput: Sendable, Equatable {
    /// A file, by path.
    case file(String)
    /// Standard input (the path "-").
    case standardInput

    /// The name used in messages.
    public var name: String {
        switch self {
        case .file(let path): return path
        case .standardInput: return "<stdin>"
        }
    }
}

/// An ordered list of inputs, read as one text stream.
public struct TextSource: Sendable {
    /// The inputs, directories already expanded.
    public let inputs: [TextInput]
    /// Files skipped while expanding directories (hidden or binary).
    public let skipped: Int

    /// Target chunk size in bytes: big enough to amortize ICU calls, small enough to stay in cache-friendly
    /// buffers (the UTF-16 copy of a chunk is at most twice its size).
    public static let defaultChunkSize = 1 << 20

    /// Inputs exactly as given (no directory expansion).
    public init(inputs: [TextInput]) {
        self.inputs = inputs
        self.skipped = 0
    }

    /// Resolves paths: files are taken as they are, directories expand to their text files, "-" is stdin.
    ///
    /// - Throws: `CorpusError.missing` for a path that does not exist, `.noTextFiles` for a directory without
    ///   text files.
    public init(paths: [String]) throws(CorpusError) {
        var inputs: [TextInput] = []
        var skipped = 0
        for path in paths {
            if path == "-" {
                inputs.append(.standardInput)
                continue
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw .missing(path: path)
            }
            if !isDirectory.boolValue {
                inputs.append(.file(path))
                continue
            }
            let (files, skippedHere) = try Self.textFiles(in: path)
            skipped += skippedHere
            if files.isEmpty { throw .noTextFiles(directory: path, skipped: skippedHere) }
            inputs += files.map { .file($0) }
        }
        self.inputs = inputs
        self.skipped = skipped
    }

    /// The text files under `directory`, recursively, sorted by path bytes.
    private static func textFiles(in directory: String) throws(CorpusError) -> (files: [String], skipped: Int) {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
            throw .unreadable(path: directory, reason: "cannot list the directory")
        }
        var files: [String] = []
        var skipped = 0
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        while let relative = enumerator.nextObject() as? String {
            let path = base + relative
            let name = (relative as NSString).lastPathComponent
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            if name.hasPrefix(".") {
                if isDirectory.boolValue { enumerator.skipDescendants() }
                skipped += isDirectory.boolValue ? 0 : 1
                continue
            }
            if isDirectory.boolValue { continue }
            if looksBinary(path) {
                skipped += 1
                continue
            }
            files.append(path)
        }
        files.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        return (files, skipped)
    }

    /// True when the first 8 KiB of the file hold a NUL byte (or it cannot be opened; reading reports that).
    static func looksBinary(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 8192)) ?? Data()
        return head.contains(0)
    }

    /// Reads every input in order and calls `body` with chunks that end after a line feed or at the very end.
    ///
    /// - Parameters:
    ///   - chunkSize: the size to aim for; a chunk grows beyond it only when a line is longer.
    ///   - positions: records, for each input as it is opened, the stream offset of its first byte (so a
    ///     stream offset can be traced back to an input with `locate`).
    ///   - body: receives each chunk; the bytes are valid during the call.
    public func forEachChunk(
        chunkSize: Int = defaultChunkSize, positions: StreamPositions = StreamPositions(),
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        positions.inputStarts.removeAll()
        var streamOffset = 0  // bytes of the stream handed over or buffered so far
        var buffer = [UInt8](repeating: 0, count: max(chunkSize, 16))
        var filled = 0  // bytes in `buffer` not yet handed to `body`
        var lastByte: UInt8? = nil
        for (index, input) in inputs.enumerated() {
            let fd: Int32
            switch input {
            case .standardInput: fd = 0
            case .file(let path):
                fd = open(path, O_RDONLY)
                if fd < 0 { throw CorpusError.unreadable(path: path, reason: String(cString: strerror(errno))) }
            }
            defer { if fd != 0 { close(fd) } }
            positions.inputStarts.append(streamOffset)
            while true {
                if filled == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
                let n = buffer.withUnsafeMutableBytes { raw in
                    read(fd, raw.baseAddress! + filled, raw.count - filled)
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CorpusError.unreadable(path: input.name, reason: String(cString: strerror(errno)))
                }
                if n == 0 { break }
                // Binary data: a NUL byte is never part of text worth modelling (see `CorpusError.binary`).
                if let nul = buffer[filled..<(filled + n)].firstIndex(of: 0) {
                    throw CorpusError.binary(
                        source: input.name, offset: streamOffset - positions.inputStarts[index] + (nul - filled))
                }
                lastByte = buffer[filled + n - 1]
                filled += n
                streamOffset += n
                // Hand over everything up to the last line feed once the buffer is mostly full.
                if filled >= chunkSize, let cut = buffer[..<filled].lastIndex(of: 0x0A) {
                    try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[...cut])) }
                    buffer.withUnsafeMutableBufferPointer { b in
                        let rest = filled - (cut + 1)
                        if rest > 0 { b.baseAddress!.update(from: b.baseAddress! + cut + 1, count: rest) }
                    }
                    filled -= cut + 1
                }
            }
            // The join rule: a line feed after an input that lacks one, unless it is the last.
            if index < inputs.count - 1, let last = lastByte, last != 0x0A {
                if filled == buffer.count { buffer.append(0) }
                buffer[filled] = 0x0A
                filled += 1
                streamOffset += 1
                lastByte = 0x0A
            }
        }
        if filled > 0 {
            try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<filled])) }
        }
    }

    /// The input holding stream offset `offset`, and the offset within that input.
    public func locate(_ offset: Int, in positions: StreamPositions) -> (input: TextInput, offset: Int) {
        let starts = positions.inputStarts
        precondition(!starts.isEmpty, "locate needs the positions recorded by forEachChunk")
        let index = (starts.lastIndex { $0 <= offset }) ?? 0
        return (inputs[index], offset - starts[index])
    }
}

/// Where each input of a `TextSource` begins in the joined stream, as recorded while reading.
public final class StreamPositions {
    /// Stream offset of each input's first byte, in input order (inputs not yet opened are absent).
    public internal(set) var inputStarts: [Int] = []

    public init() {}
}
