import ArgumentParser

/// `ragsim bench-queue`: no-op jobs per second through the real queue.
struct BenchQueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-queue",
        abstract: "Measure no-op jobs per second end to end (enqueue, claim, complete)."
    )

    func run() async throws {
        throw ValidationError("not built yet")
    }
}
