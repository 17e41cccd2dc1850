import Valkey

extension ValkeyJobStore {
    public func tenantStats() async throws(QueueError) -> [TenantStats] {
        let names = Set((try await send(ValkeyCommand("SMEMBERS", keys.tenantNames)).array ?? []).compactMap(\.string))
        var tenants: [TenantStats] = []
        for name in names.sorted() {
            let state = try await send(ValkeyCommand("HMGET", keys.tenant(name), "running", "weight", "limit")).array ?? []
            let waiting = try await send(ValkeyCommand("ZCARD", keys.ready(name))).int ?? 0
            let ledger = try await send(ValkeyCommand("HGETALL", keys.usage(name))).array ?? []
            var usage: [String: Int64] = [:]
            for index in stride(from: 0, to: ledger.count - 1, by: 2) {
                if let counter = ledger[index].string, let value = ledger[index + 1].int { usage[counter] = value }
            }
            let limit = state.count > 2 ? state[2].int ?? 0 : 0
            tenants.append(TenantStats(
                tenant: name, waiting: Int(waiting), running: Int(state.first?.int ?? 0),
                weight: state.count > 1 ? state[1].double ?? 1 : 1, maxRunning: limit > 0 ? Int(limit) : nil, usage: JobUsage(usage)
            ))
        }
        return tenants
    }

    public func budgetStatus(tenant: String?, period: BudgetReservation.Period, unit: BudgetReservation.Unit) async throws(QueueError) -> BudgetStatus {
        let name = EnqueueRequest(kind: "", payload: [], tenant: tenant).tenantKey
        let key = keys.budget(name, period: period.id(at: clock.nowMilliseconds()), unit: unit.rawValue)
        let fields = try await send(ValkeyCommand("HMGET", key, "reserved", "spent", "limit")).array ?? []
        func number(_ index: Int) -> Int64 { index < fields.count ? fields[index].int ?? 0 : 0 }
        return BudgetStatus(reserved: number(0), spent: number(1), limit: number(2))
    }
}
