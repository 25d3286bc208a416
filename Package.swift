// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "fsring",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "URing", targets: ["URing"]),
        .library(name: "FSRing", targets: ["FSRing"]),
        .library(name: "FSRingHash", targets: ["FSRingHash"]),
        .library(name: "FSRingCopy", targets: ["FSRingCopy"]),
        .executable(name: "fsring", targets: ["fsring"]),
    ],
    dependencies: [.package(url: "https://github.com/apple/swift-system", from: "1.8.1")],
    targets: [
        .systemLibrary(
            name: "CURing",
            pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]
        ),
        .target(
            name: "URing",
            dependencies: ["CURing"]
        ),
        .target(name: "CMappedFile"),
        .target(
            name: "FSRing",
            dependencies: [
                "URing",
                "CURing",
                "CMappedFile",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(name: "CBLAKE3"),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        .target(
            name: "FSRingHash",
            dependencies: [
                "CBLAKE3", "CCrypto", "CXXHash", "FSRing", .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "FSRingCopy",
            dependencies: [
                "CURing", "FSRing", "FSRingHash", "URing", .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(name: "CStandardStreams"),
        .executableTarget(
            name: "fsring",
            dependencies: [
                "CStandardStreams",
                "FSRing",
                "FSRingCopy",
                "FSRingHash",
                "URing",
            ]
        ),
        // Runs a command with some system calls refused, so the tests reach
        // the fallbacks for older kernels and other file systems.
        .executableTarget(name: "refusing-syscalls", path: "Tests/RefusingSyscalls"),
        .target(
            name: "FSRingTestSupport",
            dependencies: ["FSRing", .product(name: "SystemPackage", package: "swift-system")],
            path: "Tests/FSRingTestSupport"
        ),
        .testTarget(name: "URingTests", dependencies: ["URing", "FSRingTestSupport"]),
        .testTarget(
            name: "FSRingHashTests",
            dependencies: [
                "FSRingHash", "CBLAKE3", "FSRing", "FSRingTestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "FSRingCopyTests",
            dependencies: [
                "FSRingCopy", "FSRing", "FSRingTestSupport", .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "FSRingTests",
            dependencies: [
                "FSRing", "URing", "FSRingTestSupport", .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
