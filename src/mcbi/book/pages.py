"""Markdown the pipeline generates into ``Layout.generated`` for the build-related pages.

``section_parameters.md`` (every parameter of every section), ``environment.md`` (Python
and package versions) and ``citation_build.md`` (BibTeX and APA entries of this build) are
``{include}``-d by ``book/reproducibility.md`` and ``book/cite.md``. The content depends
only on the inputs (no timestamps beyond the year), so an unchanged project regenerates
identical files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from mcbi.book.citation import read_identifiers, repository_md, sync_citation_files
from mcbi.book.layout import Layout
from mcbi.book.provenance import BuildInfo, package_versions, python_version
from mcbi.book.sections import Section

DEFAULT_TITLE = "mcbi: a reproducible rebuild of Garrote-Caparrós et al. (2023)"
AUTHOR = "The MCBI reproducible-paper team"


def _cell(value: Any) -> str:
    text = repr(value).replace("|", "\\|")
    return f"`{text}`"


def section_parameters_md(sections: list[Section]) -> str:
    """Return a Markdown table of every parameter of every section with its default."""
    lines = ["| Section | Parameter | Default |", "|---|---|---|"]
    for section in sections:
        for name, value in section.defaults().items():
            lines.append(f"| `{section.name}` | `{name}` | {_cell(value)} |")
    return "\n".join(lines) + "\n"


def _requirement_names(path: Path) -> list[str]:
    names = []
    if path.is_file():
        for line in path.read_text("utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0])
    return names


def environment_md(layout: Layout) -> str:
    """Return the environment listing: Python, direct dependencies, full pin list."""
    versions = package_versions()
    lower = {name.lower().replace("_", "-"): v for name, v in versions.items()}
    direct = _requirement_names(layout.requirements_in)
    lines = [f"Python {python_version()}.", "", "| Package | Installed version |", "|---|---|"]
    for name in direct:
        lines.append(f"| `{name}` | {lower.get(name.lower().replace('_', '-'), 'not installed')} |")
    pins = layout.requirements_txt
    if pins.is_file():
        lines += ["", ":::{admonition} Every pinned package (requirements.txt)",
                  ":class: dropdown", "", "```text", pins.read_text("utf-8").rstrip(), "```",
                  ":::"]
    return "\n".join(lines) + "\n"


def software_title(cff: Path) -> str:
    """Return the title of the software from the CITATION.cff file ``cff`` (or a default)."""
    if cff.is_file():
        title = (yaml.safe_load(cff.read_text("utf-8")) or {}).get("title")
        if title:
            return str(title)
    return DEFAULT_TITLE


def citation_md(layout: Layout, info: BuildInfo) -> str:
    """Return BibTeX and APA entries citing this build (version, year, commit)."""
    year = info.date[:4]
    title = software_title(layout.citation)
    ids = read_identifiers(layout.config)
    url = ids.url
    bibtex = "\n".join([
        f"@software{{mcbi_book_{year},",
        f"  author  = {{{{{AUTHOR}}}}},",
        f"  title   = {{{title}}},",
        f"  year    = {{{year}}},",
        f"  version = {{{info.version}}},",
        f"  note    = {{Build of commit {info.commit}}},",
        *([f"  url     = {{{url}}},"] if url else []),
        *([f"  doi     = {{{ids.doi}}},"] if ids.doi else []),
        "}",
    ])
    apa = (f"{AUTHOR}. ({year}). *{title}* (Version {info.version}, commit "
           f"{info.commit}) [Computer software]." + (f" {ids.doi_url or url}"
                                                      if ids.doi_url or url else ""))
    return "\n".join(["```bibtex", bibtex, "```", "", "APA (7th edition):", "", apa, ""])


def write_build_pages(layout: Layout, sections: list[Section], info: BuildInfo) -> list[Path]:
    """Write the generated Markdown files into ``layout.generated``; return their paths.

    Files whose content did not change are not rewritten.
    """
    pages = {
        "section_parameters.md": section_parameters_md(sections),
        "environment.md": environment_md(layout),
        "citation_build.md": citation_md(layout, info),
        "repository.md": repository_md(read_identifiers(layout.config)),
    }
    sync_citation_files(layout.config, layout.citation, layout.zenodo)
    return write_pages(layout.generated, pages)


def write_pages(folder: Path, pages: dict[str, str]) -> list[Path]:
    """Write ``{file name: text}`` into ``folder``, leaving unchanged files untouched."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in pages.items():
        path = folder / name
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
        written.append(path)
    return written
