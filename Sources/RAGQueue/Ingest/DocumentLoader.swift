import Foundation

/// Reads `.txt`, `.md` and `.pdf` files; PDFs through `pdftotext -layout` (poppler-utils).
///
/// A form feed separates pages, as `pdftotext` writes them. Text files with form feeds are paged
/// the same way; text files without one have no page numbers (like langchain's `TextLoader`).
public enum DocumentLoader {
    /// The file extensions it reads.
    public static let supportedExtensions: Set<String> = ["txt", "md", "markdown", "pdf"]

    /// One file to ingest: where it is, and the name it is stored under.
    public struct File: Sendable, Hashable {
        /// Its path on this machine, to read it.
        public var path: String
        /// Its name in the collection (`metadata.source`): the path below the directory it was found
        /// in (`manuals/guide.pdf`), or the file's own name when named alone; never this machine's
        /// absolute path, which answers would otherwise show to every reader.
        public var source: String
    }

    /// The files named by `paths`, directories walked (supported files only, sorted), in order.
    /// Two files that would be stored under one source are refused: the second would replace the first.
    public static func files(in paths: [String]) throws(IngestError) -> [File] {
        var files: [File] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw IngestError("\(path): no such file or directory")
            }
            if isDirectory.boolValue {
                guard let walker = manager.enumerator(atPath: path) else { throw IngestError("\(path): cannot list the directory") }
                var found: [File] = []
                while let relative = walker.nextObject() as? String {
                    let full = (path as NSString).appendingPathComponent(relative)
                    if isSupported(full) { found.append(File(path: full, source: relative)) }
                }
                files += found.sorted { $0.source < $1.source }
            } else {
                guard isSupported(path) else {
                    throw IngestError("\(path): unsupported file type (use .txt, .md or .pdf)")
                }
                files.append(File(path: path, source: (path as NSString).lastPathComponent))
            }
        }
        var seen: [String: String] = [:]
        for file in files {
            if let first = seen[file.source] {
                throw IngestError("\(file.path) and \(first) would both be stored as source \(file.source); ingest them separately or from their common directory")
            }
            seen[file.source] = file.path
        }
        return files
    }

    /// Whether the path's extension is one the loader reads.
    public static func isSupported(_ path: String) -> Bool {
        supportedExtensions.contains((path as NSString).pathExtension.lowercased())
    }

    /// Reads one file. Content that is not what its name says (a binary file named `.txt` or `.md`,
    /// a `.pdf` that is no PDF) is refused with `IngestError.notText`, judged by its bytes.
    public static func load(_ file: File) async throws(IngestError) -> LoadedDocument {
        let path = file.path
        let read: Data? = await offCooperativePool { FileManager.default.contents(atPath: path) }
        guard let data = read else { throw IngestError("\(path): cannot read the file") }
        if (path as NSString).pathExtension.lowercased() == "pdf" {
            guard data.starts(with: Array("%PDF-".utf8)) else { throw .notText(path, "not a PDF (no %PDF- header)") }
            return paged(try await pdfText(path), source: file.source, alwaysPaged: true)
        }
        if let reason = binaryReason(data) { throw .notText(path, reason) }
        return paged(String(decoding: data, as: UTF8.self), source: file.source, alwaysPaged: false)
    }

    /// Why `data` is not text, or nil when it is: a NUL byte, or more than 1 % of its first 64 KiB
    /// not valid UTF-8 or control characters other than tab, line breaks and form feed.
    public static func binaryReason(_ data: Data) -> String? {
        let sample = data.prefix(65_536)
        if sample.contains(0) { return "binary content (NUL bytes), not text" }
        let text = String(decoding: sample, as: UTF8.self)
        var odd = 0
        var total = 0
        for scalar in text.unicodeScalars {
            total += 1
            if scalar == "\u{FFFD}" || (scalar.value < 32 && ![9, 10, 12, 13].contains(scalar.value)) || scalar.value == 127 { odd += 1 }
        }
        // A sample cut in the middle of a character ends in one replacement character: allowed.
        return odd > max(1, total / 100) ? "binary content (\(odd) of \(total) characters are not text), not text" : nil
    }

    /// Splits text at form feeds into pages (a trailing form feed ends the last page).
    public static func paged(_ text: String, source: String, alwaysPaged: Bool) -> LoadedDocument {
        var parts = text.split(separator: "\u{0C}", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 1, parts.last?.allSatisfy(\.isWhitespace) == true { parts.removeLast() }
        guard alwaysPaged || parts.count > 1 else {
            return LoadedDocument(source: source, pages: [.init(text: text, index: nil, label: nil)], totalPages: nil)
        }
        let pages = parts.enumerated().map { LoadedDocument.Page(text: $0.element, index: $0.offset, label: String($0.offset + 1)) }
        return LoadedDocument(source: source, pages: pages, totalPages: pages.count)
    }

    /// `pdftotext -layout -enc UTF-8 <path> -`, run on a thread of its own.
    static func pdfText(_ path: String) async throws(IngestError) -> String {
        guard let tool = executable(named: "pdftotext") else {
            throw IngestError("pdftotext not found: install poppler-utils (make deps) to ingest PDFs")
        }
        return try await offCooperativePool { runPDFToText(tool: tool, path: path) }.get()
    }

    /// Runs blocking work (file reads, a child process) on a dispatch thread, never on the cooperative pool.
    private static func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    private static func runPDFToText(tool: String, path: String) -> Result<String, IngestError> {
        let outcome: Spawn.Outcome
        do {
            outcome = try Spawn.run(tool, arguments: ["-layout", "-enc", "UTF-8", path, "-"], errorLimit: 500)
        } catch {
            return .failure(IngestError("\(path): cannot run pdftotext: \(error)"))
        }
        guard outcome.exitCode == 0 else {
            let detail = String(decoding: outcome.errors, as: UTF8.self).split(whereSeparator: \.isNewline).first ?? ""
            return .failure(IngestError("\(path): pdftotext failed (exit \(outcome.exitCode)): \(detail)"))
        }
        return .success(String(decoding: outcome.output, as: UTF8.self))
    }

    private static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
