"""Shared fixtures: an isolated environment, a test key, and a tiny hand-made landing folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.pseudonymization import KEY_ENV_VAR, KEY_FILE_ENV_VAR
from pipelines.settings import DATA_DIR_ENV_VAR, LANDING_DIR_ENV_VAR

# A fixed test key, built at run time so that no 256-bit key literal sits in the repository.
TEST_KEY_HEX = "5e" * 32


@pytest.fixture
def isolated_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The runner writes its settings into os.environ; record them so each test starts clean."""
    for name in (KEY_ENV_VAR, KEY_FILE_ENV_VAR, DATA_DIR_ENV_VAR, LANDING_DIR_ENV_VAR, "DAGSTER_HOME"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("DAGSTER_DISABLE_TELEMETRY", "true")
    return monkeypatch


@pytest.fixture
def test_key(isolated_environment: pytest.MonkeyPatch) -> bytes:
    isolated_environment.setenv(KEY_ENV_VAR, TEST_KEY_HEX)
    return bytes.fromhex(TEST_KEY_HEX)


def write_landing(root: Path, events: dict[str, str], roster: str | None) -> Path:
    """Write `events` ({file name: CSV text}) and a roster CSV under root/landing."""
    landing = root / "landing"
    (landing / "events").mkdir(parents=True)
    for name, text in events.items():
        (landing / "events" / name).write_text(text, encoding="utf-8")
    if roster is not None:
        (landing / "roster").mkdir()
        (landing / "roster" / "roster.csv").write_text(roster, encoding="utf-8")
    return landing
