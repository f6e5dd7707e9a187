"""``python -m mcbi verify``: rebuild a published archive, or take two manifests, and compare.

:func:`verify_archive` opens and checks the archive (:mod:`.archive`), rebuilds it from its
own lock file, source and data (:mod:`.rebuild`) and compares the rebuilt manifest with the
published one (:mod:`.compare`); :func:`verify_manifests` compares two manifest files.
Both return a :class:`~mcbi.book.verify.report.Verification`; the command line prints its
summary, writes the reports and picks the exit code.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from mcbi.book.verify.archive import (
    OpenedArchive,
    inconsistent_results,
    load_manifest,
    open_archive,
)
from mcbi.book.verify.compare import (
    DEFAULT_TOLERANCE,
    Fact,
    Printer,
    Tolerance,
    compare_manifests,
    plain_printer,
)
from mcbi.book.verify.glue import glue_formats
from mcbi.book.verify.rebuild import LOG_NAME, rebuild
from mcbi.book.verify.report import Verification, page_titles
from mcbi.errors import DataError, UserError
from mcbi.hashing import hash_tree, sha256_file
from mcbi.trial.content import content_hash

Progress = Callable[[str], None]


def _archive_note(opened: OpenedArchive) -> str:
    """Say what was checked of the archive before rebuilding."""
    files = f"{opened.files} files match its SHA256SUMS"
    if opened.file_checked is None:
        return f"archive: {files}"
    if opened.file_checked:
        return f"archive: its SHA-256 matches the SHA256SUMS beside it; {files}"
    return (f"archive: {files} (no SHA256SUMS beside {opened.name} names it, so the file "
            "itself was not compared with a published checksum)")


def _data_note(opened: OpenedArchive) -> str:
    """Say which data the rebuild uses and whether they are the published build's."""
    recorded = opened.manifest.get("data") or {}
    _, files = hash_tree(opened.data)
    try:
        digest = content_hash(opened.data)  # the data package's one hash (trial.content)
    except DataError:
        digest = "unreadable"
    where = ("the archive's own data package" if opened.data_from_archive
             else f"the data package at {opened.data}")
    if digest == recorded.get("sha256"):
        return f"data: {where}, the one the published build used (SHA-256 {digest[:12]})"
    known = recorded.get("files") or {}
    changed = sorted(n for n in set(known) | set(files) if known.get(n) != files.get(n))
    return (f"data: {where} is NOT the one the published build used (SHA-256 {digest[:12]}, "
            f"manifest {str(recorded.get('sha256'))[:12]}; differing files: "
            f"{', '.join(changed) or 'none listed'})")


def verify_archive(archive: Path, *, data: Path | None = None,
                   tolerance: Tolerance = DEFAULT_TOLERANCE, printer: Printer = plain_printer,
                   jobs: int = 1, extra_packages: Sequence[str] = (),
                   log_dir: Path | None = None, keep: Path | None = None,
                   progress: Progress | None = None) -> Verification:
    """Rebuild the archive at ``archive`` and compare its numbers with the published ones.

    Parameters
    ----------
    archive : Path
        A ``.tar.gz`` written by ``mcbi publish`` or its unpacked folder.
    data : Path, optional
        Data package to rebuild with (for archives that do not carry their data).
    tolerance : Tolerance
        Tolerances of the comparison.
    printer : Printer
        How the book prints a result (:func:`mcbi.paper.precision.printed`).
    jobs : int
        Sections the rebuild executes at the same time.
    extra_packages : sequence of str
        Requirements installed over the archive's lock (a second environment).
    log_dir : Path, optional
        Folder receiving the rebuild's log (``rebuild.log``).
    keep : Path, optional
        Work in this (new) folder and keep it, instead of a temporary one.
    progress : callable, optional
        Receives progress lines.

    Raises
    ------
    UserError
        ``keep`` exists.
    ArchiveUnusable
        The archive cannot be used (a UserError: exit code 2).
    EnvironmentFailed
        Its environment cannot be created (a UserError).
    RebuildFailed
        Its book could not be rebuilt (a BuildFailed: exit code 1).
    """
    say = progress or (lambda line: None)
    if keep is not None:
        keep = Path(keep).resolve()
        if keep.exists():
            raise UserError(f"--keep {keep}: the folder exists; name a new one")
        keep.mkdir(parents=True)
    work = keep or Path(tempfile.mkdtemp(prefix="mcbi-verify-"))
    try:
        unpacked = work / "archive"
        unpacked.mkdir()
        opened = open_archive(Path(archive), unpacked, data)
        notes = [_archive_note(opened), _data_note(opened)]
        edited = inconsistent_results(opened)
        if edited:
            notes.append(f"manifest.json disagrees with the archive's results files on "
                         f"{len(edited)} results ({', '.join(edited[:3])}"
                         f"{', ...' if len(edited) > 3 else ''}): edited after the build")
        for note in notes:
            say(f"[verify] {note}")
        formats = glue_formats(opened.source / "notebooks", opened.source / "book")
        try:
            rebuilt = rebuild(opened, work, jobs=jobs, extra_packages=extra_packages,
                              progress=say)
        finally:
            if log_dir is not None and (work / LOG_NAME).is_file():
                Path(log_dir).mkdir(parents=True, exist_ok=True)
                shutil.copy(work / LOG_NAME, Path(log_dir) / LOG_NAME)
        notes.append(f"rebuilt with Python {rebuilt.python} in a new environment from "
                     "source/requirements.txt" + (f" plus {', '.join(extra_packages)}"
                                                  if extra_packages else ""))
        pdf = opened.pdf
        rebuilt_pdf = rebuilt.project / "_build" / "pdf" / "mcbi-book.pdf"
        facts = [Fact("PDF", sha256_file(pdf) if pdf else "none in the archive",
                      sha256_file(rebuilt_pdf) if rebuilt_pdf.is_file()
                      else "not printed by the rebuild (`make pdf`)")]
        comparison = compare_manifests(opened.manifest, rebuilt.manifest, formats=formats,
                                       tolerance=tolerance, extra_facts=facts,
                                       printer=printer)
        return Verification(opened.name, comparison, page_titles(opened.top / "html"),
                            tuple(notes), dict(rebuilt.seconds))
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def verify_manifests(published: Path, rebuilt: Path, *, tolerance: Tolerance = DEFAULT_TOLERANCE,
                     printer: Printer = plain_printer,
                     source: Path | None = None) -> Verification:
    """Compare two manifest files without rebuilding.

    Parameters
    ----------
    published, rebuilt : Path
        ``manifest.json`` files.
    tolerance : Tolerance
        Tolerances.
    printer : Printer
        How the book prints a result.
    source : Path, optional
        Project folder whose ``notebooks/`` and ``book/`` give the prose's glue formats
        (default: none; numbers then print by the printer's rules alone).

    Raises
    ------
    ArchiveUnusable
        If a file is missing or not a build manifest (exit code 2).
    """
    first, second = load_manifest(Path(published)), load_manifest(Path(rebuilt))
    formats = (glue_formats(Path(source) / "notebooks", Path(source) / "book")
               if source is not None else {})
    comparison = compare_manifests(first, second, formats=formats, tolerance=tolerance,
                                   printer=printer)
    return Verification(f"{published} against {rebuilt}", comparison)
