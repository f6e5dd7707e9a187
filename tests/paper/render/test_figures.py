"""mcbi.paper.render.figures: saving figures (Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from mcbi.paper.render import figures  # noqa: E402


def test_save_writes_png_and_closes(tmp_path) -> None:
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1])
    num = fig.number
    path = figures.save(fig, tmp_path / "out", "01_test")
    assert path == tmp_path / "out" / "figures" / "01_test.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 100
    assert not plt.fignum_exists(num)


def test_save_is_byte_reproducible(tmp_path) -> None:
    def make() -> plt.Figure:
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1, 2], [2, 0, 1])
        return fig

    a = figures.save(make(), tmp_path / "a", "f").read_bytes()
    b = figures.save(make(), tmp_path / "b", "f").read_bytes()
    assert a == b  # no timestamp or software metadata


# --- trajectories ----------------------------------------------------------------------


