// Where things are for the tests: the repository, the built programs, and temporary directories of their own.
import Foundation

/// The repository's root (this file is Tests/TestSupport/Locations.swift).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The directory the running test bundle is in, where `swift build` puts the executables it built with it.
public let buildDirectory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    .deletingLastPathComponent()

/// The executable `name` built next to the test bundle (`charrnn`, `charrnn-serve`).
public func builtExecutable(_ name: String) -> URL {
    buildDirectory.appendingPathComponent(name)
}

/// The built `charrnn`.
public let charrnnExecutable = builtExecutable("charrnn")

/// The built `charrnn-serve`.
public let charrnnServeExecutable = builtExecutable("charrnn-serve")

/// A fresh temporary directory, removed by the caller with `removeItem`.
public func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs `body` with a fresh temporary directory, removed afterwards.
public func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}
