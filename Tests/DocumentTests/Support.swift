// Where things are for the document tests, and a runner for the programs they start.
import Foundation
import Synchronization
import Testing

/// The directory the test bundle and the built executables are in.
let buildDirectory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()

/// The repository's root (this file is Tests/DocumentTests/Support.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// What a program printed and how it ended.
struct ProgramResult {
    var status: Int32
    var stdout: Data
    var stderr: String
    var output: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs `executable ARGUMENTS` to its end (stdin empty), killing it and failing the test after `timeout` seconds (a
/// bound for a hang, not for speed).
func runProgram(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, currentDirectory: URL? = nil,
    timeout: TimeInterval = 600
) throws -> ProgramResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let timedOut = Atomic<Bool>(false)
    let watchdog = DispatchWorkItem {
        guard process.isRunning else { return }
        timedOut.store(true, ordering: .relaxed)
        kill(process.processIdentifier, SIGKILL)
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    let errors = Mutex(Data())
    let reading = DispatchGroup()
    DispatchQueue.global().async(group: reading) {
        let data = err.fileHandleForReading.readDataToEndOfFile()
        errors.withLock { $0 = data }
    }
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    reading.wait()
    watchdog.cancel()
    if timedOut.load(ordering: .relaxed) {
        Issue.record("\(executable) \(arguments.joined(separator: " ")) ran for over \(Int(timeout)) s and was killed")
    }
    return ProgramResult(
        status: process.terminationStatus, stdout: stdout,
        stderr: String(decoding: errors.withLock { $0 }, as: UTF8.self))
}
