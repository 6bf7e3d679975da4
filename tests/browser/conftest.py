"""Browser tests: real Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright against a live server.

Every page a test visits can be checked with axe-core (:func:`check_accessibility`); a serious or critical
violation fails the test, and so does any Content-Security-Policy violation reported in the console.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import unavailable

CHROMIUM = os.environ.get("SAFEGUARD_CHROMIUM", "/usr/bin/chromium")
# Flags this machine needs: no sandbox as root, and no background calls to a network that is not there.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the run."""
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as error:
        playwright.stop()
        unavailable(f"Chromium ({error})")
    yield browser
    browser.close()
    playwright.stop()


class LiveServer:
    """The test app served over HTTP on 127.0.0.1 in a background thread."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """Serve this test's app."""
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(params=["desktop"])
def viewport(request) -> dict:
    """The screen size a test runs at."""
    return {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}[request.param]


@pytest.fixture
def new_page(browser, live_server, viewport, request):
    """Open a fresh browser page with its own cookies (a second person at another computer).

    Every page fails the test on a CSP violation or a script error; a failing test leaves screenshots in
    ``test-artifacts/``.
    """
    opened = []
    problems: list[str] = []

    def _open(size: dict | None = None, **options):
        # options: more of Playwright's context options, such as has_touch=True for a touch screen.
        context = browser.new_context(base_url=live_server.url, viewport=size or viewport, locale="en-GB", **options)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        opened.append((context, page))
        return page

    yield _open
    failed = request.node.rep_call.failed if hasattr(request.node, "rep_call") else False
    for index, (context, page) in enumerate(opened):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}.png"), full_page=True)
        context.close()
    assert problems == [], f"the browser reported: {problems}"


@pytest.fixture
def page(new_page):
    """A fresh browser page on the live server."""
    return new_page()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so that fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def check_accessibility(page) -> None:
    """Run axe-core on the page as it stands; fail on any serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    # A page still loading has no document to audit; a click that navigates must be awaited by the caller (with
    # expect_navigation) so that this audits the new page, never the one before.
    page.wait_for_load_state()
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    details = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in bad]
    assert not bad, f"axe-core found on {page.url}: " + "; ".join(details)


def sign_in(page, user, password: str) -> None:
    """Sign in through the real forms, giving the second factor when the account has one."""
    from tests.factories import totp_code

    page.goto("/auth/sign-in")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(password)
    # Each form's answer is awaited as a navigation: waiting for the load state alone could return at once, for the
    # page already loaded, and the next step would act on the page before.
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if "/auth/two-factor" in page.url and "setup" not in page.url:
        page.get_by_label("Code").fill(totp_code(user))
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()


def open_main_menu(page) -> None:
    """On a narrow screen, open the main menu as a person does: tap its button, and wait until it has opened (its
    slide over) before tapping inside it. Tapped while the menu still slid open, a group's button once stayed shut
    on a loaded machine (CI of stop 36)."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Show or hide the menu").click()
    # Bootstrap's collapse adds ``show`` when its slide ends (``collapsing`` until then).
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))


def open_menu_group(page, name: str):
    """Open one group of the main menu (Reports, School, the person's own) and wait until it shows; the menu."""
    from playwright.sync_api import expect

    menu = page.get_by_role("navigation", name="Main")
    group = menu.get_by_role("button", name=name, exact=True)
    group.click()
    expect(group).to_have_attribute("aria-expanded", "true")
    return menu
