/// Everything the queue keeps in its store: jobs, events and token streams, the webhook outbox,
/// rate-limit buckets and the model providers' budgets.
public typealias QueueStore = JobStore & WebhookOutbox & RateLimitStore & ProviderLimitStore
