"""``_build/manifest.json``: what a build was made from and every result it reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcbi.book.provenance import BuildInfo, package_versions, python_version

SCHEMA = 1


def collect_results(results_dir: Path, sections: list[str]) -> dict[str, Any]:
    """Return ``{"<section>.<name>": value}`` from ``<results_dir>/<section>.results.json``.

    Sections without a results file contribute nothing.
    """
    results: dict[str, Any] = {}
    for section in sections:
        path = Path(results_dir) / f"{section}.results.json"
        if path.is_file():
            values = json.loads(path.read_text("utf-8"))
            results.update({f"{section}.{name}": value for name, value in values.items()})
    return results


def build_manifest(
    info: BuildInfo,
    data: dict[str, Any],
    sections: dict[str, dict[str, Any]],
    results_dir: Path,
) -> dict[str, Any]:
    """Assemble the manifest.

    Parameters
    ----------
    info : BuildInfo
        Version, commit, data hash and build date.
    data : dict
        ``{"path": ..., "sha256": ..., "files": {relative path: sha256}}``.
    sections : dict
        Section name -> ``{"parameters": {...}, "inputs": {...}}`` (merged parameters and
        input hashes of the execution the book shows).
    results_dir : Path
        Folder holding the sections' ``*.results.json`` files.
    """
    return {
        "schema": SCHEMA,
        "version": info.version,
        "commit": info.commit,
        "build_date": info.date,
        "data": data,
        "sections": sections,
        "python": python_version(),
        "packages": package_versions(),
        "results": collect_results(results_dir, list(sections)),
    }


def write_manifest(path: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest`` as indented, key-sorted JSON to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest, indent=1, sort_keys=True, default=repr, ensure_ascii=False)
    path.write_text(text + "\n", "utf-8")
    return path
