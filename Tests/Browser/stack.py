"""The product's processes for a browser, started on free loopback ports and stopped by pid: a
private Valkey, the fakes, `ragserve` api, worker and ingest; and headless Chromium (Debian's
chromium and chromium-driver) driven by selenium. Used by the browser tests (conftest.py) and by
`make screenshots` (scripts/screenshots.py)."""

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

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TENANT_KEY = "browser-tenant-key-0123"
OPERATOR_KEY = "browser-operator-key-0123"
CORPUS = "Leases protect running jobs.\fWhen a worker dies its lease ends and another worker takes the job.\f"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_line(path: str, pattern: str, process: subprocess.Popen, seconds: float = 30) -> str:
    """The first group of the first line of the log at `path` matching `pattern`, once written."""
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
        raise RuntimeError(f"{os.path.basename(path)}: no line matching {pattern}:\n{log.read()[-2000:]}")


class Stack:
    """The processes of one session, each stopped by its pid; `build` holds ragserve and ragsim."""

    def __init__(self, build: str) -> None:
        self.build = build
        self.work = tempfile.mkdtemp(prefix="ragqueue-browser-")
        self.processes: list[subprocess.Popen] = []
        self.environment: dict[str, str] = {}
        self.corpus = ""
        self.url = ""
        self.valkey_url = ""

    def start(self, name: str, arguments: list[str], environment: dict[str, str]) -> tuple[subprocess.Popen, str]:
        log = os.path.join(self.work, name + ".log")
        with open(log, "w") as output:
            process = subprocess.Popen(arguments, stdout=output, stderr=subprocess.STDOUT, env=environment)
        self.processes.append(process)
        return process, log

    def start_backends(self, collection: str, api_keys: str, fakes: list[str] | None = None, ingest: bool = True) -> None:
        """A private Valkey, the fakes (`ragsim fakes` with `fakes` as its options; 30 ms a token by
        default) and, with `ingest`, the test corpus ingested into `collection`; the environment of
        `ragserve` for them (`API_KEYS` as given, the operator's key)."""
        valkey_server = os.environ.get("VALKEY_SERVER") or os.path.join(ROOT, ".deps", "bin", "valkey-server")
        port = free_port()
        valkey, _ = self.start(
            "valkey", [valkey_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.work],
            dict(os.environ),
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or valkey.poll() is not None:
                    raise RuntimeError("valkey-server did not start")
                time.sleep(0.05)
        self.valkey_url = f"valkey://127.0.0.1:{port}"
        options = fakes if fakes is not None else ["--token-latency-ms", "30"]
        server, fakes_log = self.start("fakes", [os.path.join(self.build, "ragsim"), "fakes"] + options, dict(os.environ))
        qdrant = wait_for_line(fakes_log, r"^QDRANT_URL=(\S+)", server)
        openai = wait_for_line(fakes_log, r"^OPENAI_BASE_URL=(\S+)", server)
        self.environment = {
            key: value for key, value in os.environ.items() if not key.startswith(("API_", "RAGQ_", "RAG_", "OPENAI_", "QDRANT_", "VALKEY_"))
        }
        self.environment.update({
            "VALKEY_URL": self.valkey_url, "OPENAI_BASE_URL": openai, "OPENAI_API_KEY": "sk-browser",
            "QDRANT_URL": qdrant, "RAG_COLLECTION": collection, "LOG_LEVEL": "warning",
            "API_KEYS": api_keys, "API_ADMIN_KEYS": OPERATOR_KEY, "API_RATE_LIMIT_PER_MINUTE": "0",
        })
        self.corpus = os.path.join(self.work, "corpus")
        os.makedirs(self.corpus)
        with open(os.path.join(self.corpus, "guide.txt"), "w") as guide:
            guide.write(CORPUS)
        if ingest:
            self.ingest(collection)

    def ingest(self, collection: str) -> None:
        """Ingests the test corpus into `collection` with `ragserve ingest`, as an operator would."""
        done = subprocess.run([os.path.join(self.build, "ragserve"), "ingest", self.corpus, "--collection", collection],
                              env=self.environment, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError("ragserve ingest failed: " + done.stdout + done.stderr)

    def start_worker(self) -> None:
        self.start("worker", [os.path.join(self.build, "ragserve"), "worker"], self.environment)

    def start_api(self) -> str:
        api, api_log = self.start("api", [os.path.join(self.build, "ragserve"), "api", "--host", "127.0.0.1", "--port", "0"], self.environment)
        self.url = wait_for_line(api_log, r"^API_URL=(\S+)", api)
        return self.url

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def make_browser(width: int = 1280, height: int = 900) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}", "--disable-dev-shm-usage"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)


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
