"""The book's analysis sections: discovery, default parameters and overrides.

A section is one notebook ``NN_slug.ipynb`` of the notebooks folder (``Layout.notebooks``);
its name is the file stem
(``"02_therapists"``). Its parameters are the assignments of the code cell tagged
``parameters``; papermill injects overrides after that cell.
"""

from __future__ import annotations

import ast
import json
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


def read_parameters(notebook: Path) -> dict[str, Any]:
    """Return ``{name: default}`` from the code cell tagged ``parameters``.

    Literal values are returned as Python objects; any other expression is kept as its
    source text.

    Raises
    ------
    SectionError
        If the notebook has no cell tagged ``parameters`` or the cell is not valid Python.
    """
    nb = json.loads(Path(notebook).read_text("utf-8"))
    for cell in nb.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") == "code" and "parameters" in tags:
            source = cell["source"]
            source = "".join(source) if isinstance(source, list) else source
            try:
                tree = ast.parse(source)
            except SyntaxError as exc:
                raise SectionError(f"{notebook}: parameters cell is not valid Python: {exc}") from exc
            params: dict[str, Any] = {}
            for node in tree.body:
                targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
                value = getattr(node, "value", None)
                if value is None:
                    continue
                for target in targets:
                    if isinstance(target, ast.Name):
                        params[target.id] = _literal(value)
            return params
    raise SectionError(f"{notebook}: no code cell tagged 'parameters'")


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


def merge_parameters(section: Section, overrides: dict[str, Any]) -> dict[str, Any]:
    """Return the section's defaults updated with ``overrides``.

    Raises
    ------
    ParameterError
        If an override names a parameter the section does not declare.
    """
    defaults = section.defaults()
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        valid = ", ".join(f"{k}={v!r}" for k, v in defaults.items())
        raise ParameterError(
            f"section {section.name} has no parameter {', '.join(unknown)}; "
            f"its parameters are: {valid}"
        )
    return {**defaults, **overrides}
