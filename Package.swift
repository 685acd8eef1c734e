// swift-tools-version: 6.0
// charrnn: a character-level RNN text-generation toolkit.
//
// Targets, from the bottom up:
//   CICUShim   C: the only code that includes ICU headers; its public header exposes no ICU types
//              (Foundation on Linux carries a private ICU module whose types clash with the system's).
//   COpenBLAS  system library: OpenBLAS's cblas.h through pkg-config `openblas`.
//   CKernels   C: kernels that use AVX2/FMA/F16C when the CPU has them (chosen at run time), with portable twins.
//   CharRNN    the library: text, data, numerics (and later layers, model, training, sampling, checkpoints).
//   charrnn    the command-line front end (swift-argument-parser); thin, calls CharRNN.
import PackageDescription

let package = Package(
    name: "charrnn",
    // Built and tested on Linux (Debian's ICU and OpenBLAS). On Apple platforms the Synchronization module
    // (WorkerThreads' atomic part counter) needs macOS 15.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CharRNN", targets: ["CharRNN"]),
        .executable(name: "charrnn", targets: ["charrnn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Documentation only: `swift package generate-documentation --target CharRNN`. No target depends on it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CICUShim",
            linkerSettings: [.linkedLibrary("icuuc"), .linkedLibrary("icudata")]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "CKernels"),
        .target(
            name: "CharRNN",
            dependencies: ["CICUShim", "COpenBLAS", "CKernels"]
        ),
        .executableTarget(
            name: "charrnn",
            dependencies: [
                "CharRNN",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "CharRNNTests",
            dependencies: ["CharRNN", "charrnn", "CKernels"]
        ),
    ]
)
