// The playground page in headless Chromium (scripts/playground-check.py, Selenium): the streamed text equals the
// API's for a seed, the stop button frees the stream, the score view shows the API's surprisals. Needs Debian's
// chromium and chromium-driver and .build/browser-venv (bash scripts/browser-venv.sh); CI has all three and then a
// missing one fails the test, elsewhere the test is skipped, saying why.
import Foundation
import Testing

enum Browser {
    static let python = repositoryRoot.appendingPathComponent(".build/browser-venv/bin/python").path
    static let available = [python, "/usr/bin/chromium", "/usr/bin/chromedriver"].allSatisfy {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let inCI = ProcessInfo.processInfo.environment["CI"] == "true"
}

@Suite struct PlaygroundBrowserTests {
    @Test(
        .enabled(
            if: Browser.available || Browser.inCI,
            "no browser: apt-get install chromium chromium-driver and bash scripts/browser-venv.sh (CI has them)"))
    func thePlaygroundGeneratesStopsAndScoresInChromium() throws {
        #expect(Browser.available, "CI=true but chromium, chromedriver or .build/browser-venv is missing")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Browser.python)
        process.arguments = [
            repositoryRoot.appendingPathComponent("scripts/playground-check.py").path,
            buildDirectory.appendingPathComponent("charrnn-serve").path, englishModel,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
    }
}
