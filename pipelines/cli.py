"""`reperes`: simulate a département, run the pipeline, serve the dashboard.

Errors a user can fix (no key, no landing folder, a failed run) end with a one-paragraph
message and exit code 2, never with a traceback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from pipelines.pseudonymization import KEY_FILE_ENV_VAR, PseudonymKeyError, generate_key_hex
from pipelines.settings import (
    DATA_DIR_ENV_VAR,
    LANDING_DIR_ENV_VAR,
    PUBLISHED_DB_ENV_VAR,
    PUBLISHED_FILE,
    REPO_ROOT,
)

if TYPE_CHECKING:
    from pipelines.retention import Compaction
    from pipelines.runner import LandingOutcome

DEFAULT_DEMO_DIR = Path("var/demo")
DEFAULT_PORT = 8501
PRIVACY_REPORT_FILE = "donnees-et-confidentialite.md"


def _say(message: str) -> None:
    print(message, flush=True)


def command_simulate(arguments: argparse.Namespace) -> None:
    from pipelines.simulator import simulate

    started = time.monotonic()
    _say(
        f"Simulating {arguments.schools} schools, {arguments.weeks} weeks from {arguments.start} into {arguments.out} …"
    )
    summary = simulate(
        Path(arguments.out),
        schools=arguments.schools,
        start=arguments.start,
        weeks=arguments.weeks,
        seed=arguments.seed,
        file_format=arguments.format,
        progress=_say,
    )
    _say(
        f"Wrote {summary.events:,} events in {summary.files} files and {summary.roster_rows:,} roster rows "
        f"({summary.accounts:,} accounts, {summary.schools} schools) in {time.monotonic() - started:.1f} s."
    )


def command_run(arguments: argparse.Namespace) -> None:
    from pipelines.runner import run_pipeline

    started = time.monotonic()
    _say(f"Running the pipeline on {arguments.landing} into {arguments.data_dir} …")
    outcome = run_pipeline(
        Path(arguments.landing),
        Path(arguments.data_dir),
        key_file=Path(arguments.key_file) if arguments.key_file else None,
        keep_landing=getattr(arguments, "keep_landing", False),
        archive_dir=Path(arguments.archive) if getattr(arguments, "archive", None) else None,
    )
    _say(
        f"\nRun {outcome.run_id} done in {time.monotonic() - started:.1f} s "
        f"(delivery days {outcome.first_day} to {outcome.last_day}):"
    )
    for line in outcome.summary.lines():
        _say("  " + line)
    if outcome.stage_seconds:
        stages = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in outcome.stage_seconds.items())
        _say(f"  time by stage: {stages}")
    _say(f"Published: {Path(arguments.data_dir) / PUBLISHED_FILE}")
    if outcome.landing is not None:
        _say(describe_landing(outcome.landing))


def command_bench(arguments: argparse.Namespace) -> None:
    """The benchmark of issue 8 (pipelines/benchmark.py, docs/scale.md); --readme alone rewrites
    README.md's table from benchmarks/results.json without running anything."""
    from pipelines import benchmark

    if arguments.events is not None or not arguments.readme:
        events = arguments.events or benchmark.DEFAULT_EVENTS
        _say(f"Benchmark at about {events:,} events in {arguments.workdir} …")
        benchmark.run_benchmark(
            events,
            Path(arguments.workdir),
            results_file=Path(arguments.results),
            dashboard_repeat=arguments.dashboard_repeat,
            spark=arguments.spark,
            say=_say,
        )
    if arguments.readme:
        try:
            benchmark.update_readme(Path(arguments.results))
        except ValueError as error:  # no result yet, or README.md lost its markers
            _fail(error)
        _say(f"README.md's benchmark table rewritten from {arguments.results}.")


def describe_landing(landing: LandingOutcome) -> str:
    if landing.disposition == "kept":
        text = "Landing files kept (--keep-landing: for simulated data only, not for school data)."
    elif landing.disposition == "archived":
        text = f"Landing files loaded: {landing.files} moved to {landing.archive}."
    else:
        text = f"Landing files loaded: {landing.files} deleted."
    if landing.disposition != "kept" and landing.files_left:
        text += (
            f" {landing.files_left} file(s) left in the landing folder: not loaded "
            "(undated, unreadable: see staging.quarantine) or delivered during the run."
        )
    return text


def command_privacy_report(arguments: argparse.Namespace) -> None:
    """The transparency notice of the current release, the text of the dashboard's page."""
    from pipelines.privacy_report import read_release_facts, render_privacy_report

    data_dir = Path(arguments.data_dir)
    out = Path(arguments.out) if arguments.out else data_dir / PRIVACY_REPORT_FILE
    out.write_text(render_privacy_report(read_release_facts(data_dir / PUBLISHED_FILE)), encoding="utf-8")
    _say(f"Wrote {out}")


def command_indicators(arguments: argparse.Namespace) -> None:
    """The indicators dictionary as Markdown (docs/indicators.md), from models/marts/_metrics.yml."""
    from pipelines.metrics import render_markdown

    if arguments.output:
        Path(arguments.output).write_text(render_markdown(), encoding="utf-8")
        _say(f"Wrote {arguments.output}")
    else:
        print(render_markdown(), end="")


def command_contract(arguments: argparse.Namespace) -> None:
    """The output contract of the release (data_contracts/published.odcs.yaml), from the catalogs."""
    from data_contracts.published_contract import render_contract

    if arguments.output:
        Path(arguments.output).write_text(render_contract(), encoding="utf-8")
        _say(f"Wrote {arguments.output}")
    else:
        print(render_contract(), end="")


def command_purge(arguments: argparse.Namespace) -> None:
    from pipelines.runner import purge_warehouse

    started = time.monotonic()
    today = arguments.today or date.today()
    verb = "Counting what a purge would remove" if arguments.dry_run else "Purging"
    _say(f"{verb} in {arguments.data_dir} as of {today} …")
    outcome = purge_warehouse(Path(arguments.data_dir), today=today, dry_run=arguments.dry_run)
    for line in outcome.counts.lines():
        _say("  " + line)
    if arguments.dry_run:
        _say("Dry run: nothing was deleted.")
    elif outcome.run_id is None:
        _say("Nothing to purge: the release and the warehouse are unchanged.")
    else:
        _say(f"Release rebuilt by run {outcome.run_id}.")
        _say(describe_compaction(outcome.compaction))
    _say(f"Done in {time.monotonic() - started:.1f} s.")


def command_erase(arguments: argparse.Namespace) -> None:
    from pipelines.runner import erase_account

    account_id = sys.stdin.readline() if arguments.account_id == "-" else arguments.account_id
    started = time.monotonic()
    _say(f"Erasing one account from {arguments.data_dir} …")
    outcome = erase_account(
        Path(arguments.data_dir),
        account_id,
        key_file=Path(arguments.key_file) if arguments.key_file else None,
        today=arguments.today,
    )
    counts = outcome.counts
    if counts.events_removed or counts.memberships_removed:
        _say(f"  events removed                {counts.events_removed:>10,}")
        _say(f"  roster memberships removed    {counts.memberships_removed:>10,}")
    else:
        _say("  No row of this account under the current key (nothing to remove).")
    already = "was already" if counts.already_deny_listed else "is now"
    _say(f"  The account {already} on the deny-list: its rows are dropped if delivered again.")
    _say(f"Release rebuilt by run {outcome.run_id}.")
    _say(describe_compaction(outcome.compaction))
    _say(f"Done in {time.monotonic() - started:.1f} s.")


def describe_compaction(compaction: Compaction | None) -> str:
    if compaction is None:
        return "Warehouse not compacted."
    return (
        f"Warehouse compacted: {compaction.bytes_before:,} -> {compaction.bytes_after:,} bytes "
        "(deleted rows' bytes are gone from the file)."
    )


def serve_dashboard(data_dir: Path, port: int, accounts_file: Path | None = None) -> int:
    from dashboards.access import ACCOUNTS_FILE_ENV

    published = (data_dir / PUBLISHED_FILE).resolve()
    if not published.exists():
        raise SystemExit(f"error: {published} does not exist yet: run `reperes run` first.")
    environment = {**os.environ, PUBLISHED_DB_ENV_VAR: str(published)}
    if accounts_file is not None:
        environment[ACCOUNTS_FILE_ENV] = str(Path(accounts_file).resolve())
    _say(f"\nDashboard: http://localhost:{port}  (Ctrl+C to stop)")
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(REPO_ROOT / "dashboards" / "app.py"),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    try:
        return subprocess.call(command, cwd=REPO_ROOT, env=environment)
    except KeyboardInterrupt:
        return 0


def command_dashboard(arguments: argparse.Namespace) -> None:
    raise SystemExit(serve_dashboard(Path(arguments.data_dir), arguments.port, arguments.accounts))


def _fail(error: Exception) -> NoReturn:
    print(f"error: {error}", file=sys.stderr)
    raise SystemExit(2)


def _accounts_file(arguments: argparse.Namespace) -> Path:
    from dashboards.access import accounts_file_path

    return Path(arguments.file) if arguments.file else accounts_file_path()


def _new_password(arguments: argparse.Namespace) -> str | None:
    """From standard input (scripts), else typed twice; none for an OpenID Connect account."""
    import getpass

    from dashboards.access import AccountError

    if arguments.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if arguments.oidc_subject or arguments.email:
        return None
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise AccountError("the two passwords differ")
    return password


def command_accounts_add(arguments: argparse.Namespace) -> None:
    """One dashboard account into the accounts file; its password is stored as an argon2 hash only."""
    from dashboards import access

    path = _accounts_file(arguments)
    try:
        accounts = access.read_accounts(path) if path.exists() else ()
        account = access.new_account(
            arguments.login,
            arguments.profile,
            arguments.school,
            name=arguments.name,
            password=_new_password(arguments),
            oidc_subject=arguments.oidc_subject,
            email=arguments.email,
        )
        access.write_accounts(
            path, access.with_account(accounts, account, replace_existing=arguments.replace)
        )
    except (access.AccountError, access.AccountsFileError) as error:
        _fail(error)
    _say(f"Account {account.login} ({account.profile}) written to {path}.")


def command_accounts_remove(arguments: argparse.Namespace) -> None:
    from dashboards import access

    path = _accounts_file(arguments)
    try:
        access.write_accounts(path, access.without_account(access.read_accounts(path), arguments.login))
    except (access.AccountError, access.AccountsFileError) as error:
        _fail(error)
    _say(f"Account {access.normalize_login(arguments.login)} removed from {path}.")


def command_accounts_list(arguments: argparse.Namespace) -> None:
    from dashboards import access

    path = _accounts_file(arguments)
    try:
        accounts = access.read_accounts(path)
    except access.AccountsFileError as error:
        _fail(error)
    _say(f"{len(accounts)} account(s) in {path}:")
    for account in accounts:
        _say("  " + access.describe(account))


def write_demo_accounts(demo_dir: Path, data_dir: Path) -> Path:
    """One account of each kind on the simulated schools, with new random passwords shown once."""
    import duckdb

    from dashboards import access

    with duckdb.connect(str(data_dir / PUBLISHED_FILE), read_only=True) as connection:
        rows = connection.execute("select distinct school_uai from adoption_weekly order by school_uai")
        schools = [school for (school,) in rows.fetchall()]
    accounts = access.demo_accounts(schools)
    path = demo_dir / "secrets" / "accounts.toml"
    access.write_accounts(path, [account for account, _ in accounts])
    _say(f"\nDemo accounts (only their hashes are kept, in {path}; new passwords at each demo):")
    for account, password in accounts:
        schools_seen = ", ".join(account.schools) or "all schools, k = 10 tables only"
        _say(f"  login {account.login:<17} password {password}   {account.profile}: {schools_seen}")
    return path


def command_ingest(arguments: argparse.Namespace) -> None:
    """One export into landing/<source>/ (dated name), or with --check a dry run that stores nothing."""
    from pipelines.adapters.ingest import IngestError, ingest

    try:
        outcome = ingest(arguments.source, Path(arguments.path), Path(arguments.landing), arguments.check)
    except IngestError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    if arguments.check:
        for line in outcome.lines():
            _say(line)
        if outcome.error:
            raise SystemExit(2)
    else:
        _say(f"{arguments.path} -> {outcome} (loaded by the next run, or by the sensor)")


def command_ui(arguments: argparse.Namespace) -> None:
    """The Dagster UI on the same instance as `reperes run`, so its runs and checks show."""
    from pipelines.runner import prepare_dagster_home

    data_dir = Path(arguments.data_dir).resolve()
    os.environ[DATA_DIR_ENV_VAR] = str(data_dir)
    os.environ[LANDING_DIR_ENV_VAR] = str(Path(arguments.landing).resolve())
    if arguments.key_file:
        os.environ[KEY_FILE_ENV_VAR] = str(Path(arguments.key_file).resolve())
    prepare_dagster_home(data_dir)
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-p",
        str(arguments.port),
    ]
    raise SystemExit(subprocess.call(command, cwd=REPO_ROOT))


def demo_key_file(demo_dir: Path) -> Path:
    """The demo's own key, kept outside the data directory as the real key must be."""
    key_file = demo_dir / "secrets" / "pseudonym.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        key_file.write_text(generate_key_hex() + "\n", encoding="ascii")
    return key_file


def command_demo(arguments: argparse.Namespace) -> None:
    demo_dir = Path(arguments.dir)
    landing, data_dir = demo_dir / "landing", demo_dir / "data"
    if not any((landing / "events").glob("*")) or arguments.fresh:
        command_simulate(
            argparse.Namespace(
                out=landing,
                schools=arguments.schools,
                start=arguments.start,
                weeks=arguments.weeks,
                seed=arguments.seed,
                format="parquet",
            )
        )
    else:
        _say(f"Reusing the simulated landing files in {landing} (--fresh to simulate again).")
    key_file = demo_key_file(demo_dir)
    # Simulated data only: the demo keeps its landing files so that it can be run again.
    command_run(argparse.Namespace(landing=landing, data_dir=data_dir, key_file=key_file, keep_landing=True))
    accounts_file = write_demo_accounts(demo_dir, data_dir)
    if not arguments.no_dashboard:
        command_dashboard(argparse.Namespace(data_dir=data_dir, port=arguments.port, accounts=accounts_file))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reperes", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser("simulate", help="write a realistic demo département as landing files")
    simulate.add_argument("--out", required=True, help="landing folder to write (events/, roster/)")
    simulate.add_argument("--schools", type=int, default=10)
    simulate.add_argument(
        "--start", type=date.fromisoformat, default=date(2025, 9, 1), help="first day, YYYY-MM-DD"
    )
    simulate.add_argument("--weeks", type=int, default=36)
    simulate.add_argument("--seed", type=int, default=42)
    simulate.add_argument("--format", choices=["parquet", "csv", "jsonl"], default="parquet")
    simulate.set_defaults(handler=command_simulate)

    run = commands.add_parser("run", help="load, transform and publish through Dagster")
    run.add_argument("--landing", required=True, help="folder with events/ and roster/")
    run.add_argument("--data-dir", required=True, help="where warehouse.duckdb and published.duckdb live")
    run.add_argument(
        "--key-file", help="file holding the pseudonymization key in hex (else $REPERES_PSEUDONYM_KEY)"
    )
    run.add_argument(
        "--archive",
        help="move the loaded landing files there (else $REPERES_LANDING_ARCHIVE; else they are deleted)",
    )
    run.add_argument(
        "--keep-landing",
        action="store_true",
        help="leave the landing files in place: for demos and tests on simulated data only",
    )
    run.set_defaults(handler=command_run)

    bench = commands.add_parser(
        "bench",
        help="simulate N events, time a full rebuild, a daily run, the dashboards and a pandas peer",
    )
    bench.add_argument(
        "--events",
        type=int,
        help="about how many events to simulate (default 1,000,000; 1 school = 1M a year)",
    )
    bench.add_argument("--workdir", default="var/bench", help="scratch folder, emptied first")
    bench.add_argument(
        "--results",
        default=str(REPO_ROOT / "benchmarks" / "results.json"),
        help="the results file to append to",
    )
    bench.add_argument(
        "--dashboard-repeat", type=int, default=5, help="rounds of dashboard queries and clicks"
    )
    bench.add_argument(
        "--no-spark",
        dest="spark",
        action="store_false",
        help="leave out the Spark engine's rebuild (measured up to 10 M events when Java is there)",
    )
    bench.add_argument(
        "--readme",
        action="store_true",
        help="rewrite README.md's benchmark table from the results file (alone: without running)",
    )
    bench.set_defaults(handler=command_bench)

    ingest = commands.add_parser(
        "ingest",
        help="drop an ENT export into the landing area with its adapter (ODE, xAPI, Moodle, AAF), or dry-run it",
    )
    ingest.add_argument(
        "--source",
        required=True,
        choices=["ode", "ode-postgres", "xapi", "moodle", "moodle-report", "aaf", "contract"],
        help=(
            "the kind of export (data_contracts/mappings/ holds the mappings; aaf = the académie "
            "directory's XML files; contract = our own event CSV/JSONL/Parquet)"
        ),
    )
    ingest.add_argument("path", help="the exported file")
    ingest.add_argument(
        "--landing", default=os.environ.get(LANDING_DIR_ENV_VAR) or "landing", help="the landing folder"
    )
    ingest.add_argument(
        "--check",
        action="store_true",
        help="store nothing: print the rows that would load, be quarantined (by rule), and the unmapped values",
    )
    ingest.set_defaults(handler=command_ingest)

    purge = commands.add_parser(
        "purge", help="delete expired events and leavers, rebuild the release, compact the warehouse"
    )
    purge.add_argument("--data-dir", required=True, help="where warehouse.duckdb and published.duckdb live")
    purge.add_argument(
        "--today", type=date.fromisoformat, help="the day the retention is counted from (default: today)"
    )
    purge.add_argument("--dry-run", action="store_true", help="count what would go, delete nothing")
    purge.set_defaults(handler=command_purge)

    erase = commands.add_parser(
        "erase", help="erase one ENT account (right to erasure or to object) and deny-list it"
    )
    erase.add_argument("--data-dir", required=True, help="where warehouse.duckdb and published.duckdb live")
    erase.add_argument(
        "--account-id",
        required=True,
        help="the ENT account id, or - to read it from standard input (keeps it out of the shell history)",
    )
    erase.add_argument(
        "--key-file", help="file holding the pseudonymization key in hex (else $REPERES_PSEUDONYM_KEY)"
    )
    erase.add_argument("--today", type=date.fromisoformat, help="the day recorded in the erasure log")
    erase.set_defaults(handler=command_erase)

    dashboard = commands.add_parser("dashboard", help="serve the dashboards on published.duckdb")
    dashboard.add_argument("--data-dir", required=True)
    dashboard.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
    dashboard.add_argument(
        "--accounts",
        help="the dashboard accounts file (else $REPERES_ACCOUNTS_FILE, else data/accounts.toml)",
    )
    dashboard.set_defaults(handler=command_dashboard)

    accounts = commands.add_parser("accounts", help="dashboard accounts: who may read which schools")
    account_commands = accounts.add_subparsers(dest="accounts_command", required=True)
    add = account_commands.add_parser(
        "add", help="add an account (asks for its password, stored hashed with argon2)"
    )
    add.add_argument("login")
    add.add_argument("--profile", required=True, help="direction, referent or departement")
    add.add_argument(
        "--school", action="append", default=[], help="an UAI the account may see (repeat for a referent)"
    )
    add.add_argument("--name", default="", help="the name shown once signed in")
    add.add_argument("--email", help="OpenID Connect: the verified e-mail this account is signed in with")
    add.add_argument("--oidc-subject", help="OpenID Connect: the identity provider's `sub` for this person")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (scripts)"
    )
    add.add_argument("--replace", action="store_true", help="replace the account with the same login")
    add.set_defaults(handler=command_accounts_add)
    remove = account_commands.add_parser("remove", help="remove an account")
    remove.add_argument("login")
    remove.set_defaults(handler=command_accounts_remove)
    listing = account_commands.add_parser("list", help="list the accounts (never their password hashes)")
    listing.set_defaults(handler=command_accounts_list)
    for subcommand in (add, remove, listing):
        subcommand.add_argument(
            "--file", help="the accounts file (else $REPERES_ACCOUNTS_FILE, else data/accounts.toml)"
        )

    ui = commands.add_parser("ui", help="open the Dagster UI on this data directory's runs")
    ui.add_argument("--data-dir", default=str(DEFAULT_DEMO_DIR / "data"))
    ui.add_argument("--landing", default=str(DEFAULT_DEMO_DIR / "landing"))
    ui.add_argument("--key-file", default=str(DEFAULT_DEMO_DIR / "secrets" / "pseudonym.key"))
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=command_ui)

    demo = commands.add_parser("demo", help="simulate, run and serve, in one go")
    demo.add_argument("--dir", default=str(DEFAULT_DEMO_DIR), help="demo folder (landing/, data/, secrets/)")
    demo.add_argument("--schools", type=int, default=6)
    demo.add_argument("--weeks", type=int, default=12)
    demo.add_argument("--start", type=date.fromisoformat, default=date(2025, 9, 1))
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
    demo.add_argument("--fresh", action="store_true", help="simulate again even if landing files exist")
    demo.add_argument("--no-dashboard", action="store_true", help="stop after the run")
    demo.set_defaults(handler=command_demo)
    report = commands.add_parser(
        "privacy-report", help="write the transparency notice (Données et confidentialité) to a file"
    )
    report.add_argument("--data-dir", required=True)
    report.add_argument("--out", help=f"file to write (default DATA/{PRIVACY_REPORT_FILE})")
    report.set_defaults(handler=command_privacy_report)
    indicators = commands.add_parser(
        "indicators", help="print the indicators dictionary (docs/indicators.md)"
    )
    indicators.add_argument("--output", help="write it to this file instead of printing it")
    indicators.set_defaults(handler=command_indicators)

    contract = commands.add_parser(
        "contract",
        help="print the output contract of the published tables (data_contracts/published.odcs.yaml)",
    )
    contract.add_argument("--output", help="write it to this file instead of printing it")
    contract.set_defaults(handler=command_contract)
    return parser


def main(argv: list[str] | None = None) -> None:
    from pipelines.runner import PipelineError

    arguments = _parser().parse_args(argv)
    try:
        arguments.handler(arguments)
    except (PseudonymKeyError, PipelineError) as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
