import Testing
@testable import RAGQueue
@testable import RAGQueueAPI

/// SHA-256 and HMAC-SHA256 against published vectors (FIPS 180-4 examples, RFC 4231).
@Suite("API HMAC-SHA256")
struct HMACSHA256Tests {
    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    @Test("SHA-256 of the FIPS examples")
    func sha256() {
        #expect(HMACSHA256.hex(HMACSHA256.digest(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(HMACSHA256.hex(HMACSHA256.digest([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(HMACSHA256.hex(HMACSHA256.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("RFC 4231 test cases", arguments: [
        // 1: short key
        ("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        // 2: key shorter than the output
        ("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        // 3: combined key and data of 0xaa / 0xdd
        (String(repeating: "aa", count: 20), String(repeating: "dd", count: 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        // 4: 25-byte key
        ("0102030405060708090a0b0c0d0e0f10111213141516171819", String(repeating: "cd", count: 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        // 6: key longer than the block
        (String(repeating: "aa", count: 131),
         "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        // 7: key and data longer than the block
        (String(repeating: "aa", count: 131),
         "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ])
    func rfc4231(key: String, data: String, expected: String) {
        #expect(HMACSHA256.hex(HMACSHA256.authenticationCode(for: Self.bytes(hex: data), key: Self.bytes(hex: key))) == expected)
    }

    @Test("RFC 4231 case 5: truncated to 128 bits")
    func truncated() {
        let mac = HMACSHA256.authenticationCode(for: Self.bytes(hex: "546573742057697468205472756e636174696f6e"), key: [UInt8](repeating: 0x0c, count: 20))
        #expect(HMACSHA256.hex(Array(mac.prefix(16))) == "a3b6167473100ee06e0c796c2955552b")
    }

    @Test("Webhook signatures verify, and fail when the body, secret or time is wrong")
    func signatures() {
        let body = Array(#"{"type":"query.ended"}"#.utf8)
        let signature = WebhookSignature(body: body, secret: "s3cret", timestamp: 1_700_000_000)
        #expect(signature.headerValue.hasPrefix("t=1700000000,v1="))
        #expect(signature.signature == HMACSHA256.hexAuthenticationCode(for: "1700000000." + #"{"type":"query.ended"}"#, key: "s3cret"))
        #expect(WebhookSignature.verify(header: signature.headerValue, body: body, secret: "s3cret", now: 1_700_000_100))
        #expect(!WebhookSignature.verify(header: signature.headerValue, body: body + [10], secret: "s3cret", now: 1_700_000_100))
        #expect(!WebhookSignature.verify(header: signature.headerValue, body: body, secret: "other", now: 1_700_000_100))
        #expect(!WebhookSignature.verify(header: signature.headerValue, body: body, secret: "s3cret", now: 1_700_001_000))
        #expect(!WebhookSignature.verify(header: "garbage", body: body, secret: "s3cret", now: 1_700_000_000))
    }
}
