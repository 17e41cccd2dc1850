"""`make screenshots`: the dashboard under load from ragsim, and the ask, job and jobs pages, as PNGs
in docs/images (shown in the README).

Starts a private Valkey, the fakes (OpenAI 120 ms a request and 6 ms a token, Qdrant 15 ms, 1% of
requests failing with a 500) and `ragserve api` with a tenant's and an operator's key, then runs
`ragsim` against that API for 75 s (2 worker processes, 14 queries/s, on the same Valkey and
fakes), plus a few queries on a collection nobody ingested (failures by reason). The dashboard is
taken while the load runs; everything started is stopped by pid at the end."""

import base64
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests", "Browser"))

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from stack import OPERATOR_KEY, ROOT, TENANT_KEY, Stack, call, make_browser, sign_in  # noqa: E402

OUTPUT = os.path.join(ROOT, "docs", "images")
COLLECTION = "ragsim-corpus"


def capture(browser, path: str, url: str | None = None) -> None:
    """The whole page (at `url`, or as it is), 1280 px wide, as a PNG."""
    if url:
        browser.get(url)
    height = browser.execute_script("return Math.min(document.documentElement.scrollHeight, 4000)")
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1},
    })
    with open(path, "wb") as output:
        output.write(base64.b64decode(shot["data"]))
    print("wrote", os.path.relpath(path, ROOT))


def main() -> int:
    stack = Stack(os.path.join(ROOT, ".build", "release"))
    browser = None
    try:
        stack.start_backends(
            COLLECTION, api_keys=f"{TENANT_KEY}:acme",
            fakes=["--openai-latency-ms", "120", "--token-latency-ms", "6", "--qdrant-latency-ms", "15", "--fault-rate", "0.01", "--seed", "7"],
            ingest=False,
        )
        url = stack.start_api()
        environment = dict(stack.environment)
        load, load_log = stack.start("ragsim", [
            os.path.join(stack.build, "ragsim"), "--workers", "2", "--concurrency", "8", "--qps", "14", "--warmup", "3",
            "--duration", "75", "--drain", "10", "--valkey-url", stack.valkey_url, "--api-url", url, "--api-key", TENANT_KEY,
            "--openai-url", environment["OPENAI_BASE_URL"], "--qdrant-url", environment["QDRANT_URL"], "--collection", COLLECTION,
        ], environment)
        started = time.monotonic()
        # Questions on a collection nobody ingested fail for good: the failures by reason.
        for number in range(3):
            call(url, "/v1/queries", key=TENANT_KEY, method="POST", body={"query": f"Where is the handbook? ({number})", "collection": "acme-handbook"})

        browser = make_browser()
        # A question on the ask page while the load runs, then its page.
        sign_in(browser, TENANT_KEY)
        browser.get(url + "/ui/ask")
        browser.find_element(By.NAME, "query").send_keys("What happens to a job when its worker dies?")
        browser.find_element(By.CSS_SELECTOR, "form#ask button[type=submit]").click()
        WebDriverWait(browser, 60).until(lambda b: b.find_element(By.ID, "job-status").text == "finished")
        capture(browser, os.path.join(OUTPUT, "ask.png"))
        job = browser.find_element(By.ID, "job-link").text
        sign_in(browser, OPERATOR_KEY)
        capture(browser, os.path.join(OUTPUT, "job.png"), url + "/ui/jobs/" + job)

        # Load for 60 s in all (six buckets of the charts), unless ragsim ended before.
        deadline = started + 60
        while time.monotonic() < deadline and load.poll() is None:
            time.sleep(1)
        if load.poll() is not None:
            with open(load_log) as log:
                print(log.read()[-3000:])
            return 1
        capture(browser, os.path.join(OUTPUT, "dashboard.png"), url + "/ui/")
        capture(browser, os.path.join(OUTPUT, "jobs.png"), url + "/ui/jobs")
        load.wait(timeout=120)
        with open(load_log) as log:
            print(log.read()[-1500:])
        return 0
    finally:
        if browser is not None:
            browser.quit()
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
