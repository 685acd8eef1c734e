// The byte unit: one token per UTF-8 byte.
import Foundation
import Testing

@testable import CharRNN

@Suite struct ByteUnitTests {
    @Test func bytesAreUTF8Bytes() throws {
        let bytes = Array("aé中😀".utf8)
        #expect(try tokenBytes(bytes, TokenizerConfig(unit: .byte)) == bytes.map { [$0] })
    }
}
