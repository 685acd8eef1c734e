// The engine's events for one completions request, handed to its HTTP handler in batches.
//
// The engine's thread appends and wakes the handler only when it is waiting; the handler takes everything that
// came since it last looked. A handler that runs late (n > 1, logprobs, busy cores) finds several events
// waiting, and then one wake-up, one rendering pass and one socket write carry them all. With one choice and
// handlers that keep up, it is one event per wake-up as before: an alternated A/B at 32 clients measured no
// difference (BENCHMARKS.md, "Serving").
import CharRNN
import Synchronization

final class EventBatches: Sendable {
    /// An event and the index of the request's prompt it belongs to.
    typealias Event = (prompt: Int, event: GenerationEvent)

    private struct State {
        var events: [Event] = []
        var waiter: CheckedContinuation<[Event], Never>?

        mutating func takeAll() -> [Event] {
            var all: [Event] = []
            swap(&all, &events)
            return all
        }
    }
    private let state = Mutex(State())

    /// Adds an event (on the engine's thread; never blocks on the handler).
    func push(_ event: Event) {
        let wake = state.withLock { s -> (CheckedContinuation<[Event], Never>, [Event])? in
            s.events.append(event)
            guard let waiter = s.waiter else { return nil }
            s.waiter = nil
            return (waiter, s.takeAll())
        }
        if let (waiter, events) = wake { waiter.resume(returning: events) }
    }

    /// Every event pushed since the last call, in order, waiting until there is at least one. One caller at a
    /// time. A task cancelled while it waits goes on waiting: cancel the request's tickets (the engine then
    /// reports `.cancelled`).
    func next() async -> [Event] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> [Event]? in
                guard !s.events.isEmpty else {
                    s.waiter = continuation
                    return nil
                }
                return s.takeAll()
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
