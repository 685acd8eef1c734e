// What a program started by the tests reads on its standard input.
import Foundation

/// A program's standard input.
public enum ProgramInput: Sendable {
    /// These bytes through a pipe, closed after them (written from a thread of its own).
    case bytes(Data)
    /// /dev/null.
    case nullDevice
    /// A file handle of the caller's (a file, a socket, /dev/null opened by the test), given to the program as is.
    case handle(FileHandle)

    /// An empty pipe: the program reads the end of its input at once.
    public static let empty = ProgramInput.bytes(Data())

    /// `text`'s UTF-8 through a pipe.
    public static func text(_ text: String) -> ProgramInput { .bytes(Data(text.utf8)) }
}
