"""A draft mapping from the source files' variable names, variable labels and value labels.

:func:`draft_mapping` proposes, for every table and field of the package, the column it
comes from (:mod:`.vocabulary` lists the words it recognises), the code map of each
categorical field (from SPSS value labels, or from the values themselves), the wave
suffixes of wide files, the item pattern of each instrument and the codes that look like
missing values. Every field it cannot match is written as ``TODO`` with a comment saying
what is needed; the importer refuses a mapping that still holds one.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcbi.errors import UserError
from mcbi.trial import design
from mcbi.trial.importing import vocabulary as vocab
from mcbi.trial.importing.mapping import (
    FORMAT,
    ID_OF,
    PERSON_TABLES,
    RESPONSE_TABLES,
    TABLES,
    TODO,
    canonical_fields,
)
from mcbi.trial.importing.problems import raise_if
from mcbi.trial.importing.sources import (
    SourceError,
    SourceTable,
    code_key,
    kind,
    number,
    read_csv,
    read_sav,
    read_xlsx,
    sheet_names,
)

_ITEM_BASE = re.compile(r"^(?P<stem>.*?\D)(?P<num>\d+)$")
_MAX_CODES = 30
_MISSING_WORDS = {"missing", "perdido", "perdidos", "nc", "ns", "contesta", "sabe",
                  "dato", "blank"}


@dataclass
class _Src:
    file: str
    sheet: str | None
    table: SourceTable

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.table.frame.columns]


def _load(paths: list[Path]) -> list[_Src]:
    out, problems = [], []
    for path in paths:
        try:
            if kind(path) == "xlsx":
                out.extend(_Src(path.name, s, read_xlsx(path, s)) for s in sheet_names(path))
            elif kind(path) == "sav":
                out.append(_Src(path.name, None, read_sav(path)))
            else:
                out.append(_Src(path.name, None, read_csv(path)))
        except SourceError as exc:
            problems.append(exc.problem)
    raise_if(problems, "draft refused")
    return out


def _q(value: Any) -> str:
    """A scalar as YAML (strings quoted as JSON, which YAML reads)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def _suffix(column: str, syn: str) -> tuple[str, str] | None:
    """(base, suffix) if ``column`` ends with the wave word ``syn`` after a separator."""
    if len(column) <= len(syn) or column[-len(syn):].lower() != syn:
        return None
    before = column[-len(syn) - 1]
    if before in "_." or before.isdigit():
        return column[:-len(syn)], column[-len(syn):]
    return None


def _waves(srcs: list[_Src]) -> dict[str, str]:
    """The suffix of each wave in wide files (the commonest spelling, in >= 2 columns)."""
    counts: Counter = Counter()
    for src in srcs:
        for col in src.columns:
            for wave, syns in vocab.WAVES.items():
                for syn in sorted(syns, key=len, reverse=True):
                    found = _suffix(col, syn)
                    if found:
                        counts[(wave, found[1])] += 1
                        break
    out = {}
    for wave in design.WAVES:
        best = [(n, s) for (w, s), n in counts.items() if w == wave and n >= 2]
        if best:
            out[wave] = max(best)[1]
    return out


def _wave_of(column: str, waves: dict[str, str]) -> tuple[str, str] | None:
    """(base without separator, wave) of a wide column, or None."""
    for wave, suffix in waves.items():
        if column.endswith(suffix) and len(column) > len(suffix):
            base = column[:-len(suffix)]
            if base[-1] in "_." or base[-1].isdigit():
                return base, wave
    return None


def _find(src: _Src, names: tuple[str, ...], waves: dict[str, str],
          taken: set[str]) -> str | None:
    """The person-level column called one of ``names`` (or whose label says so)."""
    person = [c for c in src.columns if c not in taken and _wave_of(c, waves) is None]
    for c in person:
        if vocab.normal(c) in names:
            return c
    for c in person:
        label = src.table.labels.get(c)
        if label and vocab.words(label) & {n for n in names if "_" not in n and len(n) > 3}:
            return c
    return None


def _id_column(src: _Src, field: str, waves: dict[str, str]) -> str | None:
    return _find(src, vocab.IDS[field], waves, set())


def _codes(src: _Src, col: str, field: str, allowed: list[str]) -> tuple[
        list[tuple[Any, str, str | None]], list[Any]]:
    """[(code, label, package value or None)] and the codes that look like 'missing'."""
    labels = dict(src.table.value_labels.get(col, {}))
    values = [v for v in src.table.frame[col].tolist() if v is not None]
    for v in dict.fromkeys(values):
        if code_key(v) not in {code_key(k) for k in labels}:
            labels[v] = str(v)
    if len(labels) > _MAX_CODES:
        return [], []
    out, missing = [], []
    for code, label in labels.items():
        if str(code) in allowed:
            out.append((code, label, str(code)))
            continue
        words = vocab.words(label)
        if words & _MISSING_WORDS:
            missing.append(code)
            continue
        hits = {target for target, syns in vocab.VALUES[field].items()
                if words & set(syns)}
        out.append((code, label, hits.pop() if len(hits) == 1 else None))
    return out, missing


def _item_groups(src: _Src, waves: dict[str, str], wide: bool) -> dict[str, dict]:
    """Item columns grouped by stem: normalised stem -> {stem, sep, numbers, waves}."""
    groups: dict[str, dict] = {}
    for col in src.columns:
        if wide:
            parsed = _wave_of(col, waves)
            if parsed is None:
                continue
            base, wave = parsed
        else:
            base, wave = col, ""
        sep = base[-1] if base and base[-1] in "_." else ""
        m = _ITEM_BASE.match(base[:-1] if sep else base)
        if not m:
            continue
        stem = vocab.normal(m["stem"])
        g = groups.setdefault(stem, {"stem": m["stem"], "sep": sep, "nums": {},
                                     "waves": set()})
        g["nums"].setdefault(int(m["num"]), m["num"])
        g["waves"].add(wave)
    return groups


def _item_pattern(groups: dict, prefix: str, n_items: int,
                  wide: bool) -> tuple[str | None, str]:
    """The pattern of an instrument's item columns, or None and why."""
    found = [(len(g["nums"]), key) for key, g in groups.items()
             if key in vocab.INSTRUMENTS[prefix]]
    if not found:
        return None, "no item columns found"
    g = groups[max(found)[1]]
    want = set(range(1, n_items + 1))
    if not want <= set(g["nums"]):
        lacking = sorted(want - set(g["nums"]))
        return None, (f"columns {g['stem']}... lack items "
                      f"{', '.join(map(str, lacking[:10]))}")
    first = g["nums"][1]
    item = f"{{item:0{len(first)}}}" if first.startswith("0") else "{item}"
    return g["stem"] + item + ((g["sep"] + "{wave}") if wide else ""), ""


def _missing_codes(src: _Src, groups: dict, instruments) -> list[int]:
    """Values outside every item range that are usual missing codes."""
    seen: set[int] = set()
    for ins in instruments:
        for key in vocab.INSTRUMENTS[ins.prefix]:
            if key not in groups:
                continue
            for col in src.columns:
                if vocab.normal(col).startswith(key):
                    for v in src.table.frame[col].tolist():
                        num = number(v, src.table.decimal)
                        if num is not None and num.is_integer() and not (
                                ins.low <= num <= ins.high):
                            seen.add(int(num))
    return sorted(v for v in seen if v in vocab.MISSING_CODES)


_HEADER = """\
# Draft mapping written by `python -m mcbi import --draft-mapping` from {sources}.
# Check every line against your files; fill in each TODO (the comment above it says
# what is needed), then run:
#   python -m mcbi import {args} --mapping {mapping} --out data/real
# The format is documented in docs/mapping.md. Item responses are mapped raw: the
# project scores them and applies the reverse keys itself.
"""


class _Writer:
    def __init__(self, srcs: list[_Src], waves: dict[str, str]) -> None:
        self.srcs, self.waves = srcs, waves
        self.lines: list[str] = []
        self.used: dict[int, set[str]] = {id(s): set() for s in srcs}
        self.todo = 0

    def add(self, text: str) -> None:
        self.lines.append(text)

    def todo_line(self, indent: str, key: str, why: str) -> None:
        self.todo += 1
        self.add(f"{indent}# TODO: {why}")
        self.add(f"{indent}{key}: {TODO}")

    def wave_column(self, src: _Src) -> str | None:
        return _find(src, vocab.WAVE_COLUMN, {}, set())

    def choose(self, table: str) -> _Src | None:
        pid = {id(s): _id_column(s, design.PATIENT_ID, self.waves) for s in self.srcs}
        patient_level = table.startswith("patient")
        candidates = [s for s in self.srcs if (pid[id(s)] is not None) == patient_level
                      and _id_column(s, ID_OF[table], self.waves) is not None]
        if not candidates:
            return None
        if table in PERSON_TABLES:
            fields = [f for f in vocab.FIELDS if f in {c["name"] for c in canonical_fields()[
                table]}]
            return max(candidates, key=lambda s: (self.wave_column(s) is None, sum(
                _find(s, vocab.FIELDS[f], self.waves, set()) is not None for f in fields)))
        prefixes = [ins.prefix for ins in RESPONSE_TABLES[table]]
        return max(candidates, key=lambda s: sum(
            k in vocab.INSTRUMENTS[p] for k in _item_groups(
                s, self.waves, self.wave_column(s) is None) for p in prefixes))

    def field(self, src: _Src, canon: dict, indent: str, taken: set[str],
              names: tuple[str, ...]) -> None:
        name = canon["name"]
        col = _find(src, names, self.waves, taken)
        if col is None:
            self.todo_line(indent, name, f"the column holding {canon['description']}, "
                           f"e.g. {name}: \"column_name\"")
            return
        taken.add(col)
        self.used[id(src)].add(col)
        allowed = canon.get("constraints", {}).get("enum")
        if not allowed or name in ID_OF.values():
            self.add(f"{indent}{name}: {_q(col)}")
            return
        codes, missing = _codes(src, col, name, [str(a) for a in allowed])
        if codes and all(str(c) == t for c, _, t in codes) and not missing:
            self.add(f"{indent}{name}: {_q(col)}  # values already {', '.join(allowed)}")
            return
        self.add(f"{indent}{name}:")
        self.add(f"{indent}  column: {_q(col)}")
        if not codes:
            self.todo_line(indent + "  ", "codes", f"map each code of {col} to one of "
                           f"{', '.join(allowed)}, e.g. codes: {{1: {allowed[0]}}}")
            return
        self.add(f"{indent}  codes:")
        for code, label, target in codes:
            note = f"  # {label}" if str(label) != str(code) else ""
            if target is None:
                self.todo += 1
                shown = code_key(label) if label == code else label
                note = f"  # TODO: {shown}: one of {', '.join(allowed)}"
            self.add(f"{indent}    {_q(code)}: {_q(target) if target else TODO}{note}")
        if missing:
            self.add(f"{indent}  missing: [{', '.join(_q(m) for m in missing)}]"
                     "  # labelled as missing")

    def table(self, name: str) -> None:
        canon = canonical_fields()[name]
        self.add(f"  {name}:")
        src = self.choose(name)
        if src is None:
            self.todo_line("    ", "source", "the file holding this table (no file has "
                           f"a column recognised as {ID_OF[name]})")
            return
        self.add(f"    source: {_q(src.file)}")
        if src.sheet is not None:
            self.add(f"    sheet: {_q(src.sheet)}")
        wave_col = self.wave_column(src)
        long = wave_col is not None
        if name in RESPONSE_TABLES:
            self.add(f"    layout: {'long' if long else 'wide'}")
            present = {w for c in src.columns for w in [(_wave_of(c, self.waves) or
                                                         ("", ""))[1]] if w}
            if not long and present != set(self.waves):
                shown = ", ".join(f"{w}: {_q(s)}" for w, s in self.waves.items()
                                  if w in present)
                self.add(f"    waves: {{{shown}}}  # the waves found in this file")
        self.add("    fields:")
        taken: set[str] = set()
        for c in canon:
            fname = c["name"]
            if fname in ID_OF.values():
                self.field(src, c, "      ", taken, vocab.IDS[fname])
            elif fname == design.WAVE and long:
                self.field(src, c, "      ", taken, (vocab.normal(wave_col),))
            elif fname in vocab.FIELDS:
                self.field(src, c, "      ", taken, vocab.FIELDS[fname])
        if name in RESPONSE_TABLES:
            self.items(src, name, long)

    def items(self, src: _Src, name: str, long: bool) -> None:
        groups = _item_groups(src, self.waves, not long)
        self.add("    items:")
        for ins in RESPONSE_TABLES[name]:
            pattern, why = _item_pattern(groups, ins.prefix, ins.n_items, not long)
            if pattern is None:
                example = f"{ins.prefix}{{item}}" + ("" if long else "_{wave}")
                self.todo_line("      ", ins.prefix, f"{ins.name}, {ins.n_items} items "
                               f"({why}): the pattern of its columns, e.g. \"{example}\", "
                               "or ~ if it was not collected")
                continue
            size = "" if "items" in ins.name else f", {ins.n_items} items"
            self.add(f"      {ins.prefix}: {_q(pattern)}  # {ins.name}{size}")
            for col in src.columns:
                base = (_wave_of(col, self.waves) or (col, ""))[0] if not long else col
                base = base[:-1] if base and base[-1] in "_." else base
                m = _ITEM_BASE.match(base)
                if m and vocab.normal(m["stem"]) in vocab.INSTRUMENTS[ins.prefix] and \
                        pattern.startswith(m["stem"]) and 1 <= int(m["num"]) <= ins.n_items:
                    self.used[id(src)].add(col)


def draft_mapping(sources: list[str | Path], name: str = "MAP.yaml") -> tuple[str, int]:
    """Write a draft mapping for ``sources``.

    Parameters
    ----------
    sources : list of str or Path
        The data holder's files.
    name : str
        The mapping's path, for the command the draft's header shows.

    Returns
    -------
    (str, int)
        The YAML text (with comments) and the number of TODO marks in it.

    Raises
    ------
    ImportRefused
        If a source cannot be read.
    """
    paths = [Path(s) for s in sources]
    srcs = _load(paths)
    waves = _waves(srcs)
    w = _Writer(srcs, waves)
    names = ", ".join(p.name for p in paths)
    w.add(_HEADER.format(sources=names, args=" ".join(str(p) for p in paths),
                         mapping=name).rstrip("\n"))
    w.add(f"mcbi_mapping: {FORMAT}")
    w.add("")
    w.add("package:")
    w.add('  title: "MCBI for psychotherapists and their patients: trial data"')
    w.add("")
    missing = sorted({m for s in srcs for m in _missing_codes(
        s, _item_groups(s, waves, w.wave_column(s) is None),
        [i for ins in RESPONSE_TABLES.values() for i in ins])})
    declared = sorted({code for s in srcs for codes in s.table.missing_codes.values()
                       for code in codes}, key=str)
    if declared:
        w.add("# user-missing codes declared in the SPSS file(s) are read as missing: "
              + ", ".join(map(_q, declared)))
    w.add("# codes that mean 'not answered' in every column but the identifiers"
          + (" (found outside the items' ranges)" if missing else ""))
    w.add(f"missing: [{', '.join(map(_q, missing))}]")
    w.add("")
    if waves:
        w.add("# wide files: the suffix of each wave in the column names (a wave not "
              "collected is left out)")
        w.add("waves: {" + ", ".join(f"{k}: {_q(v)}" for k, v in waves.items()) + "}")
        w.add("")
    csvs = [s for s in srcs if kind(Path(s.file)) == "csv" and s.table.decimal != "."]
    if csvs:
        w.add("sources:")
        for s in csvs:
            w.add(f"  {_q(s.file)}: {{decimal: {_q(s.table.decimal)}}}")
        w.add("")
    w.add("tables:")
    first_table: dict[int, int] = {}
    for name in TABLES:
        start = len(w.lines)
        w.table(name)
        src = w.choose(name)
        if src is not None:
            first_table.setdefault(id(src), start)
    _add_drops(w, first_table)
    return "\n".join(w.lines) + "\n", w.todo


def _add_drops(w: _Writer, first_table: dict[int, int]) -> None:
    """List each source's unmapped columns under 'drop' of the first table reading it."""
    inserts = []
    for src in w.srcs:
        if id(src) not in first_table:
            continue
        left = [c for c in src.columns if c not in w.used[id(src)]]
        if not left:
            continue
        end = first_table[id(src)] + 1
        while end < len(w.lines) and not re.match(r"^  \S", w.lines[end]):
            end += 1
        inserts.append((end, [
            "    # columns of this file the draft did not map: keep here those that are "
            "not the trial's data (scores, notes); map the others",
            "    drop: [" + ", ".join(_q(c) for c in left) + "]"]))
    for end, lines in sorted(inserts, reverse=True):
        w.lines[end:end] = lines


def write_draft(sources: list[str | Path], out: str | Path) -> tuple[Path, int]:
    """Write the draft mapping to ``out`` (never over an existing file).

    Returns
    -------
    (Path, int)
        ``out`` and the number of TODO marks to fill in.
    """
    out = Path(out)
    if out.exists():
        raise UserError(f"{out} exists; the draft is not written over it (it may hold "
                        "your edits): remove it or choose another name")
    text, todo = draft_mapping(sources, str(out))
    out.write_text(text, encoding="utf-8")
    return out, todo
