// Writing a file so that it is always either the old complete version or the new complete version.
//
// The bytes go to a temporary file in the same directory (same file system, so rename is atomic), are flushed
// with fsync, and the temporary file is renamed over the destination; then the directory is fsync'ed so the
// rename itself survives a crash. A failure at any point leaves the destination untouched and removes the
// temporary file.
import Foundation

/// A file that could not be written.
public struct FileWriteError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String

    public var description: String {
        "\(path): cannot write (\(reason)); check that the directory exists, is writable and has free space"
    }
}

/// Crash-safe file replacement: the file is always the old whole one or the new whole one.
public enum AtomicFile {
    /// Prefix of temporary files, so a later run can recognise and remove leftovers.
    public static let temporaryPrefix = ".charrnn-tmp-"

    /// Replaces the file at `path` with `bytes`, atomically and durably.
    public static func write(_ bytes: some Collection<UInt8>, to path: String) throws(FileWriteError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/" + temporaryPrefix + url.lastPathComponent + "-\(getpid())"
        func failure(_ what: String) -> FileWriteError {
            FileWriteError(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create a temporary file") }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        let array = Array(bytes)
        var written = 0
        let writeError: FileWriteError? = array.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return failure("write failed")
                }
                written += n
            }
            return nil
        }
        if let writeError {
            close(fd)
            throw writeError
        }
        if fsync(fd) != 0 {
            close(fd)
            throw failure("fsync failed")
        }
        if close(fd) != 0 { throw failure("close failed") }
        if rename(temporary, path) != 0 { throw failure("rename failed") }
        ok = true
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Removes temporary files that an interrupted write left in `directory` (a crash between create and rename).
    public static func removeLeftovers(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(temporaryPrefix) {
            unlink(directory + "/" + name)
        }
    }
}
