"""The repository address and DOI: shown and written when set, nowhere when unset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mcbi.book import citation as c
from mcbi.errors import UserError

REPO = Path(__file__).resolve().parents[2]


def test_unset_identifiers_write_nothing_and_leave_the_files_as_committed() -> None:
    ids = c.identifiers({"repository": {"url": "", "doi": ""}}, environ={})
    assert ids == c.Identifiers()
    assert c.repository_md(ids) == ""
    for path, rewrite in ((REPO / "CITATION.cff", c.cff_text),
                          (REPO / ".zenodo.json", c.zenodo_text)):
        text = path.read_text("utf-8")
        assert rewrite(text, ids) == text, path.name


def test_committed_citation_files_agree_with_the_committed_setting() -> None:
    ids = c.read_identifiers(REPO / "_config.yml", environ={})
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text("utf-8"))
    zenodo = json.loads((REPO / ".zenodo.json").read_text("utf-8"))
    assert cff.get("repository-code", "") == ids.url
    assert cff.get("doi", "") == ids.doi
    assert zenodo.get("doi", "") == ids.doi


def test_environment_overrides_and_doi_forms_are_normalised() -> None:
    config = {"repository": {"url": "https://example.org/a", "doi": "10.1234/x"}}
    env = {c.REPOSITORY_ENV: "https://github.com/o/r", c.DOI_ENV: "https://doi.org/10.5281/zenodo.7"}
    ids = c.identifiers(config, env)
    assert ids == c.Identifiers("https://github.com/o/r", "10.5281/zenodo.7")
    assert ids.doi_url == "https://doi.org/10.5281/zenodo.7"
    assert c.identifiers(config, {}).doi == "10.1234/x"
    assert c.normalize_doi("doi:10.1037/pst0000467", "x") == "10.1037/pst0000467"


@pytest.mark.parametrize(("env", "message"), [({c.DOI_ENV: "zenodo.7"}, "MCBI_DOI"),
                                              ({c.REPOSITORY_ENV: "github.com/o/r"},
                                               "MCBI_REPOSITORY_URL")])
def test_malformed_settings_are_refused_naming_their_source(env: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        c.identifiers({}, env)


def test_set_identifiers_go_into_the_page_the_cff_and_zenodo() -> None:
    ids = c.Identifiers("https://github.com/o/r", "10.5281/zenodo.7")
    md = c.repository_md(ids)
    assert "[github.com/o/r](https://github.com/o/r)" in md
    assert "[doi.org/10.5281/zenodo.7](https://doi.org/10.5281/zenodo.7)" in md
    cff = yaml.safe_load(c.cff_text((REPO / "CITATION.cff").read_text("utf-8"), ids))
    assert cff["repository-code"] == ids.url and cff["doi"] == ids.doi
    assert cff["preferred-citation"]["doi"] == "10.1037/pst0000467"
    zen = json.loads(c.zenodo_text((REPO / ".zenodo.json").read_text("utf-8"), ids))
    assert zen["doi"] == ids.doi
    assert {"identifier": ids.url, "relation": "isSupplementTo", "scheme": "url",
            "resource_type": "software"} in zen["related_identifiers"]
    # and back: unsetting removes them again
    again = c.Identifiers()
    assert "repository-code" not in c.cff_text(c.cff_text("version: 1\n", ids), again)
    assert "doi" not in json.loads(c.zenodo_text(json.dumps(zen), again))


def test_sync_follows_the_committed_setting_not_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CITATION.cff", ".zenodo.json"):
        (tmp_path / name).write_text((REPO / name).read_text("utf-8"), "utf-8")
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: ''\n", "utf-8")
    monkeypatch.setenv(c.DOI_ENV, "10.5281/zenodo.7")
    assert c.sync_citation_files(config, tmp_path / "CITATION.cff",
                                 tmp_path / ".zenodo.json") == []
    config.write_text("repository:\n  url: https://github.com/o/r\n  doi: 10.5281/zenodo.9\n")
    changed = c.sync_citation_files(config, tmp_path / "CITATION.cff", tmp_path / ".zenodo.json")
    assert [p.name for p in changed] == ["CITATION.cff", ".zenodo.json"]
    cff = yaml.safe_load((tmp_path / "CITATION.cff").read_text("utf-8"))
    assert cff["doi"] == "10.5281/zenodo.9" and cff["repository-code"] == "https://github.com/o/r"
