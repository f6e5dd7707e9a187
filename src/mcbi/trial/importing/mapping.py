"""The mapping file (``MAP.yaml``): where each field of the package comes from.

The format is documented for data holders in ``docs/mapping.md``. :func:`load_mapping`
parses and checks a mapping against the canonical schema and returns a
:class:`Mapping` in which every field of every table is resolved (the item patterns of
each instrument expanded); every problem is reported at once, naming the mapping key.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mcbi.trial import design
from mcbi.trial.importing.problems import ImportProblem, key, raise_if
from mcbi.trial.importing.sources import code_key
from mcbi.trial.instruments import PATIENT_INSTRUMENTS, THERAPIST_INSTRUMENTS
from mcbi.trial.schema import package_descriptor

FORMAT = 1
"""The mapping format this importer reads (``mcbi_mapping: 1``)."""

TODO = "TODO"
"""What a draft mapping writes where it could not match a field."""

PERSON_TABLES = ("therapists", "patients")
RESPONSE_TABLES = {"therapist_responses": THERAPIST_INSTRUMENTS,
                   "patient_responses": PATIENT_INSTRUMENTS}
TABLES = (*PERSON_TABLES, *RESPONSE_TABLES)
ID_OF = {"therapists": design.THERAPIST_ID, "patients": design.PATIENT_ID,
         "therapist_responses": design.THERAPIST_ID,
         "patient_responses": design.PATIENT_ID}
LAYOUTS = ("wide", "long")
_TOP_KEYS = ("mcbi_mapping", "package", "missing", "waves", "sources", "tables")
_TABLE_KEYS = ("source", "sheet", "layout", "waves", "missing", "fields", "items", "drop")
_FIELD_KEYS = ("column", "codes", "missing")
_SOURCE_KEYS = ("delimiter", "decimal", "encoding")
_PACKAGE_KEYS = ("name", "title", "description")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_ITEM = re.compile(r"^item(?::0?(\d))?$")


@dataclass
class FieldSpec:
    """Where one canonical field comes from.

    ``column`` is a source column, or a pattern holding ``{wave}`` in a wide table; None
    when the field was not collected (its column is left empty). ``codes`` maps source
    codes (as :func:`mcbi.trial.importing.sources.code_key` keys) to package values;
    ``missing`` holds the keys that mean "missing" for this field.
    """

    name: str
    column: str | None
    codes: dict[str, Any] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    key: str = ""


@dataclass
class TableSpec:
    """One table of the package: its source, layout, waves and fields."""

    name: str
    source: str | None
    sheet: str | None
    layout: str
    waves: dict[str, str]
    fields: dict[str, FieldSpec]
    drop: list[str]

    @property
    def id_field(self) -> str:
        """The person identifier of the table."""
        return ID_OF[self.name]


@dataclass
class Mapping:
    """A checked mapping: every table and field resolved."""

    path: Path
    tables: dict[str, TableSpec]
    sources: dict[str, dict[str, str]]
    package: dict[str, str]


def canonical_fields() -> dict[str, list[dict]]:
    """The canonical fields of each table, from the package descriptor."""
    return {r["name"]: r["schema"]["fields"] for r in package_descriptor()["resources"]}


def expand_item(pattern: str, number: int) -> str:
    """Put item ``number`` into ``pattern`` (``{item}`` or zero-padded ``{item:02}``)."""
    def sub(m: re.Match) -> str:
        item = _ITEM.match(m[1])
        if not item:
            return m[0]
        return f"{number:0{int(item[1] or 0)}d}"
    return _PLACEHOLDER.sub(sub, pattern)


def expand_wave(pattern: str, suffix: str) -> str:
    """Put a wave's suffix into ``pattern``."""
    return pattern.replace("{wave}", suffix)


def _is_todo(value: Any) -> bool:
    return isinstance(value, str) and value.strip().upper().startswith(TODO)


class _Checker:
    """Collects the problems of one mapping file while it is parsed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[ImportProblem] = []
        self.unknown: set[str] = set()

    def add(self, where: str, rule: str, detail: str) -> None:
        self.problems.append(ImportProblem(self.path.name, key(where) if where else "",
                                           rule, detail))

    def mapping(self, value: Any, where: str, allowed: tuple[str, ...]) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(where, "well-formed mapping", f"must be a set of 'key: value' lines, "
                     f"not {type(value).__name__}")
            return {}
        for k in value:
            if k not in allowed:
                self.unknown.add(where)
                close = difflib.get_close_matches(str(k), [a for a in allowed
                                                           if a not in value], n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.add(f"{where}.{k}" if where else str(k), "known keys",
                         f"'{k}' is not a key here{hint}; the keys are {', '.join(allowed)}")
        return value

    def unmapped(self, container: str, where: str, detail: str) -> None:
        """A required key is absent (not reported when the container has an unknown key:
        that problem names the cause)."""
        if container not in self.unknown:
            self.add(where, "required field", detail)

    def todo(self, value: Any, where: str) -> bool:
        if _is_todo(value):
            self.add(where, "filled in", "still marked TODO: fill it in (see the comment "
                     "above it in the draft), or remove the line if it does not apply")
            return True
        return False

    def pattern(self, value: Any, where: str, need: tuple[str, ...],
                forbid: tuple[str, ...]) -> str | None:
        if self.todo(value, where):
            return None
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value):
            self.add(where, "column name", "must be a column name (text)")
            return None
        text = str(value)
        names = _PLACEHOLDER.findall(text)
        rest = _PLACEHOLDER.sub("", text)
        bad = [n for n in names if n != "wave" and not _ITEM.match(n)]
        if "{" in rest or "}" in rest or bad:
            what = (f"'{{{bad[0]}}}' is not a placeholder" if bad else "unbalanced braces")
            self.add(where, "valid pattern", f"'{text}': {what}; a pattern may hold only "
                     "{wave} and {item} (or {item:02} for zero-padded item numbers)")
            return None
        has = {"wave" if n == "wave" else "item" for n in names}
        for n in need:
            if n not in has:
                self.add(where, "valid pattern", f"'{text}' lacks {{{n}}}: " + (
                    "in a wide table every response column names its wave (see 'waves')"
                    if n == "wave" else "an instrument's pattern names the item number"))
                return None
        for n in forbid:
            if n in has:
                self.add(where, "valid pattern", f"'{text}' holds {{{n}}}, which has no "
                         "meaning here" + (" (a long table has a wave column; a person "
                                           "table has one row per person)"
                                           if n == "wave" else ""))
                return None
        return text

    def codes(self, value: Any, where: str, canon: dict) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(where, "well-formed mapping", "codes must be 'source code: value' lines")
            return {}
        out: dict[str, Any] = {}
        c = canon.get("constraints", {})
        for code, target in value.items():
            here = f"{where}.{code}"
            if self.todo(target, here):
                continue
            if target is None:
                out[code_key(code)] = None
                continue
            if canon["type"] == "integer":
                if isinstance(target, bool) or not isinstance(target, int):
                    self.add(here, "code map", f"code {code} maps to {target!r}; "
                             f"'{canon['name']}' holds whole numbers")
                    continue
            elif "enum" in c and target not in c["enum"]:
                self.add(here, "code map", f"code {code} maps to {target!r}, which is not "
                         f"one of {', '.join(map(str, c['enum']))}")
                continue
            out[code_key(code)] = target
        return out

    def missing(self, value: Any, where: str) -> set[str]:
        if value is None:
            return set()
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, dict | list) for v in values):
            self.add(where, "well-formed mapping", "missing codes are a list of values, "
                     "e.g. [-9, 999]")
            return set()
        return {code_key(v) for v in values}

    def waves(self, value: Any, where: str) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(where, "well-formed mapping", "waves are 'wave: column suffix' lines, "
                     f"one for each wave collected ({', '.join(design.WAVES)})")
            return {}
        out = {}
        for wave, suffix in value.items():
            if wave not in design.WAVES:
                self.add(f"{where}.{wave}", "known waves", f"'{wave}' is not one of the "
                         f"trial's waves ({', '.join(design.WAVES)})")
            elif not self.todo(suffix, f"{where}.{wave}"):
                if suffix is None or isinstance(suffix, dict | list):
                    self.add(f"{where}.{wave}", "column name", "give the wave's suffix "
                             "in the column names (or remove the wave if not collected)")
                else:
                    out[wave] = str(suffix)
        return out


def _spec(chk: _Checker, raw: Any, where: str, canon: dict, need: tuple[str, ...],
          forbid: tuple[str, ...], missing: set[str]) -> FieldSpec | None:
    """A field's spec from its mapping entry (None if it is broken)."""
    name = canon["name"]
    if raw is None:
        if canon.get("constraints", {}).get("required"):
            chk.add(where, "required field", f"'{name}' is required; give the column it "
                    "comes from")
            return None
        return FieldSpec(name, None, key=where)
    if isinstance(raw, dict):
        chk.mapping(raw, where, _FIELD_KEYS)
        if "column" not in raw:
            chk.add(where, "required field", f"'{name}' needs 'column:'")
            return None
        column = chk.pattern(raw["column"], f"{where}.column", need, forbid)
        codes = chk.codes(raw.get("codes"), f"{where}.codes", canon)
        extra = chk.missing(raw.get("missing"), f"{where}.missing")
    else:
        column = chk.pattern(raw, where, need, forbid)
        codes, extra = {}, set()
    if column is None:
        return None
    return FieldSpec(name, column, codes, missing | extra, where)


def _table(chk: _Checker, name: str, raw: Any, top: dict,
           fields: list[dict]) -> TableSpec | None:
    where = f"tables.{name}"
    raw = chk.mapping(raw, where, _TABLE_KEYS)
    source, sheet = raw.get("source"), raw.get("sheet")
    if chk.todo(source, f"{where}.source") or chk.todo(sheet, f"{where}.sheet"):
        source = sheet = None
    person = name in PERSON_TABLES
    layout = raw.get("layout", "wide")
    if person:
        if "layout" in raw or "waves" in raw or "items" in raw:
            chk.add(where, "known keys", "a person table (one row per person) takes no "
                    "'layout', 'waves' or 'items'")
        layout = "person"
    elif layout not in LAYOUTS:
        chk.add(f"{where}.layout", "known layout", f"'{layout}' is neither 'wide' (one row "
                "per person, the wave in the column names) nor 'long' (one row per person "
                "and wave, with a wave column)")
        return None
    waves = chk.waves(raw.get("waves", top.get("waves")), f"{where}.waves"
                      if "waves" in raw else "waves")
    if layout == "wide" and not waves:
        chk.add(f"{where}.waves" if "waves" in raw else "waves", "required field",
                "a wide table needs 'waves': the column suffix of each wave collected")
    missing = chk.missing(top.get("missing"), "missing") | chk.missing(
        raw.get("missing"), f"{where}.missing")
    given = chk.mapping(raw.get("fields"), f"{where}.fields", tuple(f["name"] for f in fields))
    items = chk.mapping(raw.get("items"), f"{where}.items", tuple(
        ins.prefix for ins in RESPONSE_TABLES.get(name, ())))
    specs: dict[str, FieldSpec] = {}
    for canon in fields:
        fname = canon["name"]
        is_id = fname in (design.THERAPIST_ID, design.PATIENT_ID)
        need: tuple[str, ...] = ("wave",) if layout == "wide" and not is_id else ()
        forbid = ("item",) if layout == "wide" and not is_id else ("wave", "item")
        fmissing = set() if is_id else missing
        if fname == design.WAVE and layout == "wide":
            if fname in given:
                chk.add(f"{where}.fields.wave", "known keys", "a wide table takes its "
                        "waves from the column names ('waves'), not from a column")
            continue
        if fname in given:
            spec = _spec(chk, given[fname], f"{where}.fields.{fname}", canon, need, forbid,
                         fmissing)
        else:
            spec = _item_spec(chk, canon, items, f"{where}.items", layout, fmissing)
        if spec is not None:
            specs[fname] = spec
    drop = raw.get("drop") or []
    if not isinstance(drop, list) or not all(isinstance(d, str | int) for d in drop):
        chk.add(f"{where}.drop", "well-formed mapping", "drop is a list of column names "
                "(wildcards * and ? allowed)")
        drop = []
    if source is not None and not isinstance(source, str):
        chk.add(f"{where}.source", "column name", "source is a file name")
        source = None
    return TableSpec(name, source, None if sheet is None else str(sheet), layout, waves,
                     specs, [str(d) for d in drop])


def _item_spec(chk: _Checker, canon: dict, items: dict, where: str, layout: str,
               missing: set[str]) -> FieldSpec | None:
    """The spec of a field given by its instrument's pattern (or not given at all)."""
    fname = canon["name"]
    prefix, _, number = fname.rpartition("_")
    if not prefix or not number.isdigit() or prefix not in items and not any(
            ins.prefix == prefix for ins in _all_instruments()):
        table = where.rsplit(".", 1)[0]
        chk.unmapped(f"{table}.fields", f"{table}.fields.{fname}",
                     f"'{fname}' is not mapped; give the column it comes from")
        return None
    here = f"{where}.{prefix}"
    if prefix not in items:
        chk.unmapped(where, here, f"instrument '{prefix}' is not mapped: give the pattern "
                     "of its item columns, or write '~' if it was not collected")
        return None
    raw = items[prefix]
    if raw is None:
        return FieldSpec(fname, None, key=here)
    need = ("item", "wave") if layout == "wide" else ("item",)
    if isinstance(raw, dict):
        raw = dict(raw)
        raw["column"] = raw.pop("pattern", raw.get("column"))
        if "column" not in raw:
            chk.add(here, "required field", f"instrument '{prefix}' needs 'pattern:'")
            return None
    spec = _spec(chk, raw, here, canon, need, () if layout == "wide" else ("wave",), missing)
    if spec is None:
        return None
    spec.column = expand_item(spec.column, int(number))
    return spec


def _all_instruments():
    return THERAPIST_INSTRUMENTS + PATIENT_INSTRUMENTS


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file.

    Parameters
    ----------
    path : str or Path
        The YAML mapping file.

    Returns
    -------
    Mapping
        Every table's source, layout, waves and fields resolved.

    Raises
    ------
    ImportRefused
        (a :class:`mcbi.errors.DataError`) listing every problem of the file.
    """
    path = Path(path)
    chk = _Checker(path)
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        raise_if([ImportProblem(path.name, "", "file exists", f"there is no file {path}")],
                 "mapping refused")
    except (OSError, UnicodeDecodeError) as exc:
        raise_if([ImportProblem(path.name, "", "readable UTF-8 file", str(exc))],
                 "mapping refused")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise_if([ImportProblem(path.name, "", "valid YAML",
                                f"{getattr(exc, 'problem', None) or exc}{where}")],
                 "mapping refused")
    if not isinstance(raw, dict):
        raise_if([ImportProblem(path.name, "", "well-formed mapping",
                                "the file must hold 'key: value' lines (see docs/mapping.md)")],
                 "mapping refused")
    chk.mapping(raw, "", _TOP_KEYS)
    if raw.get("mcbi_mapping") != FORMAT:
        chk.add("mcbi_mapping", "known format", f"the first line must be "
                f"'mcbi_mapping: {FORMAT}' (the format this version reads)")
    sources = {}
    for name, opts in chk.mapping(raw.get("sources"), "sources", tuple(
            raw.get("sources") or ())).items():
        opts = chk.mapping(opts, f"sources.{name}", _SOURCE_KEYS)
        sources[str(name)] = {k: str(v) for k, v in opts.items() if k in _SOURCE_KEYS}
    package = {k: str(v) for k, v in chk.mapping(raw.get("package"), "package",
                                                 _PACKAGE_KEYS).items() if k in _PACKAGE_KEYS}
    fields = canonical_fields()
    given = chk.mapping(raw.get("tables"), "tables", TABLES)
    tables = {}
    for name in TABLES:
        if name not in given:
            chk.unmapped("tables", f"tables.{name}", f"table '{name}' is not mapped")
            continue
        spec = _table(chk, name, given[name], raw, fields[name])
        if spec is not None:
            tables[name] = spec
    raise_if(chk.problems, "mapping refused")
    return Mapping(path, tables, sources, package)
