"""The ``cfncheck`` command line (typer).

Exit codes: 0 no unsuppressed finding at or above ``--fail-on``; 1 such findings; 2 a usage or
input error (also when other stacks produced findings: the error must not pass silently);
3 an internal error. Errors are one line on stderr, never a traceback (set CFNCHECK_DEBUG=1 to
see one). Every error, note and warning is printed through :func:`cfncheck.escape.printable`:
one physical line, control characters escaped, whatever the input held (the GitHub Actions
runner reads workflow commands from stderr too). SIGTERM (CI cancellation) is handled like
Ctrl+C: worker processes are stopped, no temporary file is left, exit code 143.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperCommand

from . import __version__
from .errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, InputError
from .escape import printable

# Plain click help (no rich markup: "[tool.cfncheck]" must print as written), -h as checkov and
# cfn-lint accept it, and help lines wrapped at 80 columns.
_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 80}
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  context_settings=_CONTEXT,
                  help="Compliance checks for AWS CloudFormation as AWS CDK synthesizes it.")
policy_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, context_settings=_CONTEXT,
                         help="Validate and test YAML policies.")
app.add_typer(policy_app, name="policy")
baseline_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                           context_settings=_CONTEXT,
                           help="Record findings for brownfield adoption.")
app.add_typer(baseline_app, name="baseline")

FAIL_ON = ("error", "warning", "info", "never")
SEVERITIES = ("error", "warning", "info")


class _Command(TyperCommand):
    """Help with clean metavars: ``PATH...`` rather than ``{paths}...`` and ``<list[Path]>``."""

    def collect_usage_pieces(self, ctx):
        pieces = [self.options_metavar] if self.options_metavar else []
        for p in self.get_params(ctx):
            if p.param_type_name == "argument":
                pieces.append(p.metavar or p.name.upper())
        return pieces

    def format_options(self, ctx, formatter) -> None:
        args = [(p.metavar or p.name.upper(), p.help or "") for p in self.get_params(ctx)
                if p.param_type_name == "argument"]
        opts = [rec for p in self.get_params(ctx) if p.param_type_name == "option"
                for rec in [p.get_help_record(ctx)] if rec]
        if args:
            with formatter.section("Arguments"):
                formatter.write_dl(args)
        if opts:
            with formatter.section("Options"):
                formatter.write_dl(opts)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cfncheck {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """cfncheck reads a synthesized cloud assembly (cdk.out) or templates and reports defects."""


def say(kind: str, text) -> None:
    """``cfncheck: <kind>: <text>`` on stderr, as one line with control characters escaped."""
    typer.echo(f"cfncheck: {kind}: {printable(text)}", err=True)


def fail(error: InputError | str, code: int = EXIT_INPUT) -> None:
    say("error", error)
    raise typer.Exit(code)


class _FormatOrderCommand(_Command):
    """Remembers the order of --format/--output on the command line, so each --output is
    paired with the --format before it (click collects each option into its own list)."""

    def parse_args(self, ctx, args):
        order = []
        for tok in args:
            if tok == "--":
                break
            if tok in ("--format", "-f") or tok.startswith("--format=") or \
                    (tok.startswith("-f") and not tok.startswith("--")):
                order.append("format")
            elif tok in ("--output", "-o") or tok.startswith("--output=") or \
                    (tok.startswith("-o") and not tok.startswith("--")):
                order.append("output")
        ctx.meta["cfncheck.format_order"] = order
        return super().parse_args(ctx, args)


def _pair_outputs(formats: list[str], outputs: list[Path],
                  order: list[str] | None = None) -> list[tuple[str, Path | None]]:
    from .report import FORMATS

    formats = list(formats) or ["text"]
    for f in formats:
        if f not in FORMATS:
            fail(f"unknown --format {f!r} (choose from {', '.join(FORMATS)})")
    if len(outputs) > len(formats):
        fail("more --output than --format options: each --output belongs to the --format "
             "before it")
    if order is None or len(order) != len(formats) + len(outputs) or "format" not in order:
        # no usable command-line order (called directly): pair by position
        order = ["format", "output"] * len(outputs) + ["format"] * (len(formats) - len(outputs))
    pairs: list[list] = []
    fi = oi = 0
    for kind in order:
        if kind == "format":
            pairs.append([formats[fi], None])
            fi += 1
        else:
            if not pairs or pairs[-1][1] is not None:
                fail("each --output belongs to the --format before it: give a --format "
                     "before every --output")
            pairs[-1][1] = outputs[oi]
            oi += 1
    if not pairs:
        pairs = [["text", None]]
    for pair in pairs:
        if pair[1] is not None and str(pair[1]) == "-":  # "-" is standard output
            pair[1] = None
    if sum(1 for _, o in pairs if o is None) > 1:
        fail("only one --format can go to standard output; give the others an --output")
    return [(f, o) for f, o in pairs]


PATHS_HELP = "cdk.out folders (a Stage's assembly-* folder too), template files or folders."
CHECK_HELP = ("Run only these checks: ids or globs (CC-S3-*, W91*), comma-separated or "
              "repeated; replaces rules.only of the config.")
SKIP_HELP = "Do not run these checks: ids or globs, comma-separated or repeated."
CONFIG_HELP = ("Config file (default: .cfncheck.yaml, or [tool.cfncheck] in pyproject.toml, "
               "beside or above the scanned path, else above the current folder).")
POLICIES_HELP = "Extra policy folder (repeatable); may be anywhere."
STAGE_HELP = "Stage of every stack (overrides detection): dev, staging, prod or a custom stage."


@app.command(cls=_FormatOrderCommand)
def scan(
    ctx: typer.Context,
    paths: List[Path] = typer.Argument(..., metavar="PATH...", help=PATHS_HELP),
    stage: Optional[str] = typer.Option(None, "--stage", metavar="STAGE", help=STAGE_HELP),
    fmt: List[str] = typer.Option([], "--format", "-f", metavar="FORMAT", help="text "
                                  "(default), json, sarif, html, junit, github, markdown. "
                                  "Repeat for several; pair each with an --output."),
    output: List[Path] = typer.Option([], "--output", "-o", metavar="FILE", help="Write the "
                                      "preceding --format here instead of standard output."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", metavar="FILE",
                                          help=CONFIG_HELP),
    policies: List[Path] = typer.Option([], "--policies", metavar="DIR", help=POLICIES_HELP),
    check: List[str] = typer.Option([], "--check", metavar="IDS", help=CHECK_HELP),
    skip_check: List[str] = typer.Option([], "--skip-check", metavar="IDS", help=SKIP_HELP),
    min_severity: Optional[str] = typer.Option(None, "--min-severity", metavar="LEVEL",
                                               help="Report only findings at or above: "
                                               "error, warning or info (default)."),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", metavar="LEVEL", help="Exit 1 on "
                                          "findings at or above: error (default), warning, "
                                          "info or never."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", metavar="FILE", help="Report "
                                            "only findings whose fingerprint is not in this "
                                            "baseline file."),
    sarif_root: Optional[Path] = typer.Option(None, "--sarif-root", metavar="DIR", help="Folder "
                                              "SARIF locations are relative to (default: git "
                                              "root)."),
    category: Optional[str] = typer.Option(None, "--category", metavar="ID", help="SARIF "
                                           "automationDetails id prefix (one per stage/app)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, metavar="N", help="Worker "
                                       "processes (default: number of cores)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0.1, metavar="SECONDS",
                                            help="Seconds allowed per template before it is "
                                            "reported as stalled (default 60)."),
    pack: List[str] = typer.Option([], "--pack", metavar="NAME", help="Pack of checks to run "
                                   "(repeatable; default: recommended): recommended, all, or a "
                                   "framework such as fsbp or nist-800-53-rev5, which adds a "
                                   "per-control summary. `cfncheck rules --packs` lists them."),
    compact: bool = typer.Option(False, "--compact", help="Text format: one line per finding "
                                 "(severity id file:line logical-id message), nothing else."),
) -> None:
    """Scan cloud assemblies or templates and report findings."""
    from .engine import collect_checks
    from .engine import scan as run_scan
    from .report import ReportOptions, render

    pairs = _pair_outputs(fmt, output, ctx.meta.get("cfncheck.format_order"))
    progress = None
    try:
        _check_paths(paths)
        cfg = _load_config(config, paths, stage, check, skip_check)
        threshold = fail_on or cfg.fail_on or "error"
        if threshold not in FAIL_ON:
            fail(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {threshold!r}")
        if min_severity is not None and min_severity not in SEVERITIES:
            fail(f"--min-severity must be one of {', '.join(SEVERITIES)}, not "
                 f"{min_severity!r}")
        if baseline is not None:
            from .baseline import load_baseline

            load_baseline(baseline)  # a bad baseline fails before the scan, not after it
        if sys.stderr.isatty() and not os.environ.get("CI"):
            from .report.text import ProgressBar

            progress = ProgressBar()
        packs = list(pack) or cfg.packs or []
        checks = collect_checks(cfg, policies, packs=packs)
        try:
            result = run_scan([str(p) for p in paths], cfg, stage, checks=checks,
                              jobs=jobs, timeout=timeout, progress=progress)
        finally:
            if progress is not None:
                progress.close()
        if baseline is not None:
            from .baseline import apply_baseline

            apply_baseline(result, baseline)
    except InputError as e:
        fail(e)
    if min_severity is not None:
        from .findings import at_or_above

        result.findings = [f for f in result.findings if at_or_above(f.severity, min_severity)]
    root = sarif_root if sarif_root else (cfg.base / cfg.data["sarif_root"]
                                          if cfg.data.get("sarif_root") else None)
    if root is not None and not Path(root).is_dir():
        fail(InputError("--sarif-root is not a folder", str(root)))
    options = ReportOptions(fail_on=threshold, sarif_root=str(root) if root else None,
                            category=category, scanned=[str(p) for p in paths],
                            config_path=result.config, compact=compact)
    _control_results(options, result, checks, packs)
    for f, out in pairs:
        if f == "text" and out is None and not result.stacks and result.errors:
            continue  # nothing loaded: the errors on stderr are the answer, not an empty table
        options.color = out is None and f == "text" and _color(sys.stdout)
        options.width = None
        if options.color:
            import shutil

            options.width = shutil.get_terminal_size((120, 24)).columns
        text = render(f, result, options)
        if out is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            _write_output(out, text)
    _print_errors(result)
    for w in options.extra.get("warnings", []):
        say("warning", w)
    if any(e.kind == "internal" for e in result.errors):
        raise typer.Exit(EXIT_INTERNAL)  # a check crashed: its findings are missing
    if result.errors:
        raise typer.Exit(EXIT_INPUT)
    raise typer.Exit(EXIT_FINDINGS if result.gate(threshold) else EXIT_OK)


def _control_results(options, result, checks, packs) -> None:
    """Framework packs selected: per-control rows for the reports (cfncheck/packs.py)."""
    from .packs import selected_frameworks

    fws = selected_frameworks(packs)
    if fws:
        from .packs import control_summary

        options.extra["frameworks"] = fws
        options.extra["controls"] = control_summary(result, checks, fws)


def _print_errors(result) -> None:
    """Every error and note: one escaped line each (:func:`say`)."""
    for e in result.errors:
        say("error", e)
    for n in result.notes:
        say("note", n)


def _check_paths(paths: list[Path]) -> None:
    """A path that does not exist is a usage error, said once, before anything runs; a
    missing cdk.out gets the hint to synthesize first."""
    from .engine import display_path

    for p in paths:
        if not p.exists():
            hint = ""
            if p.name == "cdk.out" or (p.parent / "cdk.json").is_file() or \
                    (p.parent.name == "cdk.out"):
                hint = " (run `cdk synth` first to create the cloud assembly)"
            raise InputError(f"no such file or folder{hint}", display_path(p))


def _load_config(config: Path | None, paths, stage: str | None, check=(), skip_check=()):
    """The config (given, else found beside/above the scanned paths or the current folder),
    with --check/--skip-check applied and --stage validated."""
    from .config import find_config, load_config, stage_problem

    path = config if config is not None else find_config(Path.cwd(), paths)
    cfg = load_config(path).select(check, skip_check)
    if stage is not None and stage_problem(stage, cfg):
        raise InputError(f"--stage {stage_problem(stage, cfg)}", kind="usage")
    return cfg


def _color(stream) -> bool:
    """Colours on a terminal unless NO_COLOR is set; FORCE_COLOR forces them."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


@policy_app.command("validate", cls=_Command)
def policy_validate(paths: List[Path] = typer.Argument(..., metavar="PATH...",
                                                       help="Policy files or folders.")
                    ) -> None:
    """Validate policy files against policies/policy.schema.json."""
    from .policy.commands import validate

    try:
        raise typer.Exit(validate(paths))
    except InputError as e:
        fail(e)


@policy_app.command("test", cls=_Command)
def policy_test(paths: List[Path] = typer.Argument(None, metavar="[PATH...]",
                                                   help="Policy files or folders "
                                                   "(default: the built-in pack).")) -> None:
    """Run each policy's PASS/FAIL test templates."""
    from .policy.commands import test

    try:
        raise typer.Exit(test(paths or []))
    except InputError as e:
        fail(e)


@baseline_app.command("create", cls=_Command)
def baseline_create(
    paths: List[Path] = typer.Argument(..., metavar="PATH...", help=PATHS_HELP),
    output: Path = typer.Option(Path(".cfncheck-baseline.json"), "--output", "-o",
                                metavar="FILE", help="Baseline file to write."),
    stage: Optional[str] = typer.Option(None, "--stage", metavar="STAGE", help=STAGE_HELP),
    config: Optional[Path] = typer.Option(None, "--config", "-c", metavar="FILE",
                                          help=CONFIG_HELP),
    policies: List[Path] = typer.Option([], "--policies", metavar="DIR", help=POLICIES_HELP),
    check: List[str] = typer.Option([], "--check", metavar="IDS", help=CHECK_HELP),
    skip_check: List[str] = typer.Option([], "--skip-check", metavar="IDS", help=SKIP_HELP),
) -> None:
    """Write the fingerprints of the current findings to a baseline file."""
    from .baseline import create_baseline
    from .engine import scan as run_scan

    try:
        _check_paths(paths)
        cfg = _load_config(config, paths, stage, check, skip_check)
        result = run_scan([str(p) for p in paths], cfg, stage, policy_dirs=policies)
        if not result.stacks and result.errors:
            _print_errors(result)
            raise typer.Exit(EXIT_INPUT)
        _write_output(output, create_baseline(result))
    except InputError as e:
        fail(e)
    for e in result.errors:
        say("error", e)
    typer.echo(printable(f"wrote {output}: "
                         f"{sum(1 for f in result.findings if not f.suppressed)} findings"),
               err=True)
    raise typer.Exit(EXIT_INPUT if result.errors else EXIT_OK)


@app.command("rules", cls=_Command, short_help="List every check with its id and severity.")
def list_rules(config: Optional[Path] = typer.Option(None, "--config", "-c", metavar="FILE",
                                                     help="Config file whose rules, policies "
                                                     "and custom stages apply (default: "
                                                     "searched from the current folder)."),
               policies: List[Path] = typer.Option([], "--policies", metavar="DIR",
                                                   help=POLICIES_HELP),
               pack: List[str] = typer.Option([], "--pack", metavar="NAME", help="Only the "
                                              "checks of this pack (repeatable; default: "
                                              "recommended)."),
               fmt: str = typer.Option("text", "--format", "-f", metavar="FORMAT",
                                       help="text or json (objects with id, title, severity, "
                                       "packs and controls)."),
               packs: bool = typer.Option(False, "--packs", help="List the packs instead.")
               ) -> None:
    """List every check (rules and policies): id, severity, kind, title."""
    import json

    from .config import find_config, load_config
    from .engine import collect_checks
    from .packs import control_sources, controls_of, frameworks, pack_names, packs_of

    if fmt not in ("text", "json"):
        fail(f"--format must be text or json, not {fmt!r}")
    if packs:
        fws = frameworks()
        rows = [{"name": n, "title": (fws.get(n) or {}).get("title") or
                 {"recommended": "every check that is not opt-in (the default)",
                  "all": "every check, opt-in ones included"}.get(n, n)} for n in pack_names()]
        if fmt == "json":
            typer.echo(json.dumps(rows, indent=2))
        else:
            for r in rows:
                typer.echo(f"{r['name']:40} {r['title']}")
        return
    try:
        cfg = load_config(config if config is not None else find_config(Path.cwd()))
        checks = collect_checks(cfg, policies, packs=list(pack) or None)
    except InputError as e:
        fail(e)
    from .suppressions import BUILTIN_CHECKS

    # the built-in suppression checks (CC-SUP-*) run with every pack
    infos = [c.info for c in checks] + [i for i in BUILTIN_CHECKS if cfg.enabled(i.id)]
    infos.sort(key=lambda i: i.id)
    if fmt == "json":
        typer.echo(json.dumps([{
            "id": i.id, "title": i.title, "severity": i.severity, "kind": i.kind,
            "category": i.category, "opt_in": bool(getattr(i, "opt_in", False)),
            "packs": packs_of(i), "controls": controls_of(i.id),
            "control_sources": control_sources(i.id), "docs_url": i.docs_url,
        } for i in infos], indent=2))
        return
    for info in infos:
        typer.echo(printable(f"{info.id:14} {info.severity:8} {info.kind:7} {info.title}"))


def _write_output(path: Path, text: str) -> None:
    """Atomic for regular files, direct for ``-``, /dev/stdout, FIFOs and devices; the umask
    is honoured (:mod:`cfncheck.output_files`)."""
    from .output_files import write_output

    try:
        write_output(path, text)
    except InputError as e:
        fail(e)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so every ``finally`` runs (workers, temp files)."""


def _on_sigterm(signum, frame) -> None:
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the cleanup itself is not interrupted
    raise Terminated()


def run() -> None:
    """Console entry point: no traceback escapes."""
    # A short-lived process: the parsed templates are millions of objects that the cyclic
    # collector would scan again and again for nothing (they are trees, freed at exit).
    import gc
    import signal

    gc.disable()
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        typer.echo("cfncheck: interrupted", err=True)
        sys.exit(130)
    except Terminated:
        typer.echo("cfncheck: terminated", err=True)
        sys.exit(143)
    except Exception as e:  # noqa: BLE001 - last line of defence
        if os.environ.get("CFNCHECK_DEBUG"):
            raise
        say("internal error", f"{type(e).__name__}: {' '.join(str(e).split())} (set "
            "CFNCHECK_DEBUG=1 for a traceback, and please report it)")
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    run()
