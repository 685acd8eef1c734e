// The engine's events for one completions request, handed to its HTTP handler in batches.
//
// The engine's thread appends; the handler takes everything that came since it last looked. Each hand-off costs a
// task wake-up, and for a stream a rendering pass and a socket write, so with `interval` above zero a waiting
// handler is woken only once the oldest event it has not seen is that old, or when the request's first text or
// its end arrives (time to first token and the last chunk are never held back); a handler back from writing waits
// by the same rule. Events are pushed every step, and a request's last event always wakes its handler, so an event
// waits at most `interval` plus one step. With `interval` 0 every push wakes a waiting handler.
import CharRNN
import Dispatch
import Synchronization

final class EventBatches: Sendable {
    /// An event and the index of the request's prompt it belongs to.
    typealias Event = (prompt: Int, event: GenerationEvent)

    private struct State {
        var events: [Event] = []
        var waiter: CheckedContinuation<[Event], Never>?
        /// When the oldest event in `events` arrived (uptime nanoseconds).
        var oldest: UInt64 = 0
        /// Whether a text event has been handed over yet.
        var textHanded = false
        /// Whether `events` holds an event that goes to the handler whatever the interval (`urgent`).
        var urgentWaiting = false

        mutating func append(_ event: Event, at now: UInt64) {
            if events.isEmpty { oldest = now }
            events.append(event)
            if EventBatches.urgent(event.event, textHanded: textHanded) { urgentWaiting = true }
        }

        /// Whether the events waiting should go to the handler now (`push`'s and `next`'s one rule): the interval
        /// is 0, one of them is urgent, or the oldest has waited `interval` nanoseconds.
        func due(interval: UInt64, now: UInt64) -> Bool {
            interval == 0 || urgentWaiting || now &- oldest >= interval
        }

        mutating func takeAll() -> [Event] {
            if !textHanded { textHanded = events.contains { if case .text = $0.event { true } else { false } } }
            urgentWaiting = false
            var all: [Event] = []
            swap(&all, &events)
            return all
        }
    }
    private let state = Mutex(State())
    /// The shortest time between hand-offs to a waiting handler, in nanoseconds.
    let interval: UInt64

    /// Batches that wake their handler at most every `interval` seconds (but at once for the first text and the
    /// end); 0 wakes it for every event.
    init(interval: Double = 0) {
        self.interval = UInt64(max(0, interval) * 1e9)
    }

    /// Adds an event (on the engine's thread; never blocks on the handler).
    func push(_ event: Event) {
        let now = interval > 0 ? DispatchTime.now().uptimeNanoseconds : 0
        let wake = state.withLock { s -> (CheckedContinuation<[Event], Never>, [Event])? in
            s.append(event, at: now)
            guard let waiter = s.waiter, s.due(interval: interval, now: now) else { return nil }
            s.waiter = nil
            return (waiter, s.takeAll())
        }
        if let (waiter, events) = wake { waiter.resume(returning: events) }
    }

    /// Whether `event` wakes the handler whatever the interval: the first text, and ends.
    private static func urgent(_ event: GenerationEvent, textHanded: Bool) -> Bool {
        switch event {
        case .text: return !textHanded
        case .finished, .cancelled: return true
        case .token: return false
        }
    }

    /// Every event pushed since the last call, in order, waiting until there is at least one and they are due (the
    /// same rule as `push`'s: a handler that comes back from writing a chunk does not take the events of the step
    /// that ran meanwhile at once, or a slow handler would write a chunk per step). One caller at a time. A task
    /// cancelled while it waits goes on waiting: cancel the request's tickets (the engine then reports
    /// `.cancelled`).
    func next() async -> [Event] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> [Event]? in
                let now = interval > 0 ? DispatchTime.now().uptimeNanoseconds : 0
                guard !s.events.isEmpty, s.due(interval: interval, now: now) else {
                    s.waiter = continuation
                    return nil
                }
                return s.takeAll()
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
