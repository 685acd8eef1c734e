// A pipe read to its end on a thread of its own, so a child that writes much can never block on a full pipe
// while the test waits for something else.
import Foundation

/// The bytes a child writes into a pipe, collected as they come.
final class PipeReader: @unchecked Sendable {
    private let condition = NSCondition()
    private var data = Data()
    private var ended = false

    /// Starts reading `pipe` (whose write end the parent must have closed, as `Process.run` does) until end of file.
    init(_ pipe: Pipe) {
        let thread = Thread { [self] in
            // The pipe is kept alive (and its descriptor open) by this closure until the end.
            let fd = pipe.fileHandleForReading.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                condition.withLock {
                    data.append(contentsOf: buffer[..<n])
                    condition.broadcast()
                }
            }
            condition.withLock {
                ended = true
                condition.broadcast()
            }
        }
        thread.start()
    }

    /// Everything read so far.
    var bytes: Data { condition.withLock { data } }

    /// Whether the pipe has reached its end (every writer closed it).
    var isAtEnd: Bool { condition.withLock { ended } }

    /// Waits until `predicate` holds for the bytes read so far, or the pipe ends, or `deadline` passes; returns
    /// whether the predicate held.
    func wait(until deadline: Date, for predicate: (Data) -> Bool) -> Bool {
        // A day at most: NSCondition traps on a date as far as `distantFuture`.
        let deadline = min(deadline, Date().addingTimeInterval(86400))
        return condition.withLock {
            while !predicate(data) {
                if ended || !condition.wait(until: deadline) { return predicate(data) }
            }
            return true
        }
    }

    /// Waits until the pipe ends or `deadline` passes; returns whether it ended.
    @discardableResult
    func waitForEnd(until deadline: Date) -> Bool {
        _ = wait(until: deadline) { _ in false }
        return isAtEnd
    }
}

/// Writes `bytes` into `pipe` on a thread of its own, then closes it, so a large input cannot deadlock against a
/// full output pipe. A child that exits without reading it all ends the writing (EPIPE, with SIGPIPE blocked on the
/// writing thread so it cannot end the test process).
func feed(_ bytes: Data, into pipe: Pipe) {
    let thread = Thread {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        let fd = pipe.fileHandleForWriting.fileDescriptor
        bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                offset += n
            }
        }
        try? pipe.fileHandleForWriting.close()
    }
    thread.start()
}
