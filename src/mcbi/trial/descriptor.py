"""A supplied ``datapackage.json``: read it (in one place) and compare it to the canonical one.

:func:`read_descriptor` reads a package's descriptor: nothing else in :mod:`mcbi.trial`
or :mod:`mcbi.synth` opens the file. :func:`check_descriptor` lists where a supplied
descriptor is malformed or contradicts the canonical descriptor of
:func:`mcbi.trial.schema.package_descriptor`.

The decision (documented for data holders): the CSV files are always validated and read
with the canonical Table Schemas. A supplied descriptor may add metadata, but a
declaration that contradicts the canonical schema is reported as a problem instead of
being silently overridden, so that nobody believes their loosened constraint, other
file name or other delimiter is in force. A missing descriptor is refused: the book's
codebook and provenance are rendered from it.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcbi.errors import DataError
from mcbi.trial.schema import DESCRIPTOR_FILE, DIALECT, package_descriptor

WELL_FORMED = "well-formed descriptor"
_MAX_COLUMNS_SHOWN = 5
_FORBIDDEN_RESOURCE_KEYS = ("data", "compression", "innerpath", "extrapaths", "layout",
                            "scheme")
_DIALECT_ALLOWED: dict[str, tuple[Any, ...] | None] = {
    # key: accepted values (None = any value: the key is metadata)
    "delimiter": (",",), "quoteChar": ('"',), "doubleQuote": (True,), "header": (True,),
    "headerRows": ([1],), "skipInitialSpace": (False,),
    "lineTerminator": ("\n", "\r\n", "\r"),
    "csvddfVersion": None, "$schema": None, "title": None, "description": None,
}
_FIELD_DEFAULTS: dict[str, Any] = {"format": "default", "bareNumber": True, "groupChar": "",
                                   "decimalChar": ".", "missingValues": [""]}


class DescriptorError(DataError):
    """``datapackage.json`` is missing or unreadable, not UTF-8 JSON, or not a JSON object."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{DESCRIPTOR_FILE}: rule '{rule}' broken: {detail}")
        self.rule = rule
        self.detail = detail


def read_descriptor(folder: str | Path) -> dict[str, Any]:
    """Read the ``datapackage.json`` of the data package in ``folder``.

    The one reader of a supplied descriptor. Only its syntax is checked here;
    :func:`check_descriptor` checks its content.

    Parameters
    ----------
    folder : str or Path
        The package folder.

    Returns
    -------
    dict
        The parsed descriptor.

    Raises
    ------
    DescriptorError
        (a :class:`mcbi.errors.DataError`) if the file is missing or unreadable, is not
        UTF-8 JSON or is not a JSON object.
    """
    path = Path(folder) / DESCRIPTOR_FILE
    if not path.is_file():
        raise DescriptorError(
            "file exists",
            f"no {DESCRIPTOR_FILE} in {Path(folder)}: copy the one of the shipped package "
            "(data/trial) next to the CSV files and edit its title, description and "
            "licenses (the CSV files are checked against mcbi's own schema)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DescriptorError("readable file", exc.strerror or str(exc)) from None
    try:
        descriptor = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise DescriptorError("valid UTF-8 JSON", str(exc) or type(exc).__name__) from None
    if not isinstance(descriptor, dict):
        raise DescriptorError("JSON object", f"the descriptor is {_kind(descriptor)}; it must "
                              "be an object with a 'resources' list")
    return descriptor


def _kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return f"{json.dumps(value)}"
    names = {dict: "an object", list: "a list", str: "a string", int: "a number",
             float: "a number"}
    return names.get(type(value), type(value).__name__)


def _columns(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_COLUMNS_SHOWN])
    more = len(names) - _MAX_COLUMNS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


@dataclass
class Conflict:
    """Where a supplied descriptor is malformed or contradicts the canonical schema.

    Attributes
    ----------
    column : str
        Field name(s) concerned, ``""`` for none.
    rule : str
        The rule broken, e.g. ``"canonical constraints"``.
    place : str
        Where in the descriptor, e.g. ``"resource 'patients' (patients.csv)"``.
    what : str
        What is declared there and what the canonical schema says.
    blocking : bool
        True when the CSV files cannot be checked before the descriptor is fixed
        (a path, encoding or dialect, or a malformed list of resources).
    """

    column: str
    rule: str
    place: str
    what: str
    blocking: bool = False
    more_places: list[str] = field(default_factory=list)

    @property
    def detail(self) -> str:
        """The place(s), then what is wrong there."""
        places = ", ".join([self.place, *self.more_places])
        return f"{places}: {self.what}" if places else self.what


def check_descriptor(descriptor: Any) -> list[Conflict]:
    """List where a supplied descriptor is malformed or contradicts the canonical one.

    A supplied descriptor may add metadata anywhere (titles, descriptions, licenses,
    contributors, extra keys), and may leave out a resource's path, format, encoding and
    dialect (the canonical ones apply). It may not loosen or change anything that
    decides how the CSV files are read or checked: each of the trial's resources must be
    declared once with its canonical file name, a local relative path, UTF-8 CSV with the
    canonical dialect, and a Table Schema whose fields, types, constraints, primary and
    foreign keys and missing values equal the canonical ones. Resources of other names
    are refused. Validation uses the canonical schema either way; this check makes a
    contradiction visible instead of silently overriding it.

    Parameters
    ----------
    descriptor : object
        The parsed ``datapackage.json`` (any JSON value).

    Returns
    -------
    list of Conflict
        Empty when the descriptor agrees; one entry per rule and place otherwise (the
        same contradiction in many fields or resources is one entry).
    """
    if not isinstance(descriptor, dict):
        return [Conflict("", "JSON object", "", f"the descriptor is {_kind(descriptor)}; "
                         "it must be an object with a 'resources' list", True)]
    out: list[Conflict] = []
    if not isinstance(descriptor.get("name", ""), str):
        out.append(Conflict("", WELL_FORMED, "", f"'name' is {_kind(descriptor['name'])}; "
                            "it must be a string"))
    canonical = {r["name"]: r for r in package_descriptor()["resources"]}
    expected = ", ".join(f"'{n}' ({r['path']})" for n, r in canonical.items())
    resources = descriptor.get("resources")
    if resources is None:
        return out + [Conflict("", "declares every resource", "",
                               f"there is no 'resources' list; it must declare {expected}",
                               True)]
    if not isinstance(resources, list):
        return out + [Conflict("", WELL_FORMED, "", f"'resources' is {_kind(resources)}; "
                               "it must be a list of resource objects", True)]
    seen: set[str] = set()
    for i, res in enumerate(resources):
        if not isinstance(res, dict) or not isinstance(res.get("name"), str):
            what = (f"is {_kind(res)}; it must be an object" if not isinstance(res, dict)
                    else "has no string 'name'")
            out.append(Conflict("", WELL_FORMED, "", f"resources[{i}] {what}", True))
            continue
        name = res["name"]
        out.extend(_check_path(f"resource '{name}'", res, canonical.get(name)))
        if name not in canonical:
            out.append(Conflict("", "known resources", f"resource '{name}'",
                                f"is not one of the trial's resources ({expected})", True))
        elif name in seen:
            out.append(Conflict("", "unique resource names", f"resource '{name}'",
                                "is declared more than once", True))
        else:
            seen.add(name)
            place = f"resource '{name}' ({canonical[name]['path']})"
            out.extend(_check_reading(place, res))
            out.extend(_check_schema(place, res.get("schema"), canonical[name]["schema"]))
    for name, res in canonical.items():
        if name not in seen:
            out.append(Conflict("", "declares every resource", f"resource '{name}'",
                                f"({res['path']}) is not declared", True))
    return _merge(out)


def _merge(conflicts: list[Conflict]) -> list[Conflict]:
    """One entry per (rule, column, what): the same contradiction in several resources."""
    merged: dict[tuple[str, str, str], Conflict] = {}
    for c in conflicts:
        key = (c.rule, c.column, c.what)
        if key in merged and c.place:
            merged[key].more_places.append(c.place)
        else:
            merged.setdefault(key, c)
    return list(merged.values())


def _unsafe(path: str) -> str:
    """Why ``path`` is not a local relative path inside the package folder ("" if it is)."""
    if "://" in path or re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", path):
        return "is a URL"
    if path.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", path):
        return "is an absolute path"
    if ".." in path.replace("\\", "/").split("/"):
        return "leaves the package folder ('..')"
    return ""


def _check_path(place: str, res: dict, canon: dict | None) -> list[Conflict]:
    expected = f"; the trial's file is '{canon['path']}'" if canon else ""
    path = res.get("path")
    if path is None:
        return [Conflict("", "canonical file name", place, "declares no 'path'" + expected,
                         True)] if canon else []
    if not isinstance(path, str):
        return [Conflict("", "local relative path", place,
                         f"'path' is {_kind(path)}; it must be a file name{expected}", True)]
    why = _unsafe(path)
    if why:
        return [Conflict("", "local relative path", place,
                         f"path '{path}' {why}; mcbi reads only the files in the package "
                         f"folder and never downloads anything{expected}", True)]
    if canon and path != canon["path"]:
        return [Conflict("", "canonical file name", place,
                         f"path '{path}' is not the trial's file name '{canon['path']}'; "
                         "name the file (and the path) as in the canonical schema", True)]
    return []


def _norm_encoding(value: Any) -> Any:
    try:
        name = codecs.lookup(value).name if isinstance(value, str) else value
    except LookupError:
        return value
    return "utf-8" if name == "utf-8-sig" else name


def _check_reading(place: str, res: dict) -> list[Conflict]:
    out = [Conflict("", "plain local CSV", place, f"declares '{key}'; the trial's files are "
                    "plain CSV files in the package folder", True)
           for key in _FORBIDDEN_RESOURCE_KEYS
           if key in res and not (key == "scheme" and res[key] == "file")]
    for key, want in (("format", "csv"), ("mediatype", "text/csv"), ("encoding", "utf-8")):
        value = res.get(key, want)
        value = value.lower() if isinstance(value, str) and key != "encoding" else value
        if (_norm_encoding(value) if key == "encoding" else value) != want:
            out.append(Conflict("", f"canonical {key}", place,
                                f"declares {key} {json.dumps(res[key])}; the trial's files "
                                f"are {want}", True))
    dialect = res.get("dialect", {})
    if not isinstance(dialect, dict) or not isinstance(dialect.get("csv", {}), dict):
        return out + [Conflict("", WELL_FORMED, place, "'dialect' must be an object (a "
                               "dialect file is not read)", True)]
    flat = {**{k: v for k, v in dialect.items() if k != "csv"}, **dialect.get("csv", {})}
    bad = [f"{k} {json.dumps(v)}" for k, v in flat.items()
           if k not in _DIALECT_ALLOWED or (_DIALECT_ALLOWED[k] is not None
                                            and v not in _DIALECT_ALLOWED[k])]
    if bad:
        out.append(Conflict("", "canonical dialect", place,
                            f"declares {', '.join(bad)}; the trial's files are read with "
                            f"the dialect {json.dumps(DIALECT)}", True))
    return out


def _names(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _foreign_keys(value: Any) -> list | None:
    if not isinstance(value, list):
        return None
    out = []
    for fk in value:
        ref = fk.get("reference") if isinstance(fk, dict) else None
        if not isinstance(ref, dict):
            return None
        out.append((_names(fk.get("fields")), ref.get("resource"), _names(ref.get("fields"))))
    return sorted(out, key=repr)


def _check_schema(place: str, schema: Any, canon: dict) -> list[Conflict]:
    if schema is None:
        return [Conflict("", "declares every required column", place,
                         "has no 'schema'; copy the resource's Table Schema from the "
                         "canonical descriptor")]
    if not isinstance(schema, dict):
        return [Conflict("", WELL_FORMED, place, f"'schema' is {_kind(schema)}; it must be "
                         "an inline Table Schema object (a schema file or URL is not read)")]
    fields = schema.get("fields")
    out = (_check_fields(place, fields, canon["fields"]) if isinstance(fields, list) else
           [Conflict("", WELL_FORMED, place, f"'schema.fields' is {_kind(fields)}; it must "
                     "be a list of field objects")])
    key = canon["primaryKey"]
    declared = _names(schema.get("primaryKey", []))
    if declared != key:
        out.append(Conflict(", ".join(key), "canonical primary key", place,
                            f"declares primary key {json.dumps(schema.get('primaryKey'))}; "
                            f"the trial's is {json.dumps(key)}"))
    canon_fk = canon.get("foreignKeys", [])
    if _foreign_keys(schema.get("foreignKeys", [])) != _foreign_keys(canon_fk):
        out.append(Conflict(", ".join(c for fk in canon_fk for c in fk["fields"]),
                            "canonical foreign keys", place,
                            f"declares foreign keys {json.dumps(schema.get('foreignKeys'))};"
                            f" the trial's are {json.dumps(canon_fk)}"))
    if schema.get("missingValues", [""]) != canon["missingValues"]:
        out.append(Conflict("", "canonical missing values", place,
                            f"declares missing values {json.dumps(schema['missingValues'])};"
                            " in the trial's files only an empty cell is missing"))
    if schema.get("fieldsMatch", "exact") not in ("exact", "equal"):
        out.append(Conflict("", "canonical fields match", place,
                            f"declares fieldsMatch {json.dumps(schema['fieldsMatch'])}; the "
                            "trial's files hold exactly the canonical columns"))
    return out


def _constraints(value: dict) -> dict:
    out = {k: v for k, v in value.items() if not (k == "required" and v is False)}
    if isinstance(out.get("enum"), list):
        out["enum"] = sorted(json.dumps(v) for v in out["enum"])
    return out


def _check_fields(place: str, fields: list, canon: list[dict]) -> list[Conflict]:
    found: dict[tuple[str, str], list[str]] = {}  # (rule, first detail) -> columns
    first: dict[str, str] = {}

    def add(rule: str, column: str, what: str) -> None:
        found.setdefault((rule, first.setdefault(rule, what)), []).append(column)

    declared: dict[str, dict] = {}
    for j, f in enumerate(fields):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            add(WELL_FORMED, "", f"schema.fields[{j}] is not an object with a string 'name'")
        elif f["name"] in declared:
            add("unique column names", f["name"], f"declares column '{f['name']}' twice")
        else:
            declared[f["name"]] = f
    names = {c["name"] for c in canon}
    for name in declared:
        if name not in names:
            add("known columns", name, f"declares column '{name}', which the trial's "
                "schema does not have")
    for c in canon:
        f = declared.get(c["name"])
        if f is None:
            add("declares every required column", c["name"],
                f"does not declare column '{c['name']}'")
            continue
        parsing = {k: f.get(k, v) for k, v in _FIELD_DEFAULTS.items()}
        if f.get("type", "string") != c["type"] or parsing != _FIELD_DEFAULTS:
            add("canonical type", c["name"], f"declares '{c['name']}' as "
                f"{json.dumps({'type': f.get('type'), **parsing})}; the trial's type is "
                f"{json.dumps(c['type'])} with default parsing")
        got = f.get("constraints", {})
        want = c.get("constraints", {})
        if not isinstance(got, dict) or _constraints(got) != _constraints(want):
            add("canonical constraints", c["name"],
                f"declares constraints {json.dumps(got)} for '{c['name']}'; the trial's "
                f"are {json.dumps(want)}")
    out = []
    for (rule, what), columns in found.items():
        columns = [col for col in columns if col]
        more = f" (and {len(columns) - 1} more column(s) likewise)" if len(columns) > 1 else ""
        out.append(Conflict(_columns(columns), rule, place, what + more))
    return out
