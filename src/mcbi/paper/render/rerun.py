"""The "Re-run this chapter" box: the command and the parameters a chapter ran with.

Each results chapter glues :func:`rerun_values` from its own parameter values, and its
closing admonition pastes them, so the box always states what this build used.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

__all__ = ["HIDDEN", "command", "parameters_text", "rerun_values"]

HIDDEN = frozenset({"data_sha256", "synthetic", "out_dir", "sections_dir", "cache_dir",
                    "workers"})
"""Parameters the build sets for itself (hashes, folders, parallelism): not shown."""


def _value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(_value(v) for v in value)
    return str(value)


def parameters_text(params: Mapping[str, Any]) -> str:
    """``{name: value}`` as text: "alpha = 0.05, data_dir = data/trial" (build-set
    parameters left out, :data:`HIDDEN`); "no parameters" when none is left."""
    shown = [f"{name} = {_value(v)}" for name, v in params.items() if name not in HIDDEN]
    if not shown:
        return "no parameters"
    return ", ".join(shown)


def command(section: str, params: Mapping[str, Any], example: str | None = None) -> str:
    """The command that re-runs ``section`` with one parameter set to its current value.

    ``example`` names that parameter (default: the first parameter not in :data:`HIDDEN`
    other than ``data_dir``); ``python -m mcbi run 02_therapists -p alpha 0.05``.
    """
    if not section.replace("_", "").isalnum():
        raise ValueError(f"section must be a section name, not {section!r}")
    names = [n for n in params if n not in HIDDEN and n != "data_dir"]
    if example is None and names:
        example = names[0]
    if example is not None and example not in params:
        raise ValueError(f"{example!r} is not a parameter of {section}")
    words = ["python", "-m", "mcbi", "run", section]
    if example is not None:
        words += ["-p", example, _value(params[example])]
    return shlex.join(words)


def rerun_values(section: str, params: Mapping[str, Any]) -> dict[str, str]:
    """``rerun_command`` and ``rerun_parameters`` for a chapter's closing box."""
    return {"rerun_command": command(section, params),
            "rerun_parameters": parameters_text(params)}
