"""``python -m mcbi verify``: check a published build number by number against a rebuild.

Modules: :mod:`.archive` (open and check an archive), :mod:`.rebuild` (its environment from
its lock file, then its book), :mod:`.glue` (the prose's number formats), :mod:`.compare`
(results and provenance of two manifests), :mod:`.report` (terminal lines, JSON, HTML) and
:mod:`.run` (the two entry points).
"""
