"""A resolved docutils doctree of the book as Typst markup (the PDF's source).

The HTML book is the reference: by the time Sphinx emits ``doctree-resolved`` for a page,
myst-nb has pasted the glued values, sphinxcontrib-bibtex has written the citations and the
reference list (in the book's APA style), and every ``{numref}`` reads "Table 6" or
"Fig. 2". :class:`TypstWriter` turns that tree into markup for the project's APA 7
template (``book/typst/apa7.typ``), so the PDF shows the same words, numbers, tables and
figures as the HTML, with the same table and figure numbers:

- the page's title calls ``#doc-title`` (the template decides its level or drops it), its
  sections are headings ``==``, ``===``, … (the template offsets their level); every id
  becomes an anchor (``#anchor``), so every cross-reference resolves;
- numbered tables and figures call ``#apa-table`` and ``#apa-figure`` with the number the
  HTML gives them; untitled tables (codebook, parameter lists) call ``#plain-table``;
- links within the book call ``#xref`` (a link when the target is in the PDF, plain text
  otherwise); citations link to their entry of the reference list (``#bib-entry``);
- code cells, code blocks (with a paragraph ending in ":" that introduces one), raw html,
  toctrees, the data-note callouts (the title page
  carries the data note) and the tip callouts (the website's "Re-run this chapter" boxes; the
  article's reproducibility statement says how to rebuild) are left out; other callouts
  become ``#aside``;
- table cells that hold numbers never wrap inside a number (a list of them may break after
  ";"); each column's longest piece and longest cell go to the template (``fit``), which
  shares the page's width among the columns or sets the table in landscape;
- every inline call ends with ``;`` so that a following "(" or "[" stays text;
- single letters of statistics followed by a relation (*p* < .05, *d* = 0.8) are set in
  italics, as APA asks.

Labels are ``<doc>:<id>`` with ``/`` of the document name written ``.``
(:func:`label_name`). A node type without a rule raises :class:`UnknownNode`, so a new
construct in the book fails the build instead of vanishing from the PDF.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from docutils import nodes

_ESCAPE = re.compile(r"([\\#*_`$@<>\[\]~=\-+/])")
_STAT = re.compile(r"(?<![\w.\-])(p|d|t|z|r|F|n|N|M|SD|SE|b|B|χ2|χ²)(?=\s?[=<>≤≥])")
_RELATION = re.compile(r"[ \u00a0]?[=<>≤≥][ \u00a0]?(?=[\d.\u2212-])")
"""A relation and the spaces around it, before a number: bound to the symbol before it."""
_CELL_STAT = re.compile(r"(?<![\w.\-])(p|d|t|z|r|F|n|N|M|SD|SE|df|χ2|χ²)"
                        r"(?=\s?[=<>≤≥]|\s\(|\)|,|$)")
"""In a table cell also a symbol standing alone or before "(": "M (SD)", "n (%)", "df"."""
_SKIP = ("raw", "literal_block", "toctree", "compound", "comment", "target",
         "substitution_definition", "HideCodeCellNode", "system_message", "label", "meta",
         "pending_xref", "index")
_NUMBER_BREAK = re.compile(r"(?<![^\\]\]);\u00a0")
"""A ";" of the text (not the end of a call) in a number cell: a line may break after it."""
_BREAKS = re.compile(r"\s+|(?<=[/\u2013\u2014])")
"""Where a text cell may break: spaces, and after a slash or a dash."""
_PASS = ("inline", "container", "abbreviation", "problematic",
         "title_reference", "line", "line_block", "block_quote", "legend", "generated")


class UnknownNode(ValueError):
    """The doctree holds a node the writer has no rule for."""


def escape(text: str) -> str:
    """Return ``text`` as literal Typst markup on one line (markup characters escaped)."""
    return _ESCAPE.sub(r"\\\1", " ".join(text.split("\n")))


def string(text: str) -> str:
    """Return ``text`` as a Typst string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def label_name(docname: str, ident: str = "") -> str:
    """Return the Typst label of element ``ident`` of document ``docname`` (the doc if empty)."""
    return f"{docname.replace('/', '.')}:{ident}"


def italic_statistics(text: str, cell: bool = False) -> str:
    """Return escaped ``text`` with statistic symbols before a relation set in italics
    (in a table ``cell`` also those standing alone or before a parenthesis)."""
    out, last = [], 0
    for match in (_CELL_STAT if cell else _STAT).finditer(text):
        out.append(escape(text[last:match.start()]))
        out.append(f"#emph[{escape(match.group(1))}];")
        last = match.end()
        relation = _RELATION.match(text, last)
        if relation:  # "d = 0.83" stays on one line
            out.append(escape(relation.group(0)).replace(" ", "\u00a0"))
            last = relation.end()
    out.append(escape(text[last:]))
    return "".join(out)


class TypstWriter:
    """Write one resolved page of the book as Typst markup.

    Parameters
    ----------
    docname : str
        The page's Sphinx document name (``book/sections/02_therapists``).
    numbers : dict
        Sphinx's figure numbers of the page (``env.toc_fignumbers[docname]``):
        ``{"table": {"tbl-x": (6,)}, "figure": {...}}``.
    image : callable
        Maps an image ``uri`` (relative to the book's root) to the path the PDF uses
        (e.g. the vector version of a figure, rooted at ``/``).
    template : str
        The template the markup imports (a Typst path rooted at the project, ``/…``).
    """

    def __init__(self, docname: str, numbers: dict[str, dict[str, tuple[int, ...]]],
                 image: Callable[[str], str], template: str) -> None:
        self.template = template
        self.docname = docname
        self.numbers = numbers
        self.image = image
        self.depth = 0
        self.in_emphasis = 0
        self.in_cell = 0

    # ------------------------------------------------------------------ entry point
    def write(self, document: nodes.document) -> str:
        """Return the Typst markup of ``document`` (starting with its anchor)."""
        body = self.blocks(document.children)
        return (f"#import {string(self.template)}: *\n"
                f"#anchor({string(label_name(self.docname))})\n\n{body}\n")

    # ------------------------------------------------------------------ helpers
    def label(self, ident: str) -> str:
        return string(label_name(self.docname, ident))

    def anchors(self, node: nodes.Element, skip: int = 0) -> str:
        return "".join(f"#anchor({self.label(i)})" for i in node.get("ids", [])[skip:])

    def target(self, node: nodes.Element) -> str:
        """The label a reference node points to ('' for an external one)."""
        if node.get("refid"):
            return label_name(self.docname, node["refid"])
        uri = node.get("refuri", "")
        if not uri or re.match(r"^[a-z][a-z0-9+.-]*:", uri):
            return ""
        path, _, fragment = uri.partition("#")
        if not path:
            return label_name(self.docname, fragment)
        doc = posixpath.normpath(posixpath.join(posixpath.dirname(self.docname), path))
        return label_name(re.sub(r"\.html$", "", doc), fragment)

    def blocks(self, children: list[nodes.Node]) -> str:
        parts = [self.block(child) for child in children]
        return "\n\n".join(p for p in parts if p.strip())

    def inlines(self, children: list[nodes.Node]) -> str:
        return "".join(self.inline(child) for child in children)

    # ------------------------------------------------------------------ blocks
    def block(self, node: nodes.Node) -> str:  # noqa: C901, PLR0911, PLR0912
        name = type(node).__name__
        if name in _SKIP or isinstance(node, nodes.Invisible):
            return ""
        if isinstance(node, nodes.section):
            self.depth += 1
            try:
                title = node.next_node(nodes.title)
                text = self.inlines(title.children).strip()
                if self.depth == 1:  # "Appendix: x" -> "X" (the template says "Appendix A")
                    text = re.sub(r"^Appendix: *(.)", lambda m: m.group(1).upper(), text)
                head = (f"#doc-title[{text}]" if self.depth == 1
                        else "=" * self.depth + " " + text)
                rest = [c for c in node.children if c is not title]
                body = self.blocks(rest)
                if not body.strip():
                    return ""  # a section of code only: no heading left alone
                return head + "\n" + self.anchors(node) + "\n\n" + body
            finally:
                self.depth -= 1
        if isinstance(node, nodes.paragraph):
            if _introduces_code(node):
                return ""  # "The command:" before a code block, which the PDF leaves out
            return self.anchors(node) + self.inlines(node.children).strip()
        if isinstance(node, nodes.container):
            if "cell_input" in node.get("classes", []):
                return ""
            return self.container(node)
        if isinstance(node, nodes.table):
            return self.table(node)
        if isinstance(node, nodes.figure):
            return self.figure(node)
        if isinstance(node, nodes.image):
            return f"#image({string(self.image(node['uri']))}, alt: {string(node.get('alt', ''))})"
        if isinstance(node, nodes.bullet_list | nodes.enumerated_list):
            items = ", ".join(f"[{self.blocks(item.children)}]" for item in node.children)
            kind = "enum" if isinstance(node, nodes.enumerated_list) else "list"
            return f"#{kind}({items})"
        if isinstance(node, nodes.rubric):
            return f"#rubric[{self.inlines(node.children)}]"
        if isinstance(node, nodes.Admonition):
            return self.admonition(node)
        if isinstance(node, nodes.citation):
            return self.citation(node)
        if isinstance(node, nodes.definition_list):
            return "\n\n".join(self.term(item) for item in node.children)
        if isinstance(node, nodes.transition):
            return ""
        if isinstance(node, nodes.math_block):
            return f"#raw({string(node.astext())})"
        if name in _PASS or isinstance(node, nodes.Element) and name == "document":
            return self.blocks(node.children)
        if isinstance(node, nodes.TextElement | nodes.Text):
            return self.inline(node)
        raise UnknownNode(f"{self.docname}: the PDF writer has no rule for <{name}>")

    def container(self, node: nodes.Element) -> str:
        """A notebook cell or output: its blocks, a table followed by its *Note.* joined."""
        children = list(node.children)
        out, consumed = [], set()
        for i, child in enumerate(children):
            if i in consumed:
                continue
            following = children[i + 1] if i + 1 < len(children) else None
            if isinstance(child, nodes.table) and _is_note(following):
                out.append(self.table(child, note=following))
                consumed.add(i + 1)
                continue
            out.append(self.block(child))
        return "\n\n".join(p for p in out if p.strip())

    def term(self, item: nodes.Element) -> str:
        term = item.next_node(nodes.term)
        definition = item.next_node(nodes.definition)
        return (f"#strong[{self.inlines(term.children)}]: "
                f"{self.blocks(definition.children) if definition else ''}")

    def admonition(self, node: nodes.Element) -> str:
        title = node.next_node(nodes.title)
        body = [c for c in node.children if c is not title]
        if _only_pasted_text(body) and "warning" in node.get("classes", []):
            return ""  # the data note, which the title page carries
        if "tip" in node.get("classes", []):
            return ""  # how to re-run a chapter: the reproducibility statement says it
        heading = self.inlines(title.children) if title else ""
        if not title and isinstance(node, nodes.note):
            heading = "Note."
        return f"#aside(title: [{heading}])[{self.blocks(body)}]"

    def citation(self, node: nodes.Element) -> str:
        ids = node.get("ids", [])
        paragraphs = [c for c in node.children if isinstance(c, nodes.paragraph)]
        text = " ".join(self.inlines(p.children).strip() for p in paragraphs)
        return f"#bib-entry({self.label(ids[0]) if ids else 'none'})[{text}]"

    def table(self, node: nodes.table, note: nodes.Node | None = None) -> str:
        title = node.next_node(nodes.title)
        group = node.next_node(nodes.tgroup)
        cols = int(group["cols"])
        aligns = []
        fits = [_ColumnFit() for _ in range(cols)]
        head_rows: list[str] = []
        body_rows: list[str] = []
        for part in group.children:
            if isinstance(part, nodes.thead | nodes.tbody):
                rows = head_rows if isinstance(part, nodes.thead) else body_rows
                for row in part.children:
                    cells = []
                    column = 0
                    for entry in row.children:
                        self.in_cell += 1
                        try:
                            content = self.blocks(entry.children)
                        finally:
                            self.in_cell -= 1
                        span = int(entry.get("morecols", 0)) + 1
                        numeric = (isinstance(part, nodes.tbody)
                                   and "text-right" in entry.get("classes", []))
                        if numeric:  # a number never wraps; a list of them after ";"
                            content = _NUMBER_BREAK.sub("; ", content.replace(" ", "\u00a0"))
                        if span == 1 and column < cols:
                            fits[column].add(entry.astext(), numeric,
                                             isinstance(part, nodes.thead),
                                             mono=bool(entry.next_node(nodes.literal)))
                        column += span
                        cell = f"[{content}]" if span == 1 else (
                            f"table.cell(colspan: {span})[{content}]")
                        cells.append(cell)
                        if len(aligns) < cols and isinstance(part, nodes.thead | nodes.tbody):
                            classes = entry.get("classes", [])
                            aligns.append("right" if "text-right" in classes else
                                          "center" if "text-center" in classes else "left")
                    rows.append(", ".join(cells))
        aligns = (aligns + ["left"] * cols)[:cols]
        ids = node.get("ids", [])
        number = self.numbers.get("table", {}).get(ids[0]) if ids else None
        args = [f"columns: {cols}", f"aligns: ({', '.join(aligns)},)",
                f"header: ({''.join(f'({r},),' for r in head_rows)})",
                f"rows: ({''.join(f'({r},),' for r in body_rows)})",
                f"fit: ({''.join(f.markup() + ', ' for f in fits)})"]
        if note is not None:
            if isinstance(note, nodes.container):
                note = note.children[0]
            args.append(f"note: [{_strip_note(self.inlines(note.children).strip())}]")
        if title is not None and number:
            args.insert(0, f"title: [{self.inlines(title.children).strip()}]")
            args.insert(0, f"number: {string('.'.join(map(str, number)))}")
            args.insert(0, f"label: {self.label(ids[0])}")
            return f"#apa-table({', '.join(args)})" + self.anchors(node, 1)
        if title is not None:
            args.insert(0, f"title: [{self.inlines(title.children).strip()}]")
        return self.anchors(node) + f"#plain-table({', '.join(args)})"

    def figure(self, node: nodes.figure) -> str:
        image = node.next_node(nodes.image)
        caption = node.next_node(nodes.caption)
        legend = node.next_node(nodes.legend)
        ids = node.get("ids", [])
        number = self.numbers.get("figure", {}).get(ids[0]) if ids else None
        args = [f"path: {string(self.image(image['uri']))}",
                f"alt: {string(image.get('alt', ''))}"]
        if caption is not None:
            args.append(f"title: [{self.inlines(caption.children).strip()}]")
        if legend is not None:
            args.append(f"note: [{_strip_note(self.blocks(legend.children))}]")
        if number and ids:
            args[:0] = [f"label: {self.label(ids[0])}",
                        f"number: {string('.'.join(map(str, number)))}"]
        return f"#apa-figure({', '.join(args)})" + self.anchors(node, 1)

    # ------------------------------------------------------------------ inlines
    def inline(self, node: nodes.Node) -> str:  # noqa: C901, PLR0911
        if isinstance(node, nodes.Text):
            text = str(node)
            if self.in_emphasis:
                return escape(text)
            relation = _RELATION.match(text)
            if relation and _after_statistic(node):  # "*d* = 0.83" stays on one line
                return (escape(relation.group(0)).replace(" ", "\u00a0")
                        + italic_statistics(text[relation.end():], cell=bool(self.in_cell)))
            return italic_statistics(text, cell=bool(self.in_cell))
        name = type(node).__name__
        if name in _SKIP or isinstance(node, nodes.Invisible):
            return ""
        if isinstance(node, nodes.emphasis):
            self.in_emphasis += 1
            try:
                return f"#emph[{self.inlines(node.children)}];"
            finally:
                self.in_emphasis -= 1
        if isinstance(node, nodes.strong):
            return f"#strong[{self.inlines(node.children)}];"
        if isinstance(node, nodes.literal):
            return f"#raw({string(node.astext())});"
        if isinstance(node, nodes.superscript):
            return f"#super[{self.inlines(node.children)}];"
        if isinstance(node, nodes.subscript):
            return f"#sub[{self.inlines(node.children)}];"
        if isinstance(node, nodes.math):
            return f"#raw({string(node.astext())})"
        if isinstance(node, nodes.image):
            return ""
        if isinstance(node, nodes.reference) or name == "number_reference":
            text = self.inlines(node.children).replace("Fig. ", "Figure ").replace(
                "Fig.~", "Figure ")
            target = self.target(node)
            if target:
                return f"#xref({string(target)})[{text}];"
            uri = node.get("refuri", "")
            return f"#link({string(uri)})[{text}];" if uri else text
        if isinstance(node, nodes.footnote_reference):
            return ""
        if isinstance(node, nodes.TextElement | nodes.Element) and (
                name in _PASS or isinstance(node, nodes.inline)):
            return self.inlines(node.children)
        if isinstance(node, nodes.paragraph):
            return self.inlines(node.children)
        raise UnknownNode(f"{self.docname}: the PDF writer has no rule for inline <{name}>")


class _ColumnFit:
    """The longest unbreakable piece (``min``), the longest body cell (``max``) and the
    longest header (``head``) of a column, as plain text, and whether its cells hold code
    (``mono``, measured in the code font): the template measures them to share
    the width among the columns (each at least its longest piece; the rest by how much more
    each would take), or to set a table too wide for the page in landscape."""

    def __init__(self) -> None:
        self.min = ""
        self.max = ""
        self.head = ""
        self.mono = False

    def add(self, text: str, numeric: bool, header: bool, mono: bool = False) -> None:
        """Count a cell's plain ``text`` (``mono``: it holds code, set in monospace)."""
        text = " ".join(text.split())
        pieces = (text.split("; ") if numeric else _BREAKS.split(text))
        piece = max(pieces, key=len, default="")
        self.mono = self.mono or (mono and not header)
        if len(piece) > len(self.min):
            self.min = piece
        if header and len(text) > len(self.head):
            self.head = text
        elif not header and len(text) > len(self.max):
            self.max = text

    def markup(self) -> str:
        return (f"(min: {string(self.min)}, max: {string(self.max or self.min)}, "
                f"head: {string(self.head)}, mono: {'true' if self.mono else 'false'})")


def _introduces_code(node: nodes.paragraph) -> bool:
    """Whether ``node`` ends with ":" and a code block (left out of the PDF) follows it."""
    following = node.next_node(descend=False, siblings=True)
    return (isinstance(following, nodes.literal_block)
            and node.astext().rstrip().endswith(":"))


def _after_statistic(node: nodes.Node) -> bool:
    """Whether ``node`` follows an emphasised statistic symbol (``*d*``) in its paragraph."""
    parent = node.parent
    if parent is None:
        return False
    at = parent.index(node)
    before = parent.children[at - 1] if at else None
    if not isinstance(before, nodes.emphasis):
        return False
    symbol = before.astext()
    match = _STAT.match(symbol + " =")
    return bool(match) and match.end() == len(symbol)


def _is_note(node: nodes.Node | None) -> bool:
    """A paragraph starting "Note.", alone or in a container of its own (the note block
    :func:`mcbi.paper.render.tables.myst_table` writes under a table)."""
    if isinstance(node, nodes.container) and len(node.children) == 1:
        node = node.children[0]
    return isinstance(node, nodes.paragraph) and node.astext().lstrip().startswith("Note.")


def _strip_note(markup: str) -> str:
    """Drop a leading "Note." (the template sets it in italics)."""
    return re.sub(r"^(#emph\[)?Note\.(\];?)?\s*", "", markup.strip())


def _only_pasted_text(body: list[nodes.Node]) -> bool:
    """Whether ``body`` is one paragraph of glued text only."""
    if len(body) != 1 or not isinstance(body[0], nodes.paragraph):
        return False
    parts = [c for c in body[0].children if not (isinstance(c, nodes.Text) and not c.strip())]
    return bool(parts) and all("pasted-text" in getattr(c, "get", dict().get)("classes", [])
                               for c in parts)
