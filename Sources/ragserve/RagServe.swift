import ArgumentParser
import RAGQueue

/// The RAGQueue server: the worker, document ingestion, and (later) the HTTP API.
@main
struct RagServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ragserve",
        abstract: "Answers RAG questions asynchronously: an HTTP API, a Valkey job queue and workers.",
        discussion: "Configuration comes from the environment:\n\n" + RAGQueueConfiguration.environmentHelp(),
        // One line per subcommand.
        subcommands: [
            WorkerCommand.self,
            IngestCommand.self,
            APICommand.self,
            QueryCommand.self,
        ]
    )
}
