"""`reperes ingest` and the landing folders of the sources: copy under a dated name, dry run,
inventory and sensor."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from pipelines.adapters.ingest import IngestError, ingest
from pipelines.cli import main
from pipelines.defs.ingestion.assets import _inventory_rows
from pipelines.defs.ingestion.sensors import days_to_refresh, landing_state
from pipelines.runner import _landing_outcome, delivery_day_range

FIXTURES = Path(__file__).parent / "fixtures" / "adapters"


def test_ingest_copies_into_the_source_folder_under_a_dated_name(tmp_path):
    export = tmp_path / "export.jsonl"
    shutil.copyfile(FIXTURES / "ode" / "2025-09-03.jsonl", export)
    landing = tmp_path / "landing"
    target = ingest("ode", export, landing, today=date(2025, 9, 5))
    assert target == landing / "ode" / "2025-09-05-export.jsonl"
    assert target.read_bytes() == export.read_bytes()
    dated = ingest("moodle", FIXTURES / "moodle" / "2025-09-03.csv", landing)
    assert dated == landing / "moodle" / "2025-09-03.csv"
    with pytest.raises(IngestError, match="exists already"):
        ingest("moodle", FIXTURES / "moodle" / "2025-09-03.csv", landing)
    with pytest.raises(IngestError, match="ends with"):
        ingest("moodle", FIXTURES / "ode" / "2025-09-03.jsonl", landing)


def test_ingest_check_prints_counts_rules_and_unmapped_values_and_stores_nothing(tmp_path, capsys):
    landing = tmp_path / "landing"
    main(
        [
            "ingest",
            "--source",
            "xapi",
            str(FIXTURES / "xapi" / "2025-09-03.json"),
            "--landing",
            str(landing),
            "--check",
        ]
    )
    out = capsys.readouterr().out
    words = " ".join(out.split())
    assert "rows read 7 would load 2 would be quarantined 5" in words
    assert "statement without timestamp" in out
    assert "values without a mapping yet" in out and "verb not mapped: http://example.org/verbs/xyz" in out
    assert "canary" not in out.lower() and "u-pupil" not in out
    assert not landing.exists()


def test_source_folders_are_inventoried_watched_and_dated(tmp_path):
    landing = tmp_path / "landing"
    for source, name in (
        ("ode", "2025-09-03.jsonl"),
        ("xapi", "2025-09-04.jsonl"),
        ("moodle", "2025-09-03.csv"),
    ):
        (landing / source).mkdir(parents=True)
        shutil.copyfile(FIXTURES / source / name, landing / source / name)
    (landing / "xapi" / "notes.txt").write_text("not an export", encoding="utf-8")
    (landing / "ode" / "export.jsonl").write_text("{}\n", encoding="utf-8")
    (landing / "ode-postgres").mkdir()
    shutil.copyfile(
        FIXTURES / "ode-postgres" / "2025-09-03-events.csv",
        landing / "ode-postgres" / "2025-09-03-events.csv",
    )
    (landing / "aaf").mkdir()  # the directory: part of the roster snapshot, no delivery day
    aaf = "ENT2025_Complet_20250901_Eleve_0000.xml"
    shutil.copyfile(FIXTURES / "aaf" / aaf, landing / "aaf" / aaf)
    rows = _inventory_rows(landing)
    assert [(row[0], row[1], row[2], row[5]) for row in rows] == [
        ("events", "ode/2025-09-03.jsonl", date(2025, 9, 3), "ok"),
        ("events", "ode/export.jsonl", None, "undated: the name must start with YYYY-MM-DD"),
        ("events", "ode-postgres/2025-09-03-events.csv", date(2025, 9, 3), "ok"),
        ("events", "xapi/2025-09-04.jsonl", date(2025, 9, 4), "ok"),
        ("events", "moodle/2025-09-03.csv", date(2025, 9, 3), "ok"),
        ("roster", f"aaf/{aaf}", None, "ok"),
    ]
    state = landing_state(landing)
    assert set(state) == {row[1] for row in rows}
    assert days_to_refresh(sorted(state), state) == ("2025-09-03", "2025-09-04")
    assert delivery_day_range(landing) == ("2025-09-03", "2025-09-04")
    # What a run leaves in the landing folder counts the source folders too (not xapi/notes.txt).
    assert _landing_outcome(tmp_path / "data", landing, "run", True, None).files_left == 6
