"""``Layout.state``: the input hashes of the last successful execution of each section.

A section is up to date when its four input hashes (notebook, merged parameters, data
package, package code) equal the recorded ones and its executed page and results file
still hold the bytes the pipeline wrote (``outputs``: their SHA-256, recorded at
execution; a notebook run by hand into the book's folder makes the section out of date);
the book is up to date when :func:`book_key` equals the recorded key.

``status`` is ``"running"`` while a build runs, ``"failed"`` after one failed (or was
killed: it then stays ``"running"``) and ``"ok"`` after one succeeded; ``data`` is the
data package hash of the last successful build. ``publish`` packs only an ``"ok"`` tree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcbi.book.layout import Layout
from mcbi.book.provenance import BuildInfo
from mcbi.book.sections import Section
from mcbi.hashing import hash_tree, sha256_file, sha256_listing, sha256_text


def load_state(path: Path) -> dict[str, Any]:
    """Return the recorded state (``{"sections": {...}, "book": ...}``); empty if absent."""
    try:
        state = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        state = {}
    state.setdefault("sections", {})
    state.setdefault("book", None)
    state.setdefault("status", None)
    state.setdefault("data", None)
    return state


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write the state atomically (write a temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True, default=repr) + "\n", "utf-8")
    tmp.replace(path)


def canonical(params: dict[str, Any]) -> str:
    """Return the canonical JSON of a parameter dict (the text that is hashed)."""
    return json.dumps(params, sort_keys=True, default=repr, separators=(",", ":"))


def section_inputs(
    section: Section, params: dict[str, Any], data_sha: str, code_sha: str
) -> dict[str, str]:
    """Return the input hashes that decide whether ``section`` must be re-executed."""
    return {
        "notebook": sha256_file(section.notebook),
        "parameters": sha256_text(canonical(params)),
        "data": data_sha,
        "code": code_sha,
    }


def output_hashes(page: Path, results: Path) -> dict[str, str | None]:
    """Return the SHA-256 of the executed page, of the results file (None if absent) and,
    when the section wrote record tables (``<section>.<name>.csv`` beside the results
    file, read by other sections), of their listing."""
    out = {"page": sha256_file(page) if page.is_file() else None,
           "results": sha256_file(results) if results.is_file() else None}
    records = record_files(results)
    if records:
        out["records"] = sha256_listing((p.name, sha256_file(p)) for p in records)
    return out


def record_files(results: Path) -> list[Path]:
    """The record tables a section wrote beside its results file ``<section>.results.json``."""
    section = results.name.removesuffix(".results.json")
    return sorted(results.parent.glob(f"{section}.*.csv"))


def is_up_to_date(record: dict[str, Any] | None, inputs: dict[str, str], page: Path,
                  results: Path | None = None) -> bool:
    """True if the recorded inputs equal ``inputs`` and the outputs are those recorded.

    The executed ``page`` must exist; when the record holds output hashes, the page and
    the ``results`` file (default: beside the page) must still have them.
    """
    if not record or record.get("inputs") != inputs or not page.is_file():
        return False
    recorded = record.get("outputs")
    if recorded is None:
        return True
    results = results or page.with_suffix(".results.json")
    return recorded == output_hashes(page, results)


def book_key(layout: Layout, info: BuildInfo, code_sha: str) -> str:
    """Hash of what the html depends on: book/, config, toc, package code, footer (not date)."""
    _, files = hash_tree(layout.book)
    parts = [canonical(files)]
    for path in (layout.config, layout.toc):
        parts.append(sha256_file(path) if path.is_file() else "-")
    parts += [info.version, info.commit, info.data_sha256, code_sha]
    return sha256_text("\n".join(parts))
