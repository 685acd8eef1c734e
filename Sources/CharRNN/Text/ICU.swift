// Swift handles over the ICU shim (CICUShim): a break iterator and a normalizer.
//
// ICU works on UTF-16; charrnn's text pipeline decodes UTF-8 into UTF-16 chunks (see UTF8Decoding.swift) and
// hands them here. Nothing in this file copies text.
import CICUShim

/// An error reported by ICU, with the operation that failed.
public struct ICUError: Error, CustomStringConvertible, Sendable {
    /// What charrnn asked ICU to do, such as "open a word break iterator".
    public let operation: String
    /// ICU's status value (a UErrorCode number).
    public let status: Int32

    public var description: String {
        let name = String(cString: crnn_icu_error_name(status))
        return "ICU could not \(operation): \(name) (ICU \(ICU.version)); check that libicu is installed correctly"
    }
}

/// Facts about the ICU library charrnn runs against.
public enum ICU {
    /// ICU's version, such as "72.1".
    public static var version: String { String(cString: crnn_icu_version()) }

    @inline(__always)
    static func failed(_ status: Int32) -> Bool { status > 0 }
}

/// An ICU break iterator over UTF-16 text: user-perceived characters (extended grapheme clusters) or words.
///
/// Not thread-safe; one per tokenizer. The text passed to `setText` is not copied and must outlive iteration.
final class ICUBreakIterator {
    enum Kind {
        case character
        case word
    }

    private let handle: OpaquePointer

    init(kind: Kind, locale: String = "") throws(ICUError) {
        var status: Int32 = 0
        let raw = crnn_breaker_open(
            kind == .word ? Int32(CRNN_BREAK_WORD) : Int32(CRNN_BREAK_CHARACTER), locale, &status)
        guard let raw, !ICU.failed(status) else {
            throw ICUError(operation: "open a \(kind) break iterator", status: status)
        }
        handle = raw
    }

    deinit { crnn_breaker_close(handle) }

    /// Points the iterator at `text` (UTF-16). `text` must stay valid while `nextBoundaries` is used.
    func setText(_ text: UnsafeBufferPointer<UInt16>) throws(ICUError) {
        let status = crnn_breaker_set_text(handle, text.baseAddress, Int32(text.count))
        if ICU.failed(status) { throw ICUError(operation: "set the break iterator's text", status: status) }
    }

    /// Fills `boundaries` with the next boundary offsets (UTF-16 units; the last one of the text is its length).
    /// Returns how many were written; 0 when the text is exhausted.
    func nextBoundaries(_ boundaries: UnsafeMutableBufferPointer<Int32>) -> Int {
        Int(crnn_breaker_next(handle, boundaries.baseAddress, Int32(boundaries.count)))
    }
}

/// An ICU normalizer (NFC or NFKC). ICU owns the instance; it is immutable and shared.
struct ICUNormalizer: @unchecked Sendable {
    enum Form {
        case nfc
        case nfkc
    }

    private let handle: OpaquePointer

    init(form: Form) throws(ICUError) {
        var status: Int32 = 0
        let raw = crnn_normalizer_get(
            form == .nfkc ? Int32(CRNN_NORMALIZE_NFKC) : Int32(CRNN_NORMALIZE_NFC), &status)
        guard let raw, !ICU.failed(status) else {
            throw ICUError(operation: "load the \(form) normalization data", status: status)
        }
        handle = raw
    }

    /// Length of the longest prefix of `text` that ICU's quick check says is already normalized.
    func normalizedPrefixLength(_ text: UnsafeBufferPointer<UInt16>) throws(ICUError) -> Int {
        var status: Int32 = 0
        let span = crnn_normalizer_span(handle, text.baseAddress, Int32(text.count), &status)
        if ICU.failed(status) { throw ICUError(operation: "check normalization", status: status) }
        return Int(span)
    }

    /// Normalizes `text` into the front of `output`, growing it when needed; returns the normalized length.
    /// `output` keeps its capacity across calls, so a caller that reuses it allocates only while it grows.
    func normalize(_ text: UnsafeBufferPointer<UInt16>, into output: inout [UInt16]) throws(ICUError) -> Int {
        if output.count < text.count + 16 { output = [UInt16](repeating: 0, count: text.count + text.count / 2 + 16) }
        while true {
            var status: Int32 = 0
            let written = output.withUnsafeMutableBufferPointer { out in
                crnn_normalizer_normalize(
                    handle, text.baseAddress, Int32(text.count), out.baseAddress, Int32(out.count), &status)
            }
            if status == Int32(CRNN_BUFFER_OVERFLOW) {
                // NFKC can expand a code point up to 18-fold; ICU reports the length it needs.
                output = [UInt16](repeating: 0, count: Int(written) + 16)
                continue
            }
            if ICU.failed(status) { throw ICUError(operation: "normalize text", status: status) }
            return Int(written)
        }
    }
}
