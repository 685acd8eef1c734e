// A small HTTP/1.1 client over a socket for the server tests, so a test controls every byte: bodies that are not
// JSON, a stream read halfway and then dropped, many connections at once. The server itself is ServerProcess.swift's.
import Foundation

/// A failure of a server test's own making (the server did not start, a reply that is not HTTP).
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// An HTTP response as received.
struct HTTPReply {
    var status: Int
    var headers: [String: String]  // names lowercased
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as a JSON object.
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    /// The error message of an error body.
    var errorMessage: String { (json["error"] as? [String: Any])?["message"] as? String ?? "" }
    var errorParam: String? { (json["error"] as? [String: Any])?["param"] as? String }
    /// A server-sent-events body's `data:` payloads.
    var events: [String] {
        text.components(separatedBy: "\n\n").compactMap { block in
            block.hasPrefix("data: ") ? String(block.dropFirst(6)) : nil
        }
    }
}

/// One TCP connection to the server.
final class Connection {
    private(set) var fd: Int32

    /// A connection to `port`; `receiveBuffer` sets a small socket receive buffer (a client that reads slowly).
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            fd = -1
            throw TestFailure("cannot connect to port \(port): errno \(errno)")
        }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { disconnect() }

    /// Closes the connection as a client that goes away does.
    func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes {
                Foundation.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            offset += n
        }
    }

    /// A request; the body is sent as given (JSON or not).
    func sendRequest(method: String, path: String, body: [UInt8]? = nil, headers: [String: String] = [:]) {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        send(Array((head + "\r\n").utf8) + (body ?? []))
    }

    /// Whatever arrives next (empty at the end of the stream).
    func receive() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        return n > 0 ? Array(buffer[..<n]) : []
    }

    /// Reads to the end and parses the response (chunked bodies decoded).
    func readReply() throws -> HTTPReply {
        var raw: [UInt8] = []
        while true {
            let more = receive()
            if more.isEmpty { break }
            raw += more
        }
        return try parseReply(raw)
    }
}

/// Parses a whole HTTP/1.1 response.
func parseReply(_ raw: [UInt8]) throws -> HTTPReply {
    let separator: [UInt8] = Array("\r\n\r\n".utf8)
    guard let end = (0..<max(0, raw.count - 3)).first(where: { Array(raw[$0..<($0 + 4)]) == separator }) else {
        throw TestFailure("no complete response head in \(raw.count) bytes")
    }
    let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
    guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
        throw TestFailure("bad status line \(lines.first ?? "")")
    }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var body = Array(raw[(end + 4)...])
    if headers["transfer-encoding"] == "chunked" {
        var decoded: [UInt8] = []
        var i = 0
        while i < body.count {
            guard let lineEnd = (i..<(body.count - 1)).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }),
                let size = Int(String(decoding: body[i..<lineEnd], as: UTF8.self), radix: 16)
            else { break }
            if size == 0 { break }
            let start = lineEnd + 2
            decoded += body[start..<min(body.count, start + size)]
            i = start + size + 2
        }
        body = decoded
    }
    return HTTPReply(status: status, headers: headers, body: body)
}

/// One request on a connection of its own.
func request(
    _ port: Int, _ method: String, _ path: String, json: Any? = nil, raw: [UInt8]? = nil,
    headers: [String: String] = [:]
) throws -> HTTPReply {
    let connection = try Connection(port: port)
    let body = try raw ?? json.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
    connection.sendRequest(method: method, path: path, body: body, headers: headers)
    return try connection.readReply()
}
