// swift-tools-version:6.0
import PackageDescription

// One SwiftPM package; targets as ../shared/DESIGN.md draws them. C libraries come from Debian's -dev
// packages through pkg-config (the Makefile installs them); nothing is vendored.
let package = Package(
    name: "FieldPay",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "fieldpay", targets: ["fieldpay"]),
        .executable(name: "fieldpay-hub", targets: ["fieldpay-hub"]),
        .executable(name: "fieldpay-demo", targets: ["fieldpay-demo"]),
        .executable(name: "fieldpay-bench", targets: ["fieldpay-bench"]),
        .library(name: "FieldPayCore", targets: ["FieldPayCore"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "Scanning", targets: ["Scanning"]),
        .library(name: "Capture", targets: ["Capture"]),
        .library(name: "InvoiceCodes", targets: ["InvoiceCodes"]),
        .library(name: "InvoiceImport", targets: ["InvoiceImport"]),
        .library(name: "DeviceStore", targets: ["DeviceStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Tests only: the WebSocket client that drives Chromium over the DevTools protocol.
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
    ],
    targets: [
        // C declarations only: one system library per C dependency, each imported by exactly one owner.
        .systemLibrary(name: "CZBar", pkgConfig: "zbar", providers: [.apt(["libzbar-dev"])]),
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CV4L2", pkgConfig: "libv4l2", providers: [.apt(["libv4l-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        // The benchmark's reference: a plain C loop over libzbar, to measure the Swift wrapper against.
        .target(name: "CZBarBaseline", dependencies: ["CZBar"], linkerSettings: [.linkedLibrary("zbar")]),

        .target(name: "FieldPayCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Imaging", dependencies: ["FieldPayCore", "CPNG", "CTurboJPEG"]),
        .target(name: "Scanning", dependencies: ["FieldPayCore", "CZBar", "Imaging"]),
        .target(name: "Capture", dependencies: ["FieldPayCore", "CV4L2", "Imaging"]),
        .target(
            name: "InvoiceCodes",
            dependencies: [
                "FieldPayCore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "InvoiceImport", dependencies: ["FieldPayCore"]),
        .target(name: "UPI", dependencies: ["FieldPayCore"]),
        .target(name: "QRRender", dependencies: ["FieldPayCore", "CQREncode"]),
        // The hub's and the daemon's /metrics: a swift-prometheus registry per owner.
        .target(name: "FieldPayMetrics", dependencies: [.product(name: "Prometheus", package: "swift-prometheus")]),
        // How every FieldPay SQLite database is opened (WAL, synchronous = FULL): the device's and the hub's.
        .target(name: "DurableSQLite", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "DeviceStore",
            dependencies: ["FieldPayCore", "InvoiceImport", "DurableSQLite", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "DeviceApp",
            dependencies: [
                "FieldPayCore", "InvoiceCodes", "DeviceStore", "UPI", "QRRender", "Scanning",
                .product(name: "TOMLKit", package: "TOMLKit"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "HubAPI", dependencies: ["FieldPayCore"], exclude: ["openapi.yaml"]),
        .target(
            name: "Sync",
            dependencies: [
                "FieldPayCore", "DeviceStore", "HubAPI", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "Hub",
            dependencies: [
                "FieldPayCore", "HubAPI", "InvoiceImport", "DurableSQLite", "FieldPayMetrics", "UPI", "QRRender", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"), .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HummingbirdTLS", package: "hummingbird"), .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "fieldpay-hub",
            dependencies: [
                "Hub", "HubAPI", "InvoiceImport", "FieldPayCore", "QRRender", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "Kiosk",
            dependencies: [
                "FieldPayCore", "DeviceApp", "DeviceStore", "Capture", "Scanning", "Imaging", "InvoiceCodes", "InvoiceImport", "QRRender",
                "UPI", "Sync", "HubAPI", "FieldPayMetrics", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The demo: a hub inside the daemon and a simulated payer. Only executables import it (fieldpay-demo,
        // fieldpay-bench), so the field binary does not link the hub.
        .target(
            name: "Demo",
            dependencies: [
                "Kiosk", "Hub", "HubAPI", "DeviceApp", "DeviceStore", "FieldPayCore", "InvoiceImport", "Sync",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(
            name: "FieldPayBench",
            dependencies: [
                "Scanning", "Imaging", "Capture", "CZBarBaseline", "DeviceStore", "InvoiceImport", "DeviceApp", "UPI",
                "QRRender", "Hub", "HubAPI", "Sync", "Kiosk", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The device's command tree, shared by the field build and the demo build.
        .target(
            name: "FieldPayCLI",
            dependencies: [
                "FieldPayCore", "Imaging", "Scanning", "Capture", "InvoiceCodes", "InvoiceImport",
                "DeviceStore", "DeviceApp", "UPI", "QRRender", "Sync", "HubAPI", "Kiosk",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(name: "fieldpay", dependencies: ["FieldPayCLI"]),
        .executableTarget(name: "fieldpay-demo", dependencies: ["FieldPayCLI", "Demo"]),
        .executableTarget(
            name: "fieldpay-bench",
            dependencies: [
                "FieldPayBench", "FieldPayCLI", "Demo", "FieldPayCore", "Scanning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "FieldPayCoreTests", dependencies: ["FieldPayCore"]),
        .testTarget(name: "FieldPayMetricsTests", dependencies: ["FieldPayMetrics"]),
        .testTarget(name: "DurableSQLiteTests", dependencies: ["DurableSQLite", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"], exclude: ["Fixtures"]),
        .testTarget(name: "ScanningTests", dependencies: ["Scanning", "Imaging"], exclude: ["Fixtures"]),
        .testTarget(
            name: "InvoiceCodesTests",
            dependencies: ["InvoiceCodes", .product(name: "_CryptoExtras", package: "swift-crypto")]
        ),
        .testTarget(name: "InvoiceImportTests", dependencies: ["InvoiceImport"]),
        .testTarget(
            name: "DeviceStoreTests",
            dependencies: ["DeviceStore", "InvoiceImport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "DeviceAppTests", dependencies: ["DeviceApp", "DeviceStore", "InvoiceImport", "InvoiceCodes", "Scanning"]),
        .testTarget(name: "UPITests", dependencies: ["UPI"]),
        .testTarget(name: "QRRenderTests", dependencies: ["QRRender", "Scanning", "Imaging"]),
        .testTarget(
            name: "HubTests",
            dependencies: [
                "Hub", "HubAPI", "InvoiceImport", "FieldPayCore", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "SyncTests",
            dependencies: [
                "Sync", "Hub", "HubAPI", "DeviceStore", "InvoiceImport", "FieldPayCore", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "KioskTests",
            dependencies: [
                "Kiosk", "DeviceApp", "DeviceStore", "InvoiceImport", "FieldPayCore", "QRRender", "Imaging", "Hub", "HubAPI", "Sync",
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "CV4L2Tests", dependencies: ["CV4L2"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Scanning", "Imaging"]),
        // Runs the built `fieldpay` binary as a user would (depends on it so `swift build --build-tests` builds it).
        .testTarget(
            name: "FieldPayCLITests",
            dependencies: [
                "fieldpay", "fieldpay-hub", "fieldpay-demo", "fieldpay-bench", "DeviceStore", "DeviceApp", "Imaging", "Capture", .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
