"""Reports of ``mcbi verify``: the terminal lines, the pages of results, JSON and HTML."""

from __future__ import annotations

import json
from pathlib import Path

from mcbi.book.verify.compare import compare_manifests
from mcbi.book.verify.report import (
    SHOWN,
    Verification,
    page_of,
    page_titles,
    summary_lines,
    write_reports,
)
from mcbi.paper.precision import printed


def test_a_result_is_shown_on_its_sections_page(tmp_path: Path) -> None:
    assert page_of("02_therapists.pms_post_diff") == "book/sections/02_therapists.html"
    pages = tmp_path / "html" / "book" / "sections"
    pages.mkdir(parents=True)
    (pages / "02_therapists.html").write_text(
        "<html><head><title>Therapist outcomes &#8212; MCBI book</title></head></html>", "utf-8")
    titles = page_titles(tmp_path / "html")
    assert titles == {"book/sections/02_therapists.html": "Therapist outcomes"}
    assert page_titles(tmp_path / "nothing") == {}
    result = Verification("x", compare_manifests({"results": {}}, {"results": {}}), titles)
    assert result.where("02_therapists.a") == ("book/sections/02_therapists.html "
                                               "(Therapist outcomes)")


def test_many_differences_are_cut_on_the_terminal_but_all_reported(tmp_path: Path) -> None:
    n = SHOWN + 5
    published = {"results": {f"02_therapists.x{i}": float(i) for i in range(n)}}
    rebuilt = {"results": {f"02_therapists.x{i}": i + 0.5 for i in range(n)}}
    result = Verification("archive.tar.gz",
                          compare_manifests(published, rebuilt, printer=printed))
    paths = write_reports(result, tmp_path / "r")
    lines = summary_lines(result, paths)
    shown = [line for line in lines if line.startswith("  02_therapists.x")]
    assert len(shown) == SHOWN
    assert "  02_therapists.x1: published 1.00, rebuilt 1.50  [book/sections/02_therapists.html]" \
        in lines
    assert "  ... and 5 more (see the report)" in lines
    assert lines[-3] == f"verdict: {n} reported numbers differ or are missing"
    saved = json.loads(paths["JSON"].read_text("utf-8"))
    assert len([r for r in saved["results"] if r["status"] == "differs"]) == n
    html = paths["HTML"].read_text("utf-8")
    assert f"{n} reported numbers differ or are missing." in html
    assert "02_therapists.x24" in html
    assert not list((tmp_path / "r").glob(".*"))  # nothing left aside
