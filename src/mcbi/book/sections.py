"""The book's analysis sections: discovery, default parameters and overrides.

A section is one notebook ``NN_slug.ipynb`` of the notebooks folder (``Layout.notebooks``);
its name is the file stem
(``"02_therapists"``). Its parameters are the assignments of the code cell tagged
``parameters``; papermill injects overrides after that cell.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcbi.errors import ParameterError, SectionError


@dataclass(frozen=True)
class Section:
    """One analysis section: its name and source notebook."""

    name: str
    notebook: Path

    def defaults(self) -> dict[str, Any]:
        """Return the parameters declared in the notebook's ``parameters`` cell."""
        return read_parameters(self.notebook)

    def needs(self) -> tuple[str, ...]:
        """The sections whose records this one reads (notebook metadata ``mcbi.needs``).

        A build executes them first and re-executes this one when their outputs change.
        """
        meta = json.loads(Path(self.notebook).read_text("utf-8")).get("metadata", {})
        needs = (meta.get("mcbi") or {}).get("needs", [])
        if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
            raise SectionError(f"{self.notebook}: metadata mcbi.needs must be a list of "
                               "section names")
        return tuple(needs)


def discover(folder: Path) -> list[Section]:
    """Return the sections (notebooks) of ``folder``, sorted by name; empty if none."""
    folder = Path(folder)
    paths = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    return [Section(path.stem, path) for path in paths]


def find_section(folder: Path, name: str) -> Section:
    """Return the section called ``name`` in the notebooks folder ``folder``.

    Raises
    ------
    SectionError
        If there is no such notebook; the message lists the valid names.
    """
    sections = discover(folder)
    for section in sections:
        if section.name == name:
            return section
    valid = ", ".join(s.name for s in sections) or f"(none: {folder} has no .ipynb)"
    raise SectionError(f"unknown section {name!r}; valid sections: {valid}")


def _parameters_source(notebook: Path) -> str:
    """Return the source of the code cell tagged ``parameters``."""
    nb = json.loads(Path(notebook).read_text("utf-8"))
    for cell in nb.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") == "code" and "parameters" in tags:
            source = cell["source"]
            return "".join(source) if isinstance(source, list) else source
    raise SectionError(f"{notebook}: no code cell tagged 'parameters'")


def _assignments(notebook: Path) -> tuple[str, list[tuple[str, ast.expr, int]]]:
    source = _parameters_source(notebook)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise SectionError(f"{notebook}: parameters cell is not valid Python: {exc}") from exc
    found = []
    for node in tree.body:
        targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
        value = getattr(node, "value", None)
        if value is None:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                found.append((target.id, value, node.end_lineno or node.lineno))
    return source, found


def read_parameters(notebook: Path) -> dict[str, Any]:
    """Return ``{name: default}`` from the code cell tagged ``parameters``.

    Literal values are returned as Python objects; any other expression is kept as its
    source text.

    Raises
    ------
    SectionError
        If the notebook has no cell tagged ``parameters`` or the cell is not valid Python.
    """
    _, found = _assignments(notebook)
    return {name: _literal(value) for name, value, _ in found}


def read_parameter_comments(notebook: Path) -> dict[str, str]:
    """Return ``{name: comment}``: the ``#`` comment ending each parameter's line.

    Parameters without a comment map to ``""``.
    """
    source, found = _assignments(notebook)
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):
        pass
    return {name: comments.get(line, "") for name, _, line in found}


def parameter_choices(comment: str) -> list[Any] | None:
    """Return the values a parameter's comment lists as its only valid ones, if any.

    A comment declares choices when the text after its first ``:`` is a comma-separated
    list of at least two Python literals, each optionally followed by a description in
    parentheses: ``# intercepts: 'by_time' (one per wave), True (one), False (none)``.

    Examples
    --------
    >>> parameter_choices("level: 'a' (first), True (both), False")
    ['a', True, False]
    >>> parameter_choices("two-sided level of the tests") is None
    True
    """
    if ":" not in comment:
        return None
    items, depth, current = [], 0, ""
    for char in comment.split(":", 1)[1]:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    values = []
    for item in items:
        text = re.sub(r"\(.*\)", "", item).strip()
        try:
            values.append(ast.literal_eval(text))
        except (ValueError, SyntaxError):
            return None
    return values if len(values) >= 2 else None


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def parse_value(text: str) -> Any:
    """Parse a command-line value the way ``papermill -p`` does.

    ``True``/``False`` -> bool, ``None`` -> None, then int, then float, else the string.
    """
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _parse_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else None


def _match_choice(text: str, choices: list[Any]) -> tuple[bool, Any]:
    for choice in choices:
        if isinstance(choice, bool):
            if _parse_bool(text) is choice:
                return True, choice
        elif choice is None:
            if text.strip() == "None":
                return True, None
        elif isinstance(choice, str):
            if text == choice:
                return True, choice
        else:
            parsed = parse_value(text)
            if not isinstance(parsed, bool) and parsed == choice:
                return True, choice
    return False, None


def coerce_parameter(section: str, name: str, text: str, default: Any,
                     choices: list[Any] | None = None) -> Any:
    """Convert the command-line ``text`` of a parameter to the type of its ``default``.

    A bool takes ``true/false``, ``1/0``, ``yes/no`` (any case); an int takes an integer;
    a float takes any number; a list, tuple or dict takes a Python literal of that type; a
    string takes the text as it is; a ``None`` default parses like ``papermill -p``. When
    ``choices`` are given (see :func:`parameter_choices`) the value must be one of them.

    Raises
    ------
    ParameterError
        ``parameter alpha of 02_therapists expects a number like 0.05, got 'abc'``.
    """
    def refuse(expected: str) -> ParameterError:
        return ParameterError(f"parameter {name} of {section} expects {expected}, got {text!r}")

    if choices:
        ok, value = _match_choice(text, choices)
        if not ok:
            raise refuse("one of " + ", ".join(repr(c) for c in choices))
        return value
    if isinstance(default, bool):
        value = _parse_bool(text)
        if value is None:
            raise refuse(f"true or false (1 or 0) like {default!r}")
        return value
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise refuse(f"an integer like {default!r}") from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise refuse(f"a number like {default!r}") from None
    if isinstance(default, list | tuple | dict):
        kind = type(default).__name__
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = None
        if not isinstance(value, type(default)):
            raise refuse(f"a Python {kind} like {default!r}")
        return value
    if isinstance(default, str):
        return text
    return parse_value(text)


def parse_overrides(section: Section, params: dict[str, str]) -> dict[str, Any]:
    """Convert command-line ``{name: text}`` overrides to typed values for ``section``.

    Each value is checked against the notebook's default and the choices its comment
    lists (:func:`coerce_parameter`).

    Raises
    ------
    ParameterError
        An unknown name (the message lists the valid ones) or a value of the wrong type.
    """
    defaults = section.defaults()
    _refuse_unknown(section, set(params), defaults)
    comments = read_parameter_comments(section.notebook)
    return {name: coerce_parameter(section.name, name, text, defaults[name],
                                   parameter_choices(comments.get(name, "")))
            for name, text in params.items()}


def _refuse_unknown(section: Section, names: set[str], defaults: dict[str, Any]) -> None:
    unknown = sorted(names - set(defaults))
    if unknown:
        valid = ", ".join(f"{k}={v!r}" for k, v in defaults.items())
        raise ParameterError(
            f"section {section.name} has no parameter {', '.join(unknown)}; "
            f"its parameters are: {valid}"
        )


def merge_parameters(section: Section, overrides: dict[str, Any]) -> dict[str, Any]:
    """Return the section's defaults updated with ``overrides``.

    Raises
    ------
    ParameterError
        If an override names a parameter the section does not declare.
    """
    defaults = section.defaults()
    _refuse_unknown(section, set(overrides), defaults)
    return {**defaults, **overrides}


def describe_sections(folder: Path) -> str:
    """Return plain text listing each section and its parameters with defaults and comments.

    Used by ``python -m mcbi run --help``; a notebook whose parameters cannot be read is
    listed with the reason instead of failing.
    """
    lines = []
    for section in discover(folder):
        lines.append(f"  {section.name}")
        try:
            defaults = section.defaults()
            comments = read_parameter_comments(section.notebook)
        except SectionError as exc:
            lines.append(f"      ({exc})")
            continue
        width = max((len(f"{k} = {v!r}") for k, v in defaults.items()), default=0)
        for name, value in defaults.items():
            text = f"{name} = {value!r}"
            note = comments.get(name, "")
            lines.append(f"      {text:<{width}}  {note}".rstrip())
    return "\n".join(lines) if lines else f"  (no notebooks in {folder})"
