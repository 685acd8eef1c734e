// What a Markdown document holds that can be checked: shell lines in code blocks, inline code spans and link
// targets, each with its line number; and shell words as a shell splits them.

/// A piece of a document to check.
struct MarkdownPiece: Equatable {
    enum Kind: Equatable {
        /// A line of a shell code block (continuations joined), run as written.
        case shellLine
        /// An inline code span outside code blocks.
        case code
        /// The target of a link or image.
        case link
    }
    var kind: Kind
    var line: Int
    var text: String
}

enum MarkdownScan {
    /// Code-block languages that hold shell commands (an unlabelled block counts: the documents use it for
    /// commands and layouts).
    static let shellLanguages: Set<String> = ["", "sh", "bash", "shell", "console"]

    /// The pieces of `text`, in order.
    static func pieces(of text: String) -> [MarkdownPiece] {
        var out: [MarkdownPiece] = []
        var fence: (marker: String, language: String)?
        var pending: (line: Int, text: String)?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let open = fence {
                if trimmed.hasPrefix(open.marker) && trimmed.allSatisfy({ $0 == open.marker.first }) {
                    if let p = pending { out.append(MarkdownPiece(kind: .shellLine, line: p.line, text: p.text)) }
                    pending = nil
                    fence = nil
                } else if shellLanguages.contains(open.language) {
                    let start = pending?.line ?? number
                    let joined = (pending?.text ?? "") + line
                    if joined.hasSuffix("\\") {
                        pending = (start, String(joined.dropLast()) + " ")
                    } else {
                        out.append(MarkdownPiece(kind: .shellLine, line: start, text: joined))
                        pending = nil
                    }
                }
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                let marker = String(trimmed.prefix { $0 == trimmed.first })
                let language = String(trimmed.dropFirst(marker.count)).trimmingCharacters(in: .whitespaces)
                fence = (marker, language.split(separator: " ").first.map(String.init) ?? "")
                continue
            }
            out += inlinePieces(of: line, line: number)
        }
        return out
    }

    /// The code spans and link targets of one line of prose.
    static func inlinePieces(of line: String, line number: Int) -> [MarkdownPiece] {
        var out: [MarkdownPiece] = []
        var rest = Substring(line)
        var prose = ""
        while let tick = rest.firstIndex(of: "`") {
            prose += rest[..<tick]
            let run = rest[tick...].prefix { $0 == "`" }
            let after = rest[run.endIndex...]
            guard let close = after.range(of: String(run)) else {
                prose += rest[tick...]
                rest = ""
                break
            }
            let span = after[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            out.append(MarkdownPiece(kind: .code, line: number, text: span))
            rest = after[close.upperBound...]
        }
        prose += rest
        for match in prose.matches(of: #/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/#) {
            out.append(MarkdownPiece(kind: .link, line: number, text: String(match.1)))
        }
        return out
    }

    /// `text` split into words as a shell would (quotes removed, `$'…'` kept as one word); a word that is an
    /// operator (`|`, `&&`, `;`, a redirection) or a comment ends the command and is returned as `nil`.
    static func shellWords(_ text: String) -> [String?] {
        var words: [String?] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var chars = Array(text)
        chars.append(" ")
        var i = 0
        func finish() {
            if inWord { words.append(word) }
            word = ""
            inWord = false
        }
        while i < chars.count {
            let c = chars[i]
            if let q = quote {
                if c == q { quote = nil } else { word.append(c) }
                i += 1
                continue
            }
            switch c {
            case "'", "\"":
                quote = c
                inWord = true
            case " ", "\t":
                finish()
            case "|", ";", "&", ">", "<":
                // A redirection such as 2>/dev/null starts with its descriptor: drop it with the operator.
                if inWord && word.allSatisfy(\.isNumber) { word = ""; inWord = false }
                finish()
                words.append(nil)
                while i + 1 < chars.count, "|&>".contains(chars[i + 1]) { i += 1 }
            case "#" where !inWord:
                finish()
                words.append(nil)
                return words
            default:
                word.append(c)
                inWord = true
            }
            i += 1
        }
        return words
    }
}
