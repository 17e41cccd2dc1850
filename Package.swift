// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "RAGQueue",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RAGQueue", targets: ["RAGQueue"]),
        .library(name: "FakeBackends", targets: ["FakeBackends"]),
        .library(name: "RAGQueueAPI", targets: ["RAGQueueAPI"]),
        .executable(name: "ragserve", targets: ["ragserve"]),
        .executable(name: "ragsim", targets: ["ragsim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
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
        // SHA-256, shared by the fakes and the API (no crypto package needed for one digest).
        .target(name: "Digests", swiftSettings: swiftSettings),

        .target(
            name: "RAGQueue",
            dependencies: [
                "CHiredis",
                "Digests",
                "CCurlHelpers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The HTTP server is a module of its own (below): loading Hummingbird's C modules into this
            // one changes which clang module owns `timespec`, which breaks the Valkey threads' code.
            // The API's configuration (API/Configuration) stays here, in RAGQueueConfiguration's reach.
            exclude: ["API/HTTP"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RAGQueueAPI",
            dependencies: [
                "RAGQueue",
                "Digests",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/RAGQueue/API/HTTP",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FakeBackends",
            dependencies: [
                "Digests",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ragserve",
            dependencies: [
                "RAGQueue",
                "RAGQueueAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ragsim",
            dependencies: [
                "RAGQueue",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                "FakeBackends",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "UnitTests",
            // ragsim is an executable target: its pure types (worker counts, arrivals, figures, reports)
            // are reached with `@testable import ragsim`, which SwiftPM supports on Linux and macOS.
            dependencies: ["RAGQueue", "RAGQueueAPI", "FakeBackends", "ragsim", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/Unit",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "RAGQueue",
                "RAGQueueAPI",
                "FakeBackends",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/Integration",
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
