"""The served dashboard in headless Chromium, as its readers use it.

Each kind of account signs in and walks its pages: it changes a filter, downloads each export
(CSV, Excel, the chart's PNG, the conseil de classe's PDF) and finds in the page and in the files
the numbers that `published.duckdb` holds. Then the filters' addresses, and privacy: a direction
can reach nothing of another school by any address. (The README's screenshots are taken on the
demo data by `make screenshots`, `dashboards/screenshots.py`, not here: a test run leaves the
repository as it found it.)

Every `page.goto` opens a new Streamlit session, which starts signed out: each test signs in
after opening its address (the address, and its `?ecole=`, are kept through the login)."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser, BrowserContext, Download, Locator, Page, expect, sync_playwright

from dashboards import labels
from tests.dashboards.conftest import (
    B_MARKERS,
    DEPARTEMENT,
    DIRECTION_A,
    PASSWORD,
    REFERENT_AB,
    SCHOOL_A,
    SCHOOL_B,
)
from tests.dashboards.serving import (
    CHROMIUM_ARGS,
    chromium_executable,
    log_in,
    serve_dashboard,
    wait_until_idle,
)

pytestmark = pytest.mark.browser

PAGES = {
    "direction": "Direction — Adoption après un mois",
    "conseil-de-classe": "Conseil de classe",
    "referent": "Référent ENT — Plan de formation",
}
DEPARTEMENT_PAGE = "Département — Adoption"
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
TIMEOUT_MS = 20_000
VIEWPORT = {"width": 1280, "height": 900}
NBSP_PERCENT = "\u00a0%"
# A busy machine (two test workers, the server, Chromium) can take seconds to draw a page.
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_executable()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def base_url(browser: Browser, published_db_file, accounts_file) -> Iterator[str]:
    with serve_dashboard(published_db_file, accounts_file) as url:
        yield url


@pytest.fixture(scope="module")
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    # One context for the module: its HTTP cache spares each test a reload of Streamlit's and
    # plotly's scripts. Each page still opens its own Streamlit session.
    context = browser.new_context(locale="fr-FR", viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    page = browser_context.new_page()
    yield page
    page.close()


@pytest.fixture(scope="module")
def published(published_db_file) -> Iterator[duckdb.DuckDBPyConnection]:
    """The release the server reads: the numbers on screen and in the files must be its own."""
    with duckdb.connect(str(published_db_file), read_only=True) as connection:
        yield connection


def school_picker(page: Page) -> Locator:
    return page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Établissement (UAI)")


def sidebar_picker(page: Page, label: str) -> Locator:
    return page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name=label)


def choose(picker: Locator, option: str) -> None:
    picker.click()
    picker.page.get_by_role("option", name=option, exact=True).click()


def open_signed_in(page: Page, url: str, login: str = REFERENT_AB) -> None:
    page.goto(url)
    log_in(page, login, PASSWORD)


def wait_for_page(page: Page, heading: str) -> None:
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    expect(page.locator(CHART).first).to_be_visible()


def chart_titles(page: Page) -> Locator:
    return page.locator(f"{CHART} .gtitle")


def expect_title(title: Locator, text: str) -> None:
    """The chart title contains `text`, wherever plotly broke its lines (<br> in its source)."""
    words = r"(?:\s|<br>)+".join(re.escape(word) for word in text.split())
    expect(title).to_have_attribute("data-unformatted", re.compile(words))


def open_page_from_the_sidebar(page: Page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title).click()
    wait_for_page(page, title)


def download(page: Page, button: Locator) -> Download:
    """Click a download button once the app is idle, as a reader clicks a settled page.

    The CSV, Excel and PDF buttons are deferred downloads: each run registers a new callable
    id for them, and the browser asks for the file by the id the button was last drawn with.
    While a run is in flight, the previous run's ids are unreferenced on the server, and the
    first run of any other session to end (or a session to close) in that window deletes them:
    a click then gets "Failed to generate file for download" and no file (Streamlit 1.67,
    `MediaFileManager._remove_orphaned_deferred_callables`). Waiting for the run to end is not
    a retry: a button that fails on a settled page still fails the test.
    """
    wait_until_idle(page)
    with page.expect_download() as started:
        button.click()
    return started.value


def downloaded_csv(page: Page, scope: Locator) -> tuple[str, list[dict[str, str]]]:
    """Click the CSV button in `scope`: the file's name and rows (French Excel's `;`, BOM)."""
    file = download(page, scope.get_by_role("button", name="Télécharger (CSV)"))
    text = Path(file.path()).read_bytes().decode("utf-8-sig")
    return file.suggested_filename, list(csv.DictReader(io.StringIO(text), delimiter=";"))


def downloaded_workbook(page: Page, scope: Locator):
    from openpyxl import load_workbook

    file = download(page, scope.get_by_role("button", name="Télécharger (Excel)"))
    assert file.suggested_filename.endswith(".xlsx")
    return load_workbook(io.BytesIO(Path(file.path()).read_bytes()))


def downloaded_png(page: Page, chart: Locator) -> Download:
    """The chart's PNG, drawn by plotly in the browser from its modebar's camera."""
    chart.hover()
    file = download(page, chart.get_by_role("button", name=re.compile("^Download plot", re.IGNORECASE)))
    assert Path(file.path()).read_bytes().startswith(b"\x89PNG")
    return file


def section(page: Page, heading: str) -> Locator:
    """The block of the page under a section heading (chart, caption, table, downloads)."""
    return (
        page.locator('[data-testid="stVerticalBlock"]')
        .filter(has=page.get_by_role("heading", name=heading, level=3))
        .last
    )


def open_data_view(page: Page, number: int = 0) -> Locator:
    """Open the `number`-th "Voir les données" of the page and return it, once it has settled.

    The expander shows its content as soon as it is clicked, but it stays `inert` (deaf to
    clicks) until React has drawn it open, then animates its height while its table sizes
    itself; a click in between is lost without a trace. A reader sees the table, then clicks.
    """
    expander = page.locator('[data-testid="stExpander"]').nth(number)
    expander.get_by_text("Voir les données").click()
    expect(expander.get_by_role("button", name="Télécharger (CSV)")).to_be_visible()
    expect(expander.get_by_test_id("stExpanderDetails")).not_to_have_attribute("inert", "")
    expect(expander.get_by_test_id("stDataFrame")).to_be_visible()
    expander.locator("details").evaluate(
        "details => Promise.all(details.getAnimations({ subtree: true }).map((animation) => animation.finished))"
    )
    return expander


def rate(value: float) -> str:
    return labels.format_rate(value)


# Each kind of account walks its pages ----------------------------------------------------------


def test_a_direction_walks_its_pages_changes_filters_and_downloads_every_export(page, base_url, published):
    navigation = time.perf_counter()
    page.goto(f"{base_url}/direction")
    page.get_by_label("Mot de passe").wait_for()
    login_form_ms = page.evaluate("performance.now()")
    log_in(page, DIRECTION_A, PASSWORD)
    signed_in = time.perf_counter()
    wait_for_page(page, PAGES["direction"])
    print(
        f"\nfirst page: login form {login_form_ms:.0f} ms after navigation start; first chart "
        f"{(time.perf_counter() - signed_in) * 1000:.0f} ms after signing in (whole walk start "
        f"{(time.perf_counter() - navigation):.1f} s, typing included)"
    )
    # What the page says is what the release holds.
    (pupils_active, pupils_regular) = published.execute(
        "select active_share, regular_share from adoption_first_month where school_uai = ? and role = 'eleve'",
        [SCHOOL_A],
    ).fetchone()
    expect_title(
        chart_titles(page).nth(1),
        f"{rate(pupils_active)} des élèves actifs au moins une fois, {rate(pupils_regular)} réguliers",
    )
    (change,) = published.execute(
        "select change from adoption_trends where school_uai = ? and role = 'eleve' and week_start = '2025-05-26'",
        [SCHOOL_A],
    ).fetchone()
    expect(page.get_by_text("par rapport à la semaine de classe précédente")).to_contain_text(
        f"élèves 62{NBSP_PERCENT} ({labels.format_points(change)})"
    )
    school_picker(page).click()
    expect(page.get_by_role("option")).to_have_text([SCHOOL_A])
    page.keyboard.press("Escape")
    expect(page.get_by_role("option")).to_have_count(0)

    # The adoption table: CSV and Excel hold the published rows, masked cells said as such.
    data_view = open_data_view(page, 0)
    file_name, rows = downloaded_csv(page, data_view)
    assert file_name == f"adoption-par-semaine-{SCHOOL_A.lower()}.csv"
    published_rows = published.execute(
        "select role, week_start, active_users from adoption_weekly where school_uai = ? and week_start <= '2025-05-26'",
        [SCHOOL_A],
    ).fetchall()
    assert len(rows) == len(published_rows)
    by_key = {(row["Profil"], row["Semaine du"]): row["Utilisateurs actifs"] for row in rows}
    for role, week, active in published_rows:
        shown = by_key[(role, week.isoformat())]
        assert shown == (str(active) if active is not None else labels.SUPPRESSED_TEXT) or shown.startswith(
            "≥"
        )
    workbook = downloaded_workbook(page, data_view)
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]][:4] == [
        "Profil",
        "Semaine du",
        "Semaine scolaire n°",
        "Inscrits",
    ]
    assert sheet.max_row == len(published_rows) + 1
    downloaded_png(page, page.locator('[data-testid="stPlotlyChart"]').first)

    # A change of role redraws the sections of one role, and goes into the URL.
    choose(sidebar_picker(page, "Profil"), "Parents")
    expect(page).to_have_url(re.compile(r"profil=parent"))
    expect_title(chart_titles(page).nth(3), "des parents actifs")

    # The conseil de classe: the PDF summary and the CSV for the meeting.
    open_page_from_the_sidebar(page, PAGES["conseil-de-classe"])
    expect(page).to_have_url(re.compile(r"profil=parent"))  # the filters follow the reader
    expect(page.get_by_role("combobox", name="Classe")).to_have_value("3A")
    (on_time, late, expected) = published.execute(
        "select on_time, late, expected from homework_class_weekly "
        "where school_uai = ? and class_id = '3A' and week_start = '2025-05-26'",
        [SCHOOL_A],
    ).fetchone()
    expect_title(
        chart_titles(page).first,
        f"{rate(on_time / expected)} des devoirs attendus ont été rendus à l'heure, {rate(late / expected)} en retard",
    )
    pdf = download(page, page.get_by_role("button", name="Synthèse (PDF)"))
    assert pdf.suggested_filename == "conseil-de-classe-3a-2024-2025.pdf"
    from pypdf import PdfReader

    summary = PdfReader(pdf.path())
    assert len(summary.pages) == 1
    text = summary.pages[0].extract_text()
    assert "Conseil de classe : 3A" in text and "masqué (secret statistique)" in text
    assert f"{on_time}" in text and "26 mai 2025" in text
    file_name, rows = downloaded_csv(page, open_data_view(page, 0))
    assert file_name == "devoirs-3a-2024-2025.csv"
    week = next(row for row in rows if row["Semaine du"] == "2025-05-26")
    assert (week["À l'heure"], week["En retard"], week["Rendus attendus"]) == (
        str(on_time),
        str(late),
        str(expected),
    )
    assert (
        next(row for row in rows if row["Semaine du"] == "2025-05-12")["À l'heure"] == labels.SUPPRESSED_TEXT
    )
    downloaded_workbook(page, open_data_view(page, 1))
    downloaded_png(page, page.locator('[data-testid="stPlotlyChart"]').nth(2))

    # Another period: the term of March, carried in the URL.
    choose(sidebar_picker(page, "Période"), "T2 2024-2025 (janvier à mars)")
    expect(page).to_have_url(re.compile(r"periode=2024-2025-T2"))
    expect_title(chart_titles(page).first, "cahier de textes rempli 4 semaines de classe sur 4")


def test_a_referent_plans_workshops_across_its_schools(page, base_url, published):
    open_signed_in(page, f"{base_url}/referent", REFERENT_AB)
    wait_for_page(page, PAGES["referent"])
    (priority, service, school) = published.execute(
        "select priority, service, school_uai from training_needs order by priority desc, school_uai limit 1"
    ).fetchone()
    expect_title(
        chart_titles(page).first,
        f"{labels.SERVICE_AS_SUBJECT[service][0]} au {school}, {priority} enseignants de plus",
    )
    school_picker(page).click()
    expect(page.get_by_role("option")).to_have_text([SCHOOL_A, SCHOOL_B])
    page.keyboard.press("Escape")
    expect(page.get_by_role("option")).to_have_count(0)

    # The suggested workshops, exported: one line per service, its schools, teachers to win over.
    workshops = section(page, "Ateliers proposés")
    file_name, rows = downloaded_csv(page, workshops)
    assert file_name == "ateliers-proposes.csv"
    needs = published.execute(
        "select school_uai, priority from training_needs where service = ? and priority > 0 "
        "order by priority desc, school_uai",
        [service],
    ).fetchall()
    first = rows[0]
    assert first["Service"] == labels.SERVICE_TITLES[service]
    assert first["Public"] == "enseignants"
    assert first["Établissements"] == ", ".join(f"{uai} ({need})" for uai, need in needs)
    assert first["Enseignants à gagner"] == str(sum(need for _, need in needs))
    sheet = downloaded_workbook(page, workshops).worksheets[0]
    assert [cell.value for cell in sheet[2]][:2] == [labels.SERVICE_TITLES[service], "enseignants"]
    downloaded_png(page, page.locator('[data-testid="stPlotlyChart"]').first)

    # Another school: the last section follows it, and the URL too.
    choose(school_picker(page), SCHOOL_B)
    expect(page).to_have_url(re.compile(rf"ecole={SCHOOL_B}"))
    expect(page.get_by_text(f"{SCHOOL_B}, élèves, 8 dernières semaines")).to_be_visible()


def test_the_departement_sees_its_view_only(page, base_url, published):
    open_signed_in(page, f"{base_url}/", DEPARTEMENT)
    wait_for_page(page, DEPARTEMENT_PAGE)
    expect(school_picker(page)).to_have_count(0)
    (pupils,) = published.execute(
        "select adoption_rate from adoption_department_weekly where role = 'eleve' and week_start = '2025-05-26'"
    ).fetchone()
    expect_title(chart_titles(page).first, f"{rate(pupils)} des élèves")
    downloaded_png(page, page.locator('[data-testid="stPlotlyChart"]').first)

    # Its table, in CSV and Excel: the complete weeks' published rows, the masked one said as such.
    data_view = open_data_view(page, 0)
    file_name, rows = downloaded_csv(page, data_view)
    assert file_name == "adoption-du-departement.csv"
    published_rows = published.execute(
        "select role, week_start, active_users from adoption_department_weekly where week_start <= '2025-05-26'"
    ).fetchall()
    assert sorted((row["Profil"], row["Semaine du"], row["Utilisateurs actifs"]) for row in rows) == sorted(
        (role, week.isoformat(), str(active) if active is not None else labels.SUPPRESSED_TEXT)
        for role, week, active in published_rows
    )
    # By hand (conftest): 51 % of 12,000 pupils the week of 26 May; the staff's week of 19 May masked.
    assert ("eleve", "2025-05-26", "6120") in {
        (r["Profil"], r["Semaine du"], r["Utilisateurs actifs"]) for r in rows
    }
    assert (
        next(r for r in rows if (r["Profil"], r["Semaine du"]) == ("personnel", "2025-05-19"))[
            "Utilisateurs actifs"
        ]
        == labels.SUPPRESSED_TEXT
    )
    sheet = downloaded_workbook(page, data_view).worksheets[0]
    assert sheet.max_row == len(published_rows) + 1
    nav = page.locator('[data-testid="stSidebarNav"]')
    for title in PAGES.values():
        expect(nav.get_by_text(title)).to_have_count(0)


def test_a_referent_reads_and_exports_the_data_quality(page, base_url, published):
    open_signed_in(page, f"{base_url}/qualite", REFERENT_AB)
    expect(page.get_by_role("heading", name="Qualité des données", level=1)).to_be_visible()
    # By hand (conftest): one unreadable event file out of three, named with what to do.
    expect(page.get_by_text("1 fichier(s) n'ont pas pu être lus")).to_be_visible()
    # The sources' CSV button, by its key (sections.download_buttons: csv-<file name>).
    file = download(page, page.locator(".st-key-csv-qualite-des-donnees-sources").get_by_role("button"))
    assert file.suggested_filename == "qualite-des-donnees-sources.csv"
    text = Path(file.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    published_rows = published.execute(
        "select contract, rows_read, rows_loaded, rows_quarantined, rows_duplicate "
        "from data_quality_sources order by contract"
    ).fetchall()
    assert [
        (
            row["Source"],
            row["Lignes lues"],
            row["Lignes chargées"],
            row["Lignes en quarantaine"],
            row["Doublons"],
        )
        for row in rows
    ] == [tuple(str(value) for value in published_row) for published_row in published_rows]
    # Lines read = loaded + quarantined + duplicates, here as in the release: 50,000 events.
    assert rows[0]["Lignes lues"] == "50000"


# Addresses and filters ------------------------------------------------------------------------


def test_a_shared_link_preselects_its_school_period_and_role(page, base_url):
    open_signed_in(page, f"{base_url}/conseil-de-classe?ecole={SCHOOL_B}&periode=2024-2025-T3&profil=parent")
    wait_for_page(page, PAGES["conseil-de-classe"])
    expect(school_picker(page)).to_have_value(SCHOOL_B)
    expect(sidebar_picker(page, "Période")).to_have_value("T3 2024-2025 (avril à l'été)")
    # School B's only class: the class picker follows the school.
    expect(page.get_by_role("combobox", name="Classe")).to_have_value("6C")
    open_page_from_the_sidebar(page, PAGES["direction"])
    expect(page).to_have_url(re.compile(r"periode=2024-2025-T3"))
    expect(page).to_have_url(re.compile(r"classe=6C"))
    expect(sidebar_picker(page, "Profil")).to_have_value("Parents")


def test_the_class_of_a_link_is_chosen_and_follows_the_reader_from_page_to_page(page, base_url):
    open_signed_in(page, f"{base_url}/conseil-de-classe?ecole={SCHOOL_A}&classe=3B", DIRECTION_A)
    wait_for_page(page, PAGES["conseil-de-classe"])
    expect(page.get_by_role("combobox", name="Classe")).to_have_value("3B")
    # 3B's homework, by hand (conftest): 15 of 20 on time and 3 late the week of 26 May.
    expect_title(
        chart_titles(page).first,
        f"{rate(15 / 20)} des devoirs attendus ont été rendus à l'heure, {rate(3 / 20)} en retard",
    )

    open_page_from_the_sidebar(page, PAGES["direction"])
    expect(page).to_have_url(re.compile(r"classe=3B"))
    open_page_from_the_sidebar(page, PAGES["conseil-de-classe"])
    expect(page.get_by_role("combobox", name="Classe")).to_have_value("3B")
    expect(page).to_have_url(re.compile(rf"ecole={SCHOOL_A}.*classe=3B"))


def test_the_root_address_opens_the_direction_page_and_keeps_the_school(page, base_url):
    open_signed_in(page, f"{base_url}/?ecole={SCHOOL_B}")
    wait_for_page(page, PAGES["direction"])
    expect(page).to_have_url(re.compile(rf"/direction\?ecole={SCHOOL_B}"))


def test_a_school_picked_in_the_sidebar_goes_into_the_url_and_to_the_next_page(page, base_url):
    open_signed_in(page, f"{base_url}/direction")
    wait_for_page(page, PAGES["direction"])
    choose(school_picker(page), SCHOOL_B)
    expect(page).to_have_url(re.compile(rf"ecole={SCHOOL_B}"))

    open_page_from_the_sidebar(page, PAGES["referent"])
    expect(page).to_have_url(re.compile(rf"/referent\?ecole={SCHOOL_B}"))
    expect(school_picker(page)).to_have_value(SCHOOL_B)


def test_the_login_form_refuses_a_wrong_password(page, base_url):
    page.goto(f"{base_url}/direction?ecole={SCHOOL_A}")
    page.get_by_label("Identifiant").fill(DIRECTION_A)
    page.get_by_label("Mot de passe").fill("not the password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()
    expect(page.locator(CHART)).to_have_count(0)
    assert SCHOOL_A not in page.content()


# Privacy: nothing of another school, by any address ---------------------------------------------

# Every address a reader can type: the root, each page of any profile, and one that exists nowhere.
EVERY_PAGE_PATH = ["", *PAGES, "qualite", "departement", "confidentialite", "inconnue"]


@pytest.mark.parametrize("url_path", EVERY_PAGE_PATH)
def test_a_direction_sees_nothing_of_another_school_by_any_address(page, base_url, url_path):
    received = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: received.append(frame)))
    page.goto(f"{base_url}/{url_path}?ecole={SCHOOL_B}")
    if url_path == "inconnue":
        expect(page.get_by_text("Page not found")).to_be_visible()
        page.keyboard.press("Escape")
    log_in(page, DIRECTION_A, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(school_picker(page)).to_have_value(SCHOOL_A)
    expect(page.get_by_text("Vous n'avez pas accès à cet établissement.")).to_be_visible()
    page.wait_for_load_state("networkidle")
    if url_path in PAGES:
        expect(page.locator(CHART).first).to_be_visible()
    shown_text = page.locator("body").inner_text()
    for marker in B_MARKERS:
        assert marker not in shown_text, marker
    assert SCHOOL_B not in page.content()
    # Nor in anything the server sent to the browser (charts' data, tables' Arrow bytes), apart
    # from the reader's own query string that the root address forwards to /direction.
    sent = b"".join(frame if isinstance(frame, bytes) else frame.encode() for frame in received)
    sent = sent.replace(f"ecole={SCHOOL_B}".encode(), b"")
    assert sent and SCHOOL_B.encode() not in sent
