/// What model calls cost: US dollars per million tokens, by model name.
///
/// The defaults are the list prices of OpenAI's models as published (standard tier); set your own
/// with `RAG_PRICES` (`model=input[/output],...`, dollars per million tokens). A model not in the
/// table costs nothing known: its tokens are counted, its dollars are not.
public struct PriceTable: Sendable, Hashable {
    /// The price of one model.
    public struct Price: Sendable, Hashable {
        /// Dollars per million input (prompt or embedded) tokens.
        public var inputPerMillion: Double
        /// Dollars per million output (completion) tokens.
        public var outputPerMillion: Double

        /// A price per million tokens in and out.
        public init(inputPerMillion: Double, outputPerMillion: Double = 0) {
            self.inputPerMillion = inputPerMillion
            self.outputPerMillion = outputPerMillion
        }
    }

    /// Prices by model name.
    public var prices: [String: Price]

    /// A table of `prices`.
    public init(prices: [String: Price]) {
        self.prices = prices
    }

    /// OpenAI's list prices of common embedding and chat models.
    public static let defaults = PriceTable(prices: [
        "text-embedding-3-small": Price(inputPerMillion: 0.02),
        "text-embedding-3-large": Price(inputPerMillion: 0.13),
        "text-embedding-ada-002": Price(inputPerMillion: 0.10),
        "gpt-4.1": Price(inputPerMillion: 2.00, outputPerMillion: 8.00),
        "gpt-4.1-mini": Price(inputPerMillion: 0.40, outputPerMillion: 1.60),
        "gpt-4.1-nano": Price(inputPerMillion: 0.10, outputPerMillion: 0.40),
        "gpt-4o": Price(inputPerMillion: 2.50, outputPerMillion: 10.00),
        "gpt-4o-mini": Price(inputPerMillion: 0.15, outputPerMillion: 0.60),
    ])

    /// Dollars for `input` and `output` tokens of `model`; nil when the model has no price.
    public func cost(model: String, input: Int, output: Int = 0) -> Double? {
        guard let price = prices[model] ?? prices.first(where: { model.hasPrefix($0.key + "-") })?.value else { return nil }
        return (Double(input) * price.inputPerMillion + Double(output) * price.outputPerMillion) / 1_000_000
    }
}
