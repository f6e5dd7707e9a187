"""One exception hierarchy for the whole package.

Library code returns results or raises these (or :class:`ValueError` for a bad argument);
only :mod:`mcbi.cli` catches them, prints one message and chooses the exit code:
:class:`UserError` -> 2, :class:`BuildFailed` -> 1.
``mcbi.stats`` does not import this module: it is a general library and raises
:class:`ValueError` and warnings of its own.
"""

from __future__ import annotations


class MCBIError(Exception):
    """Base class of every error this package raises on purpose."""


class UserError(MCBIError):
    """An error the user can fix; printed without a traceback (exit code 2)."""


class DataError(UserError):
    """A data package that is missing, malformed or breaks a schema rule."""


class ParameterError(UserError):
    """A section parameter that is unknown or of the wrong type."""


class SectionError(UserError):
    """An unknown section, or a notebook without a usable parameters cell."""


class BuildFailed(MCBIError):
    """A section or the book failed to build (exit code 1); the message says where.

    Raised as :class:`mcbi.book.execute.SectionFailed` (a cell raised: notebook, cell,
    failing line, where the executed notebook is kept) or
    :class:`mcbi.book.jupyterbook.BookFailed` (jupyter-book failed or warned).
    """
