"""Generated book pages: the codebook (from ``datapackage.json``), the generating
parameters (from :mod:`mcbi.synth.parameters`) and the ladder's simulation table (from the
committed ``benchmarks/results/ladder.csv``, :mod:`mcbi.paper.mechanism.evidence`).

The command line passes :func:`generate_pages` to the book pipeline, which writes the
pages into ``book/_generated/`` before Jupyter Book runs; ``book/codebook.md`` and
``book/appendix_parameters.md`` include them.
"""

from __future__ import annotations

from pathlib import Path

from mcbi.paper.mechanism.evidence import evidence_markdown, find_evidence
from mcbi.paper.outcomes.typeone import type1_markdown
from mcbi.paper.render.apa import fmt_num
from mcbi.paper.render.tables import markdown_table
from mcbi.synth.parameters import parameter_table
from mcbi.synth.simulate import DEFAULT_SEED, implied_effects
from mcbi.trial.codebook import field_rows, scoring_table
from mcbi.trial.descriptor import read_descriptor


def codebook_markdown(package_dir: Path) -> str:
    """Render the codebook of the data package in ``package_dir`` as Markdown."""
    descriptor = read_descriptor(package_dir)
    out = [f"Data package `{descriptor['name']}`: {descriptor.get('description', '')}\n"]
    for res in descriptor["resources"]:
        schema = res["schema"]
        pk = schema.get("primaryKey", [])
        pk = [pk] if isinstance(pk, str) else pk
        out.append(f"### {res.get('title', res['name'])} (`{res['path']}`)\n")
        out.append(f"{res.get('description', '')} Primary key: "
                   + ", ".join(f"`{k}`" for k in pk) + ".")
        for fk in schema.get("foreignKeys", []):
            fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
            out.append(f" Foreign key: `{', '.join(fields)}` refers to "
                       f"`{fk['reference']['resource']}`.")
        out.append("\n\n" + markdown_table(field_rows(res)) + "\n")
    return "".join(out)


def scoring_markdown() -> str:
    """The scoring key of every instrument (from the registry), assumptions flagged."""
    return markdown_table(scoring_table())


def parameters_markdown() -> str:
    """Every generating parameter with its source, and the implied patient effects."""
    table = parameter_table()
    table["name"] = "`" + table["name"] + "`"
    effects = implied_effects()
    effects["implied"] = effects["implied"].map(lambda v: fmt_num(v, 3))
    effects["study_target"] = effects["study_target"].map(lambda v: fmt_num(v, 2))
    effects = effects.rename(columns={"implied": "implied by the paths",
                                      "study_target": "target set by this project"})
    return ("## Generating parameters\n\n"
            + f"The shipped package is generated with seed {DEFAULT_SEED} "
              "(`python -m mcbi simulate --out data/trial`); any other seed gives another "
              "draw from the same process.\n\n"
            + markdown_table(table)
            + "\n## Patient effects implied by the mechanism\n\n"
            + "Arm effects on patients' latent change (MCBI − control, baseline-SD units) "
              "that the paths above imply, beside the target effects this project first "
              "set for them.\n\n"
            + markdown_table(effects, "llrr"))


def generate_pages(data_dir: Path, root: Path) -> dict[str, str]:
    """Return the generated pages ``{file name: Markdown}`` for ``book/_generated``.

    ``data_dir`` is the data package, ``root`` the project (for the committed ladder
    evidence, :data:`mcbi.paper.mechanism.evidence.EVIDENCE`).

    The book layer receives this function and writes the pages (see
    :func:`mcbi.book.pipeline.build`).
    """
    return {
        "codebook.md": codebook_markdown(Path(data_dir)),
        "scoring.md": scoring_markdown(),
        "parameters.md": parameters_markdown(),
        "ladder_simulation.md": evidence_markdown(find_evidence(root)),
        "type1_study.md": type1_markdown(root),
    }
