import Testing

@testable import RAGQueueAPI

/// The `RAGQueue-Signature` header: HMAC-SHA256 (swift-crypto) over `"<t>." + body`.
@Suite("Webhook signatures")
struct WebhookSignatureTests {
    @Test("the signature is the HMAC-SHA256 of the timestamped body, as any receiver computes it")
    func knownValue() {
        // Computed independently: python3 -c "import hmac, hashlib;
        //   print(hmac.new(b'Jefe', b'0.what do ya want for nothing?', hashlib.sha256).hexdigest())"
        let signature = WebhookSignature(body: Array("what do ya want for nothing?".utf8), secret: "Jefe", timestamp: 0)
        #expect(signature.headerValue == "t=0,v1=37f471929915ccd2cbbe79feb84ffcff4f2bb25e15fc41c2506687331ae179cc")
    }

    @Test("signatures verify, and fail when the body, secret or time is wrong")
    func verification() {
        let body = Array(#"{"type":"query.ended"}"#.utf8)
        let signature = WebhookSignature(body: body, secret: "s3cret", timestamp: 1_700_000_000)
        #expect(signature.headerValue.hasPrefix("t=1700000000,v1="))
        #expect(WebhookSignature.verify(header: signature.headerValue, body: body, secret: "s3cret", now: 1_700_000_100))
        #expect(!WebhookSignature.verify(header: signature.headerValue, body: body + [10], secret: "s3cret", now: 1_700_000_100))
        #expect(!WebhookSignature.verify(header: signature.headerValue, body: body, secret: "other", now: 1_700_000_100))
        #expect(!WebhookSignature.verify(header: signature.headerValue, body: body, secret: "s3cret", now: 1_700_001_000))
        #expect(!WebhookSignature.verify(header: "garbage", body: body, secret: "s3cret", now: 1_700_000_000))
        #expect(!WebhookSignature.verify(header: "t=1700000000,v1=zz", body: body, secret: "s3cret", now: 1_700_000_000))
    }
}
