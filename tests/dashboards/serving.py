"""Serve the dashboard as `reperes dashboard` does, for tests that drive it in a real browser.

`serve_dashboard(published_db_path, accounts_file)` is shared with the end-to-end tests, which
point it at a real pipeline output instead of the hand-made release of `conftest.py`; `log_in`
signs a Playwright page in through the dashboard's login form; `wait_until_idle` waits for the
end of the script run in flight.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = REPO_ROOT / "dashboards" / "app.py"
PUBLISHED_DB_ENV = "REPERES_PUBLISHED_DB"
ACCOUNTS_FILE_ENV = "REPERES_ACCOUNTS_FILE"
CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER_ENV = "REPERES_REQUIRE_BROWSER"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_executable() -> str:
    """The system Chromium; skips the test when absent, unless CI says a browser is required."""
    if CHROMIUM.exists():
        return str(CHROMIUM)
    reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if os.environ.get(REQUIRE_BROWSER_ENV):
        pytest.fail(f"{reason}, and {REQUIRE_BROWSER_ENV} is set", pytrace=False)
    pytest.skip(f"{reason}; set {REQUIRE_BROWSER_ENV}=1 to make this a failure")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(base_url: str, process: subprocess.Popen, log, timeout_seconds: float) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    log.seek(0)
    output = log.read().decode(errors="replace")
    raise RuntimeError(f"the dashboard did not become healthy at {base_url}:\n{output}")


def log_in(page: Page, login: str, password: str) -> None:
    """Sign in through the login form the dashboard shows first, and wait until it lets us in."""
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("button", name="Se déconnecter").wait_for()


def wait_until_idle(page: Page, timeout_ms: float | None = None) -> None:
    """Until no script run is in flight in the page's Streamlit session.

    The app's root carries the run's state (`data-test-script-state`, the attribute Streamlit's
    own browser tests wait on): "running" from the rerun request to the run's end, without the
    half-second delay after which the status widget ("Running…") shows it.
    """
    from playwright.sync_api import expect

    app = page.get_by_test_id("stApp")
    if timeout_ms is None:
        expect(app).to_have_attribute("data-test-script-state", "notRunning")
    else:
        expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout_ms)


@contextmanager
def serve_dashboard(
    published_db_path: Path | str, accounts_file: Path | str, *, timeout_seconds: float = 60
) -> Iterator[str]:
    """Run `streamlit run dashboards/app.py` on a free port; yield its base URL; stop it."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    environment = {
        **os.environ,
        PUBLISHED_DB_ENV: str(published_db_path),
        ACCOUNTS_FILE_ENV: str(accounts_file),
    }
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_healthy(base_url, process, log, timeout_seconds)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
