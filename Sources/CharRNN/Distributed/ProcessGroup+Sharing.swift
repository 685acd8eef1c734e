// What rank 0 reads and every rank needs: a value (the configurations), the corpus, a checkpoint. Rank 0 does
// the work and broadcasts the result, so the corpus and the checkpoint need to exist only where rank 0 runs and
// the ranks can never disagree on the vocabulary or the settings; a failure on rank 0 fails every rank with it.
import Foundation

extension ProcessGroup {
    /// Rank 0's `make()`, on every rank (JSON across the wire). One process: just `make()`.
    public func fromRoot<V: Codable>(_ make: () throws -> V) throws -> V {
        guard size > 1 else { return try make() }
        var bytes: [UInt8] = []
        try onRoot { bytes = Array(try JSONEncoder().encode(make())) }
        try broadcast(&bytes)
        do { return try JSONDecoder().decode(V.self, from: Data(bytes)) } catch {
            throw DistributedError.call("sharing a value from rank 0", "\(error)")
        }
    }

    /// Rank 0's corpus from `load()`, on every rank: its vocabulary, ids and statistics (not the token
    /// frequencies, which only `charrnn vocab` shows). One process: just `load()`.
    public func corpusFromRoot(_ load: () throws -> Corpus) throws -> Corpus {
        guard size > 1 else { return try load() }
        var corpus: Corpus?
        var header: [UInt8] = []
        try onRoot {
            let loaded = try load()
            corpus = loaded
            let s = loaded.statistics
            let description = SharedCorpus(
                vocabulary: String(decoding: try loaded.vocabulary.jsonData(), as: UTF8.self), bytes: s.bytes,
                tokens: s.tokens, inputs: s.inputs, skippedFiles: s.skippedFiles, invalidUTF8Count: s.invalidUTF8Count,
                firstInvalidInput: s.firstInvalidUTF8?.input, firstInvalidOffset: s.firstInvalidUTF8?.offset,
                unknownCount: loaded.unknownCount, count: loaded.ids.count, bytesPerID: loaded.ids.bytesPerID)
            header = Array(try JSONEncoder().encode(description))
        }
        try broadcast(&header)
        let shared: SharedCorpus
        do { shared = try JSONDecoder().decode(SharedCorpus.self, from: Data(header)) } catch {
            throw DistributedError.call("sharing the corpus", "\(error)")
        }
        var ids: [UInt8] = []
        if let corpus {
            switch corpus.ids.storage {
            case .uint16(let values): ids = values.withUnsafeBytes { Array($0) }
            case .uint32(let values): ids = values.withUnsafeBytes { Array($0) }
            }
        }
        try broadcast(&ids)
        if let corpus { return corpus }
        let storage: TokenIDs.Storage = ids.withUnsafeBytes { raw in
            shared.bytesPerID == 2
                ? .uint16(Array(raw.bindMemory(to: UInt16.self))) : .uint32(Array(raw.bindMemory(to: UInt32.self)))
        }
        let vocabulary: Vocabulary
        do { vocabulary = try Vocabulary.decode(jsonData: Data(shared.vocabulary.utf8)) } catch {
            throw DistributedError.call("sharing the vocabulary", "\(error)")
        }
        var statistics = CorpusStatistics()
        (statistics.bytes, statistics.tokens, statistics.inputs) = (shared.bytes, shared.tokens, shared.inputs)
        (statistics.skippedFiles, statistics.invalidUTF8Count) = (shared.skippedFiles, shared.invalidUTF8Count)
        if let input = shared.firstInvalidInput, let offset = shared.firstInvalidOffset {
            statistics.firstInvalidUTF8 = (input, offset)
        }
        return Corpus(
            ids: TokenIDs(storage: storage), vocabulary: vocabulary, frequencies: [], statistics: statistics,
            unknownCount: shared.unknownCount)
    }

    /// The checkpoint at `path` as rank 0 reads it, on every rank (its bytes cross the wire and every rank checks
    /// them, as `Checkpoint.read` does).
    public func checkpointFromRoot(_ path: String) throws -> Checkpoint {
        guard size > 1 else { return try Checkpoint.read(from: path) }
        var bytes: [UInt8] = []
        try onRoot {
            guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError.missing(path: path) }
            bytes = try readWholeFile(path)
        }
        try broadcast(&bytes)
        return try Checkpoint.decode(bytes, path: path)
    }

    /// Stops every rank, naming the first, when the ranks were not all started with the same `arguments`: a rank
    /// with other flags would otherwise train something else than it appears to.
    public func checkSameArguments(_ arguments: [String]) throws {
        guard size > 1 else { return }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in arguments.joined(separator: "\u{0}").utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let hashes = try gather(withUnsafeBytes(of: hash) { Array($0) })
        var first = [UInt8]()
        if let hashes, let index = hashes.firstIndex(where: { $0 != hashes[0] }) { first = Array(String(index).utf8) }
        try broadcast(&first)
        if let rank = Int(String(decoding: first, as: UTF8.self)) { throw DistributedError.argumentsDiffer(rank: rank) }
    }
}

/// What crosses the wire about a corpus besides its ids.
private struct SharedCorpus: Codable {
    var vocabulary: String
    var bytes, tokens, inputs, skippedFiles, invalidUTF8Count: Int
    var firstInvalidInput: String?
    var firstInvalidOffset: Int?
    var unknownCount, count, bytesPerID: Int
}
