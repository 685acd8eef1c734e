// Errors as OpenAI's API returns them: a status and {"error": {"message", "type", "param", "code"}}, so clients
// written for it show the message. Every error the server sends goes through here, including the router's 404s.
import CharRNN
import Hummingbird

/// An error response.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String
    /// OpenAI's error type: invalid_request_error, rate_limit_error, authentication_error, server_error.
    var type: String
    /// The request field at fault, if one is.
    var param: String?
    var headers: HTTPFields = [:]

    /// 400: a field (or the body) is wrong.
    static func invalid(_ message: String, param: String?) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param)
    }

    /// The engine's refusal as a response: 400 for a request it cannot run, 429 with Retry-After when its queue
    /// is full, 503 while it shuts down.
    init(_ error: EngineError) {
        switch error {
        case .invalid(let problem):
            self = .invalid(error.worded(\.field), param: problem.setting.field)
        case .outsideVocabulary:
            self = .invalid(error.worded(\.field), param: "prompt")
        case .queueFull:
            self.init(
                status: .tooManyRequests, message: error.description, type: "rate_limit_error", param: nil,
                headers: [.retryAfter: "1"])
        case .shuttingDown:
            self.init(status: .serviceUnavailable, message: error.description, type: "server_error", param: nil)
        }
    }

    init(status: HTTPResponse.Status, message: String, type: String, param: String?, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.headers = headers
    }

    /// The error's JSON body.
    var body: JSONOut {
        .object([
            (
                "error",
                .object([
                    ("message", .string(message)), ("type", .string(type)),
                    ("param", param.map { .string($0) } ?? .null),
                    ("code", .null),
                ])
            )
        ])
    }

    var response: Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body.rendered)))
    }
}

/// A JSON response with status 200.
func jsonResponse(_ value: JSONOut, status: HTTPResponse.Status = .ok) -> Response {
    Response(
        status: status, headers: [.contentType: "application/json"],
        body: ResponseBody(byteBuffer: ByteBuffer(string: value.rendered)))
}

/// Turns every error a handler or the router throws into an `APIError` response: HTTPError's status (404 for an
/// unknown path, 413 for a body over the limit), 500 for anything else.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The server's paths and the methods each takes (the routes in ServeCommand.makeRouter; /v1/models/{model}
    /// takes GET).
    static var methods: [String: [HTTPRequest.Method]] {
        ["/": [.get], "/health": [.get], "/v1/models": [.get], "/v1/completions": [.post], "/metrics": [.get]]
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as HTTPResponseError {
            // A path that exists with another method: 405 and the methods it takes.
            let path = request.uri.path
            if error.status == .notFound,
                let methods = Self.methods[path] ?? (path.hasPrefix("/v1/models/") ? [.get] : nil)
            {
                let allowed = methods.map(\.rawValue).joined(separator: ", ")
                var wrong = APIError(
                    status: .methodNotAllowed, message: "\(request.uri.path) takes \(allowed), not \(request.method)",
                    type: "invalid_request_error", param: nil)
                wrong.headers[.allow] = allowed
                return wrong.response
            }
            let status = error.status
            let message: String
            switch status {
            case .notFound: message = "no such endpoint: \(request.method) \(request.uri.path)"
            case .contentTooLarge: message = "the request body is too large"
            case .methodNotAllowed: message = "\(request.method) is not allowed on \(request.uri.path)"
            default: message = status.reasonPhrase
            }
            let type = status.code >= 500 ? "server_error" : "invalid_request_error"
            return APIError(status: status, message: message, type: type, param: nil).response
        } catch {
            return APIError(status: .internalServerError, message: "\(error)", type: "server_error", param: nil)
                .response
        }
    }
}

/// With an API key, every request but the playground page must carry `Authorization: Bearer KEY`.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if request.uri.path == "/" { return try await next(request, context) }
        guard request.headers[.authorization] == "Bearer \(key)" else {
            throw APIError(
                status: .unauthorized, message: "this server needs an API key: send Authorization: Bearer KEY",
                type: "authentication_error", param: nil)
        }
        return try await next(request, context)
    }
}

extension Setting {
    /// The request's JSON field that gives this setting (OpenAI's name where it has one).
    var field: String {
        switch self {
        case .choices: return "n"
        case .maxTokens: return "max_tokens"
        case .topLogprobs: return "logprobs"
        case .topK: return "top_k"
        case .topP: return "top_p"
        default: return rawValue
        }
    }
}
