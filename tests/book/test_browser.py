"""Open every page of the built book in headless Chromium (playwright, system chromium)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import REPO, toc_files

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture(params=["toy", "book"])
def site(request: pytest.FixtureRequest) -> Iterator[tuple[str, Path, list[str]]]:
    """Serve a built html folder on 127.0.0.1; yield (base url, root, toc documents)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium to run the browser test")
    built = request.getfixturevalue("built_toy" if request.param == "toy" else "built_book")
    html = built.root / "_build" / "html"
    handler = functools.partial(_Quiet, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", built.root, request.param
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium to run the browser test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            headless=True, args=ARGS)
        yield context
        context.close()


def _open(context: object, url: str) -> dict[str, list]:
    """Load ``url`` with remote requests blocked; return console errors, remote urls, images."""
    page = context.new_page()
    errors: list[str] = []
    remote: list[str] = []

    def route(r: object) -> None:
        host = urlparse(r.request.url).hostname
        if host in ("127.0.0.1", None) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            remote.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(f"{m.text} @ {m.location.get('url')}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    broken = page.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    count = page.eval_on_selector_all("img", "imgs => imgs.length")
    result = {"errors": errors, "remote": remote, "broken": broken, "images": count,
              "page": page}
    return result


def test_every_page_loads_cleanly(site: tuple[str, Path, str], browser: object) -> None:
    base, root, kind = site
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = {}
    images = 0
    for doc in toc_files(root):
        seen = _open(browser, f"{base}/{doc}.html")
        page = seen.pop("page")
        page.screenshot(path=str(SCREENSHOTS / f"{kind}-{doc.replace('/', '_')}.png"),
                        full_page=False)
        page.close()
        images += seen["images"]
        # blocked remote requests surface as console errors; nothing else is tolerated
        errors = [e for e in seen["errors"] if not any(u in e for u in seen["remote"])
                  and "net::ERR_FAILED" not in e]
        bad = {k: v for k, v in {"errors": errors, "broken images": seen["broken"],
                                 "remote requests": seen["remote"]}.items() if v}
        if bad:
            problems[doc] = bad
    assert problems == {}
    assert images > 0


def test_search_finds_a_known_word(site: tuple[str, Path, str], browser: object) -> None:
    base, _, _ = site
    page = browser.new_page()
    page.goto(f"{base}/search.html?q=psychotherapists", wait_until="load")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    hits = page.eval_on_selector_all("#search-results ul.search li", "items => items.length")
    page.close()
    assert hits >= 1
