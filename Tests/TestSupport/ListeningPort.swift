// The port a server started by a test listens on, read from its stdout.
import Foundation

extension RunningProgram {
    /// Waits at most `timeout` seconds for stdout to name a loopback address (`127.0.0.1:PORT`, as charrnn-serve's
    /// "listening on" line does, once it listens) and returns its port; nil if stdout ends or time runs out first.
    public func listeningPort(timeout: TimeInterval) -> Int? {
        // The digits end before the end of the line: a port half written is not read.
        let address = #/127\.0\.0\.1:(\d+)\D/#
        _ = waitForOutput(timeout: timeout) { $0.contains(address) }
        return stdout.firstMatch(of: address).flatMap { Int($0.1) }
    }
}
