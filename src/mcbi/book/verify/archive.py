"""Open a published archive (``mcbi publish``) for verification and check that it is usable.

The archive is a ``.tar.gz`` or its unpacked folder. It is unpacked (or copied) into a
working folder, so that a rebuild never writes into the reader's copy, and checked:

- a compressed archive is read to its end while unpacked, so that its own checksum (gzip's CRC-32)
  covers every byte, tar headers and padding included;
- every file ``SHA256SUMS`` lists is present with its checksum, and no other file is
  present (a ``SHA256SUMS`` beside a ``.tar.gz``, as ``publish`` writes it, is checked
  too);
- ``manifest.json`` is a build manifest and ``source/requirements.txt`` (the lock file)
  exists;
- a data package is available: ``--data PATH`` when given, else the archive's own
  ``data/<package>/`` (published only for synthetic data).

Anything else raises :class:`ArchiveUnusable` (exit code 2) with a message naming the
archive and what is wrong.
"""

from __future__ import annotations

import json
import lzma
import shutil
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcbi.book.verify.compare import check_manifest
from mcbi.errors import UserError
from mcbi.hashing import sha256_file

SUMS = "SHA256SUMS"
MANIFEST = "manifest.json"
LOCK = "source/requirements.txt"
PDF = "mcbi-book.pdf"


class ArchiveUnusable(UserError):
    """The archive cannot be verified: not an archive, corrupted, or missing a part."""


@dataclass(frozen=True)
class OpenedArchive:
    """An unpacked, checked archive.

    Attributes
    ----------
    name : str
        The archive's file or folder name (as the user gave it).
    top : Path
        The unpacked top folder (``mcbi-book-<version>-<commit>``) in the working folder.
    manifest : dict
        Its ``manifest.json``.
    lock : Path
        Its lock file, ``source/requirements.txt``.
    data : Path
        The data package to rebuild with (``--data`` or the archive's ``data/<name>``).
    data_from_archive : bool
        Whether ``data`` is the archive's own copy.
    files : int
        Number of files checked against ``SHA256SUMS``.
    file_checked : bool or None
        Whether the ``.tar.gz`` itself matched a ``SHA256SUMS`` beside it (False when no
        such list names it; None for an unpacked folder).
    """

    name: str
    top: Path
    manifest: dict[str, Any]
    lock: Path
    data: Path
    data_from_archive: bool
    files: int
    file_checked: bool | None = None

    @property
    def source(self) -> Path:
        """The archive's ``source/`` folder (the project the rebuild runs in)."""
        return self.top / "source"

    @property
    def pdf(self) -> Path | None:
        """The archive's PDF, if it has one."""
        path = self.top / PDF
        return path if path.is_file() else None


def load_manifest(path: Path) -> dict[str, Any]:
    """Read a build manifest file.

    Raises
    ------
    ArchiveUnusable
        If the file is missing, not JSON or not a build manifest.
    """
    path = Path(path)
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ArchiveUnusable(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ArchiveUnusable(f"{path} is not a readable JSON file ({exc})") from None
    try:
        return check_manifest(manifest, str(path))
    except ValueError as exc:
        raise ArchiveUnusable(str(exc)) from None


def _unpack(archive: Path, work: Path) -> Path:
    """Unpack ``archive`` into ``work``; return its single top folder."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(work, filter="data")
            # tarfile stops at the tar's end marker; reading on to the end of the compressed
            # stream makes it check its own checksum (gzip's CRC-32), which covers every
            # byte, tar headers and padding included
            while tar.fileobj.read(1 << 20):
                pass
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        raise ArchiveUnusable(f"{archive.name} cannot be unpacked: it is not a tar archive "
                              f"or it is damaged ({type(exc).__name__}: {exc})") from None
    tops = [p for p in work.iterdir()]
    if len(tops) != 1 or not tops[0].is_dir():
        raise ArchiveUnusable(f"{archive.name} does not hold one top folder, as "
                              "`mcbi publish` writes it")
    return tops[0]


def _find_top(folder: Path) -> Path:
    """The folder holding ``SHA256SUMS``: ``folder`` itself or its only sub-folder."""
    if (folder / SUMS).is_file():
        return folder
    subs = [p for p in folder.iterdir() if p.is_dir()]
    if len(subs) == 1 and (subs[0] / SUMS).is_file():
        return subs[0]
    raise ArchiveUnusable(f"{folder} is not an archive written by `mcbi publish` "
                          f"(no {SUMS} in it)")


def _check_outer_sums(archive: Path) -> bool:
    """Check the archive against a ``SHA256SUMS`` beside it that names it, if there is one.

    Returns whether it was checked. Without that list, a changed byte of the compressed
    file that decodes to the same files (it happens: a changed bit the decoder ignores)
    cannot be told from the published archive, and need not be: every file is checked.
    """
    sums = archive.parent / SUMS
    if not sums.is_file():
        return False
    for line in sums.read_text("utf-8", errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        if name == archive.name:
            if sha256_file(archive) != digest.strip():
                raise ArchiveUnusable(f"{archive.name} is corrupted: its SHA-256 differs "
                                      f"from the one in {sums}")
            return True
    return False


def check_sums(top: Path, label: str) -> int:
    """Check every file of ``top`` against its ``SHA256SUMS``; return how many were checked.

    Raises
    ------
    ArchiveUnusable
        Naming the first files missing, changed or not listed.
    """
    sums = top / SUMS
    if not sums.is_file():
        raise ArchiveUnusable(f"{label} is not an archive written by `mcbi publish` "
                              f"(no {SUMS})")
    listed: dict[str, str] = {}
    for number, line in enumerate(sums.read_text("utf-8", errors="replace").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise ArchiveUnusable(f"{label}: line {number} of {SUMS} is not "
                                  "`<sha256>  <path>`; the archive is corrupted")
        listed[name] = digest
    present = {p.relative_to(top).as_posix() for p in top.rglob("*") if p.is_file()}
    present.discard(SUMS)
    problems = [f"{name} is missing" for name in sorted(set(listed) - present)]
    problems += [f"{name} does not match its checksum" for name in sorted(set(listed) & present)
                 if sha256_file(top / name) != listed[name]]
    problems += [f"{name} is not listed in {SUMS}" for name in sorted(present - set(listed))]
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ArchiveUnusable(f"{label} is corrupted: {'; '.join(problems[:5])}{more}")
    return len(listed)


def _data_folder(top: Path, manifest: dict[str, Any], data: Path | None,
                 label: str) -> tuple[Path, bool]:
    if data is not None:
        data = Path(data).expanduser().resolve()
        if not (data / "datapackage.json").is_file():
            raise ArchiveUnusable(f"--data {data}: not a data package folder (no "
                                  "datapackage.json)")
        return data, False
    packages = sorted(p.parent for p in (top / "data").glob("*/datapackage.json"))
    recorded = Path(str((manifest.get("data") or {}).get("path") or "")).name
    chosen = [p for p in packages if p.name == recorded] or packages
    if len(chosen) != 1:
        raise ArchiveUnusable(
            f"{label} does not carry its data package (real data are never published): "
            "pass the data the build used with --data PATH")
    return chosen[0], True


def inconsistent_results(opened: OpenedArchive) -> list[str]:
    """Results whose value in ``manifest.json`` differs from the archive's results files.

    The build writes every section's ``notebooks/<section>.results.json`` and collects them
    into the manifest, so in an archive as published both agree; a name listed here was
    changed in one of them after the build (found without rebuilding).
    """
    files: dict[str, object] = {}
    for path in sorted((opened.top / "notebooks").glob("*.results.json")):
        try:
            values = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        section = path.name.removesuffix(".results.json")
        if isinstance(values, dict):
            files.update({f"{section}.{name}": value for name, value in values.items()})
    recorded = opened.manifest["results"]
    sections = {name.split(".", 1)[0] for name in files}
    names = set(files) | {n for n in recorded if n.split(".", 1)[0] in sections}
    return sorted(n for n in names if n not in files or n not in recorded
                  or files[n] != recorded[n])


def open_archive(path: Path, work: Path, data: Path | None = None) -> OpenedArchive:
    """Unpack or copy the archive at ``path`` into ``work`` and check it.

    Parameters
    ----------
    path : Path
        A ``.tar.gz`` written by ``mcbi publish`` or its unpacked folder.
    work : Path
        An empty working folder (the caller removes it).
    data : Path, optional
        Data package to rebuild with instead of the archive's own.

    Raises
    ------
    ArchiveUnusable
        Not an archive, corrupted (a file missing, changed or added), no build manifest,
        no lock file, or no data package.
    """
    path = Path(path)
    label = path.name or str(path)
    file_checked = None
    if path.is_dir():
        top = _find_top(path)
        files = check_sums(top, label)  # before copying: the reader's copy is judged
        copy = Path(work) / top.name
        shutil.copytree(top, copy, symlinks=False)
        top = copy
    elif path.is_file():
        file_checked = _check_outer_sums(path)
        top = _unpack(path, Path(work))
        files = check_sums(top, label)
    else:
        raise ArchiveUnusable(f"{path}: no such file or folder")
    manifest_path = top / MANIFEST
    if not manifest_path.is_file():
        raise ArchiveUnusable(f"{label} has no {MANIFEST}")
    manifest = load_manifest(manifest_path)
    lock = top / LOCK
    if not lock.is_file():
        raise ArchiveUnusable(f"{label} has no lock file ({LOCK}): its environment cannot "
                              "be recreated")
    folder, own = _data_folder(top, manifest, data, label)
    return OpenedArchive(label, top, manifest, lock, folder, own, files, file_checked)
