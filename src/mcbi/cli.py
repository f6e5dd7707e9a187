"""Command-line interface: ``python -m mcbi {simulate,validate,import,build,run,pdf,publish,
verify,plan}``.

Each sub-command is a thin wrapper; the work lives in the package modules, which return
results or raise. This module is the only one that prints and chooses exit codes: an error
the user can fix (:class:`~mcbi.errors.UserError`: bad data, section or parameter) is
printed as one message without a traceback and exits with 2, a failed build
(:class:`~mcbi.errors.BuildFailed`) exits with 1, success with 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from mcbi.errors import BuildFailed, DataError, UserError
from mcbi.trial.design import DEFAULT_DATA

EXIT_OK, EXIT_FAILED, EXIT_USER = 0, 1, 2

DESCRIPTION = """\
Rebuild the analysis of the MCBI trial for psychotherapists (Garrote-Caparros et al., 2023)
as a Jupyter Book: simulate or validate a data package, build the book, re-run one section
with other parameters, pack the built book for publication."""

EPILOG = """\
exit codes: 0 success, 1 a section or the book failed to build, 2 a usage error or an
error you can fix (bad data, unknown section or parameter, a build already running).
Run `python -m mcbi COMMAND --help` for a command's options."""

RUN_DESCRIPTION = """\
Re-execute one section notebook with other parameters, outside the book: the executed
notebook goes to _build/runs/SECTION.ipynb (or --output) with an HTML view beside it, and
its figures and results to _build/runs/SECTION/. The book and its manifest are not
changed. Values are checked against each parameter's default: numbers, integers, true or
false (1 or 0), text, or one of the choices listed in its comment."""


class _LazyHelpParser(argparse.ArgumentParser):
    """An argument parser whose epilog is computed only when the help is shown."""

    epilog_factory = None

    def format_help(self) -> str:
        if self.epilog_factory is not None:
            self.epilog = self.epilog_factory()
        return super().format_help()


def _sections_epilog() -> str:
    """List the sections of the project in the working directory, with their parameters."""
    from mcbi.book.layout import Layout
    from mcbi.book.sections import describe_sections

    layout = Layout(Path.cwd())
    return (f"sections and parameters (from {layout.rel(layout.notebooks)}/, "
            f"name = default  comment):\n{describe_sections(layout.notebooks)}\n\n"
            "example: python -m mcbi run 05_mechanisms -p n_draws 50000 -p seed 1")


def _cmd_simulate(args: argparse.Namespace) -> int:
    from mcbi.synth.simulate import DEFAULT_SEED, write_package

    seed = DEFAULT_SEED if args.seed is None else args.seed
    path = write_package(Path(args.out), seed=seed, force=args.force)
    print(f"wrote synthetic data package (seed {seed}) to {path}")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from mcbi.trial.validate import validate_package

    report = validate_package(Path(args.path))
    if not report.valid:
        raise DataError(report.message())
    print(report.message())
    return EXIT_OK


def _validate(path: Path) -> None:
    """The door's validator: the trial's validation, one DataError naming ``path``."""
    from mcbi.trial.validate import validate_package

    report = validate_package(path)
    if not report.valid:
        raise DataError(report.message())


def _is_synthetic(path: Path) -> bool:
    from mcbi.synth.record import is_synthetic

    return is_synthetic(path)


def _check_data(typed: str | Path):
    """Validate, hash and judge a data package at the door (:func:`mcbi.book.door.check_data`)."""
    from mcbi.book.door import check_data
    from mcbi.book.layout import Layout

    return check_data(Layout(Path.cwd()), typed, _validate, _is_synthetic)


def _check_parameters(section: str, values: dict) -> None:
    from mcbi.paper.parameters import check_all

    check_all(section, values)


IMPORT_DESCRIPTION = """\
Import a data holder's files (SPSS .sav, Excel .xlsx, CSV) into the trial's data package:
--draft-mapping MAP.yaml writes a draft mapping from the files' variable names and labels
(every field it could not match is marked TODO); --mapping MAP.yaml --out DIR reads the
files as the mapping says, writes the four CSV files and datapackage.json aside, validates
them and only then moves them into DIR. A refusal lists every problem with its file,
column, rows and rule, and writes nothing. The mapping format: docs/mapping.md."""

IMPORT_EPILOG = """\
example:
  python -m mcbi import terapeutas.sav pacientes.sav --draft-mapping mapa.yaml
  (edit mapa.yaml: fill in every TODO)
  python -m mcbi import terapeutas.sav pacientes.sav --mapping mapa.yaml --out data/real
  python -m mcbi build --data data/real"""


def _cmd_import(args: argparse.Namespace) -> int:
    if args.draft_mapping:
        from mcbi.trial.importing.draft import write_draft

        path, todo = write_draft(args.sources, args.draft_mapping)
        print(f"wrote the draft mapping {path}: " + (
            f"fill in its {todo} TODO mark(s), then" if todo else "check it, then")
            + f" run: python -m mcbi import {' '.join(args.sources)} --mapping {path} "
            "--out DIR")
        return EXIT_OK
    if not args.out:
        raise UserError("--out DIR is required with --mapping: the folder of the package")
    from mcbi.trial.importing.run import import_package

    summary = import_package(args.sources, args.mapping, args.out)
    print(f"wrote the data package {summary.path} ({summary.describe()}); it is valid. "
          f"Build the book on it with: python -m mcbi build --data {summary.path}")
    return EXIT_OK


def _parse_params(pairs: list[list[str]] | None) -> dict[str, str]:
    return {name: value for name, value in (pairs or [])}


def _positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _progress(line: str) -> None:
    print(line, flush=True)


def _cmd_build(args: argparse.Namespace) -> int:
    from mcbi.book.pipeline import build
    from mcbi.paper.appendix import generate_pages

    checked = _check_data(args.data or DEFAULT_DATA)  # before any kernel starts
    build(checked.path, force=args.force, page_generators=(generate_pages,),
          progress=_progress, checked=checked, jobs=args.jobs)
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from mcbi.book.pipeline import run_section
    from mcbi.paper.parameters import SET_BY_COMMAND

    run_section(args.section, _parse_params(args.p), output=args.output, progress=_progress,
                check=_check_parameters, data_check=_check_data, protected=SET_BY_COMMAND)
    return EXIT_OK


def _cmd_pdf(args: argparse.Namespace) -> int:
    from mcbi.book.pdf import build_pdf

    report = build_pdf(style=args.style, progress=_progress)
    print(f"wrote {report.pdf} ({report.pages} pages, {report.style}; SHA-256 {report.sha256}; "
          f"copy in {report.download})")
    return EXIT_OK


def _cmd_publish(args: argparse.Namespace) -> int:
    from mcbi.book.publish import publish

    path = publish(out_dir=Path(args.out))
    print(f"wrote {path}")
    return EXIT_OK


VERIFY_DESCRIPTION = """\
Check a published build number by number. ARCHIVE is what `mcbi publish` writes (a .tar.gz
or its unpacked folder): it is unpacked into a temporary folder and checked against its
SHA256SUMS, its environment is created from its own lock file (source/requirements.txt)
with uv, and its book is rebuilt from its source and data (--data PATH for an archive that
does not carry its data). Every result of the rebuilt manifest is then compared with the
published one: equal when both print the same as the book prints them (its decimals, APA p
values), or within --rtol/--atol, or, for a Monte Carlo quantity with a recorded MCSE and
the same seed, within --mc-z MCSEs. Data hash, commit, packages and the hashes of the
executed notebooks and the PDF are reported; differing bytes are no failure when the
numbers agree. --manifests PUBLISHED REBUILT compares two manifest files without
rebuilding. A summary is printed; JSON and HTML reports go to --report."""

VERIFY_EPILOG = """\
exit codes: 0 every reported number matches; 1 a number differs, is missing from one build,
or the rebuild failed; 2 the archive cannot be used (not an archive, corrupted, no lock file,
no data), its environment cannot be created (no uv, a pin not installable), or a usage
error."""


def _cmd_verify(args: argparse.Namespace) -> int:
    from mcbi.book.verify.compare import Tolerance
    from mcbi.book.verify.report import summary_lines, write_reports
    from mcbi.book.verify.run import verify_archive, verify_manifests
    from mcbi.paper.precision import printed

    if (args.archive is None) == (args.manifests is None):
        raise UserError("give either ARCHIVE or --manifests PUBLISHED REBUILT")
    try:
        tolerance = Tolerance(args.rtol, args.atol, args.mc_z)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    report_dir = Path(args.report)
    if args.manifests is not None:
        result = verify_manifests(Path(args.manifests[0]), Path(args.manifests[1]),
                                  tolerance=tolerance, printer=printed,
                                  source=None if args.source is None else Path(args.source))
    else:
        result = verify_archive(
            Path(args.archive), data=None if args.data is None else Path(args.data),
            tolerance=tolerance, printer=printed, jobs=args.jobs,
            extra_packages=args.with_ or (), log_dir=report_dir,
            keep=None if args.keep is None else Path(args.keep), progress=_progress)
    paths = write_reports(result, report_dir)
    print("\n".join(summary_lines(result, paths)))
    return EXIT_OK if result.ok else EXIT_FAILED


PLAN_DESCRIPTION = """\
Monte Carlo power for a replication: for every design (number of therapists x patients per
therapist) simulate the trial's data-generating process --reps times, fit the book's mixed
models and the mechanism's model ladder, and write power (with its Monte Carlo SE), bias,
coverage and the share of failed fits per target to --out (CSV). Runs on dask.distributed:
a local cluster of --workers processes, or an existing cluster (--scheduler). Finished
chunks are cached in _build/plan-cache/, so an interrupted run resumes; the same command
writes the same bytes whatever the number of workers.

Effects: by default the generator's parameters (the book's appendix). With --effects build
they are the current build's estimates, read from _build/manifest.json (or --manifest):
the d's at post of PMS, EUS-T and TECA (chapter 02) and of EUS-P, bond and the BSI-18
symptoms (chapter 03), taken as latent baseline-SD effects (measurement attenuation
ignored, so the contrasts' power is conservative), and the mechanism's paths dPMS ->
dEUS-P and dEUS-P -> dbond (chapter 05), standardized with the generator's variances; the
part of a patient d the mechanism does not carry is simulated as a direct arm effect.
Variances, ICCs, measurement, dropout and the symptom paths stay at the generator's
values. The CSV's columns `effects` and `effect_latent` record the source and each
target's simulated effect; the cache keeps plans with different effects apart. Without a
build, or if it lacks an effect (post wave not collected, mechanism not estimated), the
command stops with a message naming the key.

With --effects null it runs the type-I error study of the between-arm change contrasts
instead: each simulated trial's arm labels are shuffled among its therapists (no arm effect
on anything), every contrast outcome is fitted by ML and REML, and its between-arm change
to every later wave is tested with Wald z (ML and REML), Satterthwaite and Kenward-Roger.
--out gets the rejection rate per design, wave and test; OUT_units.csv the rate per test by
the smaller arm's number of therapists with the change observed (the data-sufficiency
rule's count). The mechanism is not fitted."""

PLAN_EPILOG = """\
on a cluster: start `dask scheduler` on one machine and `dask worker tcp://HOST:8786` on
each of the others (with this package importable there), then
  python -m mcbi plan --therapists 40 63 100 150 --patients-per-therapist 1 2 4 \\
      --reps 500 --seed 1 --out plan.csv --scheduler tcp://HOST:8786"""


def _progress_bar(total_hint: str = "replicates"):
    """A tqdm bar on stderr as a ``progress(done, total)`` callback, and its closer."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit=" rep", desc=total_hint, file=sys.stderr,
                       initial=done, smoothing=0.1)
        bar.n = done
        bar.refresh()

    def close() -> None:
        if bar is not None:
            bar.close()

    return update, close


def _cmd_plan(args: argparse.Namespace) -> int:
    from mcbi.book.layout import Layout
    from mcbi.paper.planning.replicates import NULL, check_grid, plan
    from mcbi.stats.montecarlo import dask_client, to_csv

    layout = Layout(Path.cwd())

    check_grid(args.therapists, args.patients_per_therapist, args.reps, args.effects)
    if args.workers < 1 or args.chunk_size < 1:
        raise UserError("--workers and --chunk-size must be at least 1")
    manifest = layout.manifest if args.manifest is None else Path(args.manifest)
    if args.effects == "build":  # read (and refused) before a cluster is started
        from mcbi.paper.planning.replicates import simulated_effects

        effects = simulated_effects("build", manifest)
        print("effects from the build (latent SD units; standardized paths): " + ", ".join(
            f"{name} {value:.3f}" for name, value in effects.items()), flush=True)
    cache = None if args.no_cache else layout.plan_cache
    from mcbi.book.provenance import git_commit
    from mcbi.paper.planning.committed import model_code_version, write_meta

    code = model_code_version()  # the code this run ran, taken before it starts
    commit = git_commit(layout.root)  # before the outputs exist: they must not mark it dirty
    update, close = _progress_bar()
    try:
        with contextlib.ExitStack() as stack:
            try:
                client = stack.enter_context(dask_client(args.scheduler, args.workers))
            except ValueError as exc:  # the general engine's word for an unreachable cluster
                raise UserError(str(exc)) from None
            if args.effects == NULL:
                from mcbi.paper.planning.null import run_null
                from mcbi.paper.planning.replicates import package_version

                _, table, units = run_null(
                    args.therapists, args.patients_per_therapist, args.reps, args.seed,
                    client, chunk_size=args.chunk_size, cache_dir=cache, progress=update,
                    code=package_version())
            else:
                result = plan(args.therapists, args.patients_per_therapist, args.reps,
                              args.seed, client, effects=args.effects,
                              chunk_size=args.chunk_size, cache_dir=cache, progress=update,
                              manifest=manifest)
                table = result.table
    finally:
        close()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    to_csv(table, out)
    written = [out.as_posix()]
    if args.effects == NULL:
        units_csv = out.with_name(out.stem + "_units.csv")
        to_csv(units, units_csv)
        written.append(units_csv.as_posix())
    command = ("python -m mcbi plan --therapists " + " ".join(map(str, args.therapists))
               + " --patients-per-therapist " + " ".join(map(str, args.patients_per_therapist))
               + f" --reps {args.reps} --seed {args.seed} --effects {args.effects}"
               + f" --out {out.as_posix()}")
    meta = write_meta(out, command, args.seed, args.reps, commit, model_code=code)
    what = "designs x waves x tests" if args.effects == NULL else "designs x targets"
    print(f"wrote {' and '.join(written)} ({len(table)} rows: {what}) and {meta}")
    return EXIT_OK


def make_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m mcbi``."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="python -m mcbi", description=DESCRIPTION,
                                     epilog=EPILOG, formatter_class=raw)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_LazyHelpParser)

    p = sub.add_parser("simulate", help="write the synthetic trial data package")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the shipped one)")
    p.add_argument("--force", action="store_true",
                   help="overwrite the package files in a non-empty folder")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("validate", help="validate a data package against its schemas")
    p.add_argument("path", help="folder holding datapackage.json")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("import", help="import SPSS, Excel or CSV files into a data package",
                       description=IMPORT_DESCRIPTION, epilog=IMPORT_EPILOG,
                       formatter_class=raw)
    p.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="the data files (.sav, .xlsx, .csv)")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--mapping", metavar="MAP.yaml", help="the mapping to import with")
    how.add_argument("--draft-mapping", metavar="MAP.yaml",
                     help="write a draft mapping for these files (not over an existing file)")
    p.add_argument("--out", metavar="DIR", help="the package folder to write (with --mapping)")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("build", help="execute the notebooks that changed and build the book")
    p.add_argument("--force", action="store_true", help="re-execute every section")
    p.add_argument("--data", default=None,
                   help=f"data package folder (default: {DEFAULT_DATA})")
    p.add_argument("--jobs", type=_positive_int, default=os.cpu_count() or 1,
                   help="sections executed at the same time, each in its own process "
                        "(default: the number of CPUs, here %(default)s)")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("run", help="re-execute one section with other parameters",
                       description=RUN_DESCRIPTION, formatter_class=raw)
    p.epilog_factory = _sections_epilog
    p.add_argument("section", help="section name, e.g. 02_therapists (listed below)")
    p.add_argument("-p", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="parameter override (repeatable)")
    p.add_argument("--output", default=None,
                   help="where to write the executed notebook (default: "
                        "_build/runs/SECTION.ipynb; not inside book/)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("pdf", help="typeset the built book as an APA 7 article (Typst)")
    p.add_argument("--style", choices=("journal", "manuscript"), default="journal",
                   help="journal: a typeset article (default); manuscript: APA 7 manuscript "
                        "for submission (double-spaced, tables and figures at the end)")
    p.set_defaults(func=_cmd_pdf)

    p = sub.add_parser("publish", help="pack the built book into a versioned archive")
    p.add_argument("--out", default="dist", help="output folder (default: dist)")
    p.set_defaults(func=_cmd_publish)

    p = sub.add_parser("verify", help="rebuild a published archive and compare its numbers",
                       description=VERIFY_DESCRIPTION, epilog=VERIFY_EPILOG,
                       formatter_class=raw)
    p.add_argument("archive", nargs="?", default=None,
                   help="the archive (.tar.gz) or its unpacked folder")
    p.add_argument("--manifests", nargs=2, metavar=("PUBLISHED", "REBUILT"), default=None,
                   help="compare two manifest.json files instead (no rebuild)")
    p.add_argument("--data", default=None, metavar="PATH",
                   help="data package to rebuild with (default: the archive's own)")
    p.add_argument("--rtol", type=float, default=1e-6,
                   help="relative tolerance for numbers that print differently "
                        "(default %(default)g)")
    p.add_argument("--atol", type=float, default=1e-9,
                   help="absolute tolerance (default %(default)g)")
    p.add_argument("--mc-z", type=float, default=2.0,
                   help="Monte Carlo quantities may differ by this many MCSEs when the seed "
                        "is the same (default %(default)g)")
    p.add_argument("--report", default="verify-report", metavar="DIR",
                   help="folder for verify-report.json, verify-report.html and the "
                        "rebuild's log (default: %(default)s)")
    p.add_argument("--source", default=None, metavar="DIR",
                   help="with --manifests: project folder whose notebooks give the prose's "
                        "number formats")
    p.add_argument("--jobs", type=_positive_int, default=os.cpu_count() or 1,
                   help="sections the rebuild executes at the same time (default: the "
                        "number of CPUs, here %(default)s)")
    p.add_argument("--with", dest="with_", action="append", metavar="REQUIREMENT",
                   help="install this requirement over the archive's lock, e.g. "
                        "numpy==2.3.5 (repeatable): verify in a second environment")
    p.add_argument("--keep", default=None, metavar="DIR",
                   help="work in this new folder and keep it (default: a temporary folder)")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("plan", help="Monte Carlo power of the trial's contrasts and mechanism",
                       description=PLAN_DESCRIPTION, epilog=PLAN_EPILOG, formatter_class=raw)
    p.add_argument("--therapists", type=int, nargs="+", required=True, metavar="N",
                   help="numbers of therapists (e.g. 40 63 100 150)")
    p.add_argument("--patients-per-therapist", type=int, nargs="+", required=True,
                   metavar="K", help="patients per therapist (e.g. 1 2 4)")
    p.add_argument("--reps", type=int, default=500, help="replicates per design (default 500)")
    p.add_argument("--seed", type=int, required=True, help="seed of every replicate's seed")
    p.add_argument("--out", required=True, help="CSV file to write")
    p.add_argument("--effects", choices=("generator", "build", "null"), default="generator",
                   help="effects from the generator's parameters (default) or from the "
                        "current build's estimates, or null: the type-I error study "
                        "(see above)")
    p.add_argument("--manifest", default=None, metavar="PATH",
                   help="build manifest read by --effects build (default: "
                        "_build/manifest.json of this project)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="existing Dask scheduler, e.g. tcp://127.0.0.1:8786")
    where.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                       help="processes of the local Dask cluster (default: the number of "
                            "CPUs, here %(default)s; 1 runs in this process)")
    p.add_argument("--chunk-size", type=int, default=5,
                   help="replicates per task and cache file (default 5)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.set_defaults(func=_cmd_plan)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 build failed, 2 user error)."""
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER
    except BuildFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
