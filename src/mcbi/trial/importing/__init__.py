"""From a data holder's files (SPSS, Excel, CSV) to the trial's canonical data package.

``python -m mcbi import SOURCE... --mapping MAP.yaml --out DIR`` reads the source files
(:mod:`.sources`), applies a mapping file (:mod:`.mapping`, format documented in
``docs/mapping.md``), turns wide tables into long ones (:mod:`.reshape`), converts and
checks every value (:mod:`.convert`), then writes the package aside, validates it and
swaps it in (:mod:`.write`). ``--draft-mapping`` writes a commented draft mapping
(:mod:`.draft`). Item responses stay raw: scoring and reverse keys are the project's.
"""

from mcbi.trial.importing.problems import ImportProblem, ImportRefused

__all__ = ["ImportProblem", "ImportRefused"]
