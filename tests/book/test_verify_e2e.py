"""End to end: publish the real book built from the work tree, then ``mcbi verify`` it.

The archive is rebuilt once (a new environment from its lock file, then its book) and the
rebuilt manifest is kept; the tampered variants that need no rebuild (a number changed, a
result removed) are compared with that kept manifest through ``--manifests``. A changed
data cell needs its own rebuild (its numbers are recomputed); a corrupted archive is
refused before any rebuild. This is also how CI verifies the archive its commit publishes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REPO, BuiltBook, mcbi_cli

pytestmark = pytest.mark.e2e

#: A second environment for the slow test: numpy one minor version below the lock's.
OTHER_NUMPY = "numpy==2.3.5"


@dataclass
class Verified:
    archive: Path
    stdout: str
    stderr: str
    code: int
    report: dict
    top: Path  # the kept, unpacked archive (its rebuilt project in source/)
    work: Path  # holds report/ and kept/ (kept/venv: the rebuild's environment)

    @property
    def published(self) -> Path:
        return self.top / "manifest.json"

    @property
    def rebuilt(self) -> Path:
        return self.top / "source" / "_build" / "manifest.json"


def verify(where: Path, *args: str) -> tuple[int, str, str]:
    done = mcbi_cli(where, "verify", *args, src=REPO / "src")
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def archive(built_book: BuiltBook, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = mcbi_cli(built_book.root, "publish", "--out", str(out), src=built_book.root / "src")
    assert done.returncode == 0, done.stdout + done.stderr
    [path] = out.glob("*.tar.gz")
    return path


@pytest.fixture(scope="module")
def verified(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Verified:
    work = tmp_path_factory.mktemp("verify")
    code, out, err = verify(work, str(archive), "--report", str(work / "report"),
                            "--keep", str(work / "kept"))
    report = json.loads((work / "report" / "verify-report.json").read_text("utf-8"))
    [top] = (work / "kept" / "archive").iterdir()
    return Verified(archive, out, err, code, report, top, work)


def test_the_untouched_archive_verifies(verified: Verified) -> None:
    assert verified.code == 0, verified.stdout + verified.stderr
    published = json.loads(verified.published.read_text("utf-8"))
    counts = verified.report["counts"]
    assert counts["compared"] == len(published["results"]) > 100
    assert counts["differing"] == counts["missing"] == 0
    assert "verdict: every reported number matches" in verified.stdout
    assert "archive: its SHA-256 matches the SHA256SUMS beside it; " in verified.stdout
    assert "disagrees with the archive's results files" not in verified.stdout
    assert "data: the archive's own data package, the one the published build used" \
        in verified.stdout
    facts = {f["what"]: f for f in verified.report["provenance"]}
    assert facts["data package SHA-256"]["same"]
    assert facts["version"]["same"]
    assert (verified.work / "kept" / "venv" / "bin" / "python").exists()


def test_the_html_report_lists_every_result(verified: Verified) -> None:
    page = verified.work / "report" / "verify-report.html"
    text = page.read_text("utf-8")
    assert "Every reported number matches." in text
    assert text.count("<tr>") > verified.report["counts"]["compared"]
    assert (page.parent / "rebuild.log").is_file()


def _tampered(verified: Verified, tmp_path: Path, change) -> Path:
    manifest = json.loads(verified.published.read_text("utf-8"))
    change(manifest["results"])
    path = tmp_path / "published.json"
    path.write_text(json.dumps(manifest), "utf-8")
    return path


def test_a_number_changed_in_the_manifest_is_named(verified: Verified, tmp_path: Path) -> None:
    name = "02_therapists.pms_post_diff"
    published = json.loads(verified.published.read_text("utf-8"))["results"]
    assert isinstance(published[name], float)
    tampered = _tampered(verified, tmp_path, lambda r: r.update({name: r[name] + 0.1}))
    code, out, _ = verify(tmp_path, "--manifests", str(tampered), str(verified.rebuilt),
                          "--report", str(tmp_path / "r"), "--source", str(verified.top / "source"))
    assert code == 1, out
    assert "differing: 1; in one build only: 0" in out
    line = next(line for line in out.splitlines() if line.startswith(f"  {name}:"))
    assert "[book/sections/02_therapists.html]" in line and "published" in line


def test_a_removed_result_is_named(verified: Verified, tmp_path: Path) -> None:
    name = "03_patients.eus_p_post_diff"
    tampered = _tampered(verified, tmp_path, lambda r: r.pop(name))
    code, out, _ = verify(tmp_path, "--manifests", str(tampered), str(verified.rebuilt),
                          "--report", str(tmp_path / "r"))
    assert code == 1, out
    assert f"  {name}: only in the rebuild" in out


def test_a_corrupted_archive_is_refused_before_rebuilding(verified: Verified,
                                                          tmp_path: Path) -> None:
    # one byte changed, the SHA256SUMS that publish writes beside the archive kept with it:
    # refused whatever the byte (a changed byte of the compressed stream may decode to the
    # very same files, as one CI run found, so only this list can catch every change)
    raw = bytearray(verified.archive.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "dist").mkdir()
    broken = tmp_path / "dist" / verified.archive.name
    broken.write_bytes(bytes(raw))
    shutil.copy(verified.archive.parent / "SHA256SUMS", broken.parent / "SHA256SUMS")
    code, out, err = verify(tmp_path, str(broken), "--report", str(tmp_path / "r"))
    assert code == 2, out + err
    assert f"{broken.name} is corrupted: its SHA-256 differs" in err
    # the archive cut short, with no list beside it: it cannot be unpacked
    cut = tmp_path / verified.archive.name
    cut.write_bytes(bytes(raw[: len(raw) // 2]))
    code, out, err = verify(tmp_path, str(cut), "--report", str(tmp_path / "r"))
    assert code == 2, out + err
    assert f"{cut.name} cannot be unpacked" in err
    # the manifest edited inside the unpacked archive without its checksum: corrupted
    with tarfile.open(verified.archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    folder = tmp_path / "unpacked" / verified.top.name
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    manifest["results"]["02_therapists.pms_post_diff"] = 9.99
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    code, out, err = verify(tmp_path, str(folder), "--report", str(tmp_path / "r"))
    assert code == 2, out + err
    assert "corrupted: manifest.json does not match its checksum" in err


def _change_one_cell(path: Path) -> str:
    """Change the first PMS answer of the therapists' file (a valid 1-5 answer)."""
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    column = rows[0].index("pms_01")
    old = rows[1][column]
    rows[1][column] = "1" if old != "1" else "5"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), "utf-8")
    return f"{rows[1][0]} {rows[1][1]} pms_01: {old} -> {rows[1][column]}"


def test_a_changed_data_cell_rebuilds_and_names_the_data_and_the_numbers(
        verified: Verified, tmp_path: Path) -> None:
    """A consistent archive (its SHA256SUMS updated) whose data are not the build's: exit 1.

    The archive is usable, so it is rebuilt; the data hash differs from the manifest's and
    the numbers that depend on the changed answer differ: the published numbers are not
    reproduced from these data, which is exit code 1 (not 2, which is kept for archives
    that cannot be rebuilt at all).
    """
    with tarfile.open(verified.archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    folder = tmp_path / "unpacked" / verified.top.name
    data = next((folder / "data").iterdir())
    _change_one_cell(data / "therapist_responses.csv")
    sums = folder / "SHA256SUMS"
    lines = [f"{hashlib.sha256((folder / name).read_bytes()).hexdigest()}  {name}"
             for name in (line.split("  ", 1)[1]
                          for line in sums.read_text("utf-8").splitlines())]
    sums.write_text("\n".join(lines) + "\n", "utf-8")
    code, out, err = verify(tmp_path, str(folder), "--report", str(tmp_path / "r"))
    assert code == 1, out + err
    assert "is NOT the one the published build used" in out
    assert "differing files: therapist_responses.csv" in out
    assert "data package SHA-256: published" in out
    report = json.loads((tmp_path / "r" / "verify-report.json").read_text("utf-8"))
    differing = [r["name"] for r in report["results"] if r["status"] == "differs"]
    assert any(name.startswith("02_therapists.pms_") for name in differing), differing


@pytest.mark.slow
def test_a_second_environment_with_another_numpy_minor_matches(archive: Path,
                                                              tmp_path: Path) -> None:
    code, out, err = verify(tmp_path, str(archive), "--with", OTHER_NUMPY,
                            "--report", str(tmp_path / "r"))
    assert code == 0, out + err
    assert f"plus {OTHER_NUMPY}" in out
    report = json.loads((tmp_path / "r" / "verify-report.json").read_text("utf-8"))
    packages = next(f for f in report["provenance"] if f["what"] == "packages")
    assert any(d.startswith("numpy: ") and d.endswith("2.3.5") for d in packages["detail"])
