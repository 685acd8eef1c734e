// The safetensors container (huggingface/safetensors), which Python's `safetensors`, NumPy and PyTorch read
// directly:
//
//   8 bytes   N, the header length, u64 little-endian
//   N bytes   JSON: {"__metadata__": {string: string}, "<name>": {"dtype": "F32", "shape": [..],
//             "data_offsets": [begin, end]}, …}, padded with spaces to a multiple of 8
//   the rest  raw little-endian tensor data; offsets are relative to its start
//
// The reader trusts nothing: header length against the file size, JSON shape, dtypes, shapes, sizes, offsets
// inside the data and not overlapping. Every failure is a CheckpointError naming the problem.
import Foundation

/// One tensor to write: a name, a shape and its Float32 values.
struct SafetensorsEntry {
    var name: String
    var shape: [Int]
    var values: UnsafeBufferPointer<Float>

    /// A tensor to encode: its name, shape, and values (row-major, as many as the shape holds).
    init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// A parsed safetensors file: its metadata and where each tensor's bytes are.
struct SafetensorsFile {
    /// One tensor's entry in the header: its shape and the byte range of its data.
    struct Tensor: Equatable, Sendable {
        var dtype: String
        var shape: [Int]
        /// Byte range within `bytes`.
        var range: Range<Int>
    }

    let bytes: [UInt8]
    let metadata: [String: String]
    let tensors: [String: Tensor]

    /// The Float32 values of tensor `name` (which must exist with dtype F32).
    func floats(_ name: String) -> [Float] {
        let t = tensors[name]!
        precondition(t.dtype == "F32", "tensor \(name) is \(t.dtype), not F32")
        var out = [Float](repeating: 0, count: t.range.count / 4)
        bytes.withUnsafeBytes { raw in
            for i in 0..<out.count {
                out[i] = Float(
                    bitPattern: UInt32(
                        littleEndian: raw.loadUnaligned(fromByteOffset: t.range.lowerBound + 4 * i, as: UInt32.self)))
            }
        }
        return out
    }
}

/// The safetensors container: an 8-byte header length, a JSON header, then the tensors' bytes.
enum Safetensors {
    /// Bytes of a safetensors file holding `entries` (in that order) and `metadata`.
    static func encode(_ entries: [SafetensorsEntry], metadata: [String: String]) throws -> [UInt8] {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for e in entries {
            precondition(
                e.shape.reduce(1, *) == e.values.count,
                "tensor \(e.name): shape \(e.shape) does not hold \(e.values.count) values")
            header[e.name] = ["dtype": "F32", "shape": e.shape, "data_offsets": [offset, offset + 4 * e.values.count]]
            offset += 4 * e.values.count
        }
        var json = Array(
            try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]))
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        out += json
        for e in entries {
            for v in e.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
        }
        return out
    }

    /// Parses and validates a safetensors file's bytes. `path` is for messages.
    static func decode(_ bytes: [UInt8], path: String) throws(CheckpointError) -> SafetensorsFile {
        func bad(_ reason: String) -> CheckpointError { .malformed(path: path, reason: reason) }
        guard bytes.count >= 8 else {
            throw bad("the file has \(bytes.count) bytes, fewer than the 8 of the header length")
        }
        let length = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length <= UInt64(bytes.count - 8) else {
            throw bad("the header claims \(length) bytes but the file has only \(bytes.count - 8) after the length")
        }
        let dataStart = 8 + Int(length)
        let dataSize = bytes.count - dataStart
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        } catch {
            throw bad("the header is not valid JSON")
        }
        guard let header = parsed as? [String: Any] else { throw bad("the header is not a JSON object") }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let dict = raw as? [String: Any] else { throw bad("__metadata__ is not an object") }
            for (k, v) in dict {
                guard let s = v as? String else { throw bad("__metadata__.\(k) is not a string") }
                metadata[k] = s
            }
        }
        var tensors: [String: SafetensorsFile.Tensor] = [:]
        for (name, raw) in header where name != "__metadata__" {
            guard let entry = raw as? [String: Any] else { throw bad("tensor \(name) is not an object") }
            guard let dtype = entry["dtype"] as? String else { throw bad("tensor \(name) has no dtype") }
            guard dtype == "F32" else { throw bad("tensor \(name) has dtype \(dtype); charrnn stores F32") }
            guard let shapeAny = entry["shape"] as? [Any], let shape = integers(shapeAny), shape.allSatisfy({ $0 >= 0 })
            else {
                throw bad("tensor \(name) has no valid shape")
            }
            guard let offsetsAny = entry["data_offsets"] as? [Any], let offsets = integers(offsetsAny),
                offsets.count == 2
            else {
                throw bad("tensor \(name) has no valid data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw bad("tensor \(name) spans bytes \(begin)..<\(end), outside the \(dataSize) bytes of data")
            }
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw bad("tensor \(name) has an impossible shape \(shape)") }
                count = product
            }
            guard end - begin == 4 * count else {
                throw bad("tensor \(name) has shape \(shape) (\(4 * count) bytes) but data_offsets span \(end - begin)")
            }
            tensors[name] = .init(dtype: dtype, shape: shape, range: (dataStart + begin)..<(dataStart + end))
        }
        let sorted = tensors.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.value.range.upperBound > b.value.range.lowerBound {
            throw bad("tensors \(a.key) and \(b.key) overlap")
        }
        return SafetensorsFile(bytes: bytes, metadata: metadata, tensors: tensors)
    }

    /// JSON numbers as Ints, or nil if any is not a whole number.
    private static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded(),
                n.doubleValue >= -9.0e15 && n.doubleValue <= 9.0e15
            else { return nil }
            out.append(n.intValue)
        }
        return out
    }
}
