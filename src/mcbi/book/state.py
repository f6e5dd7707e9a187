"""``Layout.state``: the input hashes of the last successful execution of each section.

A section is up to date when its four input hashes (notebook, merged parameters, data
package, package code) equal the recorded ones and its executed page still exists; the
book is up to date when :func:`book_key` equals the recorded key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcbi.book.layout import Layout
from mcbi.book.provenance import BuildInfo, hash_tree, sha256_file, sha256_text
from mcbi.book.sections import Section


def load_state(path: Path) -> dict[str, Any]:
    """Return the recorded state (``{"sections": {...}, "book": ...}``); empty if absent."""
    try:
        state = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        state = {}
    state.setdefault("sections", {})
    state.setdefault("book", None)
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


def is_up_to_date(record: dict[str, Any] | None, inputs: dict[str, str], page: Path) -> bool:
    """True if the recorded inputs equal ``inputs`` and the executed page still exists."""
    return bool(record) and record.get("inputs") == inputs and page.is_file()


def book_key(layout: Layout, info: BuildInfo, code_sha: str) -> str:
    """Hash of what the html depends on: book/, config, toc, package code, footer (not date)."""
    _, files = hash_tree(layout.book)
    parts = [canonical(files)]
    for path in (layout.config, layout.toc):
        parts.append(sha256_file(path) if path.is_file() else "-")
    parts += [info.version, info.commit, info.data_sha256, code_sha]
    return sha256_text("\n".join(parts))
