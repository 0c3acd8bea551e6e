"""``cfncheck policy validate`` and ``cfncheck policy test`` (wired in :mod:`cfncheck.cli`).

Both return an exit code: 0 ok, 1 test mismatches, 2 a bad policy or tests file (the error is
printed as ``file:line: message``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, InputError


def _check_stages(check) -> None:
    """A policy's ``stages`` must be configured stages (the config found from here upward)."""
    from ..config import Config, find_config, load_config, stage_problem

    path = find_config(Path.cwd())
    config = load_config(path) if path else Config()
    for stage in check.info.stages or ():
        problem = stage_problem(stage, config)
        if problem:
            raise InputError(f"invalid policy at stages: {problem}", check.info.source_file,
                             getattr(check, "stages_line", None), kind="policy")


def validate(paths) -> int:
    """Validate policy files (and their tests files) against the schemas; compile them."""
    from ..yamlio import load_yaml_file
    from .loader import load_policy_file, policy_files, schema_error, tests_files, tests_schema

    errors: list[InputError] = []
    n_pol = n_tests = 0
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(policy_files(p))
            files.extend(tests_files(p))
        elif p.is_file():
            files.append(p)
        else:
            errors.append(InputError("no such file or folder", str(p), kind="policy"))
    for f in files:
        try:
            data, node = load_yaml_file(f)
            if isinstance(data, dict) and "cases" in data and "assert" not in data:
                err = schema_error(data, tests_schema(), str(f), node, "policy tests")
                if err is not None:
                    raise err
                n_tests += 1
            else:
                check = load_policy_file(f)
                _check_stages(check)
                n_pol += 1
        except InputError as e:
            errors.append(e)
    for e in errors:
        typer.echo(f"cfncheck: error: {e}", err=True)
    if errors:
        return EXIT_INPUT
    typer.echo(f"ok: {n_pol} policies, {n_tests} tests files valid")
    return EXIT_OK


def test(paths) -> int:
    """Run the PASS/FAIL test cases of the policies under ``paths`` (default: built-in)."""
    from .testing import collect, run_tests

    try:
        policies, tests = collect(paths)
        results = run_tests(policies, tests)
    except InputError as e:
        typer.echo(f"cfncheck: error: {e}", err=True)
        return EXIT_INPUT
    failed = 0
    for r in sorted(results, key=lambda r: r.policy.info.id):
        status = "ok  " if r.ok else "FAIL"
        typer.echo(f"{status} {r.policy.info.id:16} {r.cases:3} cases {r.checked:4} resources  "
                   f"{Path(r.policy.info.source_file).name}")
        for p in r.problems:
            typer.echo(f"       {p}")
        failed += not r.ok
    total = sum(r.checked for r in results)
    typer.echo(f"{len(results) - failed}/{len(results)} policies passed their tests "
               f"({total} resource verdicts)")
    return EXIT_FINDINGS if failed else EXIT_OK
