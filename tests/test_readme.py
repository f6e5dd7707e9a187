"""The README's table of places agrees with the package: every module is named in its
folder's row, and every path and module the table names exists."""

from __future__ import annotations

import re
from pathlib import Path

from _datafixtures import REPO

_ROW = re.compile(r"^\| `([^`]+)` \| (.*) \|$")
_NAME = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*/?)`")


def _rows() -> dict[str, str]:
    text = (REPO / "README.md").read_text("utf-8")
    section = text[text.index("## Where things are"):]
    section = section[:section.index("\n## ", 3)]
    return {m.group(1): m.group(2) for line in section.splitlines()
            if (m := _ROW.match(line))}


def _modules(folder: Path) -> set[str]:
    names = {p.stem for p in folder.glob("*.py") if p.name != "__init__.py"}
    names |= {f"{p.name}/" for p in folder.iterdir()
              if p.is_dir() and (p / "__init__.py").is_file()}
    return names


def test_every_module_is_in_its_folders_row() -> None:
    rows = _rows()
    folders = sorted(p for p in (REPO / "src" / "mcbi").rglob("*")
                     if p.is_dir() and (p / "__init__.py").is_file())
    for folder in folders:
        key = folder.relative_to(REPO).as_posix() + "/"
        assert key in rows, f"README's table has no row for {key}"
        named = set(_NAME.findall(rows[key]))
        missing = sorted(_modules(folder) - named)
        assert not missing, f"README's row {key} does not name {', '.join(missing)}"


def test_every_listed_path_and_module_exists() -> None:
    for path, text in _rows().items():
        if path.startswith("data/real"):
            continue  # ignored by git: it need not exist in a checkout
        assert (REPO / path).exists(), f"README lists {path}, which does not exist"
        if path.startswith("src/mcbi") and (REPO / path).is_dir():
            for name in _NAME.findall(text):
                if name.rstrip("/") in {"stats", "trial", "synth", "paper", "book"} \
                        and path == "src/mcbi/":
                    continue
                target = REPO / path / name.rstrip("/")
                assert target.with_suffix(".py").is_file() or target.is_dir(), \
                    f"README's row {path} names {name}, which is not in that folder"
