"""The paper's analyses: outcomes, sample, published comparison, mechanism; APA
formatting, tables, figures, the results recorder used by the notebooks."""
