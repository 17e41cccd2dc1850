"""The official `qdrant-client`, unmodified, against the fake Qdrant server."""

import uuid
import warnings

import pytest
from qdrant_client import QdrantClient, models
from qdrant_client.common.client_exceptions import ResourceExhaustedResponse
from qdrant_client.http.exceptions import UnexpectedResponse


@pytest.fixture()
def client(qdrant_url):
    with warnings.catch_warnings():
        # The version probe must not warn: the fake reports the client's own version.
        warnings.simplefilter("error")
        client = QdrantClient(url=qdrant_url)
    yield client
    client.close()


@pytest.fixture()
def collection(client):
    name = f"test_{uuid.uuid4().hex[:8]}"
    yield name
    client.delete_collection(name)


def test_version_probe(client):
    info = client.info()
    assert info.title == "qdrant - vector search engine"


def test_create_upsert_query(client, collection):
    assert not client.collection_exists(collection)
    assert client.create_collection(collection, vectors_config=models.VectorParams(size=3, distance=models.Distance.COSINE))
    assert client.collection_exists(collection)
    assert collection in [c.name for c in client.get_collections().collections]

    point_uuid = str(uuid.uuid4())
    result = client.upsert(
        collection,
        points=[
            models.PointStruct(id=1, vector=[1.0, 0.0, 0.0], payload={"page_content": "a", "metadata": {"page": 1}}),
            models.PointStruct(id=2, vector=[0.0, 1.0, 0.0], payload={"page_content": "b", "metadata": {"page": 2}}),
            models.PointStruct(id=point_uuid, vector=[0.0, 3.0, 4.0], payload={"page_content": "c", "metadata": {"page": 3}}),
        ],
    )
    assert result.status == models.UpdateStatus.COMPLETED

    info = client.get_collection(collection)
    assert info.points_count == 3
    assert info.config.params.vectors.size == 3

    hits = client.query_points(collection, query=[0.0, 0.6, 0.8], limit=2, with_payload=True).points
    assert [h.id for h in hits] == [point_uuid, 2]
    assert abs(hits[0].score - 1.0) < 1e-6
    assert hits[0].payload["page_content"] == "c"

    filtered = client.query_points(
        collection,
        query=[1.0, 0.0, 0.0],
        query_filter=models.Filter(must=[models.FieldCondition(key="metadata.page", match=models.MatchValue(value=2))]),
        limit=5,
    ).points
    assert [h.id for h in filtered] == [2]

    assert client.count(collection, exact=True).count == 3
    records, next_offset = client.scroll(collection, limit=2)
    assert [r.id for r in records] == [1, 2] and next_offset == point_uuid
    assert [r.id for r in client.retrieve(collection, ids=[2, 99])] == [2]
    client.delete(collection, points_selector=models.PointIdsList(points=[1]))
    assert client.count(collection).count == 2


def test_errors(client, collection, qdrant_url):
    client.create_collection(collection, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    with pytest.raises(UnexpectedResponse) as duplicate:
        client.create_collection(collection, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    assert duplicate.value.status_code == 409

    with pytest.raises(UnexpectedResponse) as wrong_size:
        client.upsert(collection, points=[models.PointStruct(id=1, vector=[1.0, 2.0, 3.0])])
    assert wrong_size.value.status_code == 400

    faulty = QdrantClient(url=qdrant_url, headers={"X-Fake-Fault": "429", "X-Fake-Retry-After-Ms": "2000"}, check_compatibility=False)
    with pytest.raises(ResourceExhaustedResponse) as limited:
        faulty.get_collections()
    faulty.close()
    assert limited.value.retry_after_s == 2
