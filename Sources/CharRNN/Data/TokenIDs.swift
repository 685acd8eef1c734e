// TokenIDs: an encoded corpus, stored as compactly as its vocabulary allows.
//
// Two bytes per token when every id fits in UInt16 (any character vocabulary), four otherwise (large word
// vocabularies); never Strings or 8-byte integers (char-rnn-tensorflow's int64 ids cost ~20× the text, #30).

/// A sequence of token ids in UInt16 or UInt32 storage.
public struct TokenIDs: RandomAccessCollection, Sendable, Equatable {
    /// The ids, in the narrowest width that holds them.
    public enum Storage: Sendable, Equatable {
        /// Ids below 65,536, two bytes each.
        case uint16([UInt16])
        /// Larger ids (word vocabularies), four bytes each.
        case uint32([UInt32])
    }

    public private(set) var storage: Storage

    /// An empty sequence whose ids will all be below `limit`.
    public init(idLimit limit: Int = 65536) {
        storage = limit <= 65536 ? .uint16([]) : .uint32([])
    }

    /// Ids in the given storage.
    public init(storage: Storage) { self.storage = storage }

    /// Ids from an array (storage chosen by the largest value).
    public init<S: Sequence<Int>>(_ ids: S) {
        let array = Array(ids)
        self.init(idLimit: (array.max() ?? 0) + 1)
        for id in array { append(id) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case .uint16(let a): return a.count
        case .uint32(let a): return a.count
        }
    }

    @inline(__always)
    public subscript(position: Int) -> Int {
        switch storage {
        case .uint16(let a): return Int(a[position])
        case .uint32(let a): return Int(a[position])
        }
    }

    /// Bytes per stored id: 2 or 4.
    public var bytesPerID: Int {
        if case .uint16 = storage { return 2 }
        return 4
    }

    /// Appends an id, widening the storage to UInt32 the first time one does not fit in UInt16.
    @inline(__always)
    public mutating func append(_ id: Int) {
        precondition(id >= 0 && id <= Int(UInt32.max), "token id \(id) out of range")
        switch storage {
        case .uint16(var a):
            if id <= Int(UInt16.max) {
                storage = .uint16([])  // release the reference so the append does not copy
                a.append(UInt16(id))
                storage = .uint16(a)
            } else {
                var wide = a.map { UInt32($0) }
                wide.append(UInt32(id))
                storage = .uint32(wide)
            }
        case .uint32(var a):
            storage = .uint32([])
            a.append(UInt32(id))
            storage = .uint32(a)
        }
    }

    /// Replaces every id `i` with `map[i]`, narrowing to UInt16 when all results fit. In place when the storage
    /// width is unchanged, so remapping a corpus costs no second copy.
    public mutating func remap(_ map: [Int32]) {
        let fitsNarrow = (map.max() ?? 0) <= Int32(UInt16.max)
        switch storage {
        case .uint16(var a):
            storage = .uint16([])
            if fitsNarrow {
                a.withUnsafeMutableBufferPointer { ids in
                    for k in ids.indices { ids[k] = UInt16(truncatingIfNeeded: map[Int(ids[k])]) }
                }
                storage = .uint16(a)
            } else {
                storage = .uint32(a.map { UInt32(map[Int($0)]) })
            }
        case .uint32(var a):
            storage = .uint32([])
            if fitsNarrow {
                storage = .uint16(a.map { UInt16(truncatingIfNeeded: map[Int($0)]) })
            } else {
                a.withUnsafeMutableBufferPointer { ids in
                    for k in ids.indices { ids[k] = UInt32(map[Int(ids[k])]) }
                }
                storage = .uint32(a)
            }
        }
    }
}
