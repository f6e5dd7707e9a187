"""Parse lavaan-style two-level model syntax into user statements.

Supported: ``level: 1`` / ``level: 2`` (or ``within`` / ``between``) blocks, the operators
``=~``, ``~``, ``~~``, ``~ 1`` and ``:=``, modifiers ``label*x``, ``1*x``, ``NA*x``,
``start(0.5)*x``, ``#`` and ``!`` comments, ``;`` separators and statements continued on
the next line after a trailing operator or ``+``.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field

__all__ = ["Statement", "Term", "parse_model", "DEFINED_FUNCTIONS"]

_IDENT = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_LEVEL = re.compile(r"^level\s*:\s*(\S+)\s*$", re.IGNORECASE)
_OPERATORS = ("=~", "~~", ":=", "==", "<", ">", "~")
_LEVEL_NAMES = {"1": 1, "within": 1, "2": 2, "between": 2}
DEFINED_FUNCTIONS = {"sqrt": math.sqrt, "exp": math.exp, "log": math.log, "abs": abs}


@dataclass
class Term:
    """One right-hand-side term with its modifiers."""

    name: str
    label: str = ""
    fixed: float | None = None
    start: float | None = None
    free_forced: bool = False  # NA*x


@dataclass
class Statement:
    """One parsed formula: ``lhs op terms`` at a level, or a ``:=`` definition."""

    lhs: str
    op: str
    terms: list[Term] = field(default_factory=list)
    level: int | None = None
    expr: str = ""
    line: int = 0


def _strip_comment(line: str) -> str:
    for mark in ("#", "!"):
        pos = line.find(mark)
        if pos >= 0:
            line = line[:pos]
    return line.strip()


def _logical_lines(model: str) -> list[tuple[int, str]]:
    """Split into statements with their first line number, joining continuations."""
    out: list[tuple[int, str]] = []
    pending = ""
    pending_line = 0
    for lineno, raw in enumerate(model.splitlines(), start=1):
        for piece in _strip_comment(raw).split(";"):
            piece = piece.strip()
            if not piece:
                continue
            if pending:
                pending = f"{pending} {piece}"
            elif piece.startswith("+") and out:
                prev_line, prev = out.pop()
                pending, pending_line = f"{prev} {piece}", prev_line
            else:
                pending, pending_line = piece, lineno
            if pending.endswith(("+", "~", "=~", "~~", ":=", "*")):
                continue
            out.append((pending_line, pending))
            pending = ""
    if pending:
        raise ValueError(f"line {pending_line}: incomplete statement {pending!r}")
    return out


def _parse_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _parse_term(text: str, lineno: int) -> Term:
    parts = [p.strip() for p in text.split("*")]
    name = parts[-1]
    if not _IDENT.match(name):
        raise ValueError(f"line {lineno}: invalid variable name {name!r}")
    term = Term(name=name)
    for mod in parts[:-1]:
        start = re.match(r"^start\(\s*([^)]*)\s*\)$", mod)
        if start:
            value = _parse_number(start.group(1))
            if value is None:
                raise ValueError(f"line {lineno}: bad start value in {text!r}")
            term.start = value
        elif mod == "NA":
            term.free_forced = True
        elif _parse_number(mod) is not None:
            term.fixed = _parse_number(mod)
        elif _IDENT.match(mod):
            term.label = mod
        else:
            raise ValueError(f"line {lineno}: cannot parse modifier {mod!r} in {text!r}")
    return term


def _check_expression(expr: str, lineno: int) -> None:
    try:
        tree = ast.parse(expr.replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"line {lineno}: cannot parse expression {expr!r}") from exc
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant,
               ast.Call, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise ValueError(f"line {lineno}: unsupported element in expression {expr!r}")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in DEFINED_FUNCTIONS
        ):
            raise ValueError(f"line {lineno}: unsupported function in {expr!r}")


def parse_model(model: str) -> list[Statement]:
    """Parse lavaan model syntax into a list of statements.

    Parameters
    ----------
    model : str
        Model syntax with ``level:`` blocks.

    Returns
    -------
    list of Statement
        One statement per formula; ``~~`` and ``=~`` keep their terms, intercepts are
        returned with ``op == "~1"``.

    Raises
    ------
    ValueError
        On a syntax error (the message gives the line number), an unsupported operator or
        a formula outside a ``level:`` block.
    """
    if not isinstance(model, str) or not model.strip():
        raise ValueError("model syntax must be a non-empty string")
    statements: list[Statement] = []
    level: int | None = None
    seen_levels: set[int] = set()
    for lineno, text in _logical_lines(model):
        m = _LEVEL.match(text)
        if m:
            key = m.group(1).lower()
            if key not in _LEVEL_NAMES:
                raise ValueError(f"line {lineno}: unknown level {m.group(1)!r} (use 1 or 2)")
            level = _LEVEL_NAMES[key]
            seen_levels.add(level)
            continue
        op = next((o for o in _OPERATORS if o in text), None)
        if op is None:
            raise ValueError(f"line {lineno}: no operator found in {text!r}")
        if op in ("==", "<", ">"):
            raise ValueError(f"line {lineno}: constraints with {op!r} are not supported")
        lhs, rhs = (s.strip() for s in text.split(op, 1))
        if op == ":=":
            if not _IDENT.match(lhs):
                raise ValueError(f"line {lineno}: invalid name {lhs!r} for a defined parameter")
            _check_expression(rhs, lineno)
            statements.append(Statement(lhs=lhs, op=":=", expr=rhs, line=lineno))
            continue
        if level is None:
            raise ValueError(f"line {lineno}: formula before any 'level:' line")
        if not _IDENT.match(lhs):
            raise ValueError(f"line {lineno}: invalid left-hand side {lhs!r}")
        if not rhs:
            raise ValueError(f"line {lineno}: empty right-hand side in {text!r}")
        terms_text = [t.strip() for t in rhs.split("+")]
        if any(not t for t in terms_text):
            raise ValueError(f"line {lineno}: empty term in {text!r}")
        if op == "~" and len(terms_text) == 1 and terms_text[0].split("*")[-1].strip() == "1":
            term = _parse_term(terms_text[0][:-1] + "X", lineno)
            term.name = ""
            statements.append(Statement(lhs, "~1", [term], level, line=lineno))
            continue
        terms = [_parse_term(t, lineno) for t in terms_text]
        statements.append(Statement(lhs, op, terms, level, line=lineno))
    if any(s.level is not None for s in statements) and seen_levels != {1, 2}:
        raise ValueError("a two-level model needs both a 'level: 1' and a 'level: 2' block")
    return statements
