"""The run history (DATA/run_history.jsonl): one line per `run_pipeline`, success or failure, with
what to do next, and nothing personal.

Three real runs through Dagster (a success; a run stopped by an unreadable file whose bytes hold
an account id; a run whose blocking contract check fails while another step raises an error
quoting an account id), two runs stopped before Dagster (no key, nothing to load), then the
pieces on their own.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest

from pipelines import run_history
from pipelines.defs.ingestion import assets as ingestion_assets
from pipelines.defs.ingestion import checks as ingestion_checks
from pipelines.runner import PipelineError, run_pipeline
from tests.conftest import TEST_KEY_HEX, write_landing

UAI = "0920001B"
CANARY = "CANARY-ACCOUNT-4417"
HEADER = "event_id,occurred_at,user_id,role,school_uai,service,action,class_id,discipline,object_id,due_at\n"
EVENTS = HEADER + "".join(
    f"e{n},2025-09-03T0{n}:00:00+02:00,p{n},eleve,{UAI},portail,login,,,,\n" for n in range(1, 7)
)
ROSTER = (
    "user_id,role,school_uai,class_id,discipline,start_date,end_date\n"
    + "".join(f"p{n},eleve,{UAI},6A,,,\n" for n in range(1, 7))
    + f"{CANARY},eleve,{UAI},6A,,,\n"
)
# Not Parquet at all; its bytes hold an account id.
UNREADABLE_PARQUET = b"this is no parquet file " + CANARY.encode() + b" ,eleve,0920001B\n"


def history_lines(data_dir: Path) -> list[dict]:
    path = data_dir / run_history.RUN_HISTORY_FILE
    text = path.read_text(encoding="utf-8")
    assert CANARY not in text
    assert TEST_KEY_HEX not in text
    return [json.loads(line) for line in text.splitlines()]


def test_a_successful_run_is_recorded(tmp_path, test_key):
    landing = write_landing(tmp_path, {"2025-09-03.csv": EVENTS}, ROSTER)
    outcome = run_pipeline(landing, tmp_path / "data", keep_landing=True)
    [line] = history_lines(tmp_path / "data")
    assert line["status"] == run_history.SUCCESS
    assert line["run_id"] == outcome.run_id
    assert (line["first_day"], line["last_day"]) == ("2025-09-03", "2025-09-03")
    assert (line["kind"], line["next_action"], line["files_unreadable"]) == (None, None, 0)
    assert line["failed_steps"] == [] and line["failed_checks"] == []
    assert line["started_at"] <= line["ended_at"]
    assert line["ended_at"].endswith("+00:00")
    # What the page shows of the run's files comes from the release.
    with duckdb.connect(str(tmp_path / "data" / "published.duckdb"), read_only=True) as connection:
        sources = connection.execute(
            "select contract, files, rows_read, rows_loaded from data_quality_sources order by contract"
        ).fetchall()
    assert sources == [("events", 1, 6, 6), ("roster", 1, 7, 7), ("workshops", 0, 0, 0)]


def test_an_unreadable_file_is_set_aside_and_the_run_says_what_to_do(tmp_path, test_key):
    """A file no reader can open is quarantined whole, with DuckDB's reason cut before anything
    it quotes; the run publishes the rest and its history line says what to do with the file."""
    landing = write_landing(tmp_path, {"2025-09-03.csv": EVENTS}, ROSTER)
    (landing / "events" / "2025-09-04.parquet").write_bytes(UNREADABLE_PARQUET)
    run_pipeline(landing, tmp_path / "data", keep_landing=True)
    [line] = history_lines(tmp_path / "data")
    assert (line["status"], line["kind"], line["files_unreadable"]) == (
        run_history.SUCCESS,
        run_history.UNREADABLE_FILE,
        1,
    )
    with duckdb.connect(str(tmp_path / "data" / "published.duckdb"), read_only=True) as connection:
        files = connection.execute(
            "select file_name, rows_read, error from data_quality_files where contract = 'events' order by file_name"
        ).fetchall()
    assert files == [
        ("events/2025-09-03.csv", 6, None),
        (
            "events/2025-09-04.parquet",
            0,
            "unreadable file: Invalid Input Error: No magic bytes found at end of file",
        ),
    ]


def test_a_failed_blocking_check_is_recorded_with_its_name_and_what_to_do(tmp_path, test_key, monkeypatch):
    landing = write_landing(tmp_path, {"2025-09-03.csv": EVENTS}, ROSTER)
    failing_suite = SimpleNamespace(
        success=False, evaluated_rows=6, failures=("expect_user_key_to_match_regex",)
    )
    monkeypatch.setattr(
        ingestion_checks, "validate_staged_events", lambda rows, malformed_event_keys: failing_suite
    )
    original_load_file = ingestion_assets.load_file

    def roster_that_breaks(connection, path, file_name, contract, *arguments, **options):
        if contract.name == "roster":
            # What DuckDB says about a value it cannot cast: it quotes the value.
            raise duckdb.ConversionException(
                f"Conversion Error: Could not convert string '{CANARY}' to INT32"
            )
        return original_load_file(connection, path, file_name, contract, *arguments, **options)

    monkeypatch.setattr(ingestion_assets, "load_file", roster_that_breaks)

    with pytest.raises(PipelineError, match="failed"):
        run_pipeline(landing, tmp_path / "data", keep_landing=True)

    [line] = history_lines(tmp_path / "data")
    assert line["status"] == run_history.FAILURE
    assert line["kind"] == run_history.BLOCKING_CHECK
    assert line["failed_checks"] == [{"asset": "stg_events", "check": "staged_events_meet_contract"}]
    assert line["next_action"] == run_history.check_next_action("stg_events", "staged_events_meet_contract")
    assert "« staged_events_meet_contract »" in line["next_action"]
    assert "la publication précédente reste en ligne" in line["next_action"]
    reasons = {step["step"]: step["reason"] for step in line["failed_steps"]}
    assert reasons["stg_roster"] == "ConversionException: Conversion Error: Could not convert string"
    assert reasons["stg_events_staged_events_meet_contract"].startswith("DagsterAssetCheckFailedError: ")
    assert not (tmp_path / "data" / "published.duckdb").exists()

    # The Dagster UI shows the same advice on the failed check.
    with dg.DagsterInstance.from_config(str(tmp_path / "data" / "dagster")) as instance:
        records = instance.get_records_for_run(
            line["run_id"], of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
    evaluations = [record.event_log_entry.dagster_event.event_specific_data for record in records]
    failed = [evaluation for evaluation in evaluations if not evaluation.passed]
    assert [evaluation.check_name for evaluation in failed] == ["staged_events_meet_contract"]
    assert failed[0].description == line["next_action"]


def test_a_run_without_a_key_is_recorded_before_dagster_starts(tmp_path, isolated_environment):
    landing = write_landing(tmp_path, {"2025-09-03.csv": EVENTS}, ROSTER)
    with pytest.raises(Exception, match="No pseudonymization key"):
        run_pipeline(landing, tmp_path / "data", keep_landing=True)
    [line] = history_lines(tmp_path / "data")
    assert (line["status"], line["kind"], line["run_id"]) == ("failure", run_history.MISSING_KEY, None)
    assert line["next_action"] == run_history.NEXT_ACTIONS[run_history.MISSING_KEY]
    assert line["failed_steps"][0]["reason"].startswith("PseudonymKeyError: No pseudonymization key")


def test_a_run_with_nothing_to_load_says_where_to_put_the_files(tmp_path, test_key):
    landing = write_landing(tmp_path, {}, ROSTER)
    with pytest.raises(PipelineError, match="No event file"):
        run_pipeline(landing, tmp_path / "data")
    run_pipeline_again = pytest.raises(PipelineError, match="does not exist")
    with run_pipeline_again:
        run_pipeline(tmp_path / "no-such-landing", tmp_path / "data")
    lines = history_lines(tmp_path / "data")
    assert [line["kind"] for line in lines] == [run_history.NO_INPUT, run_history.NO_INPUT]
    assert "landing/events/" in lines[0]["next_action"]


# The pieces -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "class_name", "reason"),
    [
        (
            f"_duckdb.ConversionException: Conversion Error: Could not convert string '{CANARY}' to INT32",
            "ConversionException",
            "ConversionException: Conversion Error: Could not convert string",
        ),
        (
            f'Invalid Input Error: Malformed JSON at byte 3 of input: unexpected character. Input: "{CANARY}"',
            "InvalidInputException",
            "InvalidInputException: Invalid Input Error: Malformed JSON at byte 3 of input: unexpected character.",
        ),
        (f"KeyError: [{CANARY!r}]\nTraceback …", "KeyError", "KeyError"),
        (f"value {{'user_id': '{CANARY}'}} refused", "ValueError", "ValueError: value"),
        ("", "OSError", "OSError"),
    ],
)
def test_a_reason_is_one_line_cut_before_anything_quoted(message, class_name, reason):
    assert run_history.one_line_reason(message, class_name) == reason


def test_failures_are_classified_by_what_went_wrong():
    step = run_history.FailedStep
    check = run_history.FailedCheck
    audit = check("release_candidate", "no_recovery_by_subtraction")
    kind, action = run_history.classify_failure(
        [step("release_candidate_no_recovery_by_subtraction", "x")], [audit]
    )
    assert kind == run_history.PRIVACY_AUDIT
    assert action.startswith(
        "Publication refusée par le contrôle de confidentialité « no_recovery_by_subtraction »"
    )
    balance = check("int_file_balance", "every_row_accounted_for")
    assert run_history.classify_failure([], [balance])[0] == run_history.BLOCKING_CHECK
    unreadable = [step("stg_events", "IOException: IO Error: Could not read file")]
    assert run_history.classify_failure(unreadable, []) == (
        run_history.UNREADABLE_FILE,
        run_history.NEXT_ACTIONS[run_history.UNREADABLE_FILE],
    )
    # A source adapter's asset reads landing files too: a partitioned step key, as Dagster names it.
    for adapter_step in (
        "stg_events_xapi",
        "stg_events_ode_postgres[2025-09-03]",
        "stg_events_moodle_report",
    ):
        assert run_history.classify_failure([step(adapter_step, "OSError: could not read")], [])[0] == (
            run_history.UNREADABLE_FILE
        ), adapter_step
    assert run_history.classify_failure([step("landing_disposals", "PermissionError: denied")], [])[0] == (
        run_history.LANDING_CLEANUP
    )
    assert run_history.classify_failure([step("release_candidate", "ProtectionError: cannot")], [])[0] == (
        run_history.PRIVACY_AUDIT
    )
    assert (
        run_history.classify_failure([step("adoption_weekly", "BinderException: x")], [])[0]
        == run_history.OTHER
    )


def test_every_blocking_check_has_its_own_advice():
    from pipelines.definitions import defs

    generic = (
        "Le contrôle bloquant « {check} » de {asset} a échoué. "
        + run_history.NEXT_ACTIONS[run_history.BLOCKING_CHECK]
    )
    blocking = [
        (key.asset_key.to_user_string(), key.name)
        for checks in defs.asset_checks or []
        for key, spec in ((spec.key, spec) for spec in checks.check_specs)
        if spec.blocking
    ]
    assert blocking, "the definitions have blocking checks"
    without_advice = [
        f"{asset}/{check}"
        for asset, check in blocking
        if run_history.check_next_action(asset, check) == generic.format(asset=asset, check=check)
    ]
    assert not without_advice, f"add their advice to pipelines/run_history.py: {without_advice}"


def test_lines_are_appended_and_read_newest_first_skipping_a_torn_one(tmp_path):
    path = tmp_path / "data" / run_history.RUN_HISTORY_FILE
    started = run_history.now()
    run_history.append_record(
        path, run_history.success_record(started, "first", "2025-09-01", "2025-09-01", 0)
    )
    with path.open("a", encoding="utf-8") as stream:
        stream.write('{"started_at": "2025-09-02T04:00:00+00:00", "stat')  # a crash mid-write
        stream.write("\n")
    run_history.append_record(
        path, run_history.failure_record(started, run_history.OTHER, reason="RuntimeError: boom")
    )
    records = run_history.read_records(path)
    assert [record["status"] for record in records] == ["failure", "success"]
    assert (
        run_history.read_records(path, limit=1)[0]["next_action"]
        == run_history.NEXT_ACTIONS[run_history.OTHER]
    )
    assert run_history.read_records(tmp_path / "missing.jsonl") == []


def test_a_contract_check_of_the_release_is_no_privacy_refusal():
    contract = run_history.FailedCheck("release_candidate", "published_tables_meet_their_contract")
    kind, action = run_history.classify_failure([], [contract])
    assert kind == run_history.BLOCKING_CHECK
    assert "chiffre impossible" in action


def test_a_success_that_leaves_unreadable_files_says_what_to_do():
    record = run_history.success_record(run_history.now(), "run", "2025-09-03", "2025-09-04", 2)
    assert (record.status, record.kind) == (run_history.SUCCESS, run_history.UNREADABLE_FILE)
    assert record.next_action.startswith("Publication faite, mais 2 fichier(s) n'ont pas pu être lus")
