import Testing

/// Groups this folder's suites so `swift test --filter Clients` selects them.
@Suite("Clients")
enum ClientsTests {}
