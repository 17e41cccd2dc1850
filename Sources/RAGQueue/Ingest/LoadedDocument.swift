/// A document read from disk, page by page.
public struct LoadedDocument: Sendable, Hashable {
    /// One page of text.
    public struct Page: Sendable, Hashable {
        /// The page's text.
        public var text: String
        /// 0-based page index (PyPDFLoader's `page`); nil for text without pages.
        public var index: Int?
        /// The printed label (`page_label`); this loader uses `index + 1`.
        public var label: String?
    }

    /// Its name in the collection (`metadata.source`, see `DocumentLoader.File.source`).
    public var source: String
    /// The pages in order.
    public var pages: [Page]
    /// The page count of a paged document (PDF, or text with form feeds); nil otherwise.
    public var totalPages: Int?
}
