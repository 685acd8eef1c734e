// The README's tutorial and its `charrnn serve` examples, run as written on small fixture files: a README command
// that stops working fails here. The only changes to the text are the ones a test needs: the debug binaries for
// .build/release/, seconds instead of half-hours of training, an ephemeral port for 8080.
import Foundation
import TestSupport
import Testing

enum Readme {
    static let text: String =
        (try? String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    /// The fenced code blocks of the section under `heading` (a `## ` line), as (language, body).
    static func codeBlocks(under heading: String) -> [(language: String, body: String)] {
        guard let start = text.range(of: "\n## \(heading)\n") else { return [] }
        let rest = text[start.upperBound...]
        let section = rest.range(of: "\n## ").map { rest[..<$0.lowerBound] } ?? rest
        var blocks: [(String, String)] = []
        var current: (language: String, lines: [Substring])?
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if let c = current {
                    blocks.append((c.language, c.lines.joined(separator: "\n") + "\n"))
                    current = nil
                } else {
                    current = (String(line.dropFirst(3)), [])
                }
            } else if current != nil {
                current!.lines.append(line)
            }
        }
        return blocks
    }

    /// Where the README runs charrnn from (the main command's release build).
    static let release = ".build/release/charrnn"
}

/// A charrnn serve process started from a README line, on an ephemeral port; killed when the test ends.
final class ReadmeServer {
    let program: RunningProgram
    let port: Int

    init(commandLine: String) throws {
        let words = commandLine.split(separator: " ").map(String.init)
        guard words.first == Readme.release else { throw DocumentCheckError("not a charrnn line: \(commandLine)") }
        program = try RunningProgram(
            charrnnExecutable, Array(words.dropFirst()) + ["--port", "0"], currentDirectory: repositoryRoot)
        guard let port = program.listeningPort(timeout: 120) else {
            program.killIfRunning()
            throw DocumentCheckError("charrnn serve did not start: \(program.stdout) \(program.stderr)")
        }
        self.port = port
    }
}

@Suite(.serialized) struct ReadmeExampleTests {
    /// The tutorial's block, on 40 KB of tiny-shakespeare as "my text" and the next 5 KB as "held-out" text.
    @Test func theTutorialRunsAsWritten() throws {
        let blocks = Readme.codeBlocks(under: "Tutorial: your own text")
        let script = try #require(blocks.first { $0.language == "sh" }?.body, "no sh block in the README's tutorial")
        #expect(script.contains("charrnn=\(Readme.release)\n") && script.contains("--max-time 1800"), "\(script)")
        let adapted = script.replacingOccurrences(
            of: "charrnn=\(Readme.release)\n",
            with: "charrnn=\(charrnnExecutable.path)\n"
        ).replacingOccurrences(of: "--max-time 1800", with: "--max-time 4")
            .replacingOccurrences(of: " models/", with: " \(repositoryRoot.path)/models/")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let shakespeare = try Data(contentsOf: repositoryRoot.appendingPathComponent("corpora/tinyshakespeare.txt"))
        try shakespeare.prefix(40_000).write(to: dir.appendingPathComponent("my-text.txt"))
        try shakespeare.dropFirst(40_000).prefix(5_000).write(to: dir.appendingPathComponent("held-out.txt"))
        try Data(adapted.utf8).write(to: dir.appendingPathComponent("tutorial.sh"))
        let r = try runProgram(
            URL(fileURLWithPath: "/bin/bash"), ["-e", "tutorial.sh"], input: .nullDevice, currentDirectory: dir,
            timeout: 600)
        #expect(r.status == 0, "\(r.stderr)")
        let out = r.stdout
        #expect(out.contains("Once upon a time"), "the sample echoes its prime: \(out)")
        #expect(out.contains("bits"), "eval reports bits: \(out)")
        for file in [
            "runs/mine/best.safetensors", "runs/mine/latest.safetensors", "runs/mine/metrics.jsonl",
            "runs/mine/loss.svg", "mine.safetensors", "runs/tuned/best.safetensors",
        ] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path), "\(file)")
        }
        // The fine-tuning adds the characters the English model lacks; the last train resumes the first: its step
        // count goes on from the first's.
        #expect(r.stderr.contains("fine-tuning fortunes-en.safetensors"), "\(r.stderr)")
        let steps = r.stderr.matches(of: #/trained (\d+) steps/#).compactMap { Int($0.1) }
        #expect(steps.count == 3 && steps[2] > steps[0], "\(r.stderr)")
    }

    /// The server section's command, then its curl and Python examples against it.
    @Test func theServerExamplesRunAsWritten() throws {
        let blocks = Readme.codeBlocks(under: "`charrnn serve`")
        let serveLine = try #require(
            blocks.flatMap { $0.body.split(separator: "\n") }.first { $0.hasPrefix("\(Readme.release) serve ") },
            "no charrnn serve line in the README's server section")
        let server = try ReadmeServer(commandLine: String(serveLine))
        let address = "127.0.0.1:\(server.port)"

        let curl = try #require(blocks.first { $0.body.contains("curl ") }?.body, "no curl block")
        #expect(curl.contains("localhost:8080"))
        let r = try runProgram(
            URL(fileURLWithPath: "/bin/bash"),
            ["-e", "-c", curl.replacingOccurrences(of: "localhost:8080", with: address)],
            input: .nullDevice, currentDirectory: repositoryRoot, timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        // The first answer is one JSON object with a choice; the second a stream of server-sent events.
        let out = r.stdout
        #expect(out.hasPrefix("{") && out.contains("\"choices\""), "\(out)")
        #expect(out.contains("data: ") && out.contains("data: [DONE]"), "\(out)")

        let python = try #require(blocks.first { $0.language == "python" }?.body, "no python block")
        #expect(python.contains("127.0.0.1:8080"))
        let venv = repositoryRoot.appendingPathComponent(".build/browser-venv/bin/python").path
        try #require(
            FileManager.default.isExecutableFile(atPath: venv),
            "no .build/browser-venv: bash scripts/browser-venv.sh makes it with the openai client")
        let p = try runProgram(
            URL(fileURLWithPath: venv), ["-c", python.replacingOccurrences(of: "127.0.0.1:8080", with: address)],
            input: .nullDevice, timeout: 300)
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.hasPrefix("[") && p.stdout.count > 20, "\(p.stdout)")
    }
}
