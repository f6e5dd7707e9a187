"""APA-like citations and reference list for the book (pybtex and sphinxcontrib-bibtex styles).

Registered by :mod:`mcbi.book.sphinxext` and chosen in ``_config.yml``:

* ``bibtex_reference_style: mcbi_author_year`` — ``{cite:p}`` renders "(Baer et al., 2006)",
  several keys "(McDonald & Goldstein, 1989; Muthén, 1994)", ``{cite:t}`` "Baer et al. (2006)",
  ``{cite:yearpar}`` "(2006)"; two authors are joined by "&" inside parentheses and by "and" in
  running text, three or more are "First et al." (APA 7, section 8.17).
* ``bibtex_default_style: mcbi_apa`` — the reference list in APA 7 order and form: "Author, A. A.,
  & Author, B. (Year). Title as written in the .bib file. *Journal*, *Volume*(Issue), pages.
  https://doi.org/…", books "*Title* (2nd ed.). Publisher.", sorted by author, year and title.
  Titles keep the capitalization of the .bib file (sentence case there), instead of pybtex's
  lower-casing; the entry labels are author–year ("Baer et al., 2006"), never alpha codes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pybtex.plugin
import sphinxcontrib.bibtex.plugin
from pybtex.richtext import Symbol, Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle
from pybtex.style.template import (
    field as bib_field,
)
from pybtex.style.template import (
    first_of,
    href,
    join,
    names,
    node,
    optional,
    sentence,
    tag,
)
from sphinxcontrib.bibtex.style.referencing import BracketStyle, PersonStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.referencing.basic_author_year import (
    BasicAuthorYearParentheticalReferenceStyle,
)

FORMATTING = "mcbi_apa"
LABELS = "mcbi_author_year"
SORTING = "mcbi_author_year_title"
REFERENCING = "mcbi_author_year"


def _dashify(text: Text) -> Text:
    """Page ranges with an en dash ("27--45" -> "27–45")."""
    return Text(Symbol("ndash")).join(text.split(r"-+"))


def ordinal(number: str) -> str:
    """``"2"`` -> ``"2nd"``; text that is not a whole number is returned unchanged.

    >>> ordinal("3"), ordinal("11"), ordinal("22"), ordinal("revised")
    ('3rd', '11th', '22nd', 'revised')
    """
    if not str(number).strip().isdigit():
        return str(number)
    n = int(number)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def editors_in_text(persons: list[Any]) -> str:
    """Editors as APA writes them in a chapter's reference: initials first, "&" before the
    last, then "(Ed.)" or "(Eds.)": "K. A. Bollen & J. S. Long (Eds.)"."""
    def one(person: Any) -> str:
        initials = " ".join(n if n.endswith(".") else f"{n[0]}."
                            for n in [*person.first_names, *person.middle_names])
        last = " ".join(person.last_names).replace("{", "").replace("}", "")
        return f"{initials} {last}".strip()

    written = [one(p) for p in persons]
    if not written:
        return ""
    if len(written) == 1:
        return f"{written[0]} (Ed.)"
    if len(written) == 2:
        return f"{written[0]} & {written[1]} (Eds.)"
    return f"{', '.join(written[:-1])}, & {written[-1]} (Eds.)"


@node
def _editors(children: Any, context: Any) -> Text:
    """The entry's editors in the form of :func:`editors_in_text`."""
    return Text(editors_in_text(context["entry"].persons.get("editor", [])))


class ApaStyle(UnsrtStyle):
    """pybtex formatting style close to APA 7 for articles, books, chapters in edited books
    and miscellaneous entries.

    Other entry types fall back to pybtex's ``unsrt`` templates with APA author names.
    """

    default_name_style = "lastfirst"
    default_label_style = LABELS
    default_sorting_style = SORTING

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("abbreviate_names", True)
        super().__init__(**kwargs)

    def format_names(self, role: str, as_sentence: bool = True) -> Any:
        formatted = names(role, sep=", ", sep2=", & ", last_sep=", & ")
        return sentence[formatted] if as_sentence else formatted

    def format_title(self, e: Any, which_field: str, as_sentence: bool = True) -> Any:
        title = bib_field(which_field)  # as written in the .bib: no lower-casing
        return sentence[title] if as_sentence else title

    def _date(self) -> Any:
        return sentence[join["(", bib_field("year"), ")"]]

    def _doi_or_url(self) -> Any:
        doi = join["https://doi.org/", bib_field("doi", raw=True)]
        url = bib_field("url", raw=True)
        return optional[first_of[optional[href(doi)[doi]], optional[href(url)[url]]]]

    def get_article_template(self, e: Any) -> Any:
        volume = join[tag("em")[bib_field("volume")], optional["(", bib_field("number"), ")"]]
        source = join(sep=", ")[tag("em")[bib_field("journal")], optional[volume],
                                optional[bib_field("pages", apply_func=_dashify)]]
        return join(sep=" ")[self.format_names("author"), self._date(),
                             self.format_title(e, "title"), sentence[source], self._doi_or_url()]

    def get_book_template(self, e: Any) -> Any:
        edition = optional[" (", bib_field("edition", apply_func=lambda t: Text(ordinal(str(t)))),
                           " ed.)"]
        return join(sep=" ")[
            self.format_author_or_editor(e), self._date(),
            sentence[join[tag("em")[bib_field("title")], edition]],
            sentence[bib_field("publisher")], self._doi_or_url()]

    def get_incollection_template(self, e: Any) -> Any:
        pages = optional[" (pp. ", bib_field("pages", apply_func=_dashify), ")"]
        source = join["In ", _editors, ", ", tag("em")[bib_field("booktitle")], pages]
        return join(sep=" ")[self.format_names("author"), self._date(),
                             self.format_title(e, "title"), sentence[source],
                             sentence[bib_field("publisher")], self._doi_or_url()]

    def get_misc_template(self, e: Any) -> Any:
        return join(sep=" ")[
            self.format_names("author"), self._date(), self.format_title(e, "title"),
            optional[sentence[bib_field("howpublished")]], self._doi_or_url()]


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels "Surname, 2006", "A & B, 2006" or "A et al., 2006", made unique with a, b, …"""

    def format_label(self, entry: Any) -> str:
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        surnames = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in persons]
        if not surnames:
            who = str(entry.fields.get("title", entry.key))[:24]
        elif len(surnames) == 1:
            who = surnames[0]
        elif len(surnames) == 2:
            who = f"{surnames[0]} & {surnames[1]}"
        else:
            who = f"{surnames[0]} et al."
        return f"{who}, {entry.fields.get('year', 'n.d.')}"

    def format_labels(self, sorted_entries: Any) -> Any:
        labels = [self.format_label(entry) for entry in sorted_entries]
        counts = {label: labels.count(label) for label in labels}
        seen: dict[str, int] = {}
        for label in labels:
            if counts[label] == 1:
                yield label
            else:
                seen[label] = seen.get(label, 0) + 1
                yield f"{label}{chr(ord('a') + seen[label] - 1)}"


class AlphabeticalSortingStyle(SortingStyle):
    """Author, year, title, with accents ignored ("López" sorts before "Lovibond", as in APA)."""

    def person_key(self, person: Any) -> str:
        key = unicodedata.normalize("NFKD", super().person_key(person))
        return "".join(c for c in key if not unicodedata.combining(c)).replace("{", "")


def _person(sep2: str) -> PersonStyle:
    return PersonStyle(sep2=sep2, last_sep=", & " if "&" in sep2 else ", and ",
                       other=Text(" et al."))


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")", sep="; ")


@dataclass
class ApaReferenceStyle(AuthorYearReferenceStyle):
    """Author–year citations in round brackets, "&" inside them, plain "et al."."""

    bracket_textual: BracketStyle = field(
        default_factory=lambda: BracketStyle(left="(", right=")", sep=", ", last_sep=", and ",
                                             sep2=" and "))
    bracket_parenthetical: BracketStyle = field(default_factory=_round)
    bracket_author: BracketStyle = field(default_factory=_round)
    bracket_label: BracketStyle = field(default_factory=_round)
    bracket_year: BracketStyle = field(default_factory=_round)
    person: PersonStyle = field(default_factory=lambda: _person(" and "))

    def __post_init__(self) -> None:
        super().__post_init__()
        for style in self.styles:  # inside parentheses two authors are joined by "&"
            if isinstance(style, BasicAuthorYearParentheticalReferenceStyle):
                style.person = _person(" & ")


def register() -> None:
    """Make the styles known to pybtex and sphinxcontrib-bibtex (idempotent)."""
    pybtex.plugin.register_plugin("pybtex.style.formatting", FORMATTING, ApaStyle, force=True)
    pybtex.plugin.register_plugin("pybtex.style.labels", LABELS, AuthorYearLabelStyle, force=True)
    pybtex.plugin.register_plugin("pybtex.style.sorting", SORTING, AlphabeticalSortingStyle,
                                  force=True)
    sphinxcontrib.bibtex.plugin.register_plugin("sphinxcontrib.bibtex.style.referencing",
                                                REFERENCING, ApaReferenceStyle, force=True)


def drop_entry_labels(app: Any, doctree: Any, docname: str) -> None:
    """``doctree-resolved`` hook: remove the bracketed label ("[Baer et al., 2006]") before
    each entry of a reference list. APA reference lists have none; in-text citations link
    to the entry by its id, not by the label, so they are unaffected."""
    from docutils import nodes

    for citation in list(doctree.findall(nodes.citation)):
        for label in [c for c in citation.children if isinstance(c, nodes.label)]:
            citation.remove(label)
