"""Publishing archive and citation metadata (CITATION.cff, .zenodo.json)."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

import jsonschema
import pytest
import yaml

import mcbi
from conftest import REPO, BuiltToy, mcbi_cli
from mcbi.book.publish import publish
from mcbi.errors import UserError

ARTICLE_TITLE = ("Efficacy of a mindfulness and compassion-based intervention in "
                 "psychotherapists and their patients: Empathy, symptomatology, and "
                 "mechanisms of change in a randomized controlled trial")


def _cff() -> dict:
    return yaml.safe_load((REPO / "CITATION.cff").read_text("utf-8"))


def _zenodo() -> dict:
    return json.loads((REPO / ".zenodo.json").read_text("utf-8"))


# ----------------------------------------------------------------------- citation metadata
def test_citation_cff_is_valid_cff_1_2_0() -> None:
    schema = json.loads((REPO / "tests/fixtures/cff/schema-1.2.0.json").read_text("utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(_cff())]
    assert errors == []


def test_citation_schema_rejects_a_broken_file() -> None:
    schema = json.loads((REPO / "tests/fixtures/cff/schema-1.2.0.json").read_text("utf-8"))
    broken = {**_cff(), "authors": [], "doi": "not a doi"}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_citation_cff_names_the_software_and_the_original_article() -> None:
    cff = _cff()
    assert cff["version"] == mcbi.__version__
    assert cff["authors"] == [{"name": "The MCBI reproducible-paper team"}]
    article = cff["preferred-citation"]
    assert " ".join(article["title"].split()) == ARTICLE_TITLE
    assert [a["family-names"] for a in article["authors"]] == [
        "Garrote-Caparrós", "Lecuona", "Bellosta-Batalla", "Moya-Albiol", "Cebolla"]
    assert (article["journal"], article["volume"], article["issue"]) == ("Psychotherapy", 60, 2)
    assert (article["start"], article["end"], article["year"]) == (182, 193, 2023)
    assert article["doi"] == "10.1037/pst0000467"


def test_license_states_its_scopes_and_agrees_with_the_metadata() -> None:
    text = (REPO / "LICENSE").read_text("utf-8")
    assert "MIT License" in text and "Permission is hereby granted, free of charge" in text
    assert "Creative Commons Attribution 4.0 International (SPDX: CC-BY-4.0)" in text
    assert "https://creativecommons.org/licenses/by/4.0/legalcode" in text
    code, rest = text.split("2. Text and data", 1)
    assert "src/" in code and "notebooks/" in code
    assert "data/trial/" in rest and "book/*.md" in rest
    assert "real data" in rest
    cff, zen = _cff(), _zenodo()
    assert cff["license"] == zen["license"] == "MIT"
    for note in (cff["message"], zen["notes"]):
        assert "MIT" in note and "CC-BY-4.0" in note
    package = json.loads((REPO / "data" / "trial" / "datapackage.json").read_text("utf-8"))
    assert [lic["name"] for lic in package["licenses"]] == ["CC-BY-4.0"]


def test_zenodo_agrees_with_citation_cff() -> None:
    cff, zen = _cff(), _zenodo()
    assert zen["title"] == cff["title"]
    assert zen["version"] == cff["version"] == mcbi.__version__
    assert [c["name"] for c in zen["creators"]] == [a["name"] for a in cff["authors"]]
    assert zen["license"] == cff["license"]
    assert zen["keywords"] == cff["keywords"]
    dois = [r["identifier"] for r in zen["related_identifiers"] if r["scheme"] == "doi"]
    assert dois == [cff["preferred-citation"]["doi"]]


def test_references_bib_has_the_article() -> None:
    bib = (REPO / "book" / "references.bib").read_text("utf-8")
    assert "@article{garrote2023," in bib and "10.1037/pst0000467" in bib


def test_config_points_at_one_repository_and_never_executes() -> None:
    config = yaml.safe_load((REPO / "_config.yml").read_text("utf-8"))
    assert config["execute"]["execute_notebooks"] == "off"
    assert config["only_build_toc_files"] is True
    # one repository URL, or none anywhere until the public repository exists
    url = config["repository"]["url"]
    assert url == _cff().get("repository-code", "")
    assert [r["identifier"] for r in _zenodo()["related_identifiers"]
            if r["scheme"] == "url"] == ([url] if url else [])
    assert config["sphinx"]["recursive_update"] is True
    assert config["bibtex_bibfiles"] == ["book/references.bib"]
    for pattern in (".venv", "_build", "notebooks", "data", "tests", "benchmarks", "dist",
                    "README.md"):
        assert pattern in config["exclude_patterns"]


# ----------------------------------------------------------------------- archive
def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fake_build(root: Path, data: dict | None = None) -> Path:
    html = root / "_build" / "html"
    (html / "book").mkdir(parents=True)
    (html / "index.html").write_text("<html>index</html>")
    (html / "book" / "intro.html").write_text("<html>intro</html>")
    sections = root / "book" / "sections"
    sections.mkdir(parents=True)
    (sections / "01_a.ipynb").write_text("{}")
    (sections / "01_a.results.json").write_text('{"n": 1}')
    outputs = {"page": _sha(sections / "01_a.ipynb"),
               "results": _sha(sections / "01_a.results.json")}
    manifest = {"version": "9.9.9", "commit": "abc1234", "build_date": "2026-01-02T03:04:05Z",
                "data": {"sha256": "d" * 64, **(data or {})},
                "sections": {"01_a": {"inputs": {"data": (data or {}).get("sha256", "d" * 64)},
                                      "outputs": outputs}}}
    (root / "_build" / "manifest.json").write_text(json.dumps(manifest))
    (root / "_build" / "state.json").write_text(json.dumps({"status": "ok"}))
    (root / "CITATION.cff").write_text("cff-version: 1.2.0\n")
    return root


def test_publish_refuses_an_unbuilt_book(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="has not been built"):
        publish(tmp_path / "dist", root=tmp_path)


def test_publish_archive_contents_and_checksums(tmp_path: Path) -> None:
    root = _fake_build(tmp_path / "p")
    path = publish(Path("dist"), root=root)
    assert path == root / "dist" / "mcbi-book-9.9.9-abc1234.tar.gz"
    with tarfile.open(path) as tar:
        names = tar.getnames()
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
        assert {m.mtime for m in tar.getmembers()} == {1767323045}
    top = "mcbi-book-9.9.9-abc1234"
    assert names[0] == top
    assert sorted(files) == [f"{top}/{n}" for n in [
        "CITATION.cff", "README.md", "SHA256SUMS", "html/book/intro.html", "html/index.html",
        "manifest.json", "notebooks/01_a.ipynb", "notebooks/01_a.results.json",
        "source/CITATION.cff"]]
    readme = files[f"{top}/README.md"].decode()
    assert "version 9.9.9, commit abc1234" in readme
    assert "The data package is not included" in readme and "No PDF" in readme
    sums = files.pop(f"{top}/SHA256SUMS").decode().splitlines()
    assert sums == [f"{hashlib.sha256(data).hexdigest()}  {name[len(top) + 1:]}"
                    for name, data in sorted(files.items())]
    beside = (root / "dist" / "SHA256SUMS").read_text().split()
    assert beside == [hashlib.sha256(path.read_bytes()).hexdigest(), path.name]


def _package(root: Path, synthetic: bool) -> dict:
    folder = root / "data" / "trial"
    folder.mkdir(parents=True)
    (folder / "datapackage.json").write_text(json.dumps({"synthetic": synthetic}))
    (folder / "x.csv").write_text("a\n1\n")
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    return {"path": "data/trial", "sha256": "0" * 64, "files": files, "synthetic": synthetic}


def _archive(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name.split("/", 1)[1]: tar.extractfile(m).read()
                for m in tar.getmembers() if m.isfile()}


def test_publish_includes_the_source_license_and_the_synthetic_data(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    root = _fake_build(root, _package(root, synthetic=True))
    for name, text in [("LICENSE", "MIT"), ("README.md", "# mcbi"), ("Makefile", "book:"),
                       ("requirements.txt", "pandas==3.0\n"), ("_config.yml", "title: t\n"),
                       ("src/mcbi/__init__.py", '"""x"""\n'), ("notebooks/01_a.ipynb", "{}"),
                       ("book/intro.md", "# Intro\n"), ("book/_generated/x.md", "generated"),
                       ("src/mcbi/__pycache__/x.pyc", "cache"), ("tests/test_x.py", "")]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    files = _archive(publish(root / "dist", root=root))
    assert {"LICENSE", "data/trial/datapackage.json", "data/trial/x.csv",
            "source/LICENSE", "source/README.md", "source/Makefile", "source/_config.yml",
            "source/requirements.txt", "source/src/mcbi/__init__.py",
            "source/notebooks/01_a.ipynb", "source/book/intro.md"} <= set(files)
    assert not any("_generated" in n or "__pycache__" in n or "tests/" in n
                   or "book/sections" in n for n in files)
    assert "synthetic data package this build used" in files["README.md"].decode()


def test_publish_leaves_out_data_that_are_not_synthetic(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    root = _fake_build(root, _package(root, synthetic=False))
    files = _archive(publish(root / "dist", root=root))
    assert not any(n.startswith("data/") for n in files)
    assert "is NOT included" in files["README.md"].decode()
    assert "real trial data must not be published" in files["README.md"].decode()


def test_publish_leaves_out_a_package_changed_since_the_build(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    root = _fake_build(root, _package(root, synthetic=True))
    (root / "data" / "trial" / "x.csv").write_text("a\n2\n")
    files = _archive(publish(root / "dist", root=root))
    assert not any(n.startswith("data/") for n in files)
    assert "x.csv no longer match" in files["README.md"].decode()


def test_publish_includes_the_pdf_of_this_build_only(tmp_path: Path) -> None:
    root = _fake_build(tmp_path / "p")
    pdf_dir = root / "_build" / "pdf"
    pdf_dir.mkdir()
    (pdf_dir / "mcbi-book.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    record = {"version": "9.9.9", "commit": "abc1234", "build_date": "2026-01-02T03:04:05Z",
              "sha256": hashlib.sha256(b"%PDF-1.4\n%%EOF\n").hexdigest()}
    (pdf_dir / "mcbi-book.json").write_text(json.dumps(record))
    files = _archive(publish(root / "a", root=root))
    assert files["mcbi-book.pdf"] == b"%PDF-1.4\n%%EOF\n"
    assert json.loads(files["mcbi-book.json"])["sha256"] == record["sha256"]
    assert "`mcbi-book.pdf`: the whole book" in files["README.md"].decode()
    (pdf_dir / "mcbi-book.json").write_text(json.dumps({**record, "commit": "0ld0ld0"}))
    assert "mcbi-book.pdf" not in _archive(publish(root / "b", root=root))
    # a PDF changed after it was recorded is not this build's
    (pdf_dir / "mcbi-book.json").write_text(json.dumps(record))
    (pdf_dir / "mcbi-book.pdf").write_bytes(b"%PDF-1.4\nother\n%%EOF\n")
    assert "mcbi-book.pdf" not in _archive(publish(root / "c", root=root))


def test_publish_is_deterministic(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    root = _fake_build(root, _package(root, synthetic=True))
    first = publish(root / "a", root=root).read_bytes()
    second = publish(root / "b", root=root).read_bytes()
    assert first == second


def test_publish_refuses_a_missing_executed_notebook(tmp_path: Path) -> None:
    root = _fake_build(tmp_path / "p")
    (root / "book" / "sections" / "01_a.ipynb").unlink()
    with pytest.raises(UserError, match="01_a.ipynb is missing"):
        publish(root / "dist", root=root)


def test_publish_cli_on_a_real_toy_build(built_toy: BuiltToy, tmp_path: Path) -> None:
    proc = mcbi_cli(built_toy.root, "publish", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    archive = next(tmp_path.glob("mcbi-book-*-unknown.tar.gz"))
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert any(n.endswith("/html/book/sections/01_alpha.html") for n in names)
    assert any(n.endswith("/notebooks/02_beta.ipynb") for n in names)


def test_publish_cli_refuses_clearly(tmp_path: Path) -> None:
    proc = mcbi_cli(tmp_path, "publish")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: the book has not been built")


def test_published_citation_carries_the_builds_repository_and_doi(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The archive's CITATION.cff has the address and DOI of the build's setting (here from
    the environment); the committed copy under source/ is left as it is."""
    root = _fake_build(tmp_path / "p")
    (root / "CITATION.cff").write_text("cff-version: 1.2.0\nversion: 9.9.9\n")
    monkeypatch.setenv("MCBI_REPOSITORY_URL", "https://github.com/o/r")
    monkeypatch.setenv("MCBI_DOI", "10.5281/zenodo.7")
    files = _archive(publish(Path("dist"), root=root))
    cff = yaml.safe_load(files["CITATION.cff"])
    assert cff["repository-code"] == "https://github.com/o/r"
    assert cff["doi"] == "10.5281/zenodo.7"
    monkeypatch.delenv("MCBI_REPOSITORY_URL")
    monkeypatch.delenv("MCBI_DOI")
    unset = yaml.safe_load(_archive(publish(Path("dist2"), root=root))["CITATION.cff"])
    assert "repository-code" not in unset and "doi" not in unset
