import SystemPackage

/// The repository's fixtures folder.
var fixturesDirectory: FilePath {
    var path = FilePath(#filePath)
    path.removeLastComponent()  // FSRingTests
    path.removeLastComponent()  // Tests
    path.removeLastComponent()  // repository
    return path.appending("fixtures")
}
