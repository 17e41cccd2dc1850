"""The official `openai` client, unmodified, against the fake OpenAI server."""

import math
import struct
import uuid

import openai
import pytest
from openai import OpenAI

RAG_SYSTEM = (
    "You are a helpful assistant answering from context extracted from a PDF.\n"
    "Context:\n"
    "Page Content: press the reset button\nPage Number: 4\nFile Location: manual.pdf\n\n---\n\n"
    "Page Content: default password is admin\nPage Number: 9\nFile Location: manual.pdf"
)
MESSAGES = [
    {"role": "system", "content": RAG_SYSTEM},
    {"role": "user", "content": "How do I reset the router?"},
]


@pytest.fixture()
def client(openai_base_url):
    with OpenAI(base_url=openai_base_url, api_key="sk-test", max_retries=0) as client:
        yield client


def as_float32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


def norm(vector):
    return math.sqrt(sum(x * x for x in vector))


def test_embeddings_default_base64_match_float(client):
    texts = ["the router reset button", "the router password", "roman history"]
    default = client.embeddings.create(model="text-embedding-3-small", input=texts)
    floats = client.embeddings.create(model="text-embedding-3-small", input=texts, encoding_format="float")
    assert [d.index for d in default.data] == [0, 1, 2]
    assert default.usage.prompt_tokens == default.usage.total_tokens > 0
    for a, b in zip(default.data, floats.data):
        assert len(a.embedding) == 1536
        # Both carry the same float32 values: base64 decodes to them exactly, JSON to their
        # shortest text, which rounds back to the same float32.
        assert [as_float32(x) for x in a.embedding] == [as_float32(x) for x in b.embedding]
        assert abs(norm(a.embedding) - 1) < 1e-5
    v = [d.embedding for d in default.data]
    dot = lambda x, y: sum(p * q for p, q in zip(x, y))
    assert dot(v[0], v[1]) > dot(v[0], v[2])


def test_embeddings_dimensions_and_tokens(client):
    short = client.embeddings.create(model="text-embedding-3-large", input="red apples", dimensions=256)
    assert len(short.data[0].embedding) == 256
    tokens = client.embeddings.create(model="text-embedding-3-large", input=[[10, 20, 30], [10, 20, 31]])
    assert len(tokens.data) == 2
    assert tokens.usage.prompt_tokens == 6


def test_chat_plain(client):
    completion = client.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
    content = completion.choices[0].message.content
    assert content.startswith("Fake answer to: How do I reset the router? (see page 4, 9) [ctx ")
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    assert completion._request_id.startswith("req_")


def test_chat_streamed_equals_plain(client):
    plain = client.chat.completions.create(model="gpt-4.1", messages=MESSAGES).choices[0].message.content
    stream = client.chat.completions.create(
        model="gpt-4.1", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    text, usage, finish = "", None, None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    assert text == plain
    assert finish == "stop"
    assert usage is not None and usage.completion_tokens > 0


def test_chat_max_tokens_gives_length(client):
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_completion_tokens=2)
    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.content == "Fake answer "


def test_errors_are_typed(client, openai_base_url):
    with OpenAI(base_url=openai_base_url, api_key="sk-invalid-key-123456", max_retries=0) as bad_client:
        with pytest.raises(openai.AuthenticationError) as bad_key:
            bad_client.models.list()
    assert bad_key.value.status_code == 401
    assert bad_key.value.code == "invalid_api_key"

    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-nope", messages=MESSAGES)
    assert missing.value.code == "model_not_found"

    with pytest.raises(openai.BadRequestError) as empty:
        client.chat.completions.create(model="gpt-4.1", messages=[])
    assert empty.value.code == "empty_array"

    with pytest.raises(openai.RateLimitError) as limited:
        client.embeddings.create(model="text-embedding-3-small", input="x", extra_headers={"X-Fake-Fault": "429"})
    assert limited.value.status_code == 429
    assert limited.value.response.headers["retry-after"] == "1"


def test_retries_ride_out_injected_faults(openai_base_url):
    with OpenAI(base_url=openai_base_url, api_key="sk-test", max_retries=2) as retrying:
        _ride_out(retrying)


def _ride_out(retrying):
    key = f"retry-{uuid.uuid4()}"
    headers = {"X-Fake-Fault": "503", "X-Fake-Fault-Times": "2", "X-Fake-Fault-Key": key, "X-Fake-Retry-After-Ms": "20"}
    result = retrying.embeddings.create(model="text-embedding-3-small", input="x", extra_headers=headers)
    assert len(result.data[0].embedding) == 1536

    key = f"retry-{uuid.uuid4()}"
    headers["X-Fake-Fault-Key"] = key
    headers["X-Fake-Fault-Times"] = "3"
    with pytest.raises(openai.InternalServerError):
        retrying.embeddings.create(model="text-embedding-3-small", input="x", extra_headers=headers)
