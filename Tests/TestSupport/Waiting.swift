// Waiting for something a process does, bounded only to catch a hang.
import Foundation

/// Waits until `condition` holds, checking every 20 ms, for at most `timeout` seconds (a bound for a hang, not a
/// measure of speed); returns whether it held.
@discardableResult
public func waitUntil(timeout: TimeInterval = 120, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { return false }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return true
}
