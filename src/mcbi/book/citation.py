"""The repository address and the archive DOI of the book: one setting, shown where it applies.

Both come from the book's ``_config.yml`` (``repository.url``, ``repository.doi``); the
environment variables ``MCBI_REPOSITORY_URL`` and ``MCBI_DOI`` override them for one build
(e.g. in CI after publishing). When set, they are shown on the title page and the citation
page (:func:`repository_md`), written into the citation entries of the build, and into
``CITATION.cff`` (``repository-code``, ``doi``) and ``.zenodo.json`` (``doi``, a related
identifier for the repository). Unset, nothing names an address: no placeholder anywhere.

The files at the root of the project follow the committed setting (``_config.yml``) only
(:func:`sync_citation_files`, run by the build), so an override in the environment never
leaves the working tree modified; the published archive carries the files of the build's
own setting (:func:`cff_text`, :func:`zenodo_text`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from mcbi.errors import UserError

REPOSITORY_ENV = "MCBI_REPOSITORY_URL"
DOI_ENV = "MCBI_DOI"
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_URL = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class Identifiers:
    """The repository address and the archive DOI ("" when not set)."""

    url: str = ""
    doi: str = ""

    @property
    def doi_url(self) -> str:
        """``https://doi.org/<doi>`` or ""."""
        return f"https://doi.org/{self.doi}" if self.doi else ""


def normalize_doi(text: str, source: str) -> str:
    """A bare DOI (``10.xxxx/…``) from ``text``, which may carry ``https://doi.org/`` or ``doi:``.

    Raises
    ------
    UserError
        Naming ``source`` when the text is not a DOI.
    """
    doi = text.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix):]
    if doi and not _DOI.match(doi):
        raise UserError(f"{source}: {text!r} is not a DOI (expected 10.<registrant>/<suffix>)")
    return doi


def identifiers(config: dict, environ: dict[str, str] | None = None,
                source: str = "the book configuration") -> Identifiers:
    """The build's :class:`Identifiers` from a parsed config and the environment.

    ``environ=None`` reads ``os.environ``; pass ``{}`` for the committed setting alone.

    Raises
    ------
    UserError
        If the URL is not an http(s) address or the DOI is not a DOI.
    """
    environ = os.environ if environ is None else environ
    repository = config.get("repository") or {}
    url = (environ.get(REPOSITORY_ENV) or str(repository.get("url") or "")).strip()
    url_source = REPOSITORY_ENV if environ.get(REPOSITORY_ENV) else f"{source} repository.url"
    if url and not _URL.match(url):
        raise UserError(f"{url_source}: {url!r} is not an http(s) address")
    doi_text = environ.get(DOI_ENV) or str(repository.get("doi") or "")
    doi_source = DOI_ENV if environ.get(DOI_ENV) else f"{source} repository.doi"
    return Identifiers(url=url, doi=normalize_doi(doi_text, doi_source))


def read_identifiers(config_file: Path, environ: dict[str, str] | None = None) -> Identifiers:
    """:func:`identifiers` of the config file ``config_file`` (none when it does not exist)."""
    path = Path(config_file)
    config = (yaml.safe_load(path.read_text("utf-8")) if path.is_file() else None) or {}
    return identifiers(config, environ, Path(config_file).name)


def repository_md(ids: Identifiers) -> str:
    """Markdown naming the source and the archive of the book; "" when neither is set."""
    lines = []
    # link text without the scheme: the html theme would shorten a bare GitHub URL to
    # "owner/name", which cannot be typed from a printout
    if ids.url:
        lines.append(f"Source code: [{_bare(ids.url)}]({ids.url}).")
    if ids.doi:
        lines.append(f"Archived version: [{_bare(ids.doi_url)}]({ids.doi_url}).")
    return " ".join(lines) + "\n" if lines else ""


def _bare(url: str) -> str:
    return re.sub(r"^https?://", "", url)


_CFF_KEYS = ("repository-code", "doi")


def cff_text(text: str, ids: Identifiers) -> str:
    """``CITATION.cff`` text with ``repository-code`` and ``doi`` set to ``ids``.

    Lines of other keys, comments included, are kept; the two keys are removed when unset
    and otherwise written after ``version:`` (or at the end).
    """
    lines = [line for line in text.splitlines()
             if not any(line.startswith(f"{key}:") for key in _CFF_KEYS)]
    new = ([f"repository-code: {json.dumps(ids.url)}"] if ids.url else []) + (
        [f"doi: {json.dumps(ids.doi)}"] if ids.doi else [])
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("version:")),
              len(lines))
    return "\n".join(lines[:at] + new + lines[at:]) + "\n"


def zenodo_text(text: str, ids: Identifiers) -> str:
    """``.zenodo.json`` text with ``doi`` and the repository's related identifier set to
    ``ids`` (both removed when unset); the other entries are kept in order."""
    data = json.loads(text)
    data.pop("doi", None)
    related = [r for r in data.get("related_identifiers", [])
               if r.get("relation") != "isSupplementTo" or r.get("scheme") != "url"]
    if ids.url:
        related.append({"identifier": ids.url, "relation": "isSupplementTo", "scheme": "url",
                        "resource_type": "software"})
    if related or "related_identifiers" in data:
        data["related_identifiers"] = related
    if ids.doi:
        data["doi"] = ids.doi
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write_if_changed(path: Path, text: str) -> bool:
    if path.read_text("utf-8") == text:
        return False
    aside = path.with_name(path.name + ".new")
    aside.write_text(text, "utf-8")
    aside.replace(path)
    return True


def sync_citation_files(config_file: Path, cff: Path, zenodo: Path) -> list[Path]:
    """Bring ``CITATION.cff`` and ``.zenodo.json`` in step with the committed setting of
    ``config_file`` (the environment is not read); return the files rewritten."""
    ids = read_identifiers(config_file, environ={})
    changed = []
    if cff.is_file() and _write_if_changed(cff, cff_text(cff.read_text("utf-8"), ids)):
        changed.append(cff)
    if zenodo.is_file() and _write_if_changed(zenodo,
                                              zenodo_text(zenodo.read_text("utf-8"), ids)):
        changed.append(zenodo)
    return changed
