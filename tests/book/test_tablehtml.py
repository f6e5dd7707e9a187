"""mcbi.book.tablehtml: table cells labelled with their header, classes for reflow/wide."""

from __future__ import annotations

from mcbi.book import tablehtml

TABLE = ('<div class="pst-scrollable-table-container"><table class="table" id="tbl-x">'
         '<caption><span class="caption-number">Table 1 </span></caption>'
         '<thead><tr class="row-odd"><th class="head"><p>Outcome</p></th>'
         '<th class="head"><p><em>d</em> [95% CI]</p></th><th class="head"><p>"p"&amp;</p></th>'
         '<th class="head"><p>Notes</p></th></tr></thead>'
         '<tbody><tr class="row-even"><td class="text-left"><p>PMS</p></td>'
         '<td class="text-right"><p>0.83</p></td><td><p>.001</p></td><td></td></tr>'
         '<tr class="row-odd"><td><p>EUS-T</p></td><td><p>0.1</p></td><td><p>.5</p></td>'
         '<td><p>x</p></td></tr></tbody></table></div>')


def test_cells_carry_their_header() -> None:
    out = tablehtml.label_tables("<p>before</p>" + TABLE + "<p>after</p>")
    assert out.startswith("<p>before</p>") and out.endswith("<p>after</p>")
    assert out.count('data-label="Outcome"') == 2
    assert out.count('data-label="d [95% CI]"') == 2  # the header's text, tags dropped
    assert out.count('data-label="&quot;p&quot;&amp;"') == 2  # escaped for the attribute
    # an empty cell is labelled too, and marked so that a phone's card leaves it out
    assert '<td data-label="Notes" data-empty></td>' in out
    assert out.count("data-empty") == 1
    italic = TABLE.replace("<p>Notes</p>", "<p><em>SE</em></p>")
    assert out.count("data-label-em") == 0
    assert tablehtml.label_tables(italic).count('data-label="SE" data-label-em') == 2
    assert '<table class="table mcbi-reflow" id="tbl-x">' in out  # 4 columns: reflowed
    # a header partly in italics keeps them on the phone: a label element in each cell
    assert out.count('data-label="d [95% CI]" data-label-rich') == 2
    assert out.count('<span class="mcbi-cell-label" aria-hidden="true"><em>d</em> [95% CI]'
                     '</span>') == 2
    assert out.count("mcbi-cell-label") == 2  # only that column's cells
    assert tablehtml.label_tables(out) == out  # idempotent


def test_narrow_wide_and_irregular_tables() -> None:
    two = TABLE.replace('<th class="head"><p>Notes</p></th>', "").replace(
        "<td></td>", "").replace("<td><p>x</p></td>", "")
    two = two.replace('<th class="head"><p>"p"&amp;</p></th>', "").replace(
        "<td><p>.001</p></td>", "").replace("<td><p>.5</p></td>", "")
    out = tablehtml.label_tables(two)
    assert "mcbi-reflow" not in out and 'data-label="Outcome"' in out
    heads = "".join(f"<th><p>h{i}</p></th>" for i in range(7))
    cells = "".join(f"<td><p>c{i}</p></td>" for i in range(7))
    wide = f"<table><thead><tr>{heads}</tr></thead><tbody><tr>{cells}</tr></tbody></table>"
    out = tablehtml.label_tables(wide)
    assert out.startswith('<table class="mcbi-reflow mcbi-wide">')
    spanned = TABLE.replace('<td class="text-left">', '<td colspan="2">')
    assert tablehtml.label_tables(spanned) == spanned  # spans: left alone
    headless = "<table><tbody><tr><td>1</td></tr></tbody></table>"
    assert tablehtml.label_tables(headless) == headless
