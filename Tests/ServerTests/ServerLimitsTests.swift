// The server under pressure and at its edges, each test with a server of its own: a full queue (429), a client
// that goes away mid-stream, SIGTERM while streaming, the API key, and settings it refuses to start with.
import Foundation
import Testing

@Suite(.serialized) struct ServerLimitsTests {
    static var long: [String: Any] { ["model": "en", "prompt": "The ", "max_tokens": 4096, "stream": true] }

    /// Opens a streaming request and waits for its first chunk of text.
    func startStream(_ port: Int, seed: Int) throws -> Connection {
        let connection = try Connection(port: port)
        let body = try JSONSerialization.data(withJSONObject: Self.long.merging(["seed": seed]) { $1 })
        connection.sendRequest(method: "POST", path: "/v1/completions", body: Array(body))
        var received = ""
        while !received.contains("data: ") {
            let more = connection.receive()
            if more.isEmpty { throw TestFailure("the stream ended before any text: \(received)") }
            received += String(decoding: more, as: UTF8.self)
        }
        return connection
    }

    /// Polls /metrics until `condition` holds for the line that starts with `name` (10 s at most).
    func waitForMetric(_ port: Int, _ name: String, _ condition: (Double) -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let text = try request(port, "GET", "/metrics").text
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
                let value = Double(line.split(separator: " ").last!), condition(value)
            {
                return true
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// One stream and one queued request fill a server of one stream and a queue of one; the next request gets
    /// 429 with Retry-After, and once the stream is dropped the queued one runs.
    @Test func aFullQueueGets429WithRetryAfter() throws {
        let server = try ServerProcess(["-m", "en=\(englishModel)", "--max-streams", "1", "--max-queue", "1"])
        let running = try startStream(server.port, seed: 1)
        let queued = try Connection(port: server.port)
        let body = try JSONSerialization.data(withJSONObject: [
            "model": "en", "prompt": "A ", "max_tokens": 5, "seed": 2,
        ])
        queued.sendRequest(method: "POST", path: "/v1/completions", body: Array(body))
        #expect(try waitForMetric(server.port, "charrnn_queue_depth{model=\"en\"}") { $0 == 1 })
        let refused = try request(
            server.port, "POST", "/v1/completions", json: ["model": "en", "prompt": "B ", "max_tokens": 5])
        #expect(refused.status == 429, "\(refused.text)")
        #expect(refused.headers["retry-after"] == "1")
        #expect(refused.json["error"] != nil)
        running.disconnect()  // the queued request gets the stream
        let answer = try queued.readReply()
        #expect(answer.status == 200)
        #expect(((answer.json["choices"] as? [[String: Any]])?.first?["text"] as? String)?.isEmpty == false)
    }

    /// A client that disconnects mid-stream frees its stream at the next step: the active streams return to 0
    /// long before its 4,096 tokens would have been generated, and the server goes on answering.
    @Test func aDisconnectedClientFreesItsStream() throws {
        let server = try ServerProcess(["-m", "en=\(englishModel)", "--max-streams", "2"])
        let connection = try startStream(server.port, seed: 5)
        #expect(try waitForMetric(server.port, "charrnn_streams_active{model=\"en\"}") { $0 == 1 })
        connection.disconnect()
        #expect(try waitForMetric(server.port, "charrnn_streams_active{model=\"en\"}") { $0 == 0 })
        let after = try request(
            server.port, "POST", "/v1/completions", json: ["model": "en", "prompt": "A ", "max_tokens": 10])
        #expect(after.status == 200)
    }

    /// A client that stops reading does not hold up the others: its text queues for it while another request is
    /// answered in full.
    @Test func aSlowReaderDoesNotStallTheOthers() throws {
        let server = try ServerProcess(["-m", "en=\(englishModel)", "--max-tokens", "100000"])
        let stalled = try Connection(port: server.port, receiveBuffer: 2048)
        let body = try JSONSerialization.data(withJSONObject: [
            "model": "en", "prompt": "The ", "max_tokens": 100000, "stream": true, "seed": 4,
        ])
        stalled.sendRequest(method: "POST", path: "/v1/completions", body: Array(body))
        _ = stalled.receive()  // its first bytes; then it reads nothing more
        Thread.sleep(forTimeInterval: 3)  // its text piles up: the sockets' buffers, then the server's memory
        let started = Date()
        let other = try request(
            server.port, "POST", "/v1/completions", json: ["model": "en", "prompt": "A ", "max_tokens": 200, "seed": 1])
        #expect(other.status == 200)
        #expect(((other.json["choices"] as? [[String: Any]])?.first?["text"] as? String)?.count ?? 0 > 100)
        #expect(Date().timeIntervalSince(started) < 20, "a bound for a hang, not for speed")
        stalled.disconnect()
    }

    /// SIGTERM while streaming: the stream is given the grace, then cancelled with an error event and [DONE];
    /// the server exits with status 0 within seconds, and a request after the signal is not served.
    @Test func sigtermWhileStreamingEndsTheStreamAndExits() throws {
        let server = try ServerProcess([
            "-m", "en=\(englishModel)", "--shutdown-grace", "0.5", "--max-tokens", "100000",
        ])
        let connection = try Connection(port: server.port)
        let body = try JSONSerialization.data(withJSONObject: [
            "model": "en", "prompt": "The ", "max_tokens": 100000, "stream": true, "seed": 8,
        ])
        connection.sendRequest(method: "POST", path: "/v1/completions", body: Array(body))
        var received = String(decoding: connection.receive(), as: UTF8.self)
        let start = Date()
        let status = server.stop(signal: SIGTERM, timeout: 10)
        #expect(status == 0, "exit status \(String(describing: status)): \(server.standardError)")
        #expect(Date().timeIntervalSince(start) < 10)
        while true {
            let more = connection.receive()
            if more.isEmpty { break }
            received += String(decoding: more, as: UTF8.self)
        }
        #expect(received.contains("shutting down"), "\(received.suffix(300))")
        #expect(received.contains("data: [DONE]"))
    }

    @Test func anAPIKeyIsRequiredWhenSet() throws {
        let server = try ServerProcess(["-m", "en=\(englishModel)", "--api-key", "s3cret"])
        let without = try request(server.port, "GET", "/v1/models")
        #expect(without.status == 401)
        let wrong = try request(server.port, "GET", "/v1/models", headers: ["Authorization": "Bearer nope"])
        #expect(wrong.status == 401)
        let with = try request(server.port, "GET", "/v1/models", headers: ["Authorization": "Bearer s3cret"])
        #expect(with.status == 200)
    }

    /// `charrnn serve` runs charrnn-serve with its arguments.
    @Test func charrnnServeRunsTheServer() throws {
        let help = try charrnn(["serve", "--help"])
        #expect(help.contains("USAGE: charrnn serve") && help.contains("--max-streams"))
        let (status, text) = try runToEnd("charrnn", ["serve", "-m", "/nonexistent.safetensors"])
        #expect(status == 1)
        #expect(text.hasPrefix("charrnn serve: error: -m /nonexistent.safetensors"), "\(text)")
    }

    /// A port in use is one line that says so, and status 1.
    @Test func aPortInUseIsOneLine() throws {
        let first = try ServerProcess(["-m", "en=\(englishModel)", "--threads", "1"])
        let (status, text) = try runToEnd("charrnn-serve", ["-m", "en=\(englishModel)", "--port", "\(first.port)"])
        #expect(status == 1)
        #expect(
            text == "charrnn serve: error: cannot listen on 127.0.0.1:\(first.port): the address is in use; "
                + "choose another --port\n", "\(text)")
    }

    /// Settings the server refuses: one line on stderr naming the problem, a non-zero exit, nothing listening.
    @Test(arguments: [
        (["-m", "/nonexistent/model.safetensors"], "/nonexistent/model.safetensors"),
        (["-m", "en=\(englishModel)", "--host", "0.0.0.0"], "--api-key"),
        (["-m", "en=\(englishModel)", "-m", "en=\(englishModel)"], "two models are named en"),
        (["-m", "en=\(englishModel)", "--max-n", "64", "--max-streams", "8"], "--max-n"),
        (["-m", "en=\(englishModel)", "--port", "70000"], "--port"),
    ])
    func refusedSettings(arguments: [String], mention: String) throws {
        let (status, text) = try runToEnd("charrnn-serve", arguments)
        #expect(status != 0)
        #expect(text.contains(mention), "\(text)")
    }
}
