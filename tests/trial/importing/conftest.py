"""Source files written once per session: the shipped package as a data holder keeps it."""

from __future__ import annotations

from pathlib import Path

import pytest

from _holder_files import write_other, write_sav, write_xlsx


@pytest.fixture(scope="session")
def holder_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """``sav``: terapeutas.sav, pacientes.sav; ``xlsx``: datos.xlsx; ``other``: English
    names, arm 0/1, -99 undeclared, long therapist responses, a semicolon CSV."""
    root = tmp_path_factory.mktemp("holder")
    for sub in ("sav", "xlsx", "other"):
        (root / sub).mkdir()
    return {"sav": write_sav(root / "sav"), "xlsx": [write_xlsx(root / "xlsx")],
            "other": write_other(root / "other")}
