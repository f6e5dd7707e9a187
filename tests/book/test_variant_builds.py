"""The whole book on realistic variants of the data: it builds, reads truthfully, never calls
real data synthetic, and its words of direction flip with the arms.

Two variants build in the default run (a real copy of the shipped tables, and a pilot with no
follow-up and many blank items); every variant builds in the slow run (``make test-slow``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import REPO, BuiltBook, abstract_words, copy_work_tree, mcbi_cli
from mcbi.synth.variants import VARIANTS, write_variant

LEAK = re.compile(r"Traceback \(most recent call last\)|\w+Warning: |\w+Error: ")
DEFAULT = ("real_copy", "pilot_pre_post_blank")


def _page_text(html: Path) -> str:
    texts = []
    for page in sorted(html.rglob("*.html")):
        raw = page.read_text("utf-8", errors="replace")
        raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
        texts.append(re.sub(r"<[^>]+>", " ", raw))
    return "\n".join(texts)


def build_variant(name: str, tmp: Path) -> tuple[Path, dict]:
    """Copy the project, write variant ``name`` into it, build; return (root, manifest)."""
    root = copy_work_tree(REPO, tmp / name)
    write_variant(name, root / "data" / name, REPO / "data" / "trial")
    done = mcbi_cli(root, "build", "--data", f"data/{name}", src=root / "src")
    assert done.returncode == 0, f"{name}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    manifest = json.loads((root / "_build" / "manifest.json").read_text("utf-8"))
    return root, manifest


def check_truthful(name: str, root: Path, manifest: dict) -> None:
    text = _page_text(root / "_build" / "html")
    assert not LEAK.search(text), f"{name}: {LEAK.search(text).group(0)!r} on a page"
    assert manifest["data"]["synthetic"] is False
    lowered = text.lower()
    assert "synthetic data package shipped" not in lowered
    assert "these results come from the synthetic" not in lowered
    notes = [v for k, v in manifest["results"].items() if k.endswith(".data_note")]
    assert notes and all("synthetic" not in v.lower() for v in notes)
    assert abstract_words(root / "_build" / "html") <= 250, name


@pytest.mark.e2e
@pytest.mark.parametrize("name", DEFAULT)
def test_book_builds_truthfully_on_variant(name: str, tmp_path: Path) -> None:
    root, manifest = build_variant(name, tmp_path)
    check_truthful(name, root, manifest)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in VARIANTS if n not in DEFAULT])
def test_book_builds_truthfully_on_every_variant(name: str, tmp_path: Path) -> None:
    root, manifest = build_variant(name, tmp_path)
    check_truthful(name, root, manifest)


@pytest.mark.slow
def test_direction_words_flip_with_the_arms(built_book: BuiltBook, tmp_path: Path) -> None:
    """Every clear between-arm verdict on the shipped data favours the other arm when the
    arm labels are exchanged."""
    shipped = json.loads((built_book.root / "_build" / "manifest.json").read_text("utf-8"))
    _, swapped = build_variant("arms_swapped", tmp_path)
    verdicts = {k: v for k, v in shipped["results"].items()
                if k.endswith("_verdict") and "favouring" in str(v)}
    assert verdicts, "no clear verdict on the shipped data to flip"
    flip = {"favouring MCBI": "favouring the control arm",
            "favouring the control arm": "favouring MCBI"}
    for key, text in verdicts.items():
        side = next(s for s in flip if s in text)
        assert flip[side] in swapped["results"][key], (key, text, swapped["results"][key])
