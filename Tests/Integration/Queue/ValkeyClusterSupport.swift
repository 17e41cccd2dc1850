import RAGQueueTestSupport
import Valkey

extension ValkeyClusterGroup {

    /// A client of node `index` alone (not cluster-aware): for arranging slots and reading what a node holds.
    func client(_ index: Int) throws -> ValkeyClient {
        try ValkeyClient(url: nodes[index].url)
    }
}
