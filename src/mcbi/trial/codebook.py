"""The codebook as data: one row per field of a resource, and the scoring key.

Rendering to Markdown is the paper layer's job (:mod:`mcbi.paper.appendix.pages`).
"""

from __future__ import annotations

import re

import pandas as pd

from mcbi.trial.instruments import PATIENT_INSTRUMENTS, THERAPIST_INSTRUMENTS

ITEM_FIELD = re.compile(r"^(?P<prefix>[a-z]+)_(?P<n>\d{2})$")


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


def field_rows(resource: dict) -> pd.DataFrame:
    """One row per field; runs of item fields collapse into one row per instrument."""
    rows: list[dict] = []
    for field in resource["schema"]["fields"]:
        m = ITEM_FIELD.match(field["name"])
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


def item_runs(numbers: tuple[int, ...]) -> str:
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


def scoring_table() -> pd.DataFrame:
    """The scoring key of every instrument (from the registry), one row per score."""
    rows = []
    for respondent, instruments in (("therapist", THERAPIST_INSTRUMENTS),
                                    ("patient", PATIENT_INSTRUMENTS)):
        for ins in instruments:
            for scale in ins.scales:
                rows.append({
                    "respondent": respondent, "score": f"`{scale.name}`",
                    "label": scale.label,
                    "items": item_runs(tuple(sorted(scale.items))),
                    "reversed": item_runs(tuple(sorted(scale.reverse))),
                    "rule": f"{scale.rule} of items",
                    "key": ins.key_source,
                })
    return pd.DataFrame(rows)
