"""The whole product for a browser: a private Valkey, the fakes, an ingested corpus, one worker and
the API with a tenant's key and an operator's key, all started here on free loopback ports and
stopped by pid afterwards; and headless Chromium (Debian's chromium and chromium-driver) driven by
selenium. `make browser-tests` runs them after building."""

import base64
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, ".build", "debug")
TENANT_KEY = "browser-tenant-key-0123"
OPERATOR_KEY = "browser-operator-key-0123"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_line(path: str, pattern: str, process: subprocess.Popen, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with open(path, encoding="utf-8", errors="replace") as log:
            match = re.search(pattern, log.read(), re.MULTILINE)
        if match:
            return match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    with open(path, encoding="utf-8", errors="replace") as log:
        pytest.fail(f"{os.path.basename(path)}: no line matching {pattern}:\n{log.read()[-2000:]}", pytrace=False)


class Stack:
    """The processes of one test session, each stopped by its pid."""

    def __init__(self) -> None:
        self.work = tempfile.mkdtemp(prefix="ragqueue-browser-")
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str, arguments: list[str], environment: dict[str, str]) -> tuple[subprocess.Popen, str]:
        log = os.path.join(self.work, name + ".log")
        with open(log, "w") as output:
            process = subprocess.Popen(arguments, stdout=output, stderr=subprocess.STDOUT, env=environment)
        self.processes.append(process)
        return process, log

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture(scope="session")
def stack():
    valkey_server = os.environ.get("VALKEY_SERVER") or os.path.join(ROOT, ".deps", "bin", "valkey-server")
    processes = Stack()
    try:
        port = free_port()
        valkey, _ = processes.start(
            "valkey", [valkey_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", processes.work],
            dict(os.environ),
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or valkey.poll() is not None:
                    pytest.fail("valkey-server did not start", pytrace=False)
                time.sleep(0.05)
        fakes, fakes_log = processes.start("fakes", [os.path.join(BUILD, "ragsim"), "fakes", "--token-latency-ms", "30"], dict(os.environ))
        qdrant = wait_for_line(fakes_log, r"^QDRANT_URL=(\S+)", fakes)
        openai = wait_for_line(fakes_log, r"^OPENAI_BASE_URL=(\S+)", fakes)
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith(("API_", "RAGQ_", "RAG_", "OPENAI_", "QDRANT_", "VALKEY_"))
        }
        environment.update({
            "VALKEY_URL": f"valkey://127.0.0.1:{port}", "OPENAI_BASE_URL": openai, "OPENAI_API_KEY": "sk-browser",
            "QDRANT_URL": qdrant, "RAG_COLLECTION": "guide", "LOG_LEVEL": "warning",
            "API_KEYS": f"{TENANT_KEY}:acme", "API_ADMIN_KEYS": OPERATOR_KEY, "API_RATE_LIMIT_PER_MINUTE": "0",
        })
        corpus = os.path.join(processes.work, "corpus")
        os.makedirs(corpus)
        with open(os.path.join(corpus, "guide.txt"), "w") as guide:
            guide.write("Leases protect running jobs.\fWhen a worker dies its lease ends and another worker takes the job.\f")
        details = {"environment": environment, "corpus": corpus}
        ingest(details, "guide")
        processes.start("worker", [os.path.join(BUILD, "ragserve"), "worker"], environment)
        api, api_log = processes.start("api", [os.path.join(BUILD, "ragserve"), "api", "--host", "127.0.0.1", "--port", "0"], environment)
        url = wait_for_line(api_log, r"^API_URL=(\S+)", api)
        yield details | {"url": url, "valkey": valkey}
    finally:
        processes.stop()


def ingest(stack: dict, collection: str) -> None:
    """Ingests the test corpus into `collection` with `ragserve ingest`, as an operator would."""
    done = subprocess.run([os.path.join(BUILD, "ragserve"), "ingest", stack["corpus"], "--collection", collection],
                          env=stack["environment"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="session")
def browser():
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900", "--disable-dev-shm-usage"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(browser, key: str) -> None:
    """Makes the browser send `key` as HTTP Basic's password on every request, as it does once a
    person has typed it into the prompt a 401 brings up (headless Chromium shows no prompt)."""
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": basic(key)}})


def call(url: str, path: str, key: str | None = None, method: str = "GET", body: dict | None = None) -> tuple[int, object]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        status = error.code
    try:
        return status, json.loads(text)
    except json.JSONDecodeError:
        return status, text


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"user:{key}".encode()).decode()
