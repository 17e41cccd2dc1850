"""The deployment files, checked with the tools this machine has: no container engine can pull
images here (Docker Hub is out of reach), so the compose file and the Dockerfile are read and
held to what a deployment relies on, and the systemd units go through `systemd-analyze verify`
and `systemd-analyze security --offline`. Run by `make deploy-tests`."""

import json
import pathlib
import re
import shutil
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = ["ragserve-api.service", "ragserve-worker.service", "ragserve-worker@.service"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def pinned(image: str) -> bool:
    """A tag naming a release (a digit in it), never `latest` or a bare major line."""
    name, _, tag = image.rpartition(":")
    return bool(name) and tag != "latest" and re.search(r"\d+\.\d+", tag) is not None


def test_compose_images_are_pinned(compose):
    images = {name: service.get("image") for name, service in compose["services"].items()}
    assert all(images.values()), images
    for name, image in images.items():
        assert pinned(image), f"{name}: {image} is not a pinned release"


def test_compose_long_running_services_have_health_checks(compose):
    for name, service in compose["services"].items():
        if "tools" in service.get("profiles", []):
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"
    worker = compose["services"]["worker"]
    port = worker["environment"]["WORKER_METRICS_PORT"]
    assert f"127.0.0.1:{port}/healthz" in " ".join(worker["healthcheck"]["test"]), "the worker's check asks its metrics server"
    assert "/readyz" in " ".join(compose["services"]["api"]["healthcheck"]["test"])


def test_compose_waits_for_healthy_backends_and_offers_ingest(compose):
    for name in ("api", "worker"):
        depends = compose["services"][name]["depends_on"]
        assert depends["valkey"]["condition"] == "service_healthy", name
        assert depends["qdrant"]["condition"] == "service_healthy", name
    ingest = compose["services"]["ingest"]
    assert ingest["command"][0] == "ingest" and "tools" in ingest["profiles"]
    assert any(volume.endswith(":/documents:ro") for volume in ingest["volumes"])
    assert ingest["image"] == compose["services"]["api"]["image"], "one image for every process"
    version = re.search(r'current = "([^"]+)"', (ROOT / "Sources/RAGQueue/Version.swift").read_text()).group(1)
    assert compose["services"]["api"]["image"] == f"ragqueue:{version}", "the image is tagged with the release it builds"


def test_compose_keeps_secrets_out(compose):
    text = (DEPLOY / "docker-compose.yml").read_text()
    for service in compose["services"].values():
        for key in service.get("environment", {}):
            assert not re.search(r"(^|_)(KEYS?|SECRET|PASSWORD)(_|$)", key), f"{key} belongs in deploy/.env"
    assert "sk-" not in text


def test_dockerfile_pins_images_matches_swift_and_runs_unprivileged():
    text = (DEPLOY / "Dockerfile").read_text()
    images = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert len(images) == 2 and all(pinned(image) for image in images), images
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True, check=True).stdout
    version = re.search(r"Swift version (\d+\.\d+(?:\.\d+)?)", swift).group(1)
    assert images[0].startswith(f"swift:{version}-"), f"the image builds with {images[0]}, the project with Swift {version}"
    assert "poppler-utils" in text, "ingest reads PDFs with pdftotext"
    user = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert user and user[-1] not in ("root", "0")


def test_dockerignore_keeps_the_context_small():
    rules = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert rules[0] == "*", "everything is out unless named"
    assert set(rules[1:]) >= {"!Package.swift", "!Sources/", "!Tests/"}


def verifiable_units(tmp_path: pathlib.Path) -> list[pathlib.Path]:
    """Copies of the units that systemd-analyze can check on a machine without the installed
    binary or settings file: ExecStart runs /bin/true, the settings file is optional."""
    paths = []
    for unit in UNITS:
        text = (DEPLOY / unit).read_text()
        text = text.replace("/usr/local/bin/ragserve", "/bin/true")
        text = text.replace("EnvironmentFile=/", "EnvironmentFile=-/")
        (tmp_path / unit).write_text(text)
        paths.append(tmp_path / unit.replace("@.service", "@01.service"))
    return paths


def test_units_verify_cleanly(tmp_path):
    assert shutil.which("systemd-analyze"), "make deps installs systemd (for systemd-analyze)"
    for unit in verifiable_units(tmp_path):
        result = subprocess.run(["systemd-analyze", "verify", "--man=no", unit.name], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0 and result.stdout + result.stderr == "", f"{unit.name}: {result.stderr}"


def test_units_are_hardened(tmp_path):
    for unit in verifiable_units(tmp_path):
        text = unit.with_name(unit.name.replace("@01", "@")).read_text()
        for directive in ("SystemCallFilter=@system-service", "CapabilityBoundingSet=\n", "UMask=0077", "NoNewPrivileges=yes"):
            assert directive in text, f"{unit.name} lacks {directive.strip()}"
        result = subprocess.run(
            ["systemd-analyze", "security", "--offline=yes", "--no-pager", f"./{unit.name}"], cwd=tmp_path, capture_output=True, text=True
        )
        level = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
        assert level, result.stdout + result.stderr
        assert float(level.group(1)) <= 2.0, f"{unit.name}: exposure {level.group(1)}"


def test_worker_template_gives_each_instance_its_metrics_port():
    text = (DEPLOY / "ragserve-worker@.service").read_text()
    assert re.search(r"^ExecStart=/usr/local/bin/ragserve worker --metrics-port 91%i$", text, re.MULTILINE)


def exported_metrics() -> set[str]:
    """Every ragqueue_* name the sources spell out (metric names and their documentation)."""
    names = set()
    for path in (ROOT / "Sources").rglob("*.swift"):
        names.update(re.findall(r"ragqueue_[a-z_]+", path.read_text()))
    return names


def referenced(expr: str) -> set[str]:
    """The ragqueue_* metrics an expression reads, histogram series named by their family."""
    return {re.sub(r"_(bucket|count|sum)$", "", name) for name in re.findall(r"ragqueue_[a-z_]+", expr)}


def test_alert_rules_read_metrics_the_product_exports():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"][0]["rules"]
    exported = exported_metrics()
    assert len(rules) >= 5
    for rule in rules:
        assert rule["alert"].startswith("RAGQueue") and rule["annotations"]["summary"], rule
        names = referenced(rule["expr"])
        assert names or "up{" in rule["expr"], rule["alert"]
        assert names <= exported, f"{rule['alert']} reads {names - exported}, which nothing exports"


def test_grafana_dashboard_reads_metrics_the_product_exports():
    dashboard = json.loads((DEPLOY / "grafana" / "ragqueue.json").read_text())
    exported = exported_metrics()
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(expressions) >= 10
    for expr in expressions:
        names = referenced(expr)
        assert names and names <= exported, f"{expr} reads {names - exported}"
    # Every family the worker measures is on the dashboard.
    for family in ("ragqueue_job_duration_seconds", "ragqueue_job_queue_wait_seconds", "ragqueue_stage_duration_seconds",
                   "ragqueue_tokens_total", "ragqueue_provider_throttled_total", "ragqueue_queue_failures_total",
                   "ragqueue_worker_claims_total"):
        assert any(family in expr for expr in expressions), family
