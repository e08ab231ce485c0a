/// Carries a value that is not `Sendable` (a ZeroMQ socket, say) to the one
/// thread that owns it from then on.
///
/// `@unchecked Sendable` is safe because of how it is used: the creating
/// thread lets go of the value once the owning thread starts, so the value is
/// never touched by two threads.
public final class ThreadHandOff<Value>: @unchecked Sendable {
    public let value: Value

    public init(_ value: Value) {
        self.value = value
    }
}
