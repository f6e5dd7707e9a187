"""Wide to long: one row per person becomes one row per person and attended wave.

A wave counts as attended when at least one of its item responses is answered; a wave
without any answered item is an absent row, as in the package (a wave missed is an
absent row). Rows are ordered by identifier (natural order: ``T2`` before ``T10``) and
then by wave.
"""

from __future__ import annotations

import re

import pandas as pd

from mcbi.trial import design

ROW = "_row"
"""Column holding each row's source row number (dropped before writing)."""


def natural_key(value: object) -> tuple:
    """Sort key putting ``T2`` before ``T10`` (digit runs compared as numbers)."""
    parts = re.split(r"(\d+)", str(value))
    return tuple((0, int(p), p) if p.isdigit() else (1, 0, p) for p in parts)


def sort_rows(frame: pd.DataFrame, id_field: str) -> pd.DataFrame:
    """Order rows by identifier (natural order), then by wave when there is one."""
    ids = [natural_key(v) for v in frame[id_field]]
    rank = {w: i for i, w in enumerate(design.WAVES)}
    waves = ([rank.get(w, len(rank)) for w in frame[design.WAVE]]
             if design.WAVE in frame else [0] * len(frame))
    order = sorted(range(len(frame)), key=lambda i: (ids[i], waves[i], i))
    return frame.iloc[order].reset_index(drop=True)


def wide_to_long(ids: pd.Series, rows: list[int], columns: dict[tuple[str, str], pd.Series],
                 waves: list[str], id_field: str, fields: list[str]) -> pd.DataFrame:
    """Stack one frame per wave into a long table.

    Parameters
    ----------
    ids : Series
        The person identifier of each source row.
    rows : list of int
        The source row number of each source row.
    columns : dict
        ``(field, wave) -> Series`` of converted values, one per response field and wave.
    waves : list of str
        The waves collected, in any order.
    id_field : str
        Name of the identifier column.
    fields : list of str
        The response fields, in the package's order.

    Returns
    -------
    DataFrame
        ``id_field``, ``wave``, the fields and :data:`ROW`; one row per person and
        attended wave.
    """
    parts = []
    for wave in [w for w in design.WAVES if w in waves]:
        part = pd.DataFrame({id_field: ids.to_numpy(), design.WAVE: wave})
        for f in fields:
            part[f] = columns[(f, wave)].to_numpy()
            part[f] = part[f].astype(columns[(f, wave)].dtype)
        part[ROW] = rows
        answered = part[fields].notna().any(axis=1) if fields else True
        parts.append(part[answered])
    if not parts:
        return pd.DataFrame(columns=[id_field, design.WAVE, *fields, ROW])
    return pd.concat(parts, ignore_index=True)
