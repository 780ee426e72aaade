import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP socket listening on 127.0.0.1 (a free port). Without `serve`, connections complete
/// (the kernel's backlog) and then nothing ever answers: a homeserver that hangs.
final class LoopbackListener: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    private let lock = NSLock()
    private var bodies: [Data] = []

    init() throws {
        #if canImport(Glibc)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        let fd = socket(AF_INET, stream, 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = size
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Answers every request with 200 `{"rejected": []}` (a push gateway) and keeps the bodies.
    func serve() {
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(fd, nil, nil)
                if connection < 0 { return }
                if let body = readRequestBody(connection) {
                    lock.withLock { bodies.append(body) }
                }
                let answer = "{\"rejected\":[]}"
                let response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(answer.utf8.count)\r\nConnection: close\r\n\r\n\(answer)"
                _ = response.withCString { send(connection, $0, strlen($0), 0) }
                close(connection)
            }
        }
    }

    /// The request bodies received so far.
    var received: [Data] { lock.withLock { bodies } }

    /// Waits until a received body satisfies `matching`, for at most `timeout` seconds.
    func waitFor(timeout: TimeInterval = 15, _ matching: (Data) -> Bool) async throws -> Data? {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if let body = received.first(where: matching) { return body }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        return nil
    }

    private var stopped = false

    /// Stops listening (once: the descriptor number may be reused afterwards).
    func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    deinit { stop() }
}

/// Reads one HTTP request from `connection`; its body (by Content-Length).
private func readRequestBody(_ connection: Int32) -> Data? {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    let separator = Data("\r\n\r\n".utf8)
    var expected: Int?
    var bodyStart = 0
    while true {
        if let range = data.range(of: separator), expected == nil {
            bodyStart = range.upperBound
            let head = String(decoding: data[..<range.lowerBound], as: UTF8.self)
            expected = head.split(separator: "\r\n").compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
        }
        if let expected, data.count - bodyStart >= expected {
            return data.subdata(in: bodyStart..<(bodyStart + expected))
        }
        let count = recv(connection, &buffer, buffer.count, 0)
        if count <= 0 { return nil }
        data.append(contentsOf: buffer[0..<count])
    }
}
