"""The paper's analyses, one concern per module: outcomes (families and lists), models
(outcome models and contrasts), sample, published (the article's findings), mechanism (the
model, its data and truth), mechanism_compare (against the truth and a single-level model);
names (glue names), apa (number formatting), tables and mechanism_report (formatted
tables), figures, results (the glue recorder), pages (generated book pages)."""
