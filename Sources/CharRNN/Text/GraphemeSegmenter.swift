// Grapheme cluster segmentation: ICU's character break iterator, brought up to Unicode 15.1's rule GB9c, behind
// a fast path for the common case.
//
// Fast path. Between two code points whose Grapheme_Cluster_Break is Other, Control or LF ("simple": ASCII but
// CR, most of Latin-1, CJK ideographs and punctuation, kana, …) UAX #29 always breaks: no rule from GB3 to GB13
// applies with such a pair on either side of the boundary, and none of them looks further left or right through
// one. So runs of simple code points are cut one per token without ICU, and ICU is called only on the stretches
// between two such certain boundaries. That stretch is self-contained: rules GB9c, GB11 and GB12/13 look left
// only through Extend, ZWJ, Linker and Regional_Indicator characters, none of which is simple.
//
// GB9c (Indic conjuncts, Unicode 15.1): Consonant [Extend Linker]* Linker [Extend Linker]* × Consonant. Debian 12's
// ICU 72 implements Unicode 15.0, which breaks there, so क्ष would be two tokens; the boundaries ICU reports are
// amended here so tokens agree with the Unicode 15.1+ segmentation that Swift's `Character` uses.
//
// The naive twin is `fastPath: false`: ICU (plus GB9c) over the whole text. Tests compare the two.
import CICUShim

/// Cuts UTF-16 text into extended grapheme clusters.
final class GraphemeSegmenter {
    /// Per BMP code point: CRNN_GRAPHEME_SIMPLE and the Indic_Conjunct_Break bits, from ICU's property data.
    static let bmpFlags: [UInt8] = (0..<65536).map { UInt8(crnn_grapheme_flags(UInt32($0))) }

    private static let simple = UInt8(CRNN_GRAPHEME_SIMPLE)
    private static let consonant = Int32(CRNN_INCB_CONSONANT)
    private static let linker = Int32(CRNN_INCB_LINKER)
    private static let extend = Int32(CRNN_INCB_EXTEND)

    private let breaker: ICUBreakIterator
    private let fastPath: Bool
    private var boundaries = [Int32](repeating: 0, count: 4096)

    /// - Parameter fastPath: false runs ICU over all the text (the reference the fast path is tested against).
    init(locale: String = "", fastPath: Bool = true) throws(ICUError) {
        breaker = try ICUBreakIterator(kind: .character, locale: locale)
        self.fastPath = fastPath
    }

    /// Calls `body` with each grapheme cluster of `text`, in order.
    func segment(_ text: UnsafeBufferPointer<UInt16>, _ body: (UnsafeBufferPointer<UInt16>) -> Void) throws(ICUError) {
        guard fastPath else {
            try segmentWithICU(text, body)
            return
        }
        let n = text.count
        try Self.bmpFlags.withUnsafeBufferPointer { (flags) throws(ICUError) in
            @inline(__always) func isSimple(_ k: Int) -> Bool { flags[Int(text[k])] & Self.simple != 0 }
            var start = 0
            while start < n {
                let next = start + 1
                if next == n || (isSimple(start) && isSimple(next)) {
                    body(UnsafeBufferPointer(rebasing: text[start..<next]))
                    start = next
                    continue
                }
                // A stretch that needs ICU: up to the next certain boundary.
                var end = next + 1
                while end < n && !(isSimple(end - 1) && isSimple(end)) { end += 1 }
                if end > n { end = n }
                try segmentWithICU(UnsafeBufferPointer(rebasing: text[start..<end]), body)
                start = end
            }
        }
    }

    /// ICU's boundaries over `text`, less those that GB9c removes.
    private func segmentWithICU(
        _ text: UnsafeBufferPointer<UInt16>, _ body: (UnsafeBufferPointer<UInt16>) -> Void
    )
        throws(ICUError)
    {
        try breaker.setText(text)
        var tokenStart = 0
        boundaries.withUnsafeMutableBufferPointer { out in
            while true {
                let count = breaker.nextBoundaries(out)
                if count == 0 { break }
                for k in 0..<count {
                    let boundary = Int(out[k])
                    if boundary < text.count && Self.continuesConjunct(text, at: boundary) { continue }
                    body(UnsafeBufferPointer(rebasing: text[tokenStart..<boundary]))
                    tokenStart = boundary
                }
            }
        }
    }

    /// Whether rule GB9c forbids a break before `text[position]`.
    static func continuesConjunct(_ text: UnsafeBufferPointer<UInt16>, at position: Int) -> Bool {
        guard flags(of: UInt32(text[position])) & Int32(CRNN_INCB_MASK) == consonant else { return false }
        var i = position
        var sawLinker = false
        while i > 0 {
            // The code point that ends at i (a surrogate pair counts as one).
            var scalar = UInt32(text[i - 1])
            var width = 1
            if scalar & 0xFC00 == 0xDC00 && i >= 2 && text[i - 2] & 0xFC00 == 0xD800 {
                scalar = 0x10000 + ((UInt32(text[i - 2]) - 0xD800) << 10) + (scalar - 0xDC00)
                width = 2
            }
            switch flags(of: scalar) & Int32(CRNN_INCB_MASK) {
            case linker: sawLinker = true
            case extend: break
            case consonant: return sawLinker
            default: return false
            }
            i -= width
        }
        return false
    }

    @inline(__always)
    private static func flags(of scalar: UInt32) -> Int32 {
        scalar < 0x10000 ? Int32(bmpFlags[Int(scalar)]) : crnn_grapheme_flags(scalar)
    }
}
