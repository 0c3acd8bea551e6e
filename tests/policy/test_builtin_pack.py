"""The whole built-in pack: every policy passes its own PASS/FAIL tests, and the generated
rule reference in docs/policies.md is up to date."""

from __future__ import annotations

from cfncheck.policy import docs
from cfncheck.policy.loader import builtin_dir, policy_files
from cfncheck.policy.testing import collect, run_tests


def test_every_builtin_policy_passes_its_tests():
    policies, tests = collect([builtin_dir()])
    assert len(policies) == len(policy_files(builtin_dir()))
    results = run_tests(policies, tests)
    problems = [f"{r.policy.info.id}: {p}" for r in results for p in r.problems]
    assert problems == []
    for r in results:  # at least one PASS and one FAIL resource each (run_tests checks it too)
        assert {"PASS", "FAIL"} <= r.expected, r.policy.info.id
        assert r.checked >= 2


def test_builtin_ids_follow_the_scheme():
    import re

    policies, _ = collect([builtin_dir()])
    for p in policies:
        assert re.fullmatch(r"CC-[A-Z0-9]+-[0-9]{3}", p.info.id), p.info.id


def test_docs_rule_reference_is_not_stale():
    """docs/policies.md indexes every policy; docs/policies/<service>.md documents it."""
    path = docs.default_doc_path()
    assert docs.main(["--check", str(path)]) == 0, \
        "docs/policies.md or docs/policies/*.md is stale: run python -m cfncheck.policy.docs"
    index = path.read_text()
    for f in policy_files(builtin_dir()):
        rel = f.relative_to(builtin_dir())
        page = (path.parent / "policies" / f"{rel.parts[0]}.md").read_text()
        assert f"`policies/{rel.as_posix()}`" in page
        pid = next(ln for ln in f.read_text().splitlines() if ln.startswith("id: "))[4:].strip()
        assert f"[{pid}](policies/{rel.parts[0]}.md#" in index
        assert f"### {pid} " in page


def test_docs_check_reports_a_stale_or_orphaned_service_page(tmp_path, capsys):
    index = tmp_path / "policies.md"
    index.write_text("# Policies\n")
    assert docs.main([str(index)]) == 0
    assert docs.main(["--check", str(index)]) == 0
    s3 = tmp_path / "policies" / "s3.md"
    s3.write_text(s3.read_text() + "edited\n")
    (tmp_path / "policies" / "gone.md").write_text("# gone\n")
    assert docs.main(["--check", str(index)]) == 1
    err = capsys.readouterr().err
    assert "s3.md is stale" in err and "gone.md is stale" in err
    assert docs.main([str(index)]) == 0
    assert not (tmp_path / "policies" / "gone.md").exists()
    assert docs.main(["--check", str(index)]) == 0


def test_builtin_layout_is_service_folders_with_tests_beside():
    """policies/<service>/<slug>.yaml, its cases in policies/<service>/tests/<slug>.yaml."""
    for f in policy_files(builtin_dir()):
        rel = f.relative_to(builtin_dir())
        assert len(rel.parts) == 2, rel
        assert (f.parent / "tests" / f.name).is_file(), rel


def test_schemas_are_valid_json_schemas():
    import jsonschema

    from cfncheck.policy.loader import policy_schema, tests_schema

    jsonschema.Draft202012Validator.check_schema(policy_schema())
    jsonschema.Draft202012Validator.check_schema(tests_schema())


def test_cli_policy_test_on_the_builtin_pack():
    from typer.testing import CliRunner

    from cfncheck.cli import app

    r = CliRunner().invoke(app, ["policy", "test"])
    assert r.exit_code == 0, r.output
    assert "ok   CC-RET-001" in r.output
    n = len(policy_files(builtin_dir()))
    assert f"{n}/{n} policies passed their tests" in r.output
    r = CliRunner().invoke(app, ["policy", "validate", str(builtin_dir())])
    assert r.exit_code == 0, r.output
    assert f"ok: {n} policies, {n} tests files valid" in r.output
