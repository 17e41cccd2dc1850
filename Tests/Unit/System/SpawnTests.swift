import Glibc
import Testing
@testable import RAGQueue

/// Running another program (pdftotext for ingest; servers in tests and the simulator).
@Suite("Spawn")
struct SpawnTests {
    @Test("a program run to its end gives its exit code, its output and its error output, each whole")
    func outcome() throws {
        let outcome = try Spawn.run("/bin/sh", arguments: ["-c", "printf 'to stdout'; printf 'to stderr' >&2; exit 3"])
        #expect(outcome.exitCode == 3)
        #expect(String(decoding: outcome.output, as: UTF8.self) == "to stdout")
        #expect(String(decoding: outcome.errors, as: UTF8.self) == "to stderr")
    }

    @Test("output far larger than a pipe holds, on both streams at once, does not stall the child; error output stops at its limit")
    func largeOutput() throws {
        // 1 MiB on each stream, interleaved: a reader of one pipe only would leave the child blocked on the other.
        let script = "i=0; while [ $i -lt 256 ]; do head -c 4096 /dev/zero; head -c 4096 /dev/zero >&2; i=$((i+1)); done"
        let outcome = try Spawn.run("/bin/sh", arguments: ["-c", script], errorLimit: 1000)
        #expect(outcome.exitCode == 0)
        #expect(outcome.output.count == 1 << 20)
        #expect(outcome.errors.count == 1000)
    }

    @Test("the child sees none of this process's descriptors but the standard three")
    func noInheritedDescriptors() throws {
        let descriptor = open("/dev/null", O_RDONLY)  // not close-on-exec
        #expect(descriptor > 2)
        defer { close(descriptor) }
        let inherited = try Spawn.run("/bin/sh", arguments: ["-c", "test -e /proc/self/fd/\(descriptor)"])
        #expect(inherited.exitCode == 1, "descriptor \(descriptor) is not open in the child")
        let standard = try Spawn.run("/bin/sh", arguments: ["-c", "test -e /proc/self/fd/2"])
        #expect(standard.exitCode == 0)
    }

    @Test("a killed child's exit code is 128 + the signal; a program that does not exist is a failure that names it")
    func killedAndMissing() throws {
        let killed = try Spawn.run("/bin/sh", arguments: ["-c", "kill -TERM $$"])
        #expect(killed.exitCode == 128 + SIGTERM)
        let missing = #expect(throws: Spawn.Failure.self) { try Spawn.run("/nonexistent/tool", arguments: []) }
        #expect(missing?.description.contains("/nonexistent/tool") == true)
    }
}
