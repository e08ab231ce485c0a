// swift-tools-version:6.1
// Bollard: automatic vehicle access control for pedestrian-priority zones.
//
// Targets follow dependencies: C modules (CZMQ, CTurboJPEG) are wrapped by one
// Swift target each and imported nowhere else; Domain and WireProtocol are pure
// Swift shared by Edge and Central; EdgeCore and CentralCore never import each
// other; executables are thin.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Bollard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bollard-edge", targets: ["BollardEdge"]),
        .executable(name: "bollard-central", targets: ["BollardCentral"]),
        .executable(name: "bollardctl", targets: ["BollardCtl"]),
        .executable(name: "bollard-bench", targets: ["BollardBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // Evidence bundles are ZIP files; on Linux ZIPFoundation links zlib (Debian zlib1g-dev, in the Makefile's DEBIAN_PACKAGES).
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
        // The control centre's HTTP side only (CentralHTTP and bollard-central).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // Central's store on PostgreSQL (issue 13): CentralCore only.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // MARK: Common
        .systemLibrary(
            name: "CZMQ",
            path: "Common/CZMQ",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(name: "ZMQ", dependencies: ["CZMQ"], path: "Common/ZMQ", swiftSettings: swiftSettings),
        .target(name: "Domain", path: "Common/Domain", swiftSettings: swiftSettings),
        .target(name: "WireProtocol", dependencies: ["Domain"], path: "Common/WireProtocol", swiftSettings: swiftSettings),
        .target(
            name: "BollardSupport",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // SIGHUP reloads the configuration (ConfigurationReloadService).
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Common/Support",
            swiftSettings: swiftSettings
        ),

        // Evidence: what a gate signs for every event and how a signature chain is checked;
        // shared by the gate (signs), central (verifies, countersigns) and bollardctl (verifies offline).
        .target(
            name: "Evidence",
            dependencies: [
                "Domain", "WireProtocol", "BollardSupport", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            path: "Common/Evidence",
            swiftSettings: swiftSettings
        ),

        // MARK: Edge
        .systemLibrary(
            name: "CTurboJPEG",
            path: "Edge/CTurboJPEG",
            providers: [.apt(["libturbojpeg0-dev"])]
        ),
        .target(
            name: "PlateRecognition",
            dependencies: ["CTurboJPEG", .product(name: "Crypto", package: "swift-crypto")],
            path: "Edge/PlateRecognition",
            // The trained model (weights, alphabet, layer table, SHA-256), checked at load.
            resources: [.copy("Resources/plates.bmodel")],
            swiftSettings: swiftSettings
        ),
        // Capture: the CV4L2 shim (libv4l2, Debian libv4l-dev, listed in the Makefile's
        // DEBIAN_PACKAGES: a C target cannot carry an apt provider) is imported by Capture only.
        .target(
            name: "CV4L2",
            path: "Edge/CV4L2",
            linkerSettings: [.linkedLibrary("v4l2")]
        ),
        .target(
            name: "Capture",
            dependencies: ["CV4L2", "PlateRecognition", .product(name: "Logging", package: "swift-log")],
            path: "Edge/Capture",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EdgeCore",
            dependencies: [
                "Domain", "WireProtocol", "ZMQ", "BollardSupport", "PlateRecognition", "Capture", "Evidence",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Edge/EdgeCore",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BollardEdge",
            dependencies: [
                "EdgeCore", "PlateRecognition", "Capture", "BollardSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Edge/bollard-edge",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BollardCtl",
            dependencies: [
                "WireProtocol", "ZMQ", "BollardSupport", "Evidence",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Edge/bollardctl",
            swiftSettings: swiftSettings
        ),

        // MARK: Central
        .target(
            name: "CentralCore",
            dependencies: [
                "Domain", "WireProtocol", "ZMQ", "BollardSupport", "Evidence",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Central/CentralCore",
            swiftSettings: swiftSettings
        ),
        // The control centre: JSON API, dashboard, metrics. The only library that imports Hummingbird.
        .target(
            name: "CentralHTTP",
            dependencies: [
                "CentralCore", "Domain", "WireProtocol", "BollardSupport", "Evidence",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Central/CentralHTTP",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BollardCentral",
            dependencies: [
                "CentralCore", "CentralHTTP", "BollardSupport", "Evidence", "WireProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Central/bollard-central",
            swiftSettings: swiftSettings
        ),

        // MARK: Benchmarks (print figures; run in release by `make bench-*`)
        .executableTarget(
            name: "BollardBench",
            dependencies: [
                "Domain", "WireProtocol", "ZMQ", "CentralCore", "EdgeCore", "BollardSupport", "Capture", "PlateRecognition", "Evidence",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `scale` makes its PostgreSQL databases with psql (TestEngine).
                "TestSupport",
            ],
            path: "Tests/Benchmarks",
            exclude: ["bench-http.sh"],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests
        .testTarget(
            name: "SupportTests",
            dependencies: [
                "BollardSupport", "TestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/SupportTests"
        ),
        // Helpers more than one test target needs (a stand-in for systemd's notify socket).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "DomainTests", dependencies: ["Domain", "TestSupport"], path: "Tests/DomainTests"),
        .testTarget(name: "ZMQTests", dependencies: ["ZMQ"], path: "Tests/ZMQTests"),
        .testTarget(
            name: "EvidenceTests",
            dependencies: [
                "Evidence", "WireProtocol", "Domain", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            path: "Tests/EvidenceTests"),
        .testTarget(name: "WireProtocolTests", dependencies: ["WireProtocol", "Domain"], path: "Tests/WireProtocolTests"),
        .testTarget(name: "PlateRecognitionTests", dependencies: ["PlateRecognition", "TestSupport"], path: "Tests/PlateRecognitionTests"),
        .testTarget(
            name: "CaptureTests", dependencies: ["Capture", "EdgeCore", "Domain", "PlateRecognition", .product(name: "Logging", package: "swift-log")],
            path: "Tests/CaptureTests"),
        .testTarget(
            name: "EdgeCoreTests",
            dependencies: [
                "EdgeCore", "Domain", "WireProtocol", "Evidence", "PlateRecognition", "Capture", "BollardSupport", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/EdgeCoreTests"
        ),
        .testTarget(
            name: "CentralCoreTests",
            dependencies: [
                "CentralCore", "Domain", "WireProtocol", "Evidence", "TestSupport", "BollardSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/CentralCoreTests"
        ),
        .testTarget(
            name: "CentralHTTPTests",
            dependencies: [
                "CentralHTTP", "CentralCore", "Domain", "WireProtocol", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/CentralHTTPTests"
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "ZMQ", "WireProtocol", "Domain", "BollardSupport", "PlateRecognition", "TestSupport", "Evidence", "CentralCore",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/IntegrationTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
