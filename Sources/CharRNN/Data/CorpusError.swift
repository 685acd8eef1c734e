// Errors a user can cause with the corpus they give: each names what is wrong, where, and what to do, and names
// settings through `NamesSettings`, so the CLI words them with its flags.

/// A corpus that cannot be read or used.
public enum CorpusError: NamesSettings, Sendable, Equatable {
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
    /// The split's training part (`tokens`) is too short for one batch of `batchSize` × `sequenceLength`.
    case tooShortForBatch(tokens: Int, batchSize: Int, sequenceLength: Int)
    /// `tokens` leave `left` (fewer than 2) for training after the validation split.
    case tooShortForTraining(tokens: Int, left: Int, validationFraction: Double)
    /// `tokens` leave `left` (fewer than 2) for validation.
    case tooShortForValidation(tokens: Int, left: Int, validationFraction: Double)
    /// Scoring needs at least 2 tokens; the text has `tokens`.
    case tooShortToScore(tokens: Int)
    /// A setting outside its limits.
    case invalidSetting(SettingError)

    public func worded(_ name: (Setting) -> String) -> String {
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
                + "convert the file to UTF-8 (iconv), or drop \(name(.strictUTF8)) to replace them with U+FFFD"
        case .binary(let source, let offset):
            return "\(source): binary data (NUL byte at offset \(offset)); charrnn reads UTF-8 text: remove the file "
                + "from the corpus (directories skip files that look binary), or strip NUL bytes with tr -d '\\000'"
        case .noInput:
            return "no input: give corpus files or a directory, or pipe text through stdin"
        case .tooShortForBatch(let tokens, let b, let t):
            let (needed, overflow) = b.multipliedReportingOverflow(by: t)
            let least = overflow ? "more than Int.max" : String(needed + 1)
            return
                "corpus too short: the training split has \(tokens) tokens, and \(name(.batchSize)) \(b) × "
                + "\(name(.sequenceLength)) \(t) needs at least \(least); give more text or lower them"
        case .tooShortForTraining(let tokens, let left, let fraction):
            return
                "corpus too short: \(tokens) tokens leave \(left) for training after the validation split "
                + "(\(name(.validationFraction)) \(fraction)); give more text"
        case .tooShortForValidation(let tokens, let left, let fraction):
            return
                "corpus too short: \(tokens) tokens leave \(left) for validation (\(name(.validationFraction)) "
                + "\(fraction)) and at least 2 are needed; give more text or raise \(name(.validationFraction))"
        case .tooShortToScore(let tokens):
            return "corpus too short: the text has \(tokens) token; scoring needs at least 2"
        case .invalidSetting(let error):
            return error.worded(name)
        }
    }
}
