// SHA-256 against FIPS 180-4's examples and the system's sha256sum on inputs of every padding case.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct SHA256Tests {
    @Test func theStandardsExamples() {
        #expect(sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            sha256Hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// Lengths around the 55/56/64-byte padding boundaries and a larger one, against sha256sum.
    @Test func agreesWithSha256sum() throws {
        try withTemporaryDirectory { dir in
            var rng = SplitMix64(seed: 3)
            for length in [1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_003] {
                let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let file = dir.appendingPathComponent("\(length).bin")
                try Data(bytes).write(to: file)
                let r = try runProgram(URL(fileURLWithPath: "/usr/bin/sha256sum"), [file.path], input: .nullDevice)
                #expect(String(r.stdout.prefix(64)) == sha256Hex(bytes), "length \(length)")
            }
        }
    }
}
