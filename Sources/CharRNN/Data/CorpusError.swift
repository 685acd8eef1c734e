// Errors a user can cause with the corpus they give: each names what is wrong, where, and what to do.

/// A corpus that cannot be read or used.
public enum CorpusError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No file or directory at the path.
    case missing(path: String)
    /// The input exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// A directory with no text file in it (hidden and binary files are skipped).
    case noTextFiles(directory: String, skipped: Int)
    /// The inputs hold no text.
    case empty(source: String)
    /// Ill-formed UTF-8 under `strictUTF8`.
    case invalidUTF8(source: String, offset: Int, count: Int)
    /// A NUL byte: the policy for binary data. Directory expansion skips files with a NUL in their first 8 KiB;
    /// a NUL in any input that is read (a named file, stdin, or later in a file of a directory) is this error.
    case binary(source: String, offset: Int)
    /// No input was given and stdin is a terminal.
    case noInput
    /// Too little text for the split, batch size and sequence length.
    case tooShort(String)
    /// A setting that cannot work, or a run that cannot go on (the message says which).
    case invalidSetting(String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "\(path): no such file or directory; check the path"
        case .unreadable(let path, let reason):
            return "\(path): cannot read (\(reason)); check its permissions"
        case .noTextFiles(let directory, let skipped):
            let why = skipped > 0 ? " (\(skipped) binary or hidden files skipped)" : ""
            return "\(directory): directory holds no text files\(why); give a directory of UTF-8 text files"
        case .empty(let source):
            return "\(source): the input is empty; give a corpus with some text in it"
        case .invalidUTF8(let source, let offset, let count):
            return
                "\(source): ill-formed UTF-8 at byte offset \(offset) (\(count) ill-formed "
                + "sequence\(count == 1 ? "" : "s") in this chunk); "
                + "convert the file to UTF-8 (iconv), or drop --strict-utf8 to replace them with U+FFFD"
        case .binary(let source, let offset):
            return "\(source): binary data (NUL byte at offset \(offset)); charrnn reads UTF-8 text: remove the file "
                + "from the corpus (directories skip files that look binary), or strip NUL bytes with tr -d '\\000'"
        case .noInput:
            return "no input: give corpus files or a directory, or pipe text through stdin"
        case .tooShort(let why):
            return "corpus too short: \(why)"
        case .invalidSetting(let why):
            return why
        }
    }
}
