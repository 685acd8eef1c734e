// GET /metrics: the server's figures recorded through swift-metrics (the Swift server ecosystem's metrics API)
// and exposed in Prometheus's text format by swift-prometheus. The figures: requests by endpoint and status,
// tokens generated, streams, queue depth and prompt cache per model, time to first token, and the time per token
// (one batched step). Sources/Serve/README.md lists them and says why these libraries.
import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// One model's engine as `/metrics` shows it: streams and queue now, and its prompt cache's counts so far.
struct ModelLoad {
    var model: String
    var streams: Int
    var queued: Int
    var cacheHits: Int
    var cacheMisses: Int
}

/// The server's metrics, safe from any thread: swift-metrics' counters, gauges and timers, made by a
/// swift-prometheus factory on this server's own registry (no global state, so each server, and each test, has
/// its own).
final class ServerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let tokens: CoreMetrics.Counter
    private let timeToFirstToken: CoreMetrics.Timer
    private let tokenLatency: CoreMetrics.Timer
    /// Each model's prompt-cache counts as last exposed: the engine counts, the counters take the difference.
    private let cacheSeen = Mutex([String: (hits: Int, misses: Int)]())

    static let timeToFirstTokenName = "charrnn_time_to_first_token_seconds"
    static let tokenLatencyName = "charrnn_token_latency_seconds"

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let milliseconds = { (values: [Double]) in values.map { Duration.microseconds(Int64($0 * 1000)) } }
        factory.durationHistogramBuckets = [
            Self.timeToFirstTokenName: milliseconds([5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]),
            Self.tokenLatencyName: milliseconds([0.5, 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000]),
        ]
        self.factory = factory
        tokens = Counter(label: "charrnn_tokens_generated_total", factory: factory)
        timeToFirstToken = Timer(label: Self.timeToFirstTokenName, factory: factory)
        tokenLatency = Timer(label: Self.tokenLatencyName, factory: factory)
    }

    /// Each endpoint and status's counter, made once (making one looks it up in the registry, under its lock,
    /// after checking its name and labels: about a tenth of the time of a `GET /health` when done per request).
    private let requestCounters = Mutex([String: CoreMetrics.Counter]())

    func request(endpoint: String, status: Int) {
        let key = "\(endpoint) \(status)"
        let counter = requestCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(
                label: "charrnn_requests_total", dimensions: [("endpoint", endpoint), ("status", String(status))],
                factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    func firstToken(after seconds: Double) { timeToFirstToken.recordSeconds(seconds) }

    /// One batched step: `tokens` generated, each `seconds` after the stream's last (a step that only read
    /// prompts generated none and is no token's latency).
    func step(seconds: Double, tokens count: Int) {
        guard count > 0 else { return }
        tokens.increment(by: count)
        tokenLatency.recordSeconds(seconds)
    }

    /// The exposition text; `load` gives each model's streams, queued requests and prompt cache.
    func render(load: [ModelLoad]) -> String {
        for entry in load {
            let model = [("model", entry.model)]
            Gauge(label: "charrnn_streams_active", dimensions: model, factory: factory).record(entry.streams)
            Gauge(label: "charrnn_queue_depth", dimensions: model, factory: factory).record(entry.queued)
            let (hits, misses) = cacheSeen.withLock { seen in
                let before = seen[entry.model] ?? (0, 0)
                seen[entry.model] = (entry.cacheHits, entry.cacheMisses)
                return (entry.cacheHits - before.hits, entry.cacheMisses - before.misses)
            }
            for (result, count) in [("hit", hits), ("miss", misses)] {
                Counter(
                    label: "charrnn_prompt_cache_total", dimensions: model + [("result", result)], factory: factory
                ).increment(by: count)
            }
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
