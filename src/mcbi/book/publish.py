"""``python -m mcbi publish``: pack the built book into one versioned, checksummed archive.

The archive ``<out_dir>/mcbi-book-<version>-<commit>.tar.gz`` (version and commit of the
build, read from the manifest) holds, under one top folder of the same name (the project
paths are those of :class:`mcbi.book.layout.Layout`)::

    README.md             what the archive holds, the data statement, licences, citation
    html/                 the built book (Layout.html)
    mcbi-book.pdf         the book as an APA 7 article (Typst), when typeset from this build,
    mcbi-book.json        with its record (build, style, SHA-256)
    notebooks/            the executed section notebooks and their results files
    manifest.json         Layout.manifest
    data/<package>/       the data package, only if it is the shipped synthetic one
    source/               src/, notebooks/, book/, configs, Makefile, pyproject.toml,
                          requirements.txt (the lock file), README.md, LICENSE, citation
    LICENSE, CITATION.cff, .zenodo.json
    SHA256SUMS            sha256sum list of every other file in the archive

The data package is published only when every file still has the hash the manifest
recorded and its ``datapackage.json`` says ``"synthetic": true``; the trial's real data
must not be published, so any other package is left out and the archive's README says so.

Members are sorted, owned by 0:0, dated at the build date and gzip carries no timestamp, so
publishing the same build twice gives identical bytes. ``<out_dir>/SHA256SUMS`` lists the
archive's own checksum (``sha256sum -c SHA256SUMS`` in ``<out_dir>`` checks it).
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from mcbi.book.citation import cff_text, read_identifiers, zenodo_text
from mcbi.book.layout import Layout
from mcbi.book.lock import build_lock
from mcbi.book.state import load_state
from mcbi.errors import UserError
from mcbi.hashing import listing, sha256_bytes, sha256_file

_NOT_BUILT = ("the book has not been built: run `make book` (python -m mcbi build) "
              "before publishing")
_REBUILD = "run `python -m mcbi build` (add --data PATH for other data) and publish again"


def check_consistent(layout: Layout, manifest: dict) -> None:
    """Refuse a tree that is not exactly one successful build on one data set.

    The last build must have succeeded (``status`` ``"ok"`` in ``Layout.state``), every
    section the manifest lists must have been executed on the manifest's data package, and
    every executed notebook and results file must still hold the bytes that build wrote
    (the SHA-256 recorded in the manifest's section ``outputs``).

    Raises
    ------
    UserError
        Naming what is wrong and how to fix it.
    """
    status = load_state(layout.state).get("status")
    if status != "ok":
        what = {"failed": "failed", "running": "is still running or was interrupted"}
        raise UserError(f"the last build {what.get(status, 'is not recorded')}, so "
                        f"{layout.rel(layout.build)}/ may mix two builds; {_REBUILD}")
    data = manifest.get("data", {}).get("sha256")
    sections = manifest.get("sections", {})
    other = sorted(name for name, record in sections.items()
                   if record.get("inputs", {}).get("data") != data)
    if other:
        raise UserError(f"sections {', '.join(other)} were not executed on the data the "
                        f"manifest names (sha256 {str(data)[:12]}); {_REBUILD}")
    for name, record in sections.items():
        recorded = record.get("outputs") or {}
        for key, path in (("page", layout.page(name)), ("results", layout.results(name))):
            actual = sha256_file(path) if path.is_file() else None
            if key in recorded and actual != recorded[key]:
                raise UserError(f"{layout.rel(path)} changed after the build that the "
                                f"manifest describes; {_REBUILD}")


def data_decision(layout: Layout, manifest: dict[str, Any]) -> tuple[dict[str, Path], str]:
    """Decide whether the build's data package is published.

    Returns
    -------
    files : dict
        ``{archive path: file}`` of the package (empty when it is left out).
    statement : str
        One paragraph for the archive's README saying what was decided and why.
    """
    data = manifest.get("data") or {}
    path, recorded = str(data.get("path") or ""), dict(data.get("files") or {})
    folder = Path(path) if Path(path).is_absolute() else layout.root / path
    package = folder / "datapackage.json"
    if not path or not recorded or not package.is_file():
        return {}, ("The data package is not included: the manifest names no data package "
                    "that can be found next to this build.")
    if data.get("synthetic") is not True:
        return {}, (f"The data package ({path}, SHA-256 {data.get('sha256')}) is NOT "
                    "included: the build did not establish it as the generator's synthetic "
                    "output (manifest data.synthetic), and real "
                    "trial data must not be published. Whoever holds the data can rebuild "
                    "the book from them (`python -m mcbi build --data DIR`) and compare the "
                    "hash with manifest.json.")
    changed = [name for name, digest in sorted(recorded.items())
               if not (folder / name).is_file()
               or sha256_file(folder / name) != digest]
    if changed:
        return {}, (f"The data package ({path}) is not included: {', '.join(changed)} no "
                    "longer match the hashes the manifest recorded for this build.")
    files = {f"data/{folder.name}/{name}": folder / name for name in sorted(recorded)}
    return files, (f"data/{folder.name}/ is the synthetic data package this build used "
                   f"({path}, SHA-256 {data.get('sha256')}; every file checked against the "
                   "manifest). It was generated with the trial's design and is not the "
                   "trial's data; the real data are not public.")


def pdf_matches(layout: Layout, manifest: dict[str, Any]) -> bool:
    """Whether ``Layout.pdf`` was typeset from the build the manifest describes.

    Its record names the build (version, commit, date) and the PDF's SHA-256, which must be
    that of the file.
    """
    if not layout.pdf.is_file() or not layout.pdf_record.is_file():
        return False
    record = json.loads(layout.pdf_record.read_text("utf-8"))
    keys = ("version", "commit", "build_date")
    return (all(record.get(key) == manifest.get(key) for key in keys)
            and record.get("sha256") == sha256_file(layout.pdf))


def _about(citation: Path) -> str:
    """Return the title and the original article's DOI from ``CITATION.cff`` (if any)."""
    cff = (yaml.safe_load(citation.read_text("utf-8")) if citation.is_file() else None) or {}
    title = " ".join(str(cff.get("title") or "A Jupyter Book").split())
    doi = (cff.get("preferred-citation") or {}).get("doi")
    return f"{title}" + (f" (original article: https://doi.org/{doi})" if doi else "")


def archive_readme(top: str, manifest: dict[str, Any], names: list[str],
                   data_statement: str, about: str = "") -> str:
    """Return the archive's ``README.md`` (no date or path of the machine: deterministic)."""
    pdf = ("- `mcbi-book.pdf`: the whole book as one PDF, an APA 7 article typeset with Typst "
           "(also linked from the html); `mcbi-book.json` records its build and SHA-256.\n"
           if "mcbi-book.pdf" in names else
           "- No PDF: it was not typeset from this build (`make pdf`).\n")
    return (
        f"# {top}\n\n"
        f"{about}: the built book of version {manifest.get('version')}, commit "
        f"{manifest.get('commit')}, built {manifest.get('build_date')}.\n\n"
        "## Contents\n\n"
        "- `html/index.html`: the book; open it in a browser.\n"
        f"{pdf}"
        "- `notebooks/`: the executed notebooks the book shows, and their results files.\n"
        "- `manifest.json`: versions, commit, data hashes, parameters, every result.\n"
        "- `source/`: the code, notebooks, book pages and configuration of this build, with "
        "`requirements.txt`, the lock file of the environment. To rebuild, put a data "
        "package at `source/data/trial` (this archive's `data/trial` when included) and run "
        "`make book` in `source/`.\n"
        "- `LICENSE`, `CITATION.cff`, `.zenodo.json`: licences and citation metadata.\n"
        "- `SHA256SUMS`: checksums of every other file (`sha256sum -c SHA256SUMS`).\n\n"
        "## Data\n\n"
        f"{data_statement}\n\n"
        "## Licence and citation\n\n"
        "Code: MIT. Text, figures, tables, and the synthetic data: CC BY 4.0. See `LICENSE`. "
        "Cite the original article for the trial and its findings, and this archive (version "
        "and commit) for the rebuild; see `CITATION.cff`.\n"
    )


def collect_members(layout: Layout, manifest: dict) -> dict[str, Path]:
    """Return ``{archive path: file}`` of every file to publish (no README, no SHA256SUMS).

    Raises
    ------
    UserError
        If an executed notebook named in the manifest is missing.
    """
    html = layout.html
    members = {f"html/{p.relative_to(html).as_posix()}": p
               for p in html.rglob("*") if p.is_file()}
    for name in manifest.get("sections", {}):
        notebook = layout.page(name)
        if not notebook.is_file():
            raise UserError(f"executed notebook {notebook} is missing: run `make book` again")
        members[f"notebooks/{notebook.name}"] = notebook
        results = layout.results(name)
        if results.is_file():
            members[f"notebooks/{results.name}"] = results
    members["manifest.json"] = layout.manifest
    if pdf_matches(layout, manifest):
        members[layout.pdf.name] = layout.pdf
        members[layout.pdf_record.name] = layout.pdf_record  # its build, style and SHA-256
    for path in (layout.license, layout.citation, layout.zenodo):
        if path.is_file():
            members[path.name] = path
    for path in layout.source_files():
        members[f"source/{layout.rel(path)}"] = path
    members.update(data_decision(layout, manifest)[0])
    return dict(sorted(members.items()))


def checksum_list(members: dict[str, bytes]) -> str:
    """Return the ``sha256sum``-format listing of ``{path: content}``."""
    return listing((name, sha256_bytes(data)) for name, data in sorted(members.items()))


def _tar_gz(top: str, members: dict[str, bytes], mtime: int) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted({"/".join(n.split("/")[:i]) for n in members
                       for i in range(1, n.count("/") + 1)})
        for name in [None, *dirs]:
            info = tarfile.TarInfo(top if name is None else f"{top}/{name}")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, mtime
            tar.addfile(info)
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, mtime
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()


def _update_sums(path: Path, name: str, digest: str) -> None:
    lines = path.read_text("utf-8").splitlines() if path.is_file() else []
    lines = [line for line in lines if not line.endswith(f"  {name}")]
    lines.append(f"{digest}  {name}")
    path.write_text("\n".join(sorted(lines, key=lambda line: line[66:])) + "\n", "utf-8")


def publish(out_dir: Path, root: Path | None = None) -> Path:
    """Pack the built book of ``root`` into ``out_dir``; return the archive path.

    Parameters
    ----------
    out_dir : Path
        Output folder (created if missing); relative paths are taken from ``root``.
    root : Path, optional
        Project root (default: the working directory).

    Returns
    -------
    Path
        The archive written.

    Raises
    ------
    UserError
        If the book has not been built (no ``Layout.html`` or ``Layout.manifest``), an
        executed notebook the manifest names is missing, the last build failed, or the
        tree mixes builds (:func:`check_consistent`); or another process holds the build
        lock (:class:`mcbi.book.lock.BuildLocked`).
    """
    layout = Layout(root or Path.cwd())
    if not layout.build.is_dir():
        raise UserError(_NOT_BUILT)
    with build_lock(layout.build, "publish"):
        return _publish(layout, Path(out_dir))


def _publish(layout: Layout, out_dir: Path) -> Path:
    """The body of :func:`publish`, run while holding the build lock."""
    if not (layout.html / "index.html").is_file() or not layout.manifest.is_file():
        raise UserError(_NOT_BUILT)
    manifest = json.loads(layout.manifest.read_text("utf-8"))
    members = collect_members(layout, manifest)
    check_consistent(layout, manifest)
    top = f"mcbi-book-{manifest['version']}-{manifest['commit']}"
    contents = {name: path.read_bytes()
                for name, path in members.items()}
    statement = data_decision(layout, manifest)[1]
    ids = read_identifiers(layout.config)  # this build's setting, environment included
    for name, rewrite in ((layout.citation.name, cff_text), (layout.zenodo.name, zenodo_text)):
        if name in contents:
            contents[name] = rewrite(contents[name].decode("utf-8"), ids).encode("utf-8")
    contents["README.md"] = archive_readme(top, manifest, sorted(contents), statement,
                                           _about(layout.citation)).encode("utf-8")
    contents["SHA256SUMS"] = checksum_list(contents).encode("utf-8")
    stamp = manifest["build_date"].replace("Z", "+00:00")
    mtime = int(datetime.fromisoformat(stamp).timestamp())
    archive = _tar_gz(top, contents, mtime)
    out_dir = out_dir if out_dir.is_absolute() else layout.root / out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{top}.tar.gz"
    path.write_bytes(archive)
    _update_sums(out_dir / "SHA256SUMS", path.name, sha256_bytes(archive))
    return path
