import Foundation

/// Erlang's formulas for `servers` parallel slots offered `load` erlangs (arrival rate x mean
/// service time). Computed by the recurrence of Erlang B, which stays exact and finite for
/// thousands of servers where the textbook sums of powers and factorials overflow.
enum Erlang {
    /// Erlang B: the share of arrivals that find every slot busy in a loss system (no queue).
    static func b(servers: Int, load: Double) -> Double {
        guard servers > 0 else { return 1 }
        var blocking = 1.0
        for server in 1...servers {
            blocking = load * blocking / (Double(server) + load * blocking)
        }
        return blocking
    }

    /// Erlang C: the probability that an arrival waits in an M/M/c queue; 1 when the load meets or
    /// exceeds the slots (the queue then grows without bound).
    static func c(servers: Int, load: Double) -> Double {
        guard servers > 0, load < Double(servers) * (1 - 1e-9) else { return 1 }
        guard load > 0 else { return 0 }
        let blocking = b(servers: servers, load: load)
        let utilisation = load / Double(servers)
        return blocking / (1 - utilisation * (1 - blocking))
    }
}

/// Durations as measured, in seconds: the model's service times (its calibration), or the gaps
/// between arrivals.
struct MeasuredTimes: Sendable, Hashable, Codable {
    /// Seconds, ascending.
    let samples: [Double]
    let mean: Double
    /// Squared coefficient of variation: variance over the squared mean (1 for exponential times).
    let squaredVariation: Double

    init(_ samples: [Double]) {
        let samples = samples.filter { $0.isFinite && $0 >= 0 }.sorted()
        let mean = samples.isEmpty ? 0 : samples.reduce(0, +) / Double(samples.count)
        let variance = samples.count > 1 ? samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples.count - 1) : 0
        self.samples = samples
        self.mean = mean
        squaredVariation = mean > 0 ? variance / (mean * mean) : 0
    }
}

/// The steady state of `slots` slots taking jobs first come, first served, at `arrivalRate` per
/// second, with the measured `service` times: an M/G/c queue, by Erlang C and the Allen-Cunneen
/// correction for service and arrival variability (see `docs/simulation.md`).
struct QueueModel: Sendable, Hashable {
    var slots: Int
    var arrivalRate: Double
    var service: MeasuredTimes
    /// Squared coefficient of variation of the gaps between arrivals: 1 for Poisson arrivals.
    var arrivalVariation = 1.0

    /// Offered load in erlangs: arrival rate x mean service time.
    var load: Double { arrivalRate * service.mean }
    /// Load per slot; the queue is stable below 1.
    var utilisation: Double { slots > 0 ? load / Double(slots) : .infinity }
    /// Below capacity by more than rounding: a queue exactly at capacity grows without bound too.
    var isStable: Bool { utilisation < 1 - 1e-9 }
    /// The most jobs per second the slots finish.
    var capacity: Double { service.mean > 0 ? Double(slots) / service.mean : 0 }
    /// Jobs finished per second in the steady state: the arrivals while stable, else the capacity.
    var throughput: Double { min(arrivalRate, capacity) }
    /// The probability that a query waits for a slot.
    var probabilityOfWaiting: Double { Erlang.c(servers: slots, load: load) }

    /// Mean wait for a slot, seconds (M/M/c's, scaled by (Ca² + Cs²) / 2); nil when unstable.
    var meanWait: Double? {
        guard isStable else { return nil }
        let markovian = probabilityOfWaiting * service.mean / (Double(slots) - load)
        return markovian * (arrivalVariation + service.squaredVariation) / 2
    }

    /// The end-to-end latency (wait + service) that `quantile` of queries stay under; nil when
    /// unstable. The wait is 0 with probability 1 - P(wait), else exponential with the mean that
    /// gives `meanWait`; the service time is drawn from the samples.
    func latency(quantile: Double) -> Double? {
        guard let meanWait, !service.samples.isEmpty else { return nil }
        let waiting = probabilityOfWaiting
        let conditionalMean = waiting > 0 ? meanWait / waiting : 0
        func exceeding(_ time: Double) -> Double {
            service.samples.reduce(0) { total, sample in
                if sample > time { return total + 1 }
                guard conditionalMean > 0 else { return total }
                return total + waiting * exp(-(time - sample) / conditionalMean)
            } / Double(service.samples.count)
        }
        let target = 1 - quantile
        var low = 0.0
        var high = (service.samples.last ?? 0) + max(1, conditionalMean * 50)
        for _ in 0..<100 where high - low > 1e-6 {
            let middle = (low + high) / 2
            if exceeding(middle) > target { low = middle } else { high = middle }
        }
        return high
    }
}
