"""Hashing, git commit, build info, manifest contents."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import mcbi
from mcbi.book.manifest import build_manifest, collect_results, write_manifest
from mcbi.book.provenance import BuildInfo, git_commit
from mcbi.hashing import hash_tree, list_files, sha256_file


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def test_hash_tree_matches_the_documented_sha256sum_listing(tmp_path: Path) -> None:
    _write(tmp_path / "b.csv", "b\n")
    _write(tmp_path / "a.csv", "a\n")
    _write(tmp_path / "sub" / "Z.json", "{}\n")
    _write(tmp_path / ".hidden", "ignored\n")
    _write(tmp_path / ".git" / "x", "ignored\n")
    total, files = hash_tree(tmp_path)
    assert list(files) == ["a.csv", "b.csv", "sub/Z.json"]
    listing = "".join(
        f"{hashlib.sha256((tmp_path / n).read_bytes()).hexdigest()}  {n}\n" for n in files
    )
    assert total == hashlib.sha256(listing.encode()).hexdigest()


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum missing")
def test_hash_tree_equals_the_coreutils_recipe(tmp_path: Path) -> None:
    _write(tmp_path / "x.csv", "1,2\n")
    _write(tmp_path / "datapackage.json", "{}\n")
    _write(tmp_path / "nested" / "y.csv", "3\n")
    recipe = ("find . -type f ! -path '*/.*' -printf '%P\\n' | LC_ALL=C sort "
              "| xargs sha256sum | sha256sum")
    out = subprocess.run(recipe, shell=True, cwd=tmp_path, capture_output=True, text=True,
                         check=True).stdout.split()[0]
    assert hash_tree(tmp_path)[0] == out


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum missing")
def test_the_documented_data_hash_command_gives_the_data_package_hash() -> None:
    """book/reproducibility.md's command prints the hash the footer shows, as the PDF's does."""
    import re

    from conftest import REPO
    from mcbi.book.provenance import DATA_HASH_COMMAND
    from mcbi.trial.content import content_hash

    text = (REPO / "book" / "reproducibility.md").read_text("utf-8")
    [block] = re.findall(r"```bash\ncd (data/\S+)\n(sha256sum [^\n]+)\n```", text)
    folder, command = block
    out = subprocess.run(command, shell=True, cwd=REPO / folder, capture_output=True,
                         text=True, check=True).stdout.split()[0]
    assert out == content_hash(REPO / folder)
    assert command == DATA_HASH_COMMAND  # the PDF's statement gives this one


def test_hash_changes_with_content_name_and_new_files(tmp_path: Path) -> None:
    _write(tmp_path / "a.csv", "1\n")
    first = hash_tree(tmp_path)[0]
    _write(tmp_path / "a.csv", "2\n")
    second = hash_tree(tmp_path)[0]
    (tmp_path / "a.csv").rename(tmp_path / "b.csv")
    third = hash_tree(tmp_path)[0]
    _write(tmp_path / "c.csv", "")
    fourth = hash_tree(tmp_path)[0]
    assert len({first, second, third, fourth}) == 4


def test_code_hash_pattern_and_pycache_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "m.py", "x = 1\n")
    _write(tmp_path / "__pycache__" / "m.cpython-311.pyc", "junk")
    _write(tmp_path / "notes.txt", "not code")
    assert list_files(tmp_path, "*.py") == ["m.py"]


def test_hash_tree_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a folder"):
        hash_tree(tmp_path / "missing")


def test_sha256_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "f", "abc")
    assert sha256_file(path) == hashlib.sha256(b"abc").hexdigest()


@pytest.mark.skipif(shutil.which("git") is None, reason="git missing")
def test_git_commit_short_hash_dirty_and_unknown(tmp_path: Path) -> None:
    assert git_commit(tmp_path) == "unknown"

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tmp_path), *args], check=True,
                              capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    _write(tmp_path / "f.txt", "1\n")
    git("add", "f.txt")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "init")
    short = git("rev-parse", "--short", "HEAD")
    assert git_commit(tmp_path) == short
    _write(tmp_path / "untracked.txt", "new\n")
    assert git_commit(tmp_path) == short  # untracked files do not count (git describe)
    _write(tmp_path / "f.txt", "2\n")
    assert git_commit(tmp_path) == f"{short}-dirty"


def test_build_info_footer_and_source_date_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    info = BuildInfo.collect(tmp_path, "ab" * 32)
    assert info.date == "2023-11-14T22:13:20Z"
    assert info.version == mcbi.__version__
    footer = info.footer_html()
    for part in (mcbi.__version__, "unknown", "ab" * 32, "2023-11-14 22:13:20 UTC"):
        assert part in footer


def test_manifest_holds_everything(tmp_path: Path) -> None:
    _write(tmp_path / "01_a.results.json", json.dumps({"n": 3, "label": "x"}))
    _write(tmp_path / "02_b.results.json", json.dumps({"d": 0.5}))
    info = BuildInfo("1.2.3", "abc1234", "f" * 64, "2026-01-01T00:00:00Z")
    sections = {
        "01_a": {"parameters": {"alpha": 0.05}, "inputs": {"notebook": "1"}},
        "02_b": {"parameters": {"seed": 1}, "inputs": {"notebook": "2"}},
    }
    data = {"path": "data/trial", "sha256": "f" * 64, "files": {"a.csv": "0" * 64}}
    manifest = build_manifest(info, data, sections, tmp_path)
    path = write_manifest(tmp_path / "out" / "manifest.json", manifest)
    loaded = json.loads(path.read_text("utf-8"))
    assert loaded["version"] == "1.2.3" and loaded["commit"] == "abc1234"
    assert loaded["build_date"] == "2026-01-01T00:00:00Z"
    assert loaded["data"]["files"] == {"a.csv": "0" * 64}
    assert loaded["sections"]["01_a"]["parameters"] == {"alpha": 0.05}
    assert loaded["results"] == {"01_a.label": "x", "01_a.n": 3, "02_b.d": 0.5}
    assert loaded["packages"]["jupyter-book"]
    assert loaded["python"].count(".") == 2


def test_collect_results_skips_missing_files(tmp_path: Path) -> None:
    _write(tmp_path / "01_a.results.json", json.dumps({"n": 1}))
    assert collect_results(tmp_path, ["01_a", "02_missing"]) == {"01_a.n": 1}
