"""Shared fixtures: the fakes' URLs come from the environment that `make python-tests` sets
after starting `ragsim fakes` on free ports. A run without them fails loudly, never skips."""

import os

import pytest


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests through `make python-tests`", pytrace=False)
    return value


@pytest.fixture(scope="session")
def openai_base_url() -> str:
    return _required("OPENAI_BASE_URL")


@pytest.fixture(scope="session")
def qdrant_url() -> str:
    return _required("QDRANT_URL")
