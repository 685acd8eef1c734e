// swift-tools-version: 6.0
// An example of using the CharRNN library from another Swift package: load a checkpoint, generate text token by
// token, score text. Build and run it with:
//
//     cd Examples && swift run -c release generate-text ../models/fortunes-en.safetensors "The meaning of life"
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name, whatever the clone is called. Another package depends on
// charrnn by URL instead: .package(url: "https://…/charrnn.git", branch: "main").
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
    .lowercased()

let package = Package(
    name: "charrnn-examples",
    platforms: [.macOS(.v15)],  // as charrnn itself
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "generate-text", dependencies: [.product(name: "CharRNN", package: root)],
            path: "Sources/GenerateText")
    ]
)
