"""mcbi.errors: one hierarchy; the book's failures are BuildFailed, the user's UserError."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcbi import errors
from mcbi.book.execute import SectionFailed
from mcbi.book.jupyterbook import BookFailed


@pytest.mark.parametrize("cls", [errors.DataError, errors.ParameterError, errors.SectionError])
def test_user_errors(cls: type[Exception]) -> None:
    assert issubclass(cls, errors.UserError) and issubclass(cls, errors.MCBIError)
    assert not issubclass(cls, errors.BuildFailed)


@pytest.mark.parametrize("cls", [SectionFailed, BookFailed])
def test_book_failures_are_build_failed(cls: type[Exception]) -> None:
    assert issubclass(cls, errors.BuildFailed) and issubclass(cls, errors.MCBIError)
    assert not issubclass(cls, errors.UserError)


def test_section_failed_message_names_notebook_cell_and_line() -> None:
    exc = SectionFailed(Path("/p/notebooks/02_x.ipynb"), 3, "ratio = 1",
                        "ZeroDivisionError: division by zero")
    assert str(exc) == ("/p/notebooks/02_x.ipynb, cell 3 (`ratio = 1`): "
                        "ZeroDivisionError: division by zero")
    noted = exc.with_note(Path("notebooks/02_x.ipynb"), "kept at k")
    assert str(noted) == ("notebooks/02_x.ipynb, cell 3 (`ratio = 1`): "
                          "ZeroDivisionError: division by zero\n  kept at k")
    assert (noted.cell_index, noted.first_line, noted.note) == (3, "ratio = 1", "kept at k")


def test_section_failed_without_a_cell() -> None:
    exc = SectionFailed(Path("nb.ipynb"), None, "", "NoSuchKernel: python9")
    assert str(exc) == "nb.ipynb: NoSuchKernel: python9"
