"""Generated appendix pages: the codebook, the generating parameters, the ladder evidence.

:func:`generate_pages` is the light entry the build calls: it imports the page makers
(:mod:`mcbi.paper.appendix.pages`, which load the analysis stack) only when the pages must
be made again, and names the files it reads besides the data and the code.
"""

from pathlib import Path

from mcbi.paper.mechanism import EVIDENCE
from mcbi.paper.outcomes import TYPE1_RESULT as TYPE1


def generate_pages(data_dir: Path, root: Path) -> dict[str, str]:
    """:func:`mcbi.paper.appendix.pages.generate_pages`, imported when called."""
    from mcbi.paper.appendix.pages import generate_pages as make

    return make(data_dir, root)


def _inputs(root: Path) -> list[Path]:
    """The files the pages read besides the data and the code: the committed simulations
    (the ladder's evidence and the type-I error study)."""
    out = []
    for rel in (EVIDENCE, TYPE1):
        path = Path(root) / rel
        out += [path, path.with_name(path.stem + ".meta.json")]
    return out


generate_pages.inputs = _inputs  # type: ignore[attr-defined]
