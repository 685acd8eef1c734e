// POST /v1/completions's body, checked field by field: OpenAI's legacy completions parameters (and top_k), each
// with its type and range; anything wrong is a 400 that names the field.
import CharRNN

/// The server's limits on one request, each a `charrnn serve` flag.
struct RequestLimits: Sendable {
    /// Request bodies above this many bytes get 413. Default 1 MiB.
    var bodyBytes = 1 << 20
    /// Prompts above this many tokens (of the model's vocabulary) get 400. Default 8,192.
    var promptTokens = 8192
    /// The largest `max_tokens`. Default 4,096.
    var maxTokens = 4096
    /// The largest `n`. Default 8 (and at most the engine's streams).
    var choices = 8
}

/// A prompt as a request gives it: text, or the model's token ids (in the order GET /v1/models/{model} lists
/// the vocabulary), checked against the vocabulary once the model is known.
enum Prompt: Sendable, Equatable {
    case text(String)
    case tokens([Int])
}

/// A completions request, checked.
struct CompletionParameters: Sendable {
    var model: String
    /// One or more prompts; each is continued `n` times.
    var prompts: [Prompt]
    var maxTokens = 16
    var sampling = SamplingConfig(temperature: 1)
    var n = 1
    var stop: [String] = []
    var seed: UInt64?
    var stream = false
    var echo = false
    /// nil: no log-probabilities; 0: each token's own; 1 to 5: also that many of the most likely tokens at each
    /// position.
    var logprobs: Int?

    /// Checks `body` (a parsed JSON document) against the parameters and `limits`.
    ///
    /// - Throws: `APIError` (400) naming the first field that is missing, of the wrong type or out of range.
    init(_ body: JSONValue, limits: RequestLimits) throws(APIError) {
        guard case .object(let fields) = body else {
            throw .invalid("the request body must be a JSON object, got \(body.typeName)", param: nil)
        }
        func field(_ name: String) -> JSONValue? {
            guard let value = fields[name], value != .null else { return nil }
            return value
        }
        func integer(_ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
            guard let value = field(name) else { return nil }
            var number: Int? = nil
            if case .integer(let i) = value { number = i }
            if case .number(let d) = value, d.rounded() == d {
                guard abs(d) < 1e15 else {
                    throw .invalid("\(name) must be \(range.lowerBound) to \(range.upperBound), got \(d)", param: name)
                }
                number = Int(d)
            }
            guard let number else { throw .invalid("\(name) must be an integer, got \(value.typeName)", param: name) }
            guard range.contains(number) else {
                throw .invalid(
                    "\(name) must be \(range.lowerBound) to \(range.upperBound), got \(number)", param: name)
            }
            return number
        }
        func double(_ name: String) throws(APIError) -> Double? {
            switch field(name) {
            case nil: return nil
            case .integer(let i): return Double(i)
            case .number(let d): return d
            case let other?: throw .invalid("\(name) must be a number, got \(other.typeName)", param: name)
            }
        }
        func boolean(_ name: String) throws(APIError) -> Bool? {
            switch field(name) {
            case nil: return nil
            case .bool(let b): return b
            case let other?: throw .invalid("\(name) must be true or false, got \(other.typeName)", param: name)
            }
        }
        /// A string or a non-empty list of strings.
        func strings(_ name: String) throws(APIError) -> [String]? {
            switch field(name) {
            case nil: return nil
            case .string(let s): return [s]
            case .array(let items) where !items.isEmpty:
                var out: [String] = []
                for item in items {
                    guard case .string(let s) = item else {
                        throw .invalid("\(name) must be a string or a list of strings", param: name)
                    }
                    out.append(s)
                }
                return out
            case let other?:
                throw .invalid(
                    "\(name) must be a string or a non-empty list of strings, got \(other.typeName)", param: name)
            }
        }

        switch field("model") {
        case .string(let m): model = m
        case nil: throw .invalid("model is required: the name of a loaded model (GET /v1/models)", param: "model")
        case let other?: throw .invalid("model must be a string, got \(other.typeName)", param: "model")
        }
        prompts = try Self.prompts(field("prompt"))
        maxTokens = try integer("max_tokens", in: 0...limits.maxTokens) ?? maxTokens
        n = try integer("n", in: 1...limits.choices) ?? n
        if let t = try double("temperature") {
            guard t > 0 && t.isFinite else {
                throw .invalid("temperature must be greater than 0, got \(t)", param: "temperature")
            }
            sampling.temperature = t
        }
        if let p = try double("top_p") {
            guard p > 0 && p <= 1 else { throw .invalid("top_p must be in (0, 1], got \(p)", param: "top_p") }
            sampling.topP = p < 1 ? p : nil  // 1 keeps every token: the same as no top_p
        }
        if let k = try double("top_k") {
            guard k.rounded() == k else { throw .invalid("top_k must be an integer, got \(k)", param: "top_k") }
            guard k >= 1 else { throw .invalid("top_k must be at least 1, got \(k)", param: "top_k") }
            sampling.topK = Int(min(k, 1e15))  // any k beyond the vocabulary keeps all of it
        }
        if let stops = try strings("stop") {
            guard stops.count <= 4 else {
                throw .invalid("stop takes at most 4 texts, got \(stops.count)", param: "stop")
            }
            guard !stops.contains(where: \.isEmpty) else {
                throw .invalid("stop texts must not be empty", param: "stop")
            }
            stop = stops
        }
        if let s = try integer("seed", in: 0...Int.max) { seed = UInt64(s) }
        stream = try boolean("stream") ?? false
        echo = try boolean("echo") ?? false
        logprobs = try integer("logprobs", in: 0...5)
        for name in ["presence_penalty", "frequency_penalty"] {
            if let v = try double(name), v != 0 {
                throw .invalid("\(name) is not supported; leave it at 0", param: name)
            }
        }
        if let bestOf = try integer("best_of", in: 1...limits.choices), bestOf != n {
            throw .invalid("best_of is not supported; leave it out or equal to n", param: "best_of")
        }
        if case .string(let suffix)? = field("suffix"), !suffix.isEmpty {
            throw .invalid("suffix is not supported", param: "suffix")
        }
    }

    /// `prompt` as OpenAI takes it: absent or null (one empty prompt), a string, a list of strings, a list of
    /// token ids, or a list of lists of token ids.
    private static func prompts(_ value: JSONValue?) throws(APIError) -> [Prompt] {
        let why = "prompt must be a string, a non-empty list of strings, a list of token ids or a list of such lists"
        /// A list of integers, or nil.
        func ids(_ items: [JSONValue]) -> [Int]? {
            var out: [Int] = []
            for item in items {
                switch item {
                case .integer(let i): out.append(i)
                // a whole number past Int's range is an id like any other outside the vocabulary
                case .number(let d) where d.rounded() == d: out.append(abs(d) < 1e15 ? Int(d) : Int.max)
                default: return nil
                }
            }
            return out
        }
        switch value {
        case nil: return [.text("")]
        case .string(let s): return [.text(s)]
        case .array(let items) where !items.isEmpty:
            if case .string? = items.first {
                var texts: [Prompt] = []
                for item in items {
                    guard case .string(let s) = item else { throw .invalid(why, param: "prompt") }
                    texts.append(.text(s))
                }
                return texts
            }
            if let tokens = ids(items) { return [.tokens(tokens)] }
            var lists: [Prompt] = []
            for item in items {
                guard case .array(let inner) = item, let tokens = ids(inner) else {
                    throw .invalid(why, param: "prompt")
                }
                lists.append(.tokens(tokens))
            }
            return lists
        case let other?: throw .invalid("\(why), got \(other.typeName)", param: "prompt")
        }
    }
}
