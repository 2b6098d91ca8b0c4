"""The README's screenshots: each page of the dashboard on the demo data, in headless Chromium.

    make screenshots      # `reperes demo --no-dashboard` first when DEMO_DIR (var/demo) has no release
    .venv/bin/python -m dashboards.screenshots --data-dir var/demo/data --out docs/screenshots

Why a command of its own: pictures of the simulated département show what a reader sees (its
schools, its weeks, real gaps and bands), which the tests' hand-made two-school release does not;
and a test run must leave the repository's files as it found them. It serves the release as
`reperes dashboard` does and signs in with accounts of its own (fresh random passwords, hashed
into a temporary accounts file), never with the demo's.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import duckdb

from dashboards import access

VIEWPORT = {"width": 1280, "height": 900}
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot .main-svg'
# (file name, address, profile that reads it, the page's title)
PAGES = (
    ("direction", "direction", access.DIRECTION, "Direction — Adoption après un mois"),
    ("conseil-de-classe", "conseil-de-classe", access.DIRECTION, "Conseil de classe"),
    ("referent", "referent", access.REFERENT, "Référent ENT — Plan de formation"),
    ("qualite", "qualite", access.REFERENT, "Qualité des données"),
    ("departement", "departement", access.DEPARTEMENT, "Département — Adoption"),
    ("confidentialite", "confidentialite", access.DEPARTEMENT, "Données et confidentialité"),
)


def _schools(published: Path) -> list[str]:
    with duckdb.connect(str(published), read_only=True) as connection:
        rows = connection.execute("select distinct school_uai from adoption_weekly order by school_uai")
        return [school for (school,) in rows.fetchall()]


def _whole_page(page, path: Path) -> None:
    """The page from its title to its footer: the main area scrolls on its own, so the viewport
    is stretched to its height for the picture, once every chart is drawn at that size."""
    from tests.dashboards.serving import wait_until_idle

    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], height)})
    wait_until_idle(page, timeout_ms=60_000)
    page.wait_for_timeout(1000)  # plotly redraws its charts after a resize, on its own timer
    page.screenshot(path=path, animations="disabled")
    page.set_viewport_size(VIEWPORT)


def take_screenshots(published: Path, out: Path) -> list[Path]:
    """One PNG per page of PAGES in `out`, each page opened by an account of its profile."""
    from playwright.sync_api import expect, sync_playwright

    # The browser tests' way of serving and signing in: this command runs from the repository,
    # with the dev dependencies (Playwright), as `make bench-dashboard` does.
    from tests.dashboards.serving import CHROMIUM, CHROMIUM_ARGS, log_in, serve_dashboard, wait_until_idle

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is not installed: `make browser` installs it")

    accounts = {
        account.profile: (account, password)
        for account, password in access.demo_accounts(_schools(published))
    }
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="reperes-screenshots-") as scratch:
        accounts_file = Path(scratch) / "accounts.toml"
        access.write_accounts(accounts_file, [account for account, _ in accounts.values()])
        with serve_dashboard(published, accounts_file) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(locale="fr-FR", viewport=VIEWPORT)
            context.set_default_timeout(60_000)
            for name, address, profile, title in PAGES:
                account, password = accounts[profile]
                page = context.new_page()
                page.goto(f"{base_url}/{address}")
                log_in(page, account.login, password)
                expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=60_000)
                wait_until_idle(page, timeout_ms=60_000)
                charts = page.locator(CHART)
                for index in range(charts.count()):
                    expect(charts.nth(index)).to_be_visible(timeout=60_000)
                path = out / f"{name}.png"
                _whole_page(page, path)
                written.append(path)
                print(f"{path} ({title}, signed in as {account.login})")
                page.close()
            browser.close()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var/demo/data"), help="holds published.duckdb")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    arguments = parser.parse_args(argv)
    published = arguments.data_dir / "published.duckdb"
    if not published.exists():
        raise SystemExit(
            f"{published} does not exist: run `reperes demo --no-dashboard` first (make screenshots does)"
        )
    take_screenshots(published, arguments.out)


if __name__ == "__main__":
    main()
