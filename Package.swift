// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// The layers, lowest first (docs/architecture.md says what each may import):
//   Valkey            the hiredis client; imported by the queue alone
//   RAGQueue          queue, worker, pipeline, backend clients, ingestion, configuration
//   RAGQueueAPI       the HTTP API (Hummingbird)
//   FakeBackends      deterministic OpenAI and Qdrant servers
//   RAGQueueTestSupport  child processes and private Valkey servers, for tests and the simulator
//   RAGSimulator      the load simulator's logic
//   ragserve, ragsim  argument parsing and @main only
let package = Package(
    name: "RAGQueue",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RAGQueue", targets: ["RAGQueue"]),
        .library(name: "RAGQueueAPI", targets: ["RAGQueueAPI"]),
        .library(name: "FakeBackends", targets: ["FakeBackends"]),
        .executable(name: "ragserve", targets: ["ragserve"]),
        .executable(name: "ragsim", targets: ["ragsim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        // Already under Hummingbird: the tracing API every layer instruments with.
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // The dashboard's server-rendered pages (HTML-escaping by default).
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Already under Hummingbird; named for the API's handling of HTTP parser errors.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // C libraries, reached through pkg-config.
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Typed, non-variadic wrappers around libcurl's variadic setopt/getinfo.
        .target(name: "CCurlHelpers", dependencies: ["CCurl"]),
        // TLS for Valkey (rediss://): OpenSSL in front of hiredis 0.14, which has none.
        .target(name: "CTLSPump", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),

        .target(
            name: "Valkey",
            dependencies: [
                "CHiredis",
                "CTLSPump",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RAGQueue",
            dependencies: [
                "Valkey",
                "CCurlHelpers",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RAGQueueAPI",
            dependencies: [
                "RAGQueue",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FakeBackends",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RAGQueueTestSupport",
            dependencies: ["RAGQueue"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ragserve",
            dependencies: [
                "RAGQueue",
                "RAGQueueAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RAGSimulator",
            dependencies: [
                "RAGQueue",
                "RAGQueueTestSupport",
                "FakeBackends",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ragsim",
            dependencies: [
                "RAGSimulator",
                "RAGQueue",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "Valkey",
                "RAGQueue",
                "RAGQueueAPI",
                "RAGSimulator",
                "FakeBackends",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Tests/Unit",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Valkey",
                "RAGQueue",
                "RAGQueueAPI",
                "RAGQueueTestSupport",
                "FakeBackends",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/Integration",
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
