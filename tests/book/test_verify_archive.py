"""Opening a published archive for ``mcbi verify``: usable, corrupted, or missing a part."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

import pytest

from mcbi.book.publish import checksum_list
from mcbi.book.verify.archive import ArchiveUnusable, inconsistent_results, open_archive
from mcbi.book.verify.rebuild import data_argument
from mcbi.cli import main

TOP = "mcbi-book-0.1.0-abc1234"


def members(data: bool = True, lock: bool = True) -> dict[str, bytes]:
    manifest = {"version": "0.1.0", "commit": "abc1234", "python": "3.11.7",
                "data": {"path": "data/trial", "sha256": "0" * 64, "files": {}},
                "sections": {}, "results": {"01_sample.n": 3.0}}
    files = {"manifest.json": json.dumps(manifest).encode(), "html/index.html": b"<html/>",
             "notebooks/01_sample.results.json": b'{"n": 3.0}',
             "source/pyproject.toml": b"[project]\nname = 'mcbi'\n"}
    if lock:
        files["source/requirements.txt"] = b"numpy==2.4.6\n"
    if data:
        files["data/trial/datapackage.json"] = b'{"name": "toy"}'
        files["data/trial/values.csv"] = b"x\n1\n"
    return files


def write_folder(root: Path, files: dict[str, bytes], sums: bool = True) -> Path:
    top = root / TOP
    for name, content in files.items():
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_bytes(content)
    if sums:
        (top / "SHA256SUMS").write_bytes(checksum_list(files).encode())
    return top


def write_tar(path: Path, top: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        tar.add(top, arcname=top.name)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "pub", members())


def test_an_unpacked_folder_opens_and_is_copied(folder: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    opened = open_archive(folder, work)
    assert opened.files == 7 and opened.data_from_archive
    assert opened.top == work / TOP and opened.lock == work / TOP / "source/requirements.txt"
    assert opened.data == work / TOP / "data" / "trial"
    assert opened.manifest["results"] == {"01_sample.n": 3.0}
    # its parent folder opens too (one sub-folder holding SHA256SUMS)
    again = tmp_path / "again"
    again.mkdir()
    assert open_archive(folder.parent, again).files == 7


def test_a_tar_gz_opens_and_its_outer_checksum_is_checked(folder: Path, tmp_path: Path) -> None:
    archive = write_tar(tmp_path / f"{TOP}.tar.gz", folder)
    work = tmp_path / "work"
    work.mkdir()
    opened = open_archive(archive, work)
    assert opened.files == 7 and opened.file_checked is False  # no list beside it
    beside = tmp_path / "SHA256SUMS"
    beside.write_text(f"{'0' * 64}  other.tar.gz\n", "utf-8")
    (tmp_path / "w1").mkdir()
    assert open_archive(archive, tmp_path / "w1").file_checked is False  # not named
    beside.write_text(f"{hashlib.sha256(archive.read_bytes()).hexdigest()}  {archive.name}\n",
                      "utf-8")
    (tmp_path / "w2").mkdir()
    assert open_archive(archive, tmp_path / "w2").file_checked is True
    digest = hashlib.sha256(b"something else").hexdigest()
    beside.write_text(f"{digest}  {archive.name}\n", "utf-8")
    with pytest.raises(ArchiveUnusable, match="corrupted: its SHA-256 differs"):
        open_archive(archive, tmp_path / "work2")


@pytest.mark.parametrize("damage, message", [
    (lambda top: (top / "manifest.json").write_text("{}", "utf-8"),
     "corrupted: manifest.json does not match its checksum"),
    (lambda top: (top / "html/index.html").unlink(), "corrupted: html/index.html is missing"),
    (lambda top: (top / "html/extra.js").write_text("x", "utf-8"),
     "corrupted: html/extra.js is not listed in SHA256SUMS"),
    (lambda top: (top / "SHA256SUMS").write_text("nonsense\n", "utf-8"),
     "line 1 of SHA256SUMS"),
    (lambda top: (top / "SHA256SUMS").unlink(), "not an archive written by `mcbi publish`"),
])
def test_a_damaged_archive_is_refused_naming_the_file(folder: Path, tmp_path: Path,
                                                      damage, message: str) -> None:
    damage(folder)
    with pytest.raises(ArchiveUnusable, match=message.replace("(", r"\(")):
        open_archive(folder, tmp_path / "work")


def test_a_truncated_or_foreign_file_is_refused(folder: Path, tmp_path: Path) -> None:
    archive = write_tar(tmp_path / f"{TOP}.tar.gz", folder)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    for path in (cut, tmp_path / "notes.txt"):
        path.parent.mkdir(exist_ok=True)
        if not path.exists():
            path.write_text("not an archive", "utf-8")
        work = tmp_path / f"work-{path.stem}"
        work.mkdir()
        with pytest.raises(ArchiveUnusable, match="cannot be unpacked"):
            open_archive(path, work)
    with pytest.raises(ArchiveUnusable, match="no such file or folder"):
        open_archive(tmp_path / "missing.tar.gz", tmp_path)


def test_a_damaged_byte_that_tar_skips_is_caught_by_the_gzip_checksum(folder: Path,
                                                                      tmp_path: Path) -> None:
    # tarfile stops at the tar's end marker and never reads the gzip trailer: a changed
    # byte there (or in a header or padding) leaves every file intact, yet the archive is
    # not the one published
    archive = write_tar(tmp_path / f"{TOP}.tar.gz", folder)
    raw = bytearray(archive.read_bytes())
    raw[-6] ^= 0xFF  # inside the CRC-32
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(bytes(raw))
    with tarfile.open(damaged) as tar:  # what tar alone would accept
        read = [tar.extractfile(m).read() for m in tar if m.isfile()]
    assert len(read) == sum(1 for p in folder.rglob("*") if p.is_file())
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(ArchiveUnusable, match="damaged.tar.gz cannot be unpacked.*CRC"):
        open_archive(damaged, work)


def test_an_archive_without_lock_or_data_is_refused(tmp_path: Path) -> None:
    no_lock = write_folder(tmp_path / "a", members(lock=False))
    with pytest.raises(ArchiveUnusable, match="no lock file"):
        open_archive(no_lock, tmp_path / "wa")
    no_data = write_folder(tmp_path / "b", members(data=False))
    (tmp_path / "wb").mkdir()
    with pytest.raises(ArchiveUnusable, match="does not carry its data.*--data PATH"):
        open_archive(no_data, tmp_path / "wb")
    supplied = tmp_path / "mydata"
    supplied.mkdir()
    with pytest.raises(ArchiveUnusable, match="not a data package folder"):
        open_archive(no_data, tmp_path / "wc", data=supplied)
    (supplied / "datapackage.json").write_text("{}", "utf-8")
    (tmp_path / "wd").mkdir()
    opened = open_archive(no_data, tmp_path / "wd", data=supplied)
    assert opened.data == supplied.resolve() and not opened.data_from_archive


def test_the_data_go_where_the_published_build_had_them(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    opened = open_archive(folder, tmp_path / "w")
    assert data_argument(opened, opened.source) == "data/trial"
    assert (opened.source / "data/trial/values.csv").read_text("utf-8") == "x\n1\n"


def test_cli_exits_2_on_a_corrupted_archive(folder: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "data/trial/values.csv").write_text("x\n2\n", "utf-8")
    code = main(["verify", str(folder), "--report", str(tmp_path / "r")])
    assert code == 2
    err = capsys.readouterr().err
    assert "corrupted: data/trial/values.csv does not match its checksum" in err


def test_a_manifest_edited_after_the_build_disagrees_with_the_results_files(
        tmp_path: Path) -> None:
    files = members()
    (tmp_path / "w1").mkdir()
    assert inconsistent_results(open_archive(write_folder(tmp_path / "a", files),
                                             tmp_path / "w1")) == []
    manifest = json.loads(files["manifest.json"])
    manifest["results"] = {"01_sample.n": 4.0, "01_sample.extra": 1.0, "02_other.x": 1.0}
    files["manifest.json"] = json.dumps(manifest).encode()
    (tmp_path / "w2").mkdir()
    opened = open_archive(write_folder(tmp_path / "b", files), tmp_path / "w2")
    assert inconsistent_results(opened) == ["01_sample.extra", "01_sample.n"]
