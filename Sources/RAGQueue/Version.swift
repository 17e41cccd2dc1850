/// The release of RAGQueue these sources make: what `ragserve --version` and `ragsim --version`
/// print. Raised with each release, in the commit that makes it.
public enum RAGQueueVersion {
    public static let current = "0.17.0"
}
