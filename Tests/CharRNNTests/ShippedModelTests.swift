// The shipped models in models/: `sample` finds the default one from anywhere, the Chinese one continues a poem,
// and both stay small.
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct ShippedModelTests {
    @Test func sampleWithoutAModelUsesTheDefaultAndTheChineseModelContinuesAPoem() throws {
        let models = repositoryRoot.appendingPathComponent("models")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // From another directory, `sample` finds models/default.safetensors next to the build.
        let implicit = try runCharRNN(
            ["sample", "--length", "80", "--seed", "3", "--prime", "The "], currentDirectory: dir)
        let explicit = try runCharRNN([
            "sample", "-m", models.path + "/default.safetensors", "--length", "80", "--seed", "3", "--prime", "The ",
        ])
        #expect(implicit.status == 0 && implicit.stderr.isEmpty, "\(implicit.stderr)")
        #expect(implicit.stdoutBytes == explicit.stdoutBytes && implicit.stdout.count > 40)
        let poem = try runCharRNN(
            ["sample", "-m", models.path + "/classical-zh.safetensors", "--length", "40", "--seed", "1"],
            stdin: Data("床前明月光".utf8))
        #expect(poem.status == 0 && poem.stderr.isEmpty, "\(poem.stderr)")
        #expect(poem.stdout.hasPrefix("床前明月光"))
        let han = poem.stdout.unicodeScalars.filter { (0x4E00...0x9FFF).contains($0.value) }.count
        #expect(han >= 20, "\(poem.stdout)")
        for name in ["fortunes-en", "classical-zh"] {
            let size = try fileSize(models.path + "/\(name).safetensors")
            #expect(size <= 5_000_000, "\(name) is \(size) bytes")
        }
    }
}
