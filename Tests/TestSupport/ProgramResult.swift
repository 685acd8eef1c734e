// What a program run to its end printed and how it ended, and the errors of running one.
import Foundation

/// What a program printed and how it ended.
public struct ProgramResult: Sendable {
    /// The exit status, or the number of the signal that ended it (then `signal` is set too).
    public let status: Int32
    /// The signal that ended the program, or nil when it exited.
    public let signal: Int32?
    /// stdout's bytes as written.
    public let stdoutBytes: Data
    /// stderr's bytes as written (empty when stderr went into stdout).
    public let stderrBytes: Data

    public init(status: Int32, signal: Int32?, stdoutBytes: Data, stderrBytes: Data) {
        self.status = status
        self.signal = signal
        self.stdoutBytes = stdoutBytes
        self.stderrBytes = stderrBytes
    }

    /// stdout as text (decoded leniently: invalid UTF-8 becomes U+FFFD; `stdoutBytes` has what was written).
    public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
    /// stderr as text (decoded leniently).
    public var stderr: String { String(decoding: stderrBytes, as: UTF8.self) }
}

/// A program that could not be started or did not end.
public enum ProgramError: Error, CustomStringConvertible {
    /// No executable file at the path (for a built one: `swift build --build-tests` builds it).
    case notExecutable(path: String)
    /// Still running after the time allowed (a bound for a hang): its process group was killed. Holds what it had
    /// printed by then.
    case hung(command: String, seconds: TimeInterval, stdout: String, stderr: String)

    public var description: String {
        switch self {
        case .notExecutable(let path):
            return "\(path): no such executable (the built programs come from `swift build --build-tests`)"
        case .hung(let command, let seconds, let stdout, let stderr):
            return "\(command) ran for over \(Int(seconds)) s and was killed; stdout ends: \(Self.tail(stdout)); "
                + "stderr ends: \(Self.tail(stderr))"
        }
    }

    /// The last 2,000 characters of `text`, quoted.
    static func tail(_ text: String) -> String {
        String(reflecting: text.count > 2000 ? "…" + text.suffix(2000) : text)
    }
}
