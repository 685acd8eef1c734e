// swift-tools-version: 6.0
// libFuzzer targets for charrnn, kept out of the main package (their entry point is libFuzzer's, not main).
// Run them with ../scripts/fuzz.sh; see RELIABILITY.md.
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name, whatever the clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
    .lowercased()

let package = Package(
    name: "charrnn-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "FuzzCheckpoint", dependencies: [.product(name: "CharRNN", package: root)]),
        .executableTarget(name: "FuzzTokenizer", dependencies: [.product(name: "CharRNN", package: root)]),
    ]
)
