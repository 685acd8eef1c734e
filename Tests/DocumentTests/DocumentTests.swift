// The documents against the code: every `charrnn …` command line uses flags the CLI has, every repository path
// exists (or is one that commands generate), every test suite and test named is in Tests/. Each kind of error is
// also planted in a small bad document, so the checker is seen finding it every time the suite runs.
import Foundation
import TestSupport
import Testing

enum Documents {
    /// The documents checked, relative to the repository's root: every Markdown file git tracks or would track
    /// but the performance log, whose commands are history (the flags of their day).
    static func paths() throws -> [String] {
        let r = try runProgram(
            URL(fileURLWithPath: "/usr/bin/git"), ["ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
            input: .nullDevice, currentDirectory: repositoryRoot)
        guard r.status == 0 else { throw DocumentCheckError("git ls-files failed: \(r.stderr)") }
        return r.stdout.split(separator: "\n").map(String.init).filter { $0 != "docs/performance-log.md" }
    }

    /// Paths that commands write, which a document may name before they exist.
    static let generated = [
        "corpora/fortunes.txt", "corpora/classical-zh.txt", "runs/", ".build/", ".build-examples/", ".build-fuzz/",
    ]

    /// Flags of other programs that documents name on their own (outside a charrnn command), by program.
    static let otherFlags: Set<String> = [
        // mpirun and srun
        "--bind-to", "--mca", "--allow-run-as-root", "--oversubscribe", "--hostfile", "--mpi",
        // swift build, swift test, swift package
        "--product", "--filter", "--scratch-path", "--sanitize", "--disable-sandbox", "--target",
        // scripts/format.sh, scripts/setup.sh
        "--check", "--tests",
        // tools/pytorch/check_checkpoint.py
        "--compare", "--tolerance", "--charrnn",
    ]

    /// The checker, made once for every test (it runs both binaries' help dumps and reads Tests/).
    static let shared = Result { try checker() }

    private static func checker() throws -> DocumentChecker {
        let help = try runProgram(charrnnExecutable, ["--experimental-dump-help"], input: .nullDevice)
        let serveHelp = try runProgram(charrnnExecutable, ["serve", "--experimental-dump-help"], input: .nullDevice)
        guard help.status == 0, serveHelp.status == 0 else {
            throw DocumentCheckError("the help dumps failed: \(help.stderr) \(serveHelp.stderr)")
        }
        return DocumentChecker(
            flags: try CommandLineFlags(charrnnHelp: help.stdoutBytes, serveHelp: serveHelp.stdoutBytes),
            repository: try RepositoryIndex(root: repositoryRoot, generated: generated), otherFlags: otherFlags)
    }
}

@Suite struct DocumentTests {
    @Test func theDocumentsAgreeWithTheCode() throws {
        let checker = try Documents.shared.get()
        let paths = try Documents.paths()
        #expect(paths.contains("README.md") && paths.contains("docs/ARCHITECTURE.md"), "\(paths)")
        for path in paths {
            let text = try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
            for problem in checker.problems(in: text, at: path) {
                Issue.record("\(path) \(problem)")
            }
        }
    }

    /// README's layout names every target folder of Sources/ and Tests/, every script, and CI's folder.
    @Test func theReadmesLayoutNamesEveryPart() throws {
        let block = try #require(Readme.codeBlocks(under: "Layout").first?.body, "README has no layout block")
        let files = FileManager.default
        var parts = [".ci/"]
        for folder in ["Sources", "Tests"] {
            parts += try files.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent(folder).path)
                .map { "\(folder)/\($0)/" }
        }
        let scripts = try files.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("scripts").path)
        let library = try files.contentsOfDirectory(
            atPath: repositoryRoot.appendingPathComponent("Sources/CharRNN").path
        ).filter { !$0.contains(".") }
        for part in parts where !block.contains(part) { Issue.record("README's layout does not name \(part)") }
        for script in scripts where !block.contains(script) { Issue.record("README's layout does not name \(script)") }
        for folder in library where !block.contains("\(folder)/") {
            Issue.record("README's layout does not name Sources/CharRNN/\(folder)/")
        }
    }

    /// One small bad document per kind of error, each found where it is and nothing else.
    @Test(arguments: [
        ("```sh\ncharrnn vocab a.txt --normalization none\n```\n", DocumentProblem.Kind.unknownFlag, "--normalization"),
        ("Train: `charrnn train x.txt -o runs/x --lr-decay-step 5`.\n", .unknownFlag, "--lr-decay-step"),
        (
            "```sh\nmpirun -np 2 --bind-to none .build/release/charrnn train \\\n  c.txt --hidden 8 --layer 2\n```\n",
            .unknownFlag, "--layer"
        ),
        ("| unit | `--normalization none` |\n", .unknownFlag, "--normalization"),
        (
            "```sh\ncharrnn serve -m en=models/fortunes-en.safetensors --max-prompt 9\n```\n", .unknownFlag,
            "--max-prompt"
        ),
        ("See [the guide](docs/GUIDE.md).\n", .missingPath, "docs/GUIDE.md"),
        ("Run `bash scripts/no-such-script.sh` first.\n", .missingPath, "scripts/no-such-script.sh"),
        (
            "```sh\npython3 tools/pytorch/missing.py runs/x/best.safetensors\n```\n", .missingPath,
            "tools/pytorch/missing.py"
        ),
        ("Guarded by `NoSuchSuiteTests`.\n", .unknownTest, "NoSuchSuiteTests"),
        ("Guarded by `ResumeTests.noSuchTest`.\n", .unknownTest, "ResumeTests.noSuchTest"),
        (
            "```sh\nswift test --filter PackedMatrixTests/noSuchKernelTest\n```\n", .unknownTest,
            "PackedMatrixTests.noSuchKernelTest"
        ),
    ])
    func aBadDocumentIsCaught(document: String, kind: DocumentProblem.Kind, text: String) throws {
        let problems = try Documents.shared.get().problems(in: "# A document\n\n" + document, at: "docs/BAD.md")
        #expect(problems.map(\.kind) == [kind] && problems.map(\.text) == [text], "\(problems)")
        #expect(problems.first?.line == (document.hasPrefix("```") ? 4 : 3), "\(problems)")
    }

    /// The same lines, right, raise nothing: generated paths, placeholders, other programs' flags, flags of the
    /// server reached through `charrnn serve`, and `…test` after a suite.
    @Test func aGoodDocumentPasses() throws {
        let document = """
            ```sh
            charrnn vocab a.txt --normalize none
            mpirun -q -np 2 --bind-to none .build/release/charrnn train corpora/fortunes.txt -o runs/x \\
                --hidden 8 --layers 2 2>/dev/null | head   # a comment --not-a-flag
            charrnn serve -m en=models/fortunes-en.safetensors --max-prompt-tokens 9
            swift test --filter PackedMatrixTests/vectorizedKernelMatchesNaive
            ```
            `--bind-to none`, `RUN_DIR/metrics.jsonl`, `Layers/<Name>Cell.swift`, [the README](README.md#tutorial),
            [CI](.ci/run), `ResumeTests.threadCountMayChangeAcrossAResume`, `…stoppingAndResumingEqualsOneRun`,
            `Data/TextSource.swift` and `CharRNNTests`.
            """
        let problems = try Documents.shared.get().problems(in: document, at: "docs/GOOD.md")
        #expect(problems.isEmpty, "\(problems)")
    }
}
