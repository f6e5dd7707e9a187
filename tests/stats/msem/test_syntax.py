"""Parser of lavaan model syntax (mcbi.stats.msem.syntax)."""

from __future__ import annotations

import pytest

from mcbi.stats.msem.syntax import parse_model


def test_operators_modifiers_and_levels():
    model = """
    # a comment line
    level: within
      f =~ y1 + 0.8*y2 + NA*y3 + lab*y4   ! trailing comment
      f ~ c1*x; y1 ~~ y2
      y1 ~ 1
    level: between
      fb =~ y1 +
            y2
      m ~ start(0.5)*w
    ind := c1 * 2
    """
    stmts = parse_model(model)
    ops = [(s.lhs, s.op, s.level) for s in stmts]
    assert ops == [("f", "=~", 1), ("f", "~", 1), ("y1", "~~", 1), ("y1", "~1", 1),
                   ("fb", "=~", 2), ("m", "~", 2), ("ind", ":=", None)]
    terms = stmts[0].terms
    assert [t.name for t in terms] == ["y1", "y2", "y3", "y4"]
    assert terms[1].fixed == 0.8 and terms[2].free_forced and terms[3].label == "lab"
    assert stmts[1].terms[0].label == "c1"
    assert [t.name for t in stmts[4].terms] == ["y1", "y2"]  # continued line
    assert stmts[5].terms[0].start == 0.5
    assert stmts[6].expr == "c1 * 2"
    assert stmts[2].line == stmts[1].line  # ';' keeps the line number


@pytest.mark.parametrize("model, message", [
    ("level: 1\n y ~ x\n y x\nlevel: 2\n y ~ w", "line 3: no operator"),
    ("y ~ x\nlevel: 1\n y ~ x\nlevel: 2\n y ~ w", "line 1: formula before"),
    ("level: 1\n y ~ x\n", "both a 'level: 1' and a 'level: 2'"),
    ("level: 3\n y ~ x", "line 1: unknown level"),
    ("level: 1\n y ~ 2x*x\nlevel: 2\n y ~ w", "line 2"),
    ("level: 1\n y ~ x\n a == b\nlevel: 2\n y ~ w", "line 3: constraints"),
    ("level: 1\n y ~ x +\n", "incomplete statement"),
    ("level: 1\n y ~ a*x\nlevel: 2\n y ~ w\n d := a +* 2", "line 5"),
    ("level: 1\n y ~ a*x\nlevel: 2\n y ~ w\n d := sin(a)", "unsupported function"),
    ("", "non-empty"),
])
def test_syntax_errors_name_the_line(model, message):
    with pytest.raises(ValueError, match=message):
        parse_model(model)
