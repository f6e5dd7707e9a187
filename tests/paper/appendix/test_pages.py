"""mcbi.paper.appendix.pages: the generated codebook, scoring key and parameter pages."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from _datafixtures import DATA, REPO
from mcbi.book.pages import write_pages
from mcbi.paper.appendix import pages
from mcbi.synth.parameters import PARAMETERS
from mcbi.trial.codebook import ITEM_FIELD
from mcbi.trial.instruments import PATIENT_INSTRUMENTS, THERAPIST_INSTRUMENTS, find_scale

INSTRUMENTS = THERAPIST_INSTRUMENTS + PATIENT_INSTRUMENTS


# --- codebook_markdown -----------------------------------------------------------------


@pytest.fixture(scope="module")
def descriptor() -> dict:
    return json.loads((DATA / "datapackage.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def codebook() -> str:
    return pages.codebook_markdown(DATA)


def test_codebook_sections_and_keys(codebook, descriptor) -> None:
    assert codebook.startswith(f"Data package `{descriptor['name']}`")
    headings = [line for line in codebook.splitlines() if line.startswith("### ")]
    assert len(headings) == len(descriptor["resources"])
    for res in descriptor["resources"]:
        heading = f"### {res.get('title', res['name'])} (`{res['path']}`)"
        assert heading in headings
        section = codebook.split(heading, 1)[1].split("\n### ", 1)[0]
        pk = res["schema"]["primaryKey"]
        pk = [pk] if isinstance(pk, str) else pk
        assert "Primary key: " + ", ".join(f"`{k}`" for k in pk) + "." in section
        for fk in res["schema"].get("foreignKeys", []):
            fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
            assert (f"Foreign key: `{', '.join(fields)}` refers to "
                    f"`{fk['reference']['resource']}`.") in section
        if not res["schema"].get("foreignKeys"):
            assert "Foreign key" not in section
        # every non-item field has its own row
        for field in res["schema"]["fields"]:
            if not ITEM_FIELD.match(field["name"]):
                assert f"| `{field['name']}` | {field['type']} |" in section


def test_codebook_collapses_items_per_instrument(codebook) -> None:
    assert "`ffmq_01` … `ffmq_39`" in codebook
    lines = codebook.splitlines()
    for ins in INSTRUMENTS:
        cols = ins.item_columns
        rows = [line for line in lines if f"`{cols[0]}` … `{cols[-1]}`" in line]
        assert rows, ins.code
        for col in cols:  # no item keeps a row of its own
            assert not any(line.startswith(f"| `{col}` |") for line in lines), col
        reverse = sorted({i for scale in ins.scales for i in scale.reverse})
        rev_text = ", ".join(map(str, reverse)) or "none"
        for row in rows:
            assert f"({ins.n_items} items; reverse-keyed: {rev_text})" in row, ins.code


def test_codebook_shows_reverse_keyed_items(codebook) -> None:
    assert "reverse-keyed: 2, 4, 6, 8, 10, 12, 14, 16" in codebook  # EUS, both forms
    assert "reverse-keyed: 4, 9)" in codebook  # PHI
    assert "Psychotherapeutic mindfulness skills (10 items; reverse-keyed: none)" in codebook


def test_codebook_of_a_hand_made_package(tmp_path: Path) -> None:
    item = {"type": "integer", "anchors": "0 = no ... 4 = yes",
            "constraints": {"minimum": 0, "maximum": 4}}
    descriptor = {
        "name": "toy", "description": "A toy package.",
        "resources": [{
            "name": "answers", "path": "answers.csv", "description": "One row per person.",
            "schema": {
                "primaryKey": "person",
                "foreignKeys": [{"fields": "group",
                                 "reference": {"resource": "groups", "fields": "group"}}],
                "fields": [
                    {"name": "person", "type": "string", "description": "person id",
                     "constraints": {"required": True, "pattern": "P[0-9]+"}},
                    {"name": "group", "type": "string", "description": "group id",
                     "constraints": {"enum": ["a", "b"]}},
                    {**item, "name": "toy_01", "description": "Toy scale, item 1"},
                    {**item, "name": "toy_02", "description": "Toy scale, item 2 (reverse-keyed)"},
                    {**item, "name": "toy_03", "description": "Toy scale, item 3 (reverse-keyed)"},
                    {"name": "hours", "type": "number", "description": "hours slept",
                     "unit": "hours", "constraints": {"minimum": 0, "maximum": 24}},
                ],
            },
        }],
    }
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    text = pages.codebook_markdown(tmp_path)
    assert text.startswith("Data package `toy`: A toy package.")
    assert "### answers (`answers.csv`)" in text
    assert "Primary key: `person`." in text
    assert "Foreign key: `group` refers to `groups`." in text
    assert ("| `toy_01` … `toy_03` | integer | Toy scale (3 items; reverse-keyed: 2, 3) | "
            "0 to 4; anchors: 0 = no ... 4 = yes |") in text
    assert "| `person` | string | person id | pattern `P[0-9]+`; required |" in text
    assert "| `group` | string | group id | one of `a`, `b` |" in text
    assert "| `hours` | number | hours slept | 0 to 24; unit: hours |" in text


# --- scoring_markdown ------------------------------------------------------------------


def _rows(table: str) -> list[list[str]]:
    lines = [line for line in table.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in lines[1:]]


def test_scoring_one_row_per_scale() -> None:
    rows = _rows(pages.scoring_markdown())
    scales = [s for ins in INSTRUMENTS for s in ins.scales]
    assert len(rows) == len(scales)
    assert [r[1] for r in rows] == [f"`{s.name}`" for s in scales]
    assert [r[0] for r in rows] == [ins.respondent for ins in INSTRUMENTS for _ in ins.scales]


def test_scoring_flags_every_assumption() -> None:
    rows = _rows(pages.scoring_markdown())
    assumed = {s.name for ins in INSTRUMENTS if ins.is_assumed for s in ins.scales}
    assert assumed  # the registry has assumed keys (PMS, EUS, TECA, PHI, WATOCI)
    flagged = set()
    for row in rows:
        name = row[1].strip("`")
        key = row[-1]
        if find_scale(name)[0].is_assumed:
            assert key.startswith("assumption"), name
            flagged.add(name)
        else:
            assert "assumption" not in key, name
    assert flagged == assumed
    for ins in INSTRUMENTS:
        if ins.is_assumed:
            assert any(ins.key_source in r[-1] for r in rows), ins.code


def test_scoring_items_and_reverse_keys() -> None:
    rows = {r[1].strip("`"): r for r in _rows(pages.scoring_markdown())}
    assert rows["ffmq"][3] == "1\u201339"
    assert rows["ffmq_des"][4] == "12, 16, 22"
    assert rows["pms"][4] == "\u2014"
    assert rows["bsi_som"][3] == "1, 4, 7, 10, 13, 16"
    assert rows["bsi_som"][5] == "sum of items"
    assert rows["phi"][4] == "4, 9"
    assert rows["teca_eu"][3] == "2, 6, 10, 14, 18, 22, 26, 30, 33"


# --- parameters_markdown ---------------------------------------------------------------


def test_parameters_lists_every_parameter() -> None:
    text = pages.parameters_markdown()
    assert "## Generating parameters" in text
    assert "## Patient effects implied by the mechanism" in text
    for p in PARAMETERS:
        assert f"| `{p.name}` |" in text, p.name
        assert f"| {p.source} | {p.description} |" in text, p.name
    table = text.split("## Generating parameters", 1)[1].split("\n## ", 1)[0]
    assert len(_rows(table)) == len(PARAMETERS)


# --- generate_pages --------------------------------------------------------------------

NAMES = ("codebook.md", "scoring.md", "parameters.md", "ladder_simulation.md", "type1_study.md")


def test_generate_pages_returns_four_pages() -> None:
    from mcbi.paper.mechanism.evidence import evidence_markdown, find_evidence

    generated = pages.generate_pages(DATA, REPO)
    assert list(generated) == list(NAMES)
    assert generated["codebook.md"] == pages.codebook_markdown(DATA)
    assert generated["scoring.md"] == pages.scoring_markdown()
    assert generated["parameters.md"] == pages.parameters_markdown()
    assert generated["ladder_simulation.md"] == evidence_markdown(find_evidence(REPO))


def test_written_pages_leave_unchanged_files_alone(tmp_path: Path) -> None:
    out = tmp_path / "_generated"
    paths = write_pages(out, pages.generate_pages(DATA, REPO))
    assert paths == [out / name for name in NAMES]
    old = 1_000_000_000 * 10**9  # 2001: any rewrite would move the mtime to now
    for path in paths:
        os.utime(path, ns=(old, old))
    before = {p: p.read_bytes() for p in paths}
    (paths[1]).write_text("stale\n", "utf-8")
    os.utime(paths[1], ns=(old, old))
    again = write_pages(out, pages.generate_pages(DATA, REPO))
    assert again == paths
    assert paths[0].stat().st_mtime_ns == old
    assert paths[2].stat().st_mtime_ns == old
    assert paths[1].stat().st_mtime_ns != old  # the changed file is rewritten
    assert {p: p.read_bytes() for p in paths} == before
