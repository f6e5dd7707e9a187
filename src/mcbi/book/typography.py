"""APA typography of numbers in the rendered book (a Sphinx ``doctree-resolved`` hook).

Numbers reach the pages in two ways: formatted by :mod:`mcbi.paper.render.apa` (tables, preformatted
glue) or by a format spec in a ``{glue:text}`` role (``key:.2f``), which Python writes with a
hyphen-minus. Whatever their source, the hook sets them as APA asks:

* typographic quotes and apostrophes in glued text and table cells ("article’s", ‘x’), which
  Sphinx's smart quotes, run before the glue is pasted, cannot give;
* a true minus sign (U+2212) for a negative number in glued text and in table cells
  (a hyphen directly before a digit, not inside a word or a date such as "2018-09");
* fixed notation instead of scientific notation there ("1.1e-08" becomes "< 0.001");
* no line break inside "p < .001", "= .034", "d = 0.45", an interval "[0.12, 0.48]" or (in
  prose) an estimate with its interval "0.30 [0.12, 0.48]": those spaces become non-breaking
  (U+00A0), also between an italic statistic (*p*, *d*) and the glued "= .034" that follows
  it, and between the glued bounds of an interval typed as "[{lower}, {upper}]". A table cell
  may set the interval on the line below its estimate, so that narrow columns stay narrow;
* a glued *p*-value written with a leading zero ("*p* = {0.452}") loses it (".452");
* the symbols of statistics in glued text and in table cells ("p = .034", "d = 0.45",
  "SE 0.12", "t(12) =", "χ²(3) =", "df = 5.6") are set in italics (:func:`italic_statistics`),
  since glued text and computed cells are plain; in a table cell also the symbols written
  as labels ("M (SD)", "n (%)", "SD of …", "KR df", :func:`italic_cell_symbols`), whichever
  module built the table. A lone letter in a body cell ("a", "b", "p") is left alone: it
  may be a path's name rather than a statistic.

Code (literals, code blocks, math, raw HTML) is never touched.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from docutils.utils.smartquotes import educate_tokens

from mcbi.paper.render.apa import fmt_num, fmt_small

MINUS = "\u2212"
NBSP = "\u00a0"
GLUE_CLASS = "pasted-text"

_SCIENTIFIC = re.compile(r"(?<![\w.])([\-\u2212]?\d+(?:\.\d+)?)[eE]([+\-]?\d+)(?![\w.])")
_NEGATIVE = re.compile(r"(?<![\w.\-\u2212])-(?=\.?\d)")
_NUMBER = r"[\-\u2212]?(?:\d[\d,]*\.?\d*|\.\d+)"
# "< .001", "= 0.45", "> 2": a space on either side of a relation followed by a number
_RELATION = re.compile(rf"(?:(?<=\S) )?([<=>\u2264\u2265]) (?={_NUMBER}|\u2014)")
_INTERVAL = re.compile(rf"(\[(?:{_NUMBER}|\u2014)),[ ](?=(?:{_NUMBER}|\u2014)\])")
_BEFORE_INTERVAL = re.compile(rf"(?<=\d) (?=\[(?:{_NUMBER}|\u2014),)")
_ENDS_WITH_RELATION = re.compile(r" ?([<=>\u2264\u2265]) $")
_RELATION_ONLY = re.compile(r"[ \u00a0]*[<=>\u2264\u2265][ \u00a0]*")
_LEADING_ZERO = re.compile(r"0\.\d+")
_SKIP = (nodes.literal, nodes.literal_block, nodes.raw, nodes.math, nodes.math_block,
         nodes.comment, nodes.doctest_block)


def smart_quotes(text: str) -> str:
    """Typographic quotes and apostrophes in glued text ("the article's" -> "the article’s",
    'package 'x'' -> "package ‘x’"), by docutils' SmartyPants, the same rules as Sphinx's
    smart quotes: glued text is pasted after those have run, so Python's straight quotes
    would otherwise reach the page.

    >>> smart_quotes("the article's 'x' and the arms' 2's")
    'the article’s ‘x’ and the arms’ 2’s'
    """
    return "".join(educate_tokens([("text", text)], attr="q", language="en"))


def true_minus(text: str) -> str:
    """Replace the hyphen of negative numbers in ``text`` by a minus sign.

    >>> true_minus("-0.25 to -1.5, 2018-09, x-1")
    '−0.25 to −1.5, 2018-09, x-1'
    """
    return _NEGATIVE.sub(MINUS, text)


def fixed_notation(text: str) -> str:
    """Numbers in scientific notation ("1.1e-08", from a ``:.1e`` glue spec) in fixed notation.

    A value below 0.001 in absolute value is shown as "< 0.001" (APA: no scientific notation
    in prose); larger values with two decimals, or none from 1000 on.

    >>> fixed_notation("gradient 1.1e-08, n = 2.5e+03, x = 3.2E-2, e-mail, 1e")
    'gradient < 0.001, n = 2500, x = 0.032, e-mail, 1e'
    """
    def fixed(match: re.Match) -> str:
        value = float(match.group(1).replace(MINUS, "-") + "e" + match.group(2))
        if abs(value) >= 1:
            return fmt_num(value, 2 if abs(value) < 1000 else 0)
        return fmt_small(value, 3)

    return _SCIENTIFIC.sub(fixed, text)


def bind_numbers(text: str, estimate_with_interval: bool = True) -> str:
    """Non-breaking spaces inside relations and intervals of numbers.

    With ``estimate_with_interval`` the space between an estimate and its interval is bound
    too (in prose); a table cell leaves it, so that a narrow column sets the estimate above
    its interval instead of growing wider.

    >>> bind_numbers("p < .001, d = 0.45 [0.12, 0.48]").replace(NBSP, "~")
    'p~<~.001, d~=~0.45~[0.12,~0.48]'
    >>> bind_numbers("a < b, [see], 3 [a, b]") == "a < b, [see], 3 [a, b]"
    True
    """
    text = _RELATION.sub(lambda m: (NBSP if m.group(0)[0] == " " else "") + m.group(1) + NBSP,
                         text)
    text = _INTERVAL.sub(lambda m: m.group(1) + "," + NBSP, text)
    return _BEFORE_INTERVAL.sub(NBSP, text) if estimate_with_interval else text


def _skipped(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, _SKIP):
            return True
        parent = parent.parent
    return False


def _in(node: nodes.Node, kind: type, classes: str | None = None) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, kind) and (classes is None or classes in parent.get("classes", [])):
            return True
        parent = parent.parent
    return False


def _glued(node: nodes.Node | None) -> bool:
    return isinstance(node, nodes.inline) and GLUE_CLASS in node.get("classes", [])


def _starts_with_relation(node: nodes.Node) -> bool:
    return node.astext()[:1] in "<=>\u2264\u2265" and node.astext() != ""


def _texts(doctree: nodes.Node) -> list[nodes.Text]:
    return [t for t in doctree.findall(nodes.Text) if t.parent is not None and not _skipped(t)]


def _index(node: nodes.Node) -> int | None:
    """Position of ``node`` among its parent's children, by identity (equal Text nodes are
    equal strings, so ``Element.index`` would find the first look-alike)."""
    parent = node.parent
    if parent is None:
        return None
    return next((i for i, child in enumerate(parent.children) if child is node), None)


def _replace(text: nodes.Text, new: str) -> None:
    index = _index(text)
    if new != str(text) and index is not None:
        node = nodes.Text(new)
        node.parent = text.parent
        text.parent.children[index] = node


def _p_without_leading_zero(text: nodes.Text) -> None:
    """"*p* = {0.452}" with the number glued: APA writes a p-value without its leading zero."""
    parent, index = text.parent, _index(text)
    if index is None or not (0 < index < len(parent.children) - 1
                             and _RELATION_ONLY.fullmatch(str(text))):
        return  # replaced earlier in this pass, or not "= " between two nodes
    before, after = parent.children[index - 1], parent.children[index + 1]
    if isinstance(before, nodes.emphasis) and before.astext() == "p" and _glued(after):
        for number in list(after.findall(nodes.Text)):
            if _LEADING_ZERO.fullmatch(str(number)):
                _replace(number, str(number)[1:])


_STATISTIC = re.compile(
    r"(?<![\w\u2212.-])(p|d|df|SE|SD|M|t|F|r|z|n|N|\u03c7\u00b2)"
    r"(?=(?:\(\d+\))?[ \u00a0]*[<=>\u2264\u2265][ \u00a0]*[\d.\u2212-]|[ \u00a0]\d)")


_TEST_NAME = re.compile(r"(?<![\w\-\u2019'])([tzF])(?=[ \u00a0]tests?\b)")
"""A test named by its statistic: "t tests", "Wald z tests", "an F test"."""


def italic_statistics(text: str) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, italic) runs: a statistic's symbol directly before a
    relation and a number (or, for *SE*, before a number) is italic, and so is the statistic
    that names a test ("*t* tests", "Wald *z* tests").

    >>> [piece for piece, italic in italic_statistics("adjusted p < .001, d = 0.83") if italic]
    ['p', 'd']
    >>> italic_statistics("up to 5 p-values, a = 3")
    [('up to 5 p-values, a = 3', False)]
    >>> [p for p, italic in italic_statistics("t tests with KR's df; Wald z test") if italic]
    ['t', 'z']
    """
    out: list[tuple[str, bool]] = []
    last = 0
    matches = sorted([*_STATISTIC.finditer(text), *_TEST_NAME.finditer(text)],
                     key=lambda m: m.start())
    for match in matches:
        if match.start() < last:
            continue
        if match.re is _STATISTIC and match.group(1) in (
                "n", "N", "p", "d", "df", "M", "t", "F", "r", "z") and \
                not re.match(r"(?:\(\d+\))?[ \u00a0]*[<=>\u2264\u2265]", text[match.end():]):
            continue  # "d 3" is not a statistic; only SE/SD are written before a bare number
        if match.start() > last:
            out.append((text[last:match.start()], False))
        out.append((match.group(1), True))
        last = match.end()
    if last < len(text):
        out.append((text[last:], False))
    return out


_CELL_SYMBOL = re.compile(r"(?<![\w\u2212.\-\u2019'])(SD|SE|Mdn|M|N|n|df|\u03c7\u00b2"
                          r"|(?:p|d|t|F|r|z)(?=[ \u00a0]\())(?![\w\-\u2019'])")
"""Symbols of statistics that a table cell may hold as a label, standing alone (a one-letter
statistic only before a parenthesis, "p (χ²)", since a lone letter may name a path)."""


def italic_cell_symbols(text: str) -> list[tuple[str, bool]]:
    """:func:`italic_statistics` for a table cell: also a label symbol standing alone
    (*M*, *SD*, *SE*, *Mdn*, *n*, *N*, *df*, χ²) is italic.

    >>> [p for p, italic in italic_cell_symbols("age, M (SD); (n < 5); KR df") if italic]
    ['M', 'SD', 'n', 'df']
    >>> [p for p, italic in italic_cell_symbols("p (χ²), path a, b, d") if italic]
    ['p', 'χ²']
    >>> italic_cell_symbols("a, b, Mean, SDQ")
    [('a, b, Mean, SDQ', False)]
    """
    out: list[tuple[str, bool]] = []
    for piece, italic in italic_statistics(text):
        if italic:
            out.append((piece, True))
            continue
        last = 0
        for match in _CELL_SYMBOL.finditer(piece):
            if match.start() > last:
                out.append((piece[last:match.start()], False))
            out.append((match.group(1), True))
            last = match.end()
        if last < len(piece):
            out.append((piece[last:], False))
    return out


_BOUND_AFTER_SYMBOL = re.compile(r" (?=[<=>\u2264\u2265\d\u2212-])")


def _italicize(text: nodes.Text, cell: bool = False) -> None:
    runs = (italic_cell_symbols if cell else italic_statistics)(str(text))
    index = _index(text)
    if index is None or not any(italic for _, italic in runs):
        return
    parent = text.parent
    for i in range(1, len(runs)):  # "*p* = .034": no line break after the symbol
        piece, italic = runs[i]
        if runs[i - 1][1] and not italic and _BOUND_AFTER_SYMBOL.match(piece):
            runs[i] = (NBSP + piece[1:], False)
    new = [nodes.emphasis(piece, piece) if italic else nodes.Text(piece)
           for piece, italic in runs]
    parent.children[index:index + 1] = []
    for offset, node in enumerate(new):
        parent.insert(index + offset, node)


VERBATIM_CLASS = "rerun"
"""Class of a container (the "Re-run this chapter" box) whose glued values are commands and
parameter values to copy: they are set as code, untouched by the typesetting."""


def _verbatim_glue(doctree: nodes.Node) -> None:
    """Glued text inside a :data:`VERBATIM_CLASS` container becomes a code literal."""
    for box in list(doctree.findall(nodes.Element)):
        if VERBATIM_CLASS not in box.get("classes", []):
            continue
        for inline in list(box.findall(nodes.inline)):
            if _glued(inline) and inline.parent is not None:
                inline.replace_self(nodes.literal(inline.astext(), inline.astext()))


def typeset(doctree: nodes.Node) -> None:
    """Apply the minus sign and the non-breaking spaces to every text node of ``doctree``."""
    _verbatim_glue(doctree)
    # first the numbers themselves (glued text and table cells), then the spaces around them
    for text in _texts(doctree):
        if _in(text, nodes.entry) or _in(text, nodes.inline, GLUE_CLASS):
            _replace(text, smart_quotes(true_minus(fixed_notation(str(text)))))
    for text in _texts(doctree):
        if _in(text, nodes.emphasis) or _in(text, nodes.reference):
            continue
        if _in(text, nodes.entry):
            _italicize(text, cell=True)
        elif _in(text, nodes.inline, GLUE_CLASS):
            _italicize(text)
    for text in _texts(doctree):
        _p_without_leading_zero(text)
    for text in _texts(doctree):
        new = bind_numbers(str(text), estimate_with_interval=not _in(text, nodes.entry))
        # "*p* {= .034}" and "*d* = {0.45}" where the braces are glued: bind across nodes
        index = _index(text)
        after = text.parent.children[index + 1] if index + 1 < len(text.parent.children) else None
        before = text.parent.children[index - 1] if index > 0 else None
        if _glued(before) and _glued(after) and new.strip() == ",":
            new = "," + NBSP  # "[{lower}, {upper}]" with both bounds glued
        elif _glued(after) and new.endswith(" "):
            if _starts_with_relation(after):
                new = new[:-1] + NBSP
            elif _ENDS_WITH_RELATION.search(new):
                new = _ENDS_WITH_RELATION.sub(lambda m: NBSP + m.group(1) + NBSP, new)
        _replace(text, new)


def typeset_page(app: Any, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved`` handler (after the glue of every page is pasted)."""
    typeset(doctree)


def setup(app: Any) -> None:
    """Connect the handler (called from :func:`mcbi.book.sphinxext.setup`)."""
    app.connect("doctree-resolved", typeset_page)
