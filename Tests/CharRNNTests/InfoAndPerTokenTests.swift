// `charrnn info`, `charrnn eval --per-token` and float16 sampling and scoring, through the built binary on a tiny
// model (tinyCheckpoint, SampleCommandTests.swift).
import Foundation
import TestSupport
import Testing

@testable import CharRNN

@Suite struct InfoAndPerTokenTests {
    @Test func infoDescribesTheCheckpoint() throws {
        try withTemporaryDirectory { dir in
            let model = try tinyCheckpoint(in: dir)
            let text = try runCharRNN(["info", model])
            #expect(text.status == 0)
            #expect(text.stdout.contains("model: 2-layer lstm, hidden 16, embedding 8"))
            #expect(text.stdout.contains("training: step 10"))
            let json = try runCharRNN(["info", model, "--json"])
            let info = try jsonObject(json.stdout)
            #expect(
                info["parameters"] as? Int
                    == ParameterStore<Float>(config: try Checkpoint.read(from: model).model).count)
            #expect((info["vocabulary_preview"] as? [String])?.contains("床") == true)
            let missing = try runCharRNN(["info", "/no/such.safetensors"])
            #expect(missing.status == 1 && missing.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test func perTokenSurprisalsSumToTheLoss() throws {
        try withTemporaryDirectory { dir in
            let model = try tinyCheckpoint(in: dir)
            let r = try runCharRNN(["eval", "-m", model, "--per-token"], stdin: Data("床前明月光\n".utf8))
            #expect(r.status == 0)
            let rows = r.stdout.split(separator: "\n").dropFirst().prefix { $0.split(separator: "\t").count == 3 }
            #expect(rows.count == 5)  // 6 tokens, 5 predictions
            let bits = try rows.map { try #require(Double($0.split(separator: "\t")[2]), "\($0)") }
            let summary = try runCharRNN(["eval", "-m", model, "--json"], stdin: Data("床前明月光\n".utf8))
            let json = try jsonObject(summary.stdout)
            let mean = try expectType(json["bits_per_token"], Double.self, "bits_per_token")
            #expect(abs(bits.reduce(0, +) / 5 - mean) < 0.002)  // rows are rounded to 0.001
        }
    }

    @Test(arguments: ["lstm", "gru", "rnn"])
    func float16SamplesReproduciblyAndScoresCloseToFloat32(cell: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try tinyCheckpoint(in: dir, cell: cell)
        let args = ["sample", "-m", model, "--length", "60", "--seed", "3", "--prime", "床前", "--precision", "float16"]
        let a = try runCharRNN(args)
        let b = try runCharRNN(args + ["--threads", "1"])
        #expect(a.status == 0 && a.stderr.isEmpty, "\(a.stderr)")
        #expect(a.stdout == b.stdout && a.stdout.hasPrefix("床前"))
        let text = Data(String(repeating: "床前明月光，疑是地上霜。héllo wörld 1\n", count: 3).utf8)
        func nats(_ precision: String) throws -> Double {
            let r = try runCharRNN(["eval", "-m", model, "--json", "--precision", precision], stdin: text)
            #expect(r.status == 0, "\(r.stderr)")
            return try expectType(try jsonObject(r.stdout)["nats_per_token"], Double.self, "nats_per_token")
        }
        let (single, half) = (try nats("float32"), try nats("float16"))
        #expect(single != half && abs(single - half) < 1e-3, "float32 \(single) vs float16 \(half)")
        let bad = try runCharRNN(["sample", "-m", model, "--precision", "float8"])
        #expect(bad.status != 0 && bad.stderr.contains("float8"))
    }
}
