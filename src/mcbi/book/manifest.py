"""``_build/manifest.json``: what a build was made from and every result it reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcbi.book.provenance import BuildInfo, package_versions, python_version
from mcbi.errors import BuildFailed
from mcbi.hashing import sha256_file

SCHEMA = 1


def collect_results(results_dir: Path, sections: list[str],
                    expected: dict[str, str | None] | None = None) -> dict[str, Any]:
    """Return ``{"<section>.<name>": value}`` from ``<results_dir>/<section>.results.json``.

    Sections without a results file contribute nothing. With ``expected`` (section ->
    SHA-256 the pipeline recorded when it wrote the file, None: it wrote none) only files
    the pipeline wrote are read.

    Raises
    ------
    BuildFailed
        If a results file differs from the one the pipeline wrote (e.g. a notebook was run
        by hand into the book's folder since).
    """
    results: dict[str, Any] = {}
    for section in sections:
        path = Path(results_dir) / f"{section}.results.json"
        if expected is not None and section in expected:
            actual = sha256_file(path) if path.is_file() else None
            if actual != expected[section]:
                raise BuildFailed(
                    f"{path.name} is not the file the build wrote (changed since the "
                    "section was executed); run `python -m mcbi build --force`")
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

    Only results files whose hash equals the one recorded in a section's ``outputs``
    (when recorded) are taken; see :func:`collect_results`.
    """
    expected = {name: record["outputs"].get("results")
                for name, record in sections.items() if record.get("outputs")}
    return {
        "schema": SCHEMA,
        "version": info.version,
        "commit": info.commit,
        "build_date": info.date,
        "data": data,
        "sections": sections,
        "python": python_version(),
        "packages": package_versions(),
        "results": collect_results(results_dir, list(sections), expected),
    }


def write_manifest(path: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest`` as indented, key-sorted JSON to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest, indent=1, sort_keys=True, default=repr, ensure_ascii=False)
    path.write_text(text + "\n", "utf-8")
    return path
