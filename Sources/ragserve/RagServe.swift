import ArgumentParser
import RAGQueue
import RAGQueueAPI

/// The RAGQueue server: the HTTP API, the worker, document ingestion, and a command-line client.
@main
struct RagServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ragserve",
        abstract: "Answers RAG questions asynchronously: an HTTP API, a Valkey job queue and workers.",
        discussion: "Configuration comes from the environment:\n\n" + RAGQueueConfiguration.environmentVariables.help() + "\n"
            + APIConfiguration.environmentVariables.help(),
        version: RAGQueueVersion.current,
        // One line per subcommand.
        subcommands: [
            WorkerCommand.self,
            IngestCommand.self,
            APICommand.self,
            QueryCommand.self,
            ExportTraceCommand.self,
            RetireAnswersCommand.self,
        ]
    )
}
