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

    a = figures.save(make(), tmp_path / "a", "f")
    b = figures.save(make(), tmp_path / "b", "f")
    assert a.read_bytes() == b.read_bytes()  # no timestamp or software metadata
    svg_a, svg_b = a.with_suffix(".svg").read_bytes(), b.with_suffix(".svg").read_bytes()
    assert svg_a.startswith(b"<?xml") and b"<svg" in svg_a
    assert svg_a == svg_b  # fixed ids (svg.hashsalt), no date
    assert b"<dc:date>" not in svg_a
    assert not list((tmp_path / "a" / "figures").glob(".*"))  # nothing left aside


def _png_text(path) -> dict[str, str]:
    """The tEXt chunks of a PNG."""
    import struct

    data, pos, out = path.read_bytes(), 8, {}
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        if kind == b"tEXt":
            key, _, value = data[pos + 8:pos + 8 + length].partition(b"\0")
            out[key.decode("latin-1")] = value.decode("latin-1")
        pos += 12 + length
    return out


def test_save_records_the_smallest_font(tmp_path) -> None:
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_title("title", fontsize=12)
    ax.tick_params(labelsize=7)
    ax.set_xlabel("", fontsize=3)  # empty: not drawn, does not count
    ax2 = fig.add_axes((0.5, 0.5, 0.1, 0.1))
    ax2.text(0, 0, "hidden", fontsize=2)
    ax2.set_visible(False)  # not drawn, does not count
    assert figures.min_font_pt(fig) == 7
    path = figures.save(fig, tmp_path, "f")
    assert _png_text(path)[figures.FONT_KEY] == "7"
    facts = figures.png_facts(path)
    assert facts["font_pt"] == 7 and facts["width_px"] == round(facts["width_in"] * figures.DPI)
    assert 1.5 < facts["width_in"] < 2.5


def test_print_font_pt() -> None:
    assert figures.print_font_pt(10, 13) == 5  # a 13 in figure printed 6.5 in wide
    assert figures.print_font_pt(9, 4) == 9  # a narrow one is printed at its own size
    tall = figures.PRINT_HEIGHT_IN * 2
    assert figures.print_font_pt(10, 6.5, height_in=tall) == 5  # too high: scaled to fit


# --- trajectories ----------------------------------------------------------------------



