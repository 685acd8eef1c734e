// charrnn-serve (`charrnn serve`): models behind an HTTP API in OpenAI's completions shape, concurrent clients
// batched onto one engine per model. Sources/Serve/README.md describes the endpoints and the design.
import ArgumentParser
import CharRNN
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

@main
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charrnn serve",
        abstract: "Serve models over HTTP: OpenAI-style completions, streaming, metrics.",
        discussion: """
            Endpoints: GET / (a playground page), GET /health, GET /v1/models, POST /v1/completions \
            (stream: true for server-sent events), GET /metrics (Prometheus). Requests in flight share one \
            batched generator per model. Listens on loopback unless --host says otherwise, and then needs \
            --api-key. SIGTERM or Ctrl-C: new requests get 503, requests in flight have --shutdown-grace \
            seconds to finish and are then cancelled, and the server exits.

            Examples:
              charrnn serve -m models/fortunes-en.safetensors
              charrnn serve -m en=models/fortunes-en.safetensors -m zh=models/classical-zh.safetensors --port 9000
            """)

    @Option(
        name: [.customShort("m"), .customLong("model")],
        help: ArgumentHelp(
            "A checkpoint to serve, as PATH (named after the file) or NAME=PATH; repeat for more (default: "
                + "models/default.safetensors).", valueName: "checkpoint"))
    var models: [String] = []
    @Option(help: "Address to listen on (loopback by default; any other needs --api-key).") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(help: ArgumentHelp("Require Authorization: Bearer KEY on every request but GET /.", valueName: "key"))
    var apiKey: String?
    @Option(help: "Threads per model for the matrix products (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(
        help: ArgumentHelp(
            "Weights to generate with. float16: about twice one stream's speed; its text for a seed is `charrnn "
                + "sample --precision float16`'s on CPUs with AVX-512, and elsewhere for 3 or more --num-samples "
                + "(sample uses another layout for 1 or 2).", valueName: "float32|float16"))
    var precision: WeightPrecision = .float32
    @Option(help: "Streams generated together per model (a request takes one per choice).")
    var maxStreams = EngineLimits().streams
    @Option(help: "Requests waiting for streams per model; past it requests get 429 with Retry-After.")
    var maxQueue = EngineLimits().queue
    @Option(help: "Largest request body in bytes (413 above).") var maxBodyBytes = RequestLimits().bodyBytes
    @Option(help: "Longest prompt in tokens.") var maxPromptTokens = RequestLimits().promptTokens
    @Option(help: "Largest max_tokens.") var maxTokens = RequestLimits().maxTokens
    @Option(help: "Largest n (choices per prompt). (default: 8, or --max-streams if fewer)") var maxN: Int?
    @Option(help: "Seconds requests in flight get to finish after SIGTERM before they are cancelled.")
    var shutdownGrace = 5.0
    @Option(
        help: ArgumentHelp(
            "Shortest time between a stream's chunks, in milliseconds: a chunk then carries the text of every "
                + "step since the last (the first text and the end are sent at once; 0: a chunk per step).",
            valueName: "ms"))
    var streamInterval = CompletionService.defaultStreamInterval * 1000

    /// Parses and runs; a bad flag, or a failure to start, is one line on stderr (help prints as usual).
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            FileHandle.standardError.write(
                Data("charrnn serve: error: \(message(for: error)) (see 'charrnn serve --help')\n".utf8))
            Foundation.exit(exitCode(for: error).rawValue)
        }
        do {
            if let serve = command as? ServeCommand {
                try await serve.run()
            } else {
                try command.run()
            }
        } catch {
            // --help and --version come here as errors that mean success (ArgumentParser's help command).
            if exitCode(for: error) == .success { exit(withError: error) }
            let serve = command as? ServeCommand
            var text = "\(error)"
            if text.contains("Address already in use"), let serve {
                text = "cannot listen on \(serve.host):\(serve.port): the address is in use; choose another --port"
            }
            FileHandle.standardError.write(Data("charrnn serve: error: \(text)\n".utf8))
            Foundation.exit(1)
        }
    }

    var requestLimits: RequestLimits {
        RequestLimits(
            bodyBytes: maxBodyBytes, promptTokens: maxPromptTokens, maxTokens: maxTokens,
            choices: maxN ?? min(RequestLimits().choices, maxStreams))
    }

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0 to 65535, got \(port)") }
        if threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        for (name, value) in [
            ("--max-streams", maxStreams), ("--max-body-bytes", maxBodyBytes), ("--max-prompt-tokens", maxPromptTokens),
            ("--max-tokens", maxTokens), ("--max-n", maxN ?? 1),
        ] where value < 1 {
            throw ValidationError("\(name) must be at least 1, got \(value)")
        }
        if maxQueue < 0 { throw ValidationError("--max-queue must be 0 or more, got \(maxQueue)") }
        if let maxN, maxN > maxStreams {
            throw ValidationError("--max-n (\(maxN)) cannot exceed --max-streams (\(maxStreams))")
        }
        if !(shutdownGrace >= 0) { throw ValidationError("--shutdown-grace must be 0 or more seconds") }
        if !(0...1000).contains(streamInterval) {
            throw ValidationError("--stream-interval must be 0 to 1000 milliseconds, got \(streamInterval)")
        }
        if !["127.0.0.1", "::1", "localhost"].contains(host) && apiKey == nil {
            throw ValidationError(
                "--host \(host) opens the server beyond this machine; give --api-key KEY so that only clients "
                    + "with the key can use it")
        }
        if let apiKey, apiKey.isEmpty { throw ValidationError("--api-key needs a non-empty key") }
    }

    func run() async throws {
        let specs = models.isEmpty ? ["models/default.safetensors"] : models
        var loaded: [String: LoadedModel] = [:]
        var order: [String] = []
        let engineLimits = EngineLimits(streams: maxStreams, queue: maxQueue)
        for spec in specs {
            let model: LoadedModel
            do {
                model = try LoadedModel(spec: spec, threads: threads, precision: precision, limits: engineLimits)
            } catch {
                fail("\(error)")
            }
            guard loaded[model.id] == nil else { fail("two models are named \(model.id); name them with -m NAME=PATH") }
            loaded[model.id] = model
            order.append(model.id)
        }
        let metrics = ServerMetrics()
        for model in loaded.values {
            model.engine.onStep = { seconds, generated in metrics.step(seconds: seconds, tokens: generated) }
            model.engine.start()
        }
        let router = makeRouter(models: loaded, order: order, metrics: metrics)
        var logger = Logger(label: "charrnn-serve")
        logger.logLevel = .warning
        let (host, names) = (host, order.joined(separator: ", "))
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "charrnn"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                FileHandle.standardOutput.write(
                    Data("charrnn serve: listening on http://\(host):\(port) (models: \(names))\n".utf8))
            }, logger: logger)
        // Shut down in reverse order: the engines first (new requests get 503, those in flight finish or are
        // cancelled after the grace), then the HTTP server, which then has no request left to wait for.
        let engines = EngineShutdown(engines: loaded.values.map(\.engine), grace: shutdownGrace)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app), .init(service: engines)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }

    func makeRouter(
        models: [String: LoadedModel], order: [String], metrics: ServerMetrics
    ) -> Router<
        BasicRequestContext
    > {
        let router = Router()
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: APIErrorMiddleware())
        if let apiKey { router.add(middleware: APIKeyMiddleware(key: apiKey)) }
        router.get("/") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: playgroundPage)))
        }
        router.get("/health") { _, _ in
            jsonResponse(.object([("status", .string("ok")), ("models", .array(order.map { .string($0) }))]))
        }
        router.get("/v1/models") { _, _ in
            jsonResponse(
                .object([("object", .string("list")), ("data", .array(order.map { models[$0]!.description() }))]))
        }
        router.get("/v1/models/:model") { _, context in
            let name = context.parameters.get("model") ?? ""
            guard let model = models[name] else {
                throw APIError(
                    status: .notFound,
                    message: "no model named \"\(name)\"; this server has: \(order.joined(separator: ", "))",
                    type: "invalid_request_error", param: "model")
            }
            return jsonResponse(model.description(vocabulary: true))
        }
        let completions = CompletionService(
            models: models, limits: requestLimits, metrics: metrics, streamInterval: streamInterval / 1000)
        router.post("/v1/completions") { request, context in try await completions.handle(request, context: context) }
        router.get("/metrics") { _, _ in
            let load = order.map { id in
                let engine = models[id]!.engine
                let (streams, queued) = engine.load
                let cache = engine.promptCache
                return ModelLoad(
                    model: id, streams: streams, queued: queued, cacheHits: cache.hits,
                    cacheMisses: cache.misses)
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render(load: load))))
        }
        return router
    }

    /// Prints `message` as charrnn's one-line error and exits with status 1.
    func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("charrnn serve: error: \(message)\n".utf8))
        Foundation.exit(1)
    }
}

/// Shuts the engines down when the service group shuts down (SIGTERM, SIGINT).
struct EngineShutdown: Service {
    let engines: [GenerationEngine]
    let grace: Double

    func run() async throws {
        try? await gracefulShutdown()
        let (engines, grace) = (engines, grace)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                DispatchQueue.concurrentPerform(iterations: engines.count) { engines[$0].shutdown(grace: grace) }
                done.resume()
            }
        }
    }
}

/// Counts requests by endpoint and status for /metrics.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics
    static var endpoints: Set<String> { ["/", "/health", "/v1/models", "/v1/completions", "/metrics"] }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        let endpoint =
            Self.endpoints.contains(path) ? path : path.hasPrefix("/v1/models/") ? "/v1/models/{model}" : "other"
        let response = try await next(request, context)
        metrics.request(endpoint: endpoint, status: Int(response.status.code))
        return response
    }
}

extension WeightPrecision: ExpressibleByArgument {}
