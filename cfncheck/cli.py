"""The ``cfncheck`` command line (typer).

Exit codes: 0 no unsuppressed finding at or above ``--fail-on``; 1 such findings; 2 a usage or
input error (also when other stacks produced findings: the error must not pass silently);
3 an internal error. Errors are one line on stderr, never a traceback (set CFNCHECK_DEBUG=1 to
see one).
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

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Compliance checks for AWS CloudFormation as AWS CDK synthesizes it.")
policy_app = typer.Typer(no_args_is_help=True, help="Validate and test YAML policies.")
app.add_typer(policy_app, name="policy")
baseline_app = typer.Typer(no_args_is_help=True, help="Record findings for brownfield adoption.")
app.add_typer(baseline_app, name="baseline")

FAIL_ON = ("error", "warning", "info", "never")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cfncheck {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """cfncheck reads a synthesized cloud assembly (cdk.out) or templates and reports defects."""


def fail(error: InputError | str, code: int = EXIT_INPUT) -> None:
    typer.echo(f"cfncheck: error: {error}", err=True)
    raise typer.Exit(code)


class _FormatOrderCommand(TyperCommand):
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
    if sum(1 for _, o in pairs if o is None) > 1:
        fail("only one --format can go to standard output; give the others an --output")
    return [(f, o) for f, o in pairs]


@app.command(cls=_FormatOrderCommand)
def scan(
    ctx: typer.Context,
    paths: List[Path] = typer.Argument(..., help="cdk.out folders, template files or folders."),
    stage: Optional[str] = typer.Option(None, "--stage", help="Stage for every stack "
                                        "(overrides detection), e.g. prod."),
    fmt: List[str] = typer.Option([], "--format", "-f", help="text (default), json, sarif, html, "
                                  "junit, github, markdown. Repeat for several; pair each "
                                  "with an --output."),
    output: List[Path] = typer.Option([], "--output", "-o", help="Write the preceding "
                                      "--format here instead of standard output."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Config file "
                                          "(default: .cfncheck.yaml or [tool.cfncheck] in "
                                          "pyproject.toml, searched upward)."),
    policies: List[Path] = typer.Option([], "--policies", help="Extra policy folder."),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help="error (default), warning, "
                                          "info or never."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="Report only findings "
                                            "whose fingerprint is not in this baseline file."),
    sarif_root: Optional[Path] = typer.Option(None, "--sarif-root", help="Folder SARIF "
                                              "locations are relative to (default: git root)."),
    category: Optional[str] = typer.Option(None, "--category", help="SARIF "
                                           "automationDetails id prefix (one per stage/app)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes "
                                       "(default: number of cores)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=0.1, help="Seconds allowed "
                                            "per template before it is reported as stalled."),
    pack: List[str] = typer.Option([], "--pack", help="Pack of checks to run (repeatable; "
                                   "default: recommended): recommended, all, fsbp, "
                                   "nist-800-53-rev5, pci-dss-3.2.1, ... Framework packs add a "
                                   "per-control summary. `cfncheck rules --packs` lists them."),
) -> None:
    """Scan cloud assemblies or templates and report findings."""
    from .config import find_config, load_config
    from .engine import collect_checks
    from .engine import scan as run_scan
    from .report import ReportOptions, render

    pairs = _pair_outputs(fmt, output, ctx.meta.get("cfncheck.format_order"))
    progress = None
    try:
        cfg_path = config if config is not None else find_config(Path.cwd())
        cfg = load_config(cfg_path)
        threshold = fail_on or cfg.fail_on or "error"
        if threshold not in FAIL_ON:
            fail(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {threshold!r}")
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
    root = sarif_root if sarif_root else (cfg.base / cfg.data["sarif_root"]
                                          if cfg.data.get("sarif_root") else None)
    if root is not None and not Path(root).is_dir():
        fail(InputError("--sarif-root is not a folder", str(root)))
    options = ReportOptions(fail_on=threshold, sarif_root=str(root) if root else None,
                            category=category, scanned=[str(p) for p in paths],
                            config_path=str(cfg.path) if cfg.path else None)
    _control_results(options, result, checks, packs)
    for f, out in pairs:
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
            _write_atomic(out, text)
    for e in result.errors:
        typer.echo(f"cfncheck: error: {e}", err=True)
    for n in result.notes:
        typer.echo(f"cfncheck: note: {n}", err=True)
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


def _color(stream) -> bool:
    """Colours on a terminal unless NO_COLOR is set; FORCE_COLOR forces them."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


@policy_app.command("validate")
def policy_validate(paths: List[Path] = typer.Argument(..., help="Policy files or folders.")
                    ) -> None:
    """Validate policy files against policies/policy.schema.json."""
    from .policy.commands import validate

    try:
        raise typer.Exit(validate(paths))
    except InputError as e:
        fail(e)


@policy_app.command("test")
def policy_test(paths: List[Path] = typer.Argument(None, help="Policy files or folders "
                                                   "(default: the built-in pack).")) -> None:
    """Run each policy's PASS/FAIL test templates."""
    from .policy.commands import test

    try:
        raise typer.Exit(test(paths or []))
    except InputError as e:
        fail(e)


@baseline_app.command("create")
def baseline_create(
    paths: List[Path] = typer.Argument(..., help="cdk.out folders, templates or folders."),
    output: Path = typer.Option(Path(".cfncheck-baseline.json"), "--output", "-o"),
    stage: Optional[str] = typer.Option(None, "--stage"),
    config: Optional[Path] = typer.Option(None, "--config", "-c"),
) -> None:
    """Write the fingerprints of the current findings to a baseline file."""
    from .baseline import create_baseline
    from .config import find_config, load_config
    from .engine import scan as run_scan

    try:
        cfg = load_config(config if config is not None else find_config(Path.cwd()))
        result = run_scan([str(p) for p in paths], cfg, stage)
        _write_atomic(output, create_baseline(result))
    except InputError as e:
        fail(e)
    typer.echo(f"wrote {output}: {sum(1 for f in result.findings if not f.suppressed)} "
               "findings", err=True)
    raise typer.Exit(EXIT_INPUT if result.errors else EXIT_OK)


@app.command("rules")
def list_rules(config: Optional[Path] = typer.Option(None, "--config", "-c"),
               pack: List[str] = typer.Option([], "--pack", help="Only the checks of this "
                                              "pack (repeatable; default: recommended)."),
               fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
               packs: bool = typer.Option(False, "--packs", help="List the packs instead.")
               ) -> None:
    """List every check (rule pack and policies) with its id, severity and title."""
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
        checks = collect_checks(cfg, packs=list(pack) or None)
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
        typer.echo(f"{info.id:14} {info.severity:8} {info.kind:7} {info.title}")


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves a truncated report."""
    import tempfile

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:  # no half-written temporary file left behind either
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        fail(InputError(f"cannot write output: {e.strerror}", str(path)))


def run() -> None:
    """Console entry point: no traceback escapes."""
    # A short-lived process: the parsed templates are millions of objects that the cyclic
    # collector would scan again and again for nothing (they are trees, freed at exit).
    import gc

    gc.disable()
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        typer.echo("cfncheck: interrupted", err=True)
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - last line of defence
        if os.environ.get("CFNCHECK_DEBUG"):
            raise
        typer.echo(f"cfncheck: internal error: {type(e).__name__}: {' '.join(str(e).split())} "
                   "(set CFNCHECK_DEBUG=1 for a traceback, and please report it)", err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    run()
