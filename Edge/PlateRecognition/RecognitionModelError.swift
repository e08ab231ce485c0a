/// Why a model file cannot be used; the gate refuses to start with it rather than
/// read plates with weights it cannot vouch for.
public struct RecognitionModelError: Error, Equatable, CustomStringConvertible {
    public enum Cause: Equatable, Sendable {
        case unreadable(reason: String)
        /// The packaged copy is not where the build put it (nor in the source tree).
        case packagedModelMissing(searched: [String])
        /// The first eight bytes are not the model file's magic.
        case notAModelFile
        case unsupportedVersion(found: Int, supported: Int)
        case malformedHeader(reason: String)
        /// Trained for other classes than the recogniser's `0-9A-Z` (+ not a character).
        case alphabetMismatch(found: String)
        /// The layer table does not fit the recogniser or the payload size.
        case shapeMismatch(detail: String)
        /// The file ends before the weights its header announces.
        case truncated(expectedBytes: Int, actualBytes: Int)
        case trailingBytes(expectedBytes: Int, actualBytes: Int)
        /// The weights are not the ones the header's SHA-256 names (corrupt or altered).
        case checksumMismatch(expected: String, actual: String)
    }

    public var path: String
    public var cause: Cause

    public init(path: String, cause: Cause) {
        self.path = path
        self.cause = cause
    }

    public var description: String {
        let why: String
        switch cause {
        case .unreadable(let reason): why = "cannot be read: \(reason)"
        case .packagedModelMissing(let searched): why = "the packaged model is missing (looked in \(searched.joined(separator: ", ")))"
        case .notAModelFile: why = "is not a recognition model file (wrong magic)"
        case .unsupportedVersion(let found, let supported): why = "has format version \(found); this build reads versions 1 to \(supported)"
        case .malformedHeader(let reason): why = "has a malformed header: \(reason)"
        case .alphabetMismatch(let found): why = "was trained for the alphabet '\(found.prefix(64))', not 0-9A-Z"
        case .shapeMismatch(let detail): why = "has a layer table that does not fit: \(detail)"
        case .truncated(let expected, let actual): why = "is truncated: \(actual) bytes, \(expected) expected"
        case .trailingBytes(let expected, let actual): why = "has \(actual - expected) bytes after its weights (\(expected) expected)"
        case .checksumMismatch(let expected, let actual): why = "is corrupt: its weights hash to \(actual), the header says \(expected.prefix(64))"
        }
        return "recognition model \(path) \(why)"
    }
}
