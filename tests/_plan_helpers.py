"""A small synthetic build manifest for the tests of ``plan --effects build``."""

from __future__ import annotations

import json
from pathlib import Path

PATIENT_D = {"eus_p": 0.6, "bond": 0.5, "bsi_som": -0.3, "bsi_dep": -0.2, "bsi_anx": 0.1}


def results(pms_d: float = 1.0, bond_d: float = 0.5, a: float = 1.0,
            b: float = 0.6) -> dict[str, float]:
    """A build's results: baseline SDs 0.5 (PMS), 1 (EUS-P), 2 (bond)."""
    out = {"02_therapists.pms_post_diff": 0.5 * pms_d, "02_therapists.pms_post_diff_d": pms_d,
           "02_therapists.eus_t_post_diff_d": 0.3, "02_therapists.teca_post_diff_d": 0.2,
           "05_mechanisms.path_a": a, "05_mechanisms.path_b": b,
           "05_mechanisms.mechanism_reason": ""}
    for scale, d in {**PATIENT_D, "bond": bond_d}.items():
        out[f"03_patients.{scale}_post_diff_d"] = d
    out["03_patients.eus_p_post_diff"] = 1.0 * PATIENT_D["eus_p"]
    out["03_patients.bond_post_diff"] = 2.0 * bond_d
    return out


def write(folder: Path, values: dict, name: str = "manifest.json") -> Path:
    path = folder / name
    path.write_text(json.dumps({"schema": 1, "results": values}), "utf-8")
    return path
