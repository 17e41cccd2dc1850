import Foundation
import Testing
@testable import RAGQueue

extension PipelineTests {
    @Suite("Ingestion input")
    struct IngestInputTests {
        @Test("text is told from binary by its bytes, not its name")
        func sniffing() {
            #expect(DocumentLoader.binaryReason(Data("Plain text, accents é ü, 日本語,\ttabs\r\nand a page\u{0C}break.".utf8)) == nil)
            #expect(DocumentLoader.binaryReason(Data()) == nil)
            #expect(DocumentLoader.binaryReason(Data([0x41, 0x00, 0x42])) == "binary content (NUL bytes), not text")
            let noise = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 0x80) | 0x80 })
            #expect(DocumentLoader.binaryReason(noise)?.hasPrefix("binary content (") == true)
            // A few stray bytes in a long text do not make it binary.
            var mostlyText = Data(String(repeating: "honeybees make honey. ", count: 200).utf8)
            mostlyText.append(contentsOf: [0xFF, 0xFE])
            #expect(DocumentLoader.binaryReason(mostlyText) == nil)
        }

        @Test("sources are paths below the directory given, or the file's name; two files with one source are refused")
        func sources() throws {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-\(JobID())")
            defer { try? FileManager.default.removeItem(at: root) }
            for folder in ["a", "b", "a/deep"] {
                try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
            }
            for file in ["a/notes.md", "b/notes.md", "a/deep/guide.txt", "a/skip.bin"] {
                try Data("text".utf8).write(to: root.appendingPathComponent(file))
            }
            let walked = try DocumentLoader.files(in: [root.appendingPathComponent("a").path])
            #expect(walked.map(\.source) == ["deep/guide.txt", "notes.md"])
            #expect(walked.allSatisfy { $0.path.hasPrefix(root.path) })
            let single = try DocumentLoader.files(in: [root.appendingPathComponent("b/notes.md").path])
            #expect(single.map(\.source) == ["notes.md"])
            #expect(throws: IngestError.self) {
                try DocumentLoader.files(in: [root.appendingPathComponent("a/notes.md").path, root.appendingPathComponent("b/notes.md").path])
            }
        }
    }
}
