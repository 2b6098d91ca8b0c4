"""The served dashboard in headless Chromium: each page draws its chart, and the school
chosen in the URL or the sidebar is the one shown, across pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from tests.dashboards.conftest import SCHOOL_A, SCHOOL_B
from tests.dashboards.serving import CHROMIUM_ARGS, chromium_executable, serve_dashboard

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
def base_url(browser: Browser, published_db_file) -> Iterator[str]:
    with serve_dashboard(published_db_file) as url:
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


def wait_for_page(page: Page, heading: str) -> None:
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    expect(page.locator(CHART)).to_be_visible()


@pytest.mark.parametrize("url_path", PAGES)
def test_each_page_draws_its_chart_under_its_french_heading(page, base_url, url_path):
    page.goto(f"{base_url}/{url_path}")
    wait_for_page(page, PAGES[url_path])
    # The figure's title states the finding, e.g. "Semaine du 26 mai 2025 : 62 % des élèves …".
    expect(page.locator(f"{CHART} .gtitle")).to_contain_text("Semaine du 26 mai 2025")
    expect(page.get_by_text("Les groupes de moins de 5 personnes sont masqués (RGPD).")).to_be_visible()
    expect(school_picker(page)).to_have_value(SCHOOL_A)


def test_a_shared_link_preselects_its_school(page, base_url):
    page.goto(f"{base_url}/conseil-de-classe?ecole={SCHOOL_B}")
    wait_for_page(page, PAGES["conseil-de-classe"])
    expect(school_picker(page)).to_have_value(SCHOOL_B)
    # School B's only class: the class picker follows the school.
    expect(page.get_by_role("combobox", name="Classe")).to_have_value("6C")


def test_the_root_address_opens_the_direction_page_and_keeps_the_school(page, base_url):
    page.goto(f"{base_url}/?ecole={SCHOOL_B}")
    wait_for_page(page, PAGES["direction"])
    expect(page).to_have_url(re.compile(rf"/direction\?ecole={SCHOOL_B}$"))


def test_a_school_picked_in_the_sidebar_goes_into_the_url_and_to_the_next_page(page, base_url):
    page.goto(f"{base_url}/direction")
    wait_for_page(page, PAGES["direction"])
    school_picker(page).click()
    page.get_by_role("option", name=SCHOOL_B).click()
    expect(page).to_have_url(re.compile(rf"ecole={SCHOOL_B}"))

    page.locator('[data-testid="stSidebarNav"]').get_by_text(PAGES["referent"]).click()
    wait_for_page(page, PAGES["referent"])
    expect(page).to_have_url(re.compile(rf"/referent\?ecole={SCHOOL_B}$"))
    expect(school_picker(page)).to_have_value(SCHOOL_B)
