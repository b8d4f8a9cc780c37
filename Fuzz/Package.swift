// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for the code that reads untrusted bytes: scanned payloads and invoice files. Built only with
// `scripts/fuzz.sh` (swift build --sanitize fuzzer --sanitize address), never by the main build.
let package = Package(
    name: "FieldPayFuzz",
    dependencies: [.package(name: "FieldPay", path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzPayloads",
            dependencies: [.product(name: "InvoiceCodes", package: "FieldPay")]
        ),
        .executableTarget(
            name: "FuzzImport",
            dependencies: [.product(name: "InvoiceImport", package: "FieldPay")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
