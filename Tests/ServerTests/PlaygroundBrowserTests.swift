// The playground page in headless Chromium (scripts/playground-check.py, Selenium): the streamed text equals the
// API's for a seed, the stop button frees the stream, the score view shows the API's surprisals. Needs Debian's
// chromium and chromium-driver and .build/browser-venv (bash scripts/browser-venv.sh); the test command installs
// all three, and without one the test fails, saying how to get it.
import Foundation
import TestSupport
import Testing

enum Browser {
    static let python = repositoryRoot.appendingPathComponent(".build/browser-venv/bin/python").path
    static let available = [python, "/usr/bin/chromium", "/usr/bin/chromedriver"].allSatisfy {
        FileManager.default.isExecutableFile(atPath: $0)
    }
}

@Suite struct PlaygroundBrowserTests {
    @Test func thePlaygroundGeneratesStopsAndScoresInChromium() throws {
        try #require(Browser.available, "no browser: bash scripts/test.sh installs chromium, its driver and Selenium")
        let process = try runProgram(
            URL(fileURLWithPath: Browser.python),
            [
                repositoryRoot.appendingPathComponent("scripts/playground-check.py").path,
                buildDirectory.appendingPathComponent("charrnn-serve").path, englishModel,
            ], mergingStandardError: true, timeout: 600)
        let text = process.stdout
        #expect(process.status == 0, "\(text)")
    }
}
