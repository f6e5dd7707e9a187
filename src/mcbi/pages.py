"""Generated book pages: the codebook (from ``datapackage.json``) and the generating
parameters (from :mod:`mcbi.parameters`).

The pipeline calls :func:`generate_pages` before Jupyter Book runs; the pages land in
``book/_generated/`` and are included by ``book/codebook.md`` and
``book/appendix_parameters.md``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from mcbi.instruments import PATIENT_INSTRUMENTS, THERAPIST_INSTRUMENTS
from mcbi.parameters import parameter_table
from mcbi.report import fmt_num, markdown_table
from mcbi.simulate import DEFAULT_SEED, implied_effects

_ITEM = re.compile(r"^(?P<prefix>[a-z]+)_(?P<n>\d{2})$")


def _constraint_text(field: dict) -> str:
    c = field.get("constraints", {})
    parts = []
    if "enum" in c:
        parts.append("one of " + ", ".join(f"`{v}`" for v in c["enum"]))
    if "minimum" in c or "maximum" in c:
        parts.append(f"{c.get('minimum', '')} to {c.get('maximum', '')}")
    if "pattern" in c:
        parts.append(f"pattern `{c['pattern']}`")
    if c.get("required"):
        parts.append("required")
    return "; ".join(parts)


def _field_rows(resource: dict) -> pd.DataFrame:
    """One row per field; runs of item fields collapse into one row per instrument."""
    rows: list[dict] = []
    for field in resource["schema"]["fields"]:
        m = _ITEM.match(field["name"])
        if m and rows and rows[-1].get("_prefix") == m["prefix"]:
            last = rows[-1]
            last["column"] = f"`{last['_first']}` … `{field['name']}`"
            last["_n"] += 1
            if "reverse-keyed" in field["description"]:
                last["_rev"].append(int(m["n"]))
            continue
        row = {"column": f"`{field['name']}`", "type": field["type"],
               "description": field.get("description", ""),
               "values": _constraint_text(field)}
        if field.get("unit"):
            row["values"] = (row["values"] + f"; unit: {field['unit']}").strip("; ")
        if m:
            row.update(_prefix=m["prefix"], _first=field["name"], _n=1,
                       _rev=[int(m["n"])] if "reverse-keyed" in field["description"] else [])
            row["description"] = field["description"].split(", item")[0]
            row["values"] += f"; anchors: {field.get('anchors', '')}"
        rows.append(row)
    for row in rows:
        if "_prefix" in row:
            rev = ", ".join(str(i) for i in row["_rev"]) or "none"
            row["description"] += f" ({row['_n']} items; reverse-keyed: {rev})"
    return pd.DataFrame(rows)[["column", "type", "description", "values"]]


def codebook_markdown(package_dir: Path) -> str:
    """Render the codebook of the data package in ``package_dir`` as Markdown."""
    descriptor = json.loads((package_dir / "datapackage.json").read_text("utf-8"))
    out = [f"Data package `{descriptor['name']}`: {descriptor.get('description', '')}\n"]
    for res in descriptor["resources"]:
        schema = res["schema"]
        pk = schema.get("primaryKey", [])
        pk = [pk] if isinstance(pk, str) else pk
        out.append(f"### {res.get('title', res['name'])} (`{res['path']}`)\n")
        out.append(f"{res.get('description', '')} Primary key: "
                   + ", ".join(f"`{k}`" for k in pk) + ".")
        for fk in schema.get("foreignKeys", []):
            fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
            out.append(f" Foreign key: `{', '.join(fields)}` refers to "
                       f"`{fk['reference']['resource']}`.")
        out.append("\n\n" + markdown_table(_field_rows(res)) + "\n")
    return "".join(out)


def _runs(numbers: tuple[int, ...]) -> str:
    """``(1, 2, 3, 5)`` -> ``"1–3, 5"``."""
    if not numbers:
        return "—"
    parts, start, prev = [], numbers[0], numbers[0]
    for n in (*numbers[1:], None):
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(f"{start}–{prev}" if prev - start > 1 else (
            f"{start}, {prev}" if prev != start else f"{start}"))
        if n is not None:
            start = prev = n
    return ", ".join(parts)


def scoring_markdown() -> str:
    """The scoring key of every instrument (from the registry), assumptions flagged."""
    rows = []
    for respondent, instruments in (("therapist", THERAPIST_INSTRUMENTS),
                                    ("patient", PATIENT_INSTRUMENTS)):
        for ins in instruments:
            for scale in ins.scales:
                rows.append({
                    "respondent": respondent, "score": f"`{scale.name}`",
                    "label": scale.label,
                    "items": _runs(tuple(sorted(scale.items))),
                    "reversed": _runs(tuple(sorted(scale.reverse))),
                    "rule": f"{scale.rule} of items",
                    "key": ins.key_source,
                })
    return markdown_table(pd.DataFrame(rows))


def parameters_markdown() -> str:
    """Every generating parameter with its source, and the implied patient effects."""
    table = parameter_table()
    table["name"] = "`" + table["name"] + "`"
    effects = implied_effects()
    effects["implied"] = effects["implied"].map(lambda v: fmt_num(v, 3))
    effects["study_target"] = effects["study_target"].map(lambda v: fmt_num(v, 2))
    effects = effects.rename(columns={"implied": "implied by the paths",
                                      "study_target": "listed in the study notes"})
    return ("## Generating parameters\n\n"
            + f"The shipped package is generated with seed {DEFAULT_SEED} "
              "(`python -m mcbi simulate --out data/trial`); any other seed gives another "
              "draw from the same process.\n\n"
            + markdown_table(table)
            + "\n## Patient effects implied by the mechanism\n\n"
            + "Arm effects on patients' latent change (MCBI − control, baseline-SD units) "
              "that the paths above imply, beside the values listed in the project's "
              "study notes.\n\n"
            + markdown_table(effects, "llrr"))


def generate_pages(book_dir: Path, data_dir: Path) -> list[Path]:
    """Write the generated pages into ``book_dir/_generated``; return their paths."""
    out = Path(book_dir) / "_generated"
    out.mkdir(parents=True, exist_ok=True)
    pages = {
        "codebook.md": codebook_markdown(Path(data_dir)),
        "scoring.md": scoring_markdown(),
        "parameters.md": parameters_markdown(),
    }
    return write_pages(out, pages)


def write_pages(folder: Path, pages: dict[str, str]) -> list[Path]:
    """Write ``{file name: text}`` into ``folder``, leaving unchanged files untouched."""
    written = []
    for name, text in pages.items():
        path = folder / name
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
        written.append(path)
    return written
