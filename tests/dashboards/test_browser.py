"""The served dashboard in headless Chromium: each page draws its chart, and the school
chosen in the URL or the sidebar is the one shown, across pages; each kind of account signs
in, and a direction can reach nothing of another school by any address.

Every `page.goto` opens a new Streamlit session, which starts signed out: each test signs in
after opening its address (the address, and its `?ecole=`, are kept through the login)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from tests.dashboards.conftest import (
    B_MARKERS,
    DEPARTEMENT,
    DIRECTION_A,
    PASSWORD,
    REFERENT_AB,
    SCHOOL_A,
    SCHOOL_B,
)
from tests.dashboards.serving import CHROMIUM_ARGS, chromium_executable, log_in, serve_dashboard

pytestmark = pytest.mark.browser

PAGES = {
    "direction": "Direction — Adoption",
    "conseil-de-classe": "Conseil de classe — Devoirs",
    "referent": "Référent ENT — Usage des services",
}
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
TIMEOUT_MS = 20_000


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
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Iterator[Page]:
    page = browser_context.new_page()
    yield page
    page.close()


def school_picker(page: Page) -> Locator:
    return page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Établissement (UAI)")


def open_signed_in(page: Page, url: str, login: str = REFERENT_AB) -> None:
    page.goto(url)
    log_in(page, login, PASSWORD)


def wait_for_page(page: Page, heading: str) -> None:
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    expect(page.locator(CHART)).to_be_visible()


@pytest.mark.parametrize("url_path", PAGES)
def test_each_page_draws_its_chart_under_its_french_heading(page, base_url, url_path):
    open_signed_in(page, f"{base_url}/{url_path}")
    wait_for_page(page, PAGES[url_path])
    # The figure's title states the finding, e.g. "Semaine du 26 mai 2025 : 62 % des élèves …".
    expect(page.locator(f"{CHART} .gtitle")).to_contain_text("Semaine du 26 mai 2025")
    expect(page.get_by_text("Les groupes de moins de 5 personnes sont masqués (RGPD).")).to_be_visible()
    expect(school_picker(page)).to_have_value(SCHOOL_A)


def test_a_shared_link_preselects_its_school(page, base_url):
    open_signed_in(page, f"{base_url}/conseil-de-classe?ecole={SCHOOL_B}")
    wait_for_page(page, PAGES["conseil-de-classe"])
    expect(school_picker(page)).to_have_value(SCHOOL_B)
    # School B's only class: the class picker follows the school.
    expect(page.get_by_role("combobox", name="Classe")).to_have_value("6C")


def test_the_root_address_opens_the_direction_page_and_keeps_the_school(page, base_url):
    open_signed_in(page, f"{base_url}/?ecole={SCHOOL_B}")
    wait_for_page(page, PAGES["direction"])
    expect(page).to_have_url(re.compile(rf"/direction\?ecole={SCHOOL_B}$"))


def test_a_school_picked_in_the_sidebar_goes_into_the_url_and_to_the_next_page(page, base_url):
    open_signed_in(page, f"{base_url}/direction")
    wait_for_page(page, PAGES["direction"])
    school_picker(page).click()
    page.get_by_role("option", name=SCHOOL_B).click()
    expect(page).to_have_url(re.compile(rf"ecole={SCHOOL_B}"))

    page.locator('[data-testid="stSidebarNav"]').get_by_text(PAGES["referent"]).click()
    wait_for_page(page, PAGES["referent"])
    expect(page).to_have_url(re.compile(rf"/referent\?ecole={SCHOOL_B}$"))
    expect(school_picker(page)).to_have_value(SCHOOL_B)


def test_the_login_form_refuses_a_wrong_password(page, base_url):
    page.goto(f"{base_url}/direction?ecole={SCHOOL_A}")
    page.get_by_label("Identifiant").fill(DIRECTION_A)
    page.get_by_label("Mot de passe").fill("not the password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()
    expect(page.locator(CHART)).to_have_count(0)
    assert SCHOOL_A not in page.content()


@pytest.mark.parametrize(
    ("login", "heading", "schools"),
    [
        (DIRECTION_A, PAGES["direction"], [SCHOOL_A]),
        (REFERENT_AB, PAGES["direction"], [SCHOOL_A, SCHOOL_B]),
        (DEPARTEMENT, "Département — Adoption", []),
    ],
)
def test_each_kind_of_account_signs_in_to_its_view(page, base_url, login, heading, schools):
    open_signed_in(page, f"{base_url}/", login)
    wait_for_page(page, heading)
    if not schools:
        expect(school_picker(page)).to_have_count(0)
        return
    school_picker(page).click()
    expect(page.get_by_role("option")).to_have_text(schools)
    page.keyboard.press("Escape")


# Every address a reader can type: the root, each page of any profile, and one that exists nowhere.
EVERY_PAGE_PATH = ["", *PAGES, "departement", "confidentialite", "inconnue"]


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
        expect(page.locator(CHART)).to_be_visible()
    shown_text = page.locator("body").inner_text()
    for marker in B_MARKERS:
        assert marker not in shown_text, marker
    assert SCHOOL_B not in page.content()
    # Nor in anything the server sent to the browser (charts' data, tables' Arrow bytes), apart
    # from the reader's own query string that the root address forwards to /direction.
    sent = b"".join(frame if isinstance(frame, bytes) else frame.encode() for frame in received)
    sent = sent.replace(f"ecole={SCHOOL_B}".encode(), b"")
    assert sent and SCHOOL_B.encode() not in sent
