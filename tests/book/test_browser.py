"""Open every page of the built book in headless Chromium (playwright, system chromium)."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

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


def _open(context: object, url: str, width: int = 1280) -> dict[str, list]:
    """Load ``url`` at ``width`` px with remote requests blocked; return console errors,
    remote urls, images."""
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
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


WIDTHS = (1280, 390)
"""Desktop and phone widths at which every page is opened."""

LEAKS = re.compile(r"\b(Traceback|Warning|Error)\b|dtype: |\[\d+ rows x \d+ columns\]"
                   r"|<(Figure|IPython|pandas|matplotlib)[ .]")
"""Text that only leaked code output would put on a page."""

LEAKED_ELEMENTS = ("main .output.stderr", "main .output.traceback", "main .output.error",
                   "main table.dataframe")
"""Output areas that a rendered page must not contain (stderr, errors, DataFrame reprs)."""


def _leaks(page: object) -> list[str]:
    """Leaked output on the page: suspicious text in the article, or raw output areas."""
    text = page.inner_text("main")
    found = sorted({m.group(0) for m in LEAKS.finditer(text)})
    found += [sel for sel in LEAKED_ELEMENTS if page.query_selector(sel) is not None]
    return found


def _overflow(page: object) -> int | None:
    """How far the page scrolls sideways beyond the window (None when it does not)."""
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    return width - inner if width > inner + 1 else None


def _clipped_links(page: object) -> list[str]:
    """Previous/next links whose title is cut off (wider than the link's box)."""
    return page.eval_on_selector_all(
        ".prev-next-area a", "as => as.filter(a => a.scrollWidth > a.clientWidth + 1)"
        ".map(a => a.textContent.trim().split(/\\s+/).join(' '))")


def _links(page: object) -> list[str]:
    """Every link target a reader can see (document links, download and source buttons).

    A link inside an element hidden with ``display: none`` (the PDF link before ``make pdf``
    has printed the PDF) is not offered to the reader, so it is not checked.
    """
    return page.eval_on_selector_all(
        "a[href]", "as => as.filter(a => !a.closest('[hidden]') && "
        "getComputedStyle(a).display !== 'none' && "
        "!(a.closest('[style*=\"display: none\"]') || a.closest('[style*=\"display:none\"]')))"
        ".map(a => a.href).filter(h => h.startsWith('http'))")


def _broken_links(base: str, urls: set[str], html_root: Path) -> list[str]:
    """Internal links whose file is missing or whose anchor is not on the target page."""
    broken = []
    for url in sorted(urls):
        if not url.startswith(base):
            continue
        parsed = urlparse(url)
        path = unquote(parsed.path).lstrip("/") or "index.html"
        target = html_root / path
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(url)
        elif parsed.fragment and target.suffix == ".html":
            page = target.read_text("utf-8", errors="replace")
            if f'id="{unquote(parsed.fragment)}"' not in page:
                broken.append(url)
    return broken


def test_every_page_loads_cleanly(site: tuple[str, Path, str], browser: object) -> None:
    """Every page at desktop and phone width: no console error, broken image, remote request,
    leaked output, broken internal or download link, sideways scrolling of the page, or a
    previous/next link whose title is cut off."""
    base, root, kind = site
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, dict] = {}
    images = 0
    links: set[str] = set()
    for width in WIDTHS:
        for doc in toc_files(root):
            seen = _open(browser, f"{base}/{doc}.html", width)
            page = seen.pop("page")
            page.screenshot(path=str(SCREENSHOTS / f"{kind}-{doc.replace('/', '_')}-{width}.png"),
                            full_page=False)
            leaks = _leaks(page)
            overflow = _overflow(page) if width < 600 else None
            clipped = _clipped_links(page)
            links.update(_links(page))
            page.close()
            images += seen["images"]
            # blocked remote requests surface as console errors; nothing else is tolerated
            errors = [e for e in seen["errors"] if not any(u in e for u in seen["remote"])
                      and "net::ERR_FAILED" not in e]
            bad = {k: v for k, v in {"errors": errors, "broken images": seen["broken"],
                                     "remote requests": seen["remote"], "leaked output": leaks,
                                     "page wider than the screen by": overflow,
                                     "previous/next link cut off": clipped}.items() if v}
            if bad:
                problems[f"{doc} @ {width}px"] = bad
    broken = _broken_links(base, links, root / "_build" / "html")
    assert problems == {}
    assert broken == []
    assert images > 0


def test_search_finds_a_known_word(site: tuple[str, Path, str], browser: object) -> None:
    base, _, _ = site
    page = browser.new_page()
    page.goto(f"{base}/search.html?q=psychotherapists", wait_until="load")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    hits = page.eval_on_selector_all("#search-results ul.search li", "items => items.length")
    page.close()
    assert hits >= 1


# --- tables on a phone and a desktop, figures legible and enlargeable ---------------------

PHONE, DESKTOP = 390, 1280
MIN_FIGURE_TEXT_PX = 12.0
"""Smallest text of a figure shown at 1280 px, in CSS px: 9 pt at CSS's 96 px per inch."""

_TABLE_BOXES = """() => [...document.querySelectorAll('.bd-article table')].map(t => {
  const box = t.closest('.pst-scrollable-table-container') || t.parentElement;
  const cells = [...t.querySelectorAll('tbody td')].map(td => td.getBoundingClientRect())
    .filter(r => r.width > 0);
  // every element from the table up to the article that scrolls or clips sideways
  const boxes = [];
  for (let el = t.parentElement; el && !el.classList.contains('bd-article');
       el = el.parentElement) {
    if (getComputedStyle(el).overflowX !== 'visible') { boxes.push(el); }
  }
  return {id: t.id || (t.querySelector('caption') || {}).textContent || '?',
          scroll: Math.max(box.scrollWidth,
                           ...boxes.map(b => b.scrollWidth - b.clientWidth + box.clientWidth)),
          client: box.clientWidth,
          right: box.getBoundingClientRect().right,
          cellLeft: Math.min(...cells.map(r => r.left), 1e9),
          cellRight: Math.max(...cells.map(r => r.right), -1e9)};
})"""


def _table_problems(page: object, width: int) -> list[str]:
    """Tables that scroll sideways: on a phone any (each cell must be on the screen); on a
    desktop one that scrolls while the page still has room to its right."""
    problems = []
    for t in page.evaluate(_TABLE_BOXES):
        scrolls = t["scroll"] > t["client"] + 1
        if width < 600:
            if scrolls or t["cellRight"] > width + 1 or t["cellLeft"] < -1:
                problems.append(f"{t['id'][:40]}: cells {t['cellLeft']:.0f}–"
                                f"{t['cellRight']:.0f} px, scroll {t['scroll']}/{t['client']}")
        elif scrolls and t["right"] < width - 40:
            problems.append(f"{t['id'][:40]}: scrolls ({t['scroll']} > {t['client']} px) "
                            f"with {width - t['right']:.0f} px free to its right")
    return problems


_FIGURES = """() => [...document.querySelectorAll('.bd-article figure img')].map(i => ({
  src: i.currentSrc || i.src, natural: i.naturalWidth, shown: i.getBoundingClientRect().width,
  link: (i.closest('a') || {}).href || ''}))"""


def _figure_problems(page: object, html_root: Path) -> list[str]:
    """Figures whose smallest text is shown below MIN_FIGURE_TEXT_PX CSS px, or that do not
    open at full size on click (a link to the image itself)."""
    from mcbi.paper.render.figures import DPI, png_facts

    problems = []
    for fig in page.evaluate(_FIGURES):
        name = unquote(urlparse(fig["src"]).path).lstrip("/")
        font = png_facts(html_root / name)["font_pt"]
        if font is None:
            problems.append(f"{name}: no recorded font size (not saved by figures.save)")
            continue
        px = font * DPI / 72 * fig["shown"] / fig["natural"]
        if px < MIN_FIGURE_TEXT_PX:
            problems.append(f"{name}: smallest text {px:.1f} px at {fig['shown']:.0f} px wide")
        if fig["link"] != fig["src"]:
            problems.append(f"{name}: a click does not open the image ({fig['link']!r})")
    return problems


def test_tables_and_figures_read_on_phone_and_desktop(site: tuple[str, Path, str],
                                                      browser: object) -> None:
    """At 390 px every table cell is on the screen (rows reflowed into cards, no sideways
    scroll); at 1280 px no table scrolls while the page has room to its right; every figure
    shows its smallest text at 12 CSS px or more at 1280 px, and a click opens it at full
    size."""
    base, root, kind = site
    html_root = root / "_build" / "html"
    problems: dict[str, list[str]] = {}
    figures = 0
    for width in (PHONE, DESKTOP):
        for doc in toc_files(root):
            seen = _open(browser, f"{base}/{doc}.html", width)
            page = seen.pop("page")
            found = _table_problems(page, width)
            if width == DESKTOP and kind == "book":
                found += _figure_problems(page, html_root)
                figures += page.evaluate("document.querySelectorAll('.bd-article figure img')"
                                         ".length")
            page.close()
            if found:
                problems[f"{doc} @ {width}px"] = found
    assert problems == {}
    if kind == "book":
        assert figures >= 5


def test_a_click_opens_the_figure_large(site: tuple[str, Path, str], browser: object) -> None:
    base, root, kind = site
    if kind != "book":
        pytest.skip("the toy book has no figure")
    page = browser.new_page()
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    page.goto(f"{base}/book/sections/05_mechanisms.html", wait_until="load")
    img = page.query_selector(".bd-article figure img")
    assert img is not None
    shown = img.bounding_box()["width"]
    natural = page.evaluate("i => i.naturalWidth", img)
    img.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(".png")
    opened = page.evaluate("document.images[0].naturalWidth")
    assert opened == natural and natural > shown  # the image itself, larger than on the page
    page.close()
