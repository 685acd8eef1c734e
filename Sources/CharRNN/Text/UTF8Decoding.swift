// UTF-8 → UTF-16 decoding with the project's invalid-input policy, and UTF-16 → UTF-8 encoding.
//
// Policy (documented in the README): every ill-formed UTF-8 sequence becomes one U+FFFD, using the Unicode
// standard's "maximal subpart" practice (§3.9, Table 3-8) — the same choice ICU, WHATWG and Swift's
// `String(decoding:as:)` make — so no text is dropped silently. The decoder counts the replacements and
// remembers the byte offset of the first; the caller warns once, or with `strictUTF8` refuses the input.
//
// Well-formed sequences (Table 3-7):
//   00..7F | C2..DF 80..BF | E0 A0..BF 80..BF | E1..EC 80..BF 80..BF | ED 80..9F 80..BF | EE..EF 80..BF 80..BF
//   F0 90..BF 80..BF 80..BF | F1..F3 80..BF 80..BF 80..BF | F4 80..8F 80..BF 80..BF

/// Counts of the ill-formed UTF-8 the decoder met.
public struct InvalidUTF8Report: Sendable, Equatable {
    /// How many ill-formed sequences were replaced by U+FFFD.
    public var count: Int = 0
    /// Byte offset of the first ill-formed sequence, counted from the start of the stream.
    public var firstOffset: Int? = nil

    public init() {}
}

/// For a UTF-8 lead byte: the length of its sequence and the valid range of the second byte (Table 3-7); nil for
/// bytes that never start a sequence (80..C1, F5..FF).
@inline(__always)
func utf8Sequence(lead: UInt8) -> (length: Int, low: UInt8, high: UInt8)? {
    switch lead {
    case 0xC2...0xDF: return (2, 0x80, 0xBF)
    case 0xE0: return (3, 0xA0, 0xBF)
    case 0xE1...0xEC, 0xEE...0xEF: return (3, 0x80, 0xBF)
    case 0xED: return (3, 0x80, 0x9F)
    case 0xF0: return (4, 0x90, 0xBF)
    case 0xF1...0xF3: return (4, 0x80, 0xBF)
    case 0xF4: return (4, 0x80, 0x8F)
    default: return nil
    }
}

/// Decodes UTF-8 bytes into UTF-16, replacing each ill-formed sequence with U+FFFD.
///
/// - Parameters:
///   - bytes: the UTF-8 input.
///   - output: receives the UTF-16 units (appended).
///   - baseOffset: the stream offset of `bytes[0]`, for the report.
///   - report: updated with the replacements made.
func decodeUTF8(
    _ bytes: UnsafeBufferPointer<UInt8>, appendingTo output: inout [UInt16], baseOffset: Int,
    report: inout InvalidUTF8Report
) {
    let n = bytes.count
    // UTF-16 never needs more units than the UTF-8 has bytes.
    let start = output.count
    output.reserveCapacity(start + n)
    output.append(contentsOf: repeatElement(0, count: n))
    var written = start
    output.withUnsafeMutableBufferPointer { out in
        var i = 0
        @inline(__always) func invalid(at offset: Int) {
            if report.firstOffset == nil { report.firstOffset = baseOffset + offset }
            report.count += 1
            out[written] = 0xFFFD
            written += 1
        }
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                out[written] = UInt16(b0)
                written += 1
                i += 1
                continue
            }
            guard let (length, lo, hi) = utf8Sequence(lead: b0) else {
                invalid(at: i)  // 80..C1, F5..FF: never a lead byte
                i += 1
                continue
            }
            // The maximal subpart: as many bytes as continue a well-formed prefix.
            if i + 1 >= n || bytes[i + 1] < lo || bytes[i + 1] > hi {
                invalid(at: i)
                i += 1
                continue
            }
            var scalar = UInt32(b0) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            scalar = scalar << 6 | UInt32(bytes[i + 1] & 0x3F)
            var k = 2
            var ok = true
            while k < length {
                if i + k >= n || bytes[i + k] & 0xC0 != 0x80 {
                    ok = false
                    break
                }
                scalar = scalar << 6 | UInt32(bytes[i + k] & 0x3F)
                k += 1
            }
            if !ok {
                invalid(at: i)
                i += k
                continue
            }
            if scalar < 0x10000 {
                out[written] = UInt16(scalar)
                written += 1
            } else {
                let v = scalar - 0x10000
                out[written] = UInt16(0xD800 | (v >> 10))
                out[written + 1] = UInt16(0xDC00 | (v & 0x3FF))
                written += 2
            }
            i += length
        }
    }
    output.removeSubrange(written...)
}

/// Encodes well-formed UTF-16 as UTF-8, appending to `output`. Unpaired surrogates (which the decoder never
/// produces) become U+FFFD.
func encodeUTF8<C: Collection<UInt16>>(_ units: C, appendingTo output: inout [UInt8]) {
    var iterator = units.makeIterator()
    var pending: UInt16? = nil
    while let unit = pending ?? iterator.next() {
        pending = nil
        var scalar = UInt32(unit)
        if unit & 0xFC00 == 0xD800 {
            if let low = iterator.next() {
                if low & 0xFC00 == 0xDC00 {
                    scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                } else {
                    scalar = 0xFFFD
                    pending = low
                }
            } else {
                scalar = 0xFFFD
            }
        } else if unit & 0xFC00 == 0xDC00 {
            scalar = 0xFFFD
        }
        switch scalar {
        case 0..<0x80:
            output.append(UInt8(scalar))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | scalar >> 6))
            output.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | scalar >> 12))
            output.append(UInt8(0x80 | (scalar >> 6) & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        default:
            output.append(UInt8(0xF0 | scalar >> 18))
            output.append(UInt8(0x80 | (scalar >> 12) & 0x3F))
            output.append(UInt8(0x80 | (scalar >> 6) & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
