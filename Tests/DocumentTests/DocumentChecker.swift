// DocumentChecker: what the documents say against what the repository has. It reads Markdown as a person would
// run it: every `charrnn …` command line (in a shell code block or an inline code span) must use flags the CLI has,
// every repository path (in code, in commands, in links) must exist or be one that commands generate, and every
// test suite or test named must be in Tests/.
//
// The CLI's flags come from the built binaries (`charrnn --experimental-dump-help`, and `charrnn serve
// --experimental-dump-help`, which reaches charrnn-serve), so the check follows the code with no list to update.
import Foundation

/// One thing a document says that the repository contradicts.
struct DocumentProblem: Equatable, CustomStringConvertible {
    enum Kind: String, Sendable {
        /// A flag that no `charrnn` command (or no program the documents declare) has.
        case unknownFlag = "unknown flag"
        /// A repository path that does not exist and is not one that commands generate.
        case missingPath = "missing path"
        /// A test suite or test that is not in Tests/.
        case unknownTest = "unknown test"
    }
    var kind: Kind
    var line: Int
    var text: String
    var detail: String

    var description: String { "line \(line): \(kind.rawValue) \(text) (\(detail))" }
}

/// The flags of each `charrnn` subcommand, read from swift-argument-parser's help dump.
struct CommandLineFlags {
    /// Flags by subcommand ("" is charrnn itself), long (`--name`) and short (`-n`).
    var bySubcommand: [String: Set<String>]
    /// Every flag of every subcommand.
    var all: Set<String> { bySubcommand.values.reduce(into: []) { $0.formUnion($1) } }

    /// From `charrnn --experimental-dump-help` and `charrnn-serve --experimental-dump-help` (serve's own flags).
    init(charrnnHelp: Data, serveHelp: Data) throws {
        func flags(of command: [String: Any]) -> Set<String> {
            var out: Set<String> = []
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                for name in argument["names"] as? [[String: Any]] ?? [] {
                    guard let n = name["name"] as? String, let kind = name["kind"] as? String else { continue }
                    out.insert(kind == "long" ? "--\(n)" : "-\(n)")
                }
            }
            return out
        }
        func command(_ data: Data) throws -> [String: Any] {
            let root = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            guard let command = root?["command"] as? [String: Any] else {
                throw DocumentCheckError("the help dump has no command")
            }
            return command
        }
        let charrnn = try command(charrnnHelp)
        var table: [String: Set<String>] = ["": flags(of: charrnn)]
        for sub in charrnn["subcommands"] as? [[String: Any]] ?? [] {
            guard let name = sub["commandName"] as? String else { continue }
            table[name] = flags(of: sub)
        }
        table["serve", default: []].formUnion(flags(of: try command(serveHelp)))
        bySubcommand = table
    }
}

struct DocumentCheckError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What the repository holds: its files, and the suites and tests in Tests/.
struct RepositoryIndex {
    let root: URL
    /// Paths that commands generate (prefixes: a path under one of these need not exist).
    let generated: [String]
    /// Test suites (types named …Tests declared or extended in Tests/) and test targets (folders of Tests/).
    let suites: Set<String>
    /// The functions of each suite (those in the files that declare or extend it).
    let testsBySuite: [String: Set<String>]
    /// Every function in Tests/.
    let allTests: Set<String>

    /// Where a document's paths may be relative to, besides the document's own folder (the root first).
    static let bases = ["", "Sources/CharRNN/", "Sources/", "Tests/"]

    init(root: URL, generated: [String]) throws {
        self.root = root
        self.generated = generated
        var suites: Set<String> = []
        var testsBySuite: [String: Set<String>] = [:]
        var allTests: Set<String> = []
        let tests = root.appendingPathComponent("Tests")
        for target in try FileManager.default.contentsOfDirectory(atPath: tests.path) {
            suites.insert(target)
            let folder = tests.appendingPathComponent(target)
            for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                let declared = Set(
                    text.matches(of: #/(?:struct|enum|class|extension)\s+([A-Z]\w*Tests)\b/#).map { String($0.1) })
                let functions = Set(text.matches(of: #/func\s+(\w+)\s*[(<]/#).map { String($0.1) })
                allTests.formUnion(functions)
                for suite in declared {
                    suites.insert(suite)
                    testsBySuite[suite, default: []].formUnion(functions)
                }
            }
        }
        self.suites = suites
        self.testsBySuite = testsBySuite
        self.allTests = allTests
    }

    /// Whether `path` (relative to the repository, or to `directory` inside it) exists or is generated.
    func resolves(_ path: String, from directory: String) -> Bool {
        if generated.contains(where: { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) {
            return true
        }
        let candidates = [directory.isEmpty ? "" : directory + "/"] + Self.bases
        return candidates.contains { base in
            let full = root.appendingPathComponent(Self.normalized(base + path)).path
            return FileManager.default.fileExists(atPath: full)
        }
    }

    /// `a/b/../c` as `a/c`.
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." { parts.removeLast() } else { parts.append(part) }
        }
        return parts.joined(separator: "/")
    }
}

/// Checks documents against the CLI and the repository.
struct DocumentChecker {
    var flags: CommandLineFlags
    var repository: RepositoryIndex
    /// Flags of other programs that the documents name on their own, outside a `charrnn` command (mpirun's,
    /// swift's, the benchmark scripts'): a standalone flag must be charrnn's or one of these.
    var otherFlags: Set<String>

    /// The top-level folders and files whose names start a repository path.
    static let topLevel: Set<String> = [
        "Sources", "Tests", "docs", "scripts", "benchmarks", "corpora", "models", "tools", "Examples", "Fuzz", ".ci",
        "runs", ".build", "README.md", "BENCHMARKS.md", "RELIABILITY.md", "CONTRIBUTING.md", "LICENSE",
        "Package.swift", ".swift-format", ".clang-format", ".gitignore",
    ]
    static let extensions: Set<String> = [
        "md", "swift", "c", "h", "sh", "py", "yaml", "json", "jsonl", "safetensors", "txt", "svg", "png", "lua",
        "modulemap",
    ]

    /// Every problem in the document `text`, which lives at `path` (relative to the repository's root).
    func problems(in text: String, at path: String) -> [DocumentProblem] {
        let directory = path.split(separator: "/").dropLast().joined(separator: "/")
        var out: [DocumentProblem] = []
        for piece in MarkdownScan.pieces(of: text) {
            switch piece.kind {
            case .link:
                if let target = Self.linkPath(piece.text), !repository.resolves(target, from: directory) {
                    out.append(DocumentProblem(kind: .missingPath, line: piece.line, text: target, detail: "a link"))
                }
            case .shellLine, .code:
                let words = MarkdownScan.shellWords(piece.text)
                out += commandProblems(words, line: piece.line, standalone: piece.kind == .code)
                for case let word? in words {
                    if let p = Self.pathCandidate(word), !repository.resolves(p, from: directory) {
                        out.append(DocumentProblem(kind: .missingPath, line: piece.line, text: p, detail: "in code"))
                    }
                }
                if piece.kind == .code || piece.text.contains("--filter") {
                    out += testProblems(piece.text, line: piece.line)
                }
            }
        }
        return out
    }

    /// The flags of each `charrnn` (or `charrnn-serve`) command in `words` against that subcommand's; in an inline
    /// span with no command, any long flag against every charrnn flag and the declared others.
    func commandProblems(_ words: [String?], line: Int, standalone: Bool) -> [DocumentProblem] {
        var out: [DocumentProblem] = []
        var i = 0
        var sawCommand = false
        var commandStart = 0
        while i < words.count {
            guard let word = words[i] else {
                i += 1
                commandStart = i
                continue
            }
            // charrnn runs when it is the command, or what a launcher (mpirun, srun, env) runs; as an argument of
            // another program (a script given the binary's path) it is that program's business.
            guard let program = Self.program(word),
                i == commandStart || words[commandStart].map({ Self.launchers.contains($0) }) == true
            else {
                i += 1
                continue
            }
            sawCommand = true
            i += 1
            var subcommand: String? = program == "charrnn-serve" ? "serve" : nil
            var allowed: Set<String>? = program == "charrnn-serve" ? flags.bySubcommand["serve"] : nil
            while i < words.count, let w = words[i] {
                i += 1
                if subcommand == nil && !w.hasPrefix("-") {
                    subcommand = w
                    allowed = flags.bySubcommand[w] ?? flags.all  // a placeholder such as <command>
                    continue
                }
                guard Self.isFlag(w) else { continue }
                let flag = String(w.prefix { $0 != "=" })
                let known = allowed ?? flags.bySubcommand[""] ?? []
                if !known.contains(flag) {
                    let name = subcommand.map { "charrnn \($0)" } ?? "charrnn"
                    out.append(
                        DocumentProblem(kind: .unknownFlag, line: line, text: flag, detail: "\(name) has no \(flag)"))
                }
            }
        }
        if standalone && !sawCommand, let first = words.first ?? nil, first.hasPrefix("--") {
            for case let w? in words where w.hasPrefix("--") && w.count > 2 && !w.contains(where: \.isUppercase) {
                let flag = String(w.prefix { $0 != "=" })
                if !flags.all.contains(flag) && !otherFlags.contains(flag) {
                    out.append(
                        DocumentProblem(kind: .unknownFlag, line: line, text: flag, detail: "no charrnn command has it")
                    )
                }
            }
        }
        return out
    }

    /// Suites and tests named in `text`: `SuiteTests`, `SuiteTests.test`, `SuiteTests/test`, `…test`.
    func testProblems(_ text: String, line: Int) -> [DocumentProblem] {
        var out: [DocumentProblem] = []
        for match in text.matches(of: #/(?:^|[^\w.])([A-Z]\w*Tests)(?:[./]([a-z]\w*))?/#) {
            let suite = String(match.1)
            guard repository.suites.contains(suite) else {
                out.append(
                    DocumentProblem(kind: .unknownTest, line: line, text: suite, detail: "no such suite in Tests/"))
                continue
            }
            if let test = match.2.map(String.init), !(repository.testsBySuite[suite] ?? []).contains(test) {
                out.append(
                    DocumentProblem(
                        kind: .unknownTest, line: line, text: "\(suite).\(test)", detail: "\(suite) has no \(test)"))
            }
        }
        for match in text.matches(of: #/(?:…|\.\.\.)([a-z]+[A-Z]\w*)/#)
        where !repository.allTests.contains(String(match.1)) {
            out.append(
                DocumentProblem(kind: .unknownTest, line: line, text: "…\(match.1)", detail: "no such test in Tests/"))
        }
        return out
    }

    /// Programs that run the command after their own flags.
    static let launchers: Set<String> = ["mpirun", "srun", "env", "time", "exec", "sudo", "/usr/bin/time"]

    /// `charrnn` or `charrnn-serve` when `word` runs one (a path to it, or `$charrnn`), else nil.
    static func program(_ word: String) -> String? {
        if word == "$charrnn" || word == "${charrnn}" { return "charrnn" }
        guard !word.contains("=") else { return nil }
        let last = word.split(separator: "/").last.map(String.init) ?? word
        return last == "charrnn" || last == "charrnn-serve" ? last : nil
    }

    /// Whether `word` is a flag (not `-`, a negative number or a word with a dash in it).
    static func isFlag(_ word: String) -> Bool {
        guard word.hasPrefix("-"), word.count > 1 else { return false }
        let body = word.drop { $0 == "-" }
        return !(body.first?.isNumber ?? true) || word.hasPrefix("--")
    }

    /// The repository path a link points to, or nil for a web address or an anchor in the same page.
    static func linkPath(_ target: String) -> String? {
        if target.hasPrefix("#") || target.contains("://") || target.hasPrefix("mailto:") { return nil }
        let path = String(target.prefix { $0 != "#" })
        return path.isEmpty ? nil : path
    }

    /// The repository path `word` names, or nil when it names none: a path starts with a top-level folder or file,
    /// or has a folder and a known extension. Placeholders (`<Name>`, `RUN_DIR/…`, `*`, `$x`) are not paths.
    static func pathCandidate(_ word: String) -> String? {
        var w = word.trimmingCharacters(in: CharacterSet(charactersIn: ",.;:()[]'\"`"))
        if let colon = w.firstIndex(of: ":"), w[w.index(after: colon)...].allSatisfy(\.isNumber) {
            w = String(w[..<colon])  // file.swift:123
        }
        guard !w.isEmpty, !w.hasPrefix("-"), !w.contains("://"), !w.hasPrefix("/"), !w.hasPrefix("~"),
            w.rangeOfCharacter(from: CharacterSet(charactersIn: "*<>{}$…|=@")) == nil
        else { return nil }
        let parts = w.split(separator: "/")
        guard let first = parts.first else { return nil }
        if parts.contains(where: { p in p.count >= 2 && p.allSatisfy { $0.isUppercase || $0 == "_" || $0.isNumber } }) {
            return nil  // RUN_DIR/…, CHECKPOINT
        }
        if topLevel.contains(String(first)) && (parts.count > 1 || w.hasSuffix("/") || first.contains(".")) {
            return w
        }
        if parts.count > 1, let ext = parts.last?.split(separator: ".").last, parts.last!.contains("."),
            extensions.contains(String(ext))
        {
            return w
        }
        return nil
    }
}
