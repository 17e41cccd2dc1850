import Testing

/// Groups this folder's suites so `swift test --filter PipelineTests` selects them.
@Suite("Pipeline")
enum PipelineTests {}
