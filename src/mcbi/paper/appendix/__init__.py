"""Generated appendix pages: the codebook, the generating parameters, the ladder evidence.

:func:`generate_pages` is the light entry the build calls: it imports the page makers
(:mod:`mcbi.paper.appendix.pages`, which load the analysis stack) only when the pages must
be made again, and names the files it reads besides the data and the code.
"""

from pathlib import Path

from mcbi.paper.mechanism import EVIDENCE


def generate_pages(data_dir: Path, root: Path) -> dict[str, str]:
    """:func:`mcbi.paper.appendix.pages.generate_pages`, imported when called."""
    from mcbi.paper.appendix.pages import generate_pages as make

    return make(data_dir, root)


def _inputs(root: Path) -> list[Path]:
    """The files the pages read besides the data and the code: the ladder's evidence."""
    path = Path(root) / EVIDENCE
    return [path, path.with_suffix(".meta.json")]


generate_pages.inputs = _inputs  # type: ignore[attr-defined]
