import Testing
@testable import RAGSimulator

@Suite("ragsim worker counts")
struct WorkerCountsTests {
    @Test(
        "every accepted form gives its counts in order",
        arguments: [
            ("4", [4]), ("1...4", [1, 2, 3, 4]), ("1..<4", [1, 2, 3]), ("2...2", [2]), ("1,2,8", [1, 2, 8]),
            (" 3 , 1 ", [3, 1]), ("1 ... 3", [1, 2, 3]), ("256", [256]),
        ]
    )
    func accepted(text: String, counts: [Int]) throws {
        let parsed = try WorkerCounts(text)
        #expect(parsed.values == counts)
    }

    @Test("the scenario keeps the text without surrounding spaces")
    func description() throws {
        #expect(try WorkerCounts("  1...4\t").description == "1...4")
    }

    @Test(
        "bad input names the flag, the accepted forms and what was given",
        arguments: ["", "0", "-1", "257", "4...1", "3..<3", "1,,2", "1,", "a", "1...", "..<4", "1.5", "1..4", "2-4", "1...300"]
    )
    func rejected(text: String) {
        #expect {
            try WorkerCounts(text, flag: "--workers")
        } throws: { error in
            let message = (error as? SimulationError)?.description ?? ""
            return message.hasPrefix("--workers takes N, A...B, A..<B or A,B,C") && message.hasSuffix("got '\(text)'")
        }
    }
}
