"""The whole product for a browser: a private Valkey, the fakes, an ingested corpus, one worker and
the API with a tenant's key and an operator's key, all started here on free loopback ports and
stopped by pid afterwards (stack.py); and headless Chromium driven by selenium. `make
browser-tests` runs them after building."""

import os

import pytest

from stack import ROOT, TENANT_KEY, Stack, make_browser


@pytest.fixture(scope="session")
def stack():
    processes = Stack(os.path.join(ROOT, ".build", "debug"))
    try:
        processes.start_backends("guide", api_keys=f"{TENANT_KEY}:acme")
        processes.start_worker()
        processes.start_api()
        yield processes
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    finally:
        processes.stop()


@pytest.fixture(scope="session")
def browser():
    driver = make_browser()
    try:
        yield driver
    finally:
        driver.quit()
