"""``python -m mcbi publish``: pack the built book into one versioned, checksummed archive.

The archive ``<out_dir>/mcbi-book-<version>-<commit>.tar.gz`` (version and commit of the
build, read from the manifest) holds, under one top folder of the same name (the project
paths are those of :class:`mcbi.book.layout.Layout`)::

    html/                 the built book (Layout.html)
    notebooks/            the executed section notebooks and their results files
    manifest.json         Layout.manifest
    CITATION.cff, .zenodo.json
    SHA256SUMS            sha256sum list of every other file in the archive

Members are sorted, owned by 0:0, dated at the build date and gzip carries no timestamp, so
publishing the same build twice gives identical bytes. ``<out_dir>/SHA256SUMS`` lists the
archive's own checksum (``sha256sum -c SHA256SUMS`` in ``<out_dir>`` checks it).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from datetime import datetime
from pathlib import Path

from mcbi.book.layout import Layout
from mcbi.book.lock import build_lock
from mcbi.book.provenance import sha256_file
from mcbi.book.state import load_state
from mcbi.errors import UserError

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


def collect_members(layout: Layout, manifest: dict) -> dict[str, Path]:
    """Return ``{archive path: file}`` of everything to publish, without SHA256SUMS.

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
    for path in (layout.citation, layout.zenodo):
        if path.is_file():
            members[path.name] = path
    return dict(sorted(members.items()))


def checksum_list(members: dict[str, bytes]) -> str:
    """Return the ``sha256sum``-format listing of ``{path: content}``."""
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                   for name, data in sorted(members.items()))


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
    contents["SHA256SUMS"] = checksum_list(contents).encode("utf-8")
    stamp = manifest["build_date"].replace("Z", "+00:00")
    mtime = int(datetime.fromisoformat(stamp).timestamp())
    archive = _tar_gz(top, contents, mtime)
    out_dir = out_dir if out_dir.is_absolute() else layout.root / out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{top}.tar.gz"
    path.write_bytes(archive)
    _update_sums(out_dir / "SHA256SUMS", path.name, hashlib.sha256(archive).hexdigest())
    return path
