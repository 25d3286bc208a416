// swift-tools-version: 6.1
// Benchmarks live in their own package so that the library and the CLI do
// not depend on SwiftNIO, which is here only to be measured against.
import PackageDescription

let package = Package(
    name: "fsring-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "fsring"),  // a link to the repository root, whatever its folder is called
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "fsring-bench",
            dependencies: [
                .product(name: "FSRing", package: "fsring"),
                .product(name: "URing", package: "fsring"),
                .product(name: "FSRingHash", package: "fsring"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
