// Messages to the user: errors and warnings on stderr, one line each; number formatting for reports.
import Foundation

enum Terminal {
    static func error(_ message: String) { writeError("charrnn: error: \(message)\n") }

    static func warning(_ message: String) { writeError("charrnn: warning: \(message)\n") }

    static func writeError(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// Whether stdin is a terminal (then it is not read as input).
    static var standardInputIsTerminal: Bool { isatty(0) == 1 }
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
