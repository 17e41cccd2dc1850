/// Which queued job runs next: weighted fair share across tenants (stride scheduling), priority
/// with aging within a tenant, and a concurrency limit per tenant. A pure value: the in-memory
/// store runs it, the Valkey scripts run the same steps in Lua (`QueueScripts.prelude`), and the
/// contract tests hold both to the same outcomes.
///
/// Each tenant has a *pass*. A claim serves the eligible tenant of lowest pass and advances its
/// pass by 1 / weight, so over time tenants are served in proportion to their weights. A tenant
/// that becomes eligible again starts at the virtual time (the pass last served), so idling earns
/// no credit and a newcomer is served next. Within a tenant, jobs go in order of rank (see
/// `EnqueueRequest.rank`), ties by id. A tenant running its limit is not eligible until one of its
/// jobs ends. Work-conserving: while any tenant has an eligible job, a claim gets one.
public struct FairShareScheduler: Sendable, Hashable {
    /// One tenant's state.
    public struct Tenant: Sendable, Hashable {
        /// Its position in the rotation; lowest is served first.
        public var pass: Double = 0
        /// Its jobs running now.
        public var running = 0
        /// Its share (above 0).
        public var weight: Double = 1
        /// Most jobs running at once; 0 for no limit.
        public var limit = 0
        /// Its queued jobs by rank, then id.
        var ready: [(rank: Int64, id: JobID)] = []

        public static func == (lhs: Tenant, rhs: Tenant) -> Bool {
            lhs.pass == rhs.pass && lhs.running == rhs.running && lhs.weight == rhs.weight && lhs.limit == rhs.limit
                && lhs.ready.map(\.id) == rhs.ready.map(\.id)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(pass)
            hasher.combine(running)
            hasher.combine(ready.map(\.id))
        }
    }

    /// Every tenant seen, by name.
    public private(set) var tenants: [String: Tenant] = [:]
    /// Tenants eligible for a claim, with their passes.
    public private(set) var eligible: [String: Double] = [:]
    /// Tenants with ready jobs at their limit.
    public private(set) var blocked: Set<String> = []
    /// The pass last served: where a tenant coming back starts.
    public private(set) var virtualTime: Double = 0

    /// An empty scheduler.
    public init() {}

    /// Jobs queued across all tenants.
    public var queued: Int { tenants.values.reduce(0) { $0 + $1.ready.count } }

    /// Sets `tenant`'s weight and limit (nil keeps each).
    public mutating func configure(_ tenant: String, weight: Double?, limit: Int?) {
        if let weight { tenants[tenant, default: Tenant()].weight = weight }
        if let limit { tenants[tenant, default: Tenant()].limit = limit }
    }

    /// Queues `id` for `tenant` at `rank`.
    public mutating func push(_ id: JobID, tenant: String, rank: Int64) {
        var state = tenants[tenant] ?? Tenant()
        let position = state.ready.firstIndex { ($0.rank, $0.id.rawValue) > (rank, id.rawValue) } ?? state.ready.count
        state.ready.insert((rank, id), at: position)
        tenants[tenant] = state
        activate(tenant)
    }

    /// Takes `id` out of `tenant`'s line without running it.
    public mutating func drop(_ id: JobID, tenant: String) {
        tenants[tenant]?.ready.removeAll { $0.id == id }
        activate(tenant)
    }

    /// The tenant to serve and its best job, taken out of its line; nil when no tenant is
    /// eligible. The job may turn out not to be claimable (expired, canceled): call `charge` only
    /// for one that runs, then `activate` either way.
    public mutating func popNext() -> (tenant: String, pass: Double, id: JobID?)? {
        guard let (tenant, pass) = eligible.min(by: { ($0.value, $0.key) < ($1.value, $1.key) }) else { return nil }
        guard tenants[tenant]?.ready.isEmpty == false else { return (tenant, pass, nil) }
        let id = tenants[tenant]?.ready.removeFirst().id
        return (tenant, pass, id)
    }

    /// `tenant`, served at `pass`, runs one more job: the virtual time moves to `pass` and the
    /// tenant's pass advances by 1 / weight.
    public mutating func charge(_ tenant: String, pass: Double) {
        var state = tenants[tenant] ?? Tenant()
        state.running += 1
        virtualTime = pass
        state.pass = pass + 1 / (state.weight > 0 ? state.weight : 1)
        tenants[tenant] = state
        eligible[tenant] = nil
    }

    /// One of `tenant`'s jobs stopped running, which may make it eligible again.
    public mutating func leave(_ tenant: String) {
        tenants[tenant]?.running -= 1
        if blocked.contains(tenant) { activate(tenant) }
    }

    /// Puts `tenant` where it belongs now: eligible (at least at the virtual time), blocked at its
    /// limit, or out when nothing of it is queued.
    public mutating func activate(_ tenant: String) {
        guard var state = tenants[tenant], !state.ready.isEmpty else {
            eligible[tenant] = nil
            blocked.remove(tenant)
            return
        }
        if state.limit > 0 && state.running >= state.limit {
            eligible[tenant] = nil
            blocked.insert(tenant)
            return
        }
        blocked.remove(tenant)
        guard eligible[tenant] == nil else { return }
        state.pass = max(state.pass, virtualTime)
        tenants[tenant] = state
        eligible[tenant] = state.pass
    }
}
