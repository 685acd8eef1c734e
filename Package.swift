// swift-tools-version: 6.1
// charrnn: a character-level RNN text-generation toolkit.
//
// Targets, from the bottom up:
//   CICUShim   C: the only code that includes ICU headers; its public header exposes no ICU types
//              (Foundation on Linux carries a private ICU module whose types clash with the system's).
//   COpenBLAS  system library: OpenBLAS's cblas.h through pkg-config `openblas`.
//   CKernels   C: kernels for AVX2 and AVX-512 CPUs (chosen at run time), each with a portable twin
//              (Sources/CKernels/README.md).
//   CMPIShim   C: the MPI calls of data-parallel training, Open MPI loaded at run time under mpirun or srun.
//   CharRNN    the library: text, data, numerics, layers, model, training, checkpoints, generation, evaluation,
//              and the process group of data-parallel training.
//   charrnn    the command-line front end (swift-argument-parser) in Sources/CLI: thin, calls CharRNN. (Its folder
//              is not Sources/charrnn, which a case-insensitive disk would merge with Sources/CharRNN.)
//   charrnn-serve  the HTTP server (`charrnn serve` runs it) in Sources/Serve, on Hummingbird: a program of its own,
//              so that building `charrnn` alone (`swift build --product charrnn`) never builds SwiftNIO.
//   TestSupport    what every test target shares (Tests/TestSupport, Foundation only, no product): running the built
//              programs and others to their end or starting them to signal, where they and the repository are.
//
// docs/ARCHITECTURE.md describes how they fit together.
import PackageDescription

let package = Package(
    name: "charrnn",
    // Built and tested on Linux (Debian's ICU and OpenBLAS). On Apple platforms the Synchronization module
    // (WorkerThreads' atomic part counter) needs macOS 15.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CharRNN", targets: ["CharRNN"]),
        .executable(name: "charrnn", targets: ["charrnn"]),
        .executable(name: "charrnn-serve", targets: ["charrnn-serve"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The server only. No traits: swift-configuration support is not needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The server's /metrics: recorded through swift-metrics, exposed by swift-prometheus
        // (Sources/Serve/README.md says why).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        .target(name: "CKernels", exclude: ["README.md"]),
        // Open MPI for data-parallel training, loaded at run time (dlopen) only under mpirun or srun.
        .target(name: "CMPIShim", linkerSettings: [.linkedLibrary("dl")]),
        .target(
            name: "CharRNN",
            dependencies: ["CICUShim", "COpenBLAS", "CKernels", "CMPIShim"]
        ),
        .executableTarget(
            name: "charrnn",
            dependencies: [
                "CharRNN",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/CLI"
        ),
        .executableTarget(
            name: "charrnn-serve",
            dependencies: [
                "CharRNN",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/Serve",
            exclude: ["README.md"]
        ),
        // A test fixture, not a product: trains under mpirun with a fault planted in one rank, through the
        // library's Trainer.afterUpdate (MPIFaultTests), so that charrnn itself carries no test hook.
        .executableTarget(
            name: "replica-drift",
            dependencies: ["CharRNN"],
            path: "Tests/Fixtures/ReplicaDrift"
        ),
        // The tests' one runner of programs (to their end, or started to be signalled and stopped), the built
        // binaries' and the repository's locations, temporary directories. Every test target depends on it.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "CharRNNTests",
            dependencies: ["CharRNN", "charrnn", "replica-drift", "CKernels", "CMPIShim", "TestSupport"]
        ),
        // Through the built charrnn-serve binary on loopback.
        .testTarget(
            name: "ServerTests",
            dependencies: ["CharRNN", "charrnn-serve", "TestSupport"]
        ),
        // The documents against the code (flags, paths, tests named), and the README's examples run as written.
        .testTarget(
            name: "DocumentTests",
            dependencies: ["charrnn", "charrnn-serve", "TestSupport"]
        ),
        // TestSupport's runner itself, on bash and coreutils.
        .testTarget(
            name: "TestSupportTests",
            dependencies: ["TestSupport"]
        ),
    ]
)
