"""mcbi.paper.names: the names and values of the reported numbers."""

from __future__ import annotations

import re

from mcbi.paper import names
from mcbi.paper.apa import fmt_p
from mcbi.paper.models import between, within

# --- outcome models --------------------------------------------------------------------


def test_contrast_values_keys_and_values(two_in_family) -> None:
    con = two_in_family.contrasts
    values = names.contrast_values(con)
    expected = set()
    for outcome in ("pms", "eus_t"):
        for wave in ("post", "fu"):
            stem = f"{outcome}_{wave}_diff"
            expected |= {stem} | {f"{stem}_{s}" for s in ("lo", "hi", "d", "p", "pholm")}
            for arm in ("mcbi", "control"):
                expected |= {f"{outcome}_{wave}_{arm}_change", f"{outcome}_{wave}_{arm}_change_p"}
    assert set(values) == expected
    b = between(con, "pms", "post")
    assert values["pms_post_diff"] == b["estimate"]
    assert values["pms_post_diff_lo"] == b["ci_lower"]
    assert values["pms_post_diff_hi"] == b["ci_upper"]
    assert values["pms_post_diff_d"] == b["d"]
    assert values["pms_post_diff_p"] == b["pvalue"]
    assert values["pms_post_diff_pholm"] == b["p_holm"]
    w = within(con, "eus_t", "followup")
    assert values["eus_t_fu_mcbi_change"] == w["estimate"]
    assert values["eus_t_fu_mcbi_change_p"] == w["pvalue"]
    wc = within(con, "pms", "followup", arm="control")
    assert values["pms_fu_control_change"] == wc["estimate"]


def test_contrast_texts(two_in_family) -> None:
    con = two_in_family.contrasts
    texts = names.contrast_texts(con)
    assert set(texts) == {"pms_post_papa", "pms_fu_papa", "eus_t_post_papa", "eus_t_fu_papa"}
    for outcome, wave, short in (("pms", "post", "post"), ("eus_t", "followup", "fu")):
        text = texts[f"{outcome}_{short}_papa"]
        assert text == fmt_p(between(con, outcome, wave)["pvalue"])
        assert re.fullmatch(r"< \.001|= \.\d{3}|= 1\.000", text)


