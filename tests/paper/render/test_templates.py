"""mcbi.paper.render.templates: paragraphs kept in Markdown, filled with chosen values."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcbi.paper.render.templates import fill, parse_template, read_template, render

TEXT = """# About this file (not shown)

<!-- one -->
First ${x} paragraph,
two lines.

<!-- caption-two -->
Second, with {numref}`fig-a` and 100%.
"""


def test_blocks_follow_their_marker_lines_and_the_preamble_is_dropped() -> None:
    blocks = parse_template(TEXT)
    assert list(blocks) == ["one", "caption-two"]
    assert blocks["one"] == "First ${x} paragraph,\ntwo lines."
    assert "About this file" not in "".join(blocks.values())


def test_fill_and_render_substitute_values_and_refuse_gaps(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text(TEXT, "utf-8")
    blocks = read_template(path)
    assert fill(blocks, "one", {"x": "good"}).startswith("First good paragraph")
    assert fill(blocks, "caption-two", {}) == "Second, with {numref}`fig-a` and 100%."
    assert render(TEXT, [("caption-two", {}), ("one", {"x": 1})]).startswith("Second")
    with pytest.raises(ValueError, match="the template has no block 'three'"):
        fill(blocks, "three", {})
    with pytest.raises(ValueError, match="block 'one' of my file needs the value 'x'"):
        render(TEXT, [("one", {})], what="my file")
    with pytest.raises(ValueError, match="appears twice"):
        parse_template(TEXT + "\n<!-- one -->\nagain\n")
