// Messages to the user: errors and warnings on stderr, one line each; number formatting for reports.
import Foundation

enum Terminal {
    static func error(_ message: String) { writeError("charrnn: error: \(message)\n") }

    static func warning(_ message: String) { writeError("charrnn: warning: \(message)\n") }

    /// A line of information that is neither an error nor a warning.
    static func note(_ message: String) { writeError("charrnn: \(message)\n") }

    static func writeError(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// Whether stdin is a pipe or a regular file: the only kinds charrnn reads without being told to. A terminal
    /// would wait for typing, and a socket or device a parent left open may never end, so reading either could
    /// hang the caller; name stdin explicitly to read it anyway (`-` as an input, `--prime-file /dev/stdin`).
    static var standardInputIsReadable: Bool {
        var info = stat()
        guard fstat(0, &info) == 0 else { return false }
        let kind = info.st_mode & S_IFMT
        return kind == S_IFIFO || kind == S_IFREG
    }
}

extension Int {
    /// 1234567 → "1,234,567".
    var grouped: String {
        let digits = String(self.magnitude)
        var out = ""
        for (k, c) in digits.enumerated() {
            if k > 0 && (digits.count - k) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return self < 0 ? "-" + out : out
    }
}
