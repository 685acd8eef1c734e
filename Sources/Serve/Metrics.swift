// GET /metrics in Prometheus's text format, by hand (a handful of counters and two histograms do not need a
// library): requests by endpoint and status, tokens generated, streams and queue depth per model, time to first
// token, and the time per token (one batched step).
import Foundation
import Synchronization

/// A Prometheus histogram: cumulative bucket counts, sum and count.
struct Histogram {
    let bounds: [Double]
    private(set) var counts: [Int]
    private(set) var sum = 0.0
    private(set) var count = 0

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = [Int](repeating: 0, count: bounds.count)
    }

    mutating func observe(_ value: Double) {
        for (i, bound) in bounds.enumerated() where value <= bound { counts[i] += 1 }
        sum += value
        count += 1
    }

    /// The histogram's lines, for metric `name`.
    func lines(_ name: String, labels: String = "") -> [String] {
        let extra = labels.isEmpty ? "" : labels + ","
        var out = zip(bounds, counts).map { "\(name)_bucket{\(extra)le=\"\($0.0)\"} \($0.1)" }
        out.append("\(name)_bucket{\(extra)le=\"+Inf\"} \(count)")
        let suffix = labels.isEmpty ? "" : "{\(labels)}"
        out.append("\(name)_sum\(suffix) \(sum)")
        out.append("\(name)_count\(suffix) \(count)")
        return out
    }
}

/// One model's engine as `/metrics` shows it: streams and queue now, and its prompt cache's counts so far.
struct ModelLoad {
    var model: String
    var streams: Int
    var queued: Int
    var cacheHits: Int
    var cacheMisses: Int
}

/// The server's counters, safe from any thread.
final class ServerMetrics: Sendable {
    private struct State {
        var requests: [String: Int] = [:]  // "endpoint|status" → count
        var tokens = 0
        var timeToFirstToken = Histogram(bounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        var tokenLatency = Histogram(bounds: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1])
    }
    private let state = Mutex(State())

    func request(endpoint: String, status: Int) {
        state.withLock { $0.requests["\(endpoint)|\(status)", default: 0] += 1 }
    }

    func firstToken(after seconds: Double) { state.withLock { $0.timeToFirstToken.observe(seconds) } }

    /// One batched step: `tokens` generated, each `seconds` after the stream's last (a step that only read
    /// prompts generated none and is no token's latency).
    func step(seconds: Double, tokens: Int) {
        guard tokens > 0 else { return }
        state.withLock {
            $0.tokens += tokens
            $0.tokenLatency.observe(seconds)
        }
    }

    /// The exposition text; `load` gives each model's streams, queued requests and prompt cache.
    func render(load: [ModelLoad]) -> String {
        let s = state.withLock { $0 }
        var lines = [
            "# HELP charrnn_requests_total HTTP requests by endpoint and status.",
            "# TYPE charrnn_requests_total counter",
        ]
        for key in s.requests.keys.sorted() {
            let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
            lines.append("charrnn_requests_total{endpoint=\"\(parts[0])\",status=\"\(parts[1])\"} \(s.requests[key]!)")
        }
        lines += [
            "# HELP charrnn_tokens_generated_total Tokens generated, over all models and streams.",
            "# TYPE charrnn_tokens_generated_total counter",
            "charrnn_tokens_generated_total \(s.tokens)",
            "# HELP charrnn_streams_active Streams in the batch, generating or reading their prompt (one per choice).",
            "# TYPE charrnn_streams_active gauge",
        ]
        lines += load.map { "charrnn_streams_active{model=\"\($0.model)\"} \($0.streams)" }
        lines += [
            "# HELP charrnn_queue_depth Requests waiting for streams.", "# TYPE charrnn_queue_depth gauge",
        ]
        lines += load.map { "charrnn_queue_depth{model=\"\($0.model)\"} \($0.queued)" }
        lines += [
            "# HELP charrnn_prompt_cache_total Prompts of 2 to 64 tokens whose state was kept from an earlier request "
                + "(hit) or not, so read in the batch (miss).",
            "# TYPE charrnn_prompt_cache_total counter",
        ]
        for entry in load {
            lines.append("charrnn_prompt_cache_total{model=\"\(entry.model)\",result=\"hit\"} \(entry.cacheHits)")
            lines.append("charrnn_prompt_cache_total{model=\"\(entry.model)\",result=\"miss\"} \(entry.cacheMisses)")
        }
        lines += [
            "# HELP charrnn_time_to_first_token_seconds From a request's arrival to its first generated text.",
            "# TYPE charrnn_time_to_first_token_seconds histogram",
        ]
        lines += s.timeToFirstToken.lines("charrnn_time_to_first_token_seconds")
        lines += [
            "# HELP charrnn_token_latency_seconds Time per token: one batched step of every stream in flight.",
            "# TYPE charrnn_token_latency_seconds histogram",
        ]
        lines += s.tokenLatency.lines("charrnn_token_latency_seconds")
        return lines.joined(separator: "\n") + "\n"
    }
}
