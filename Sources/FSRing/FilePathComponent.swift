import SystemPackage

extension FilePath {
    /// A relative path of one component: a directory entry's name as a path.
    /// Built from the component's bytes; `FilePath(root: nil, [component])`
    /// goes through a generic initializer that cost about 1 µs per call,
    /// four times as much, which a copy of 100,000 small files felt.
    public init(_ component: FilePath.Component) {
        self = component.withPlatformString { FilePath(platformString: $0) }
    }
}
