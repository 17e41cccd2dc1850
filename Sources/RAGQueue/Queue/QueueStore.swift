/// Everything the queue keeps in its store, as the API uses it: jobs, events and token streams, the
/// webhook outbox and rate-limit buckets.
public typealias QueueStore = JobStore & WebhookOutbox & RateLimitStore
