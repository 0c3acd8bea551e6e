"""The generated "Rule reference" section of docs/policies.md.

``python -m cfncheck.policy.docs`` rewrites the part of ``docs/policies.md`` between the
``BEGIN``/``END`` markers from the policy files in ``policies/`` (id, title, severity, stages,
resource types, parameters, description, remediation, the assertion); the hand-written language
reference above the markers is kept. ``--check`` exits 1 when the file is stale (the test suite
runs it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from .loader import builtin_dir, load_policy_file, policy_files

BEGIN = "<!-- BEGIN GENERATED RULE REFERENCE (python -m cfncheck.policy.docs) -->"
END = "<!-- END GENERATED RULE REFERENCE -->"


def default_doc_path() -> Path:
    return Path(__file__).resolve().parents[2] / "docs" / "policies.md"


def rule_reference(folder: Path | None = None) -> str:
    folder = folder or builtin_dir()
    policies = sorted((load_policy_file(f) for f in policy_files(folder)),
                      key=lambda p: _id_key(p.info.id))
    out = [BEGIN, "", "## Rule reference", "",
           "Generated from the policy files in `policies/`; do not edit by hand.", "",
           "| id | title | severity | stages |", "| --- | --- | --- | --- |"]
    for p in policies:
        i = p.info
        out.append(f"| [{i.id}](#{_anchor(i.id, i.title)}) | {_cell(i.title)} | {i.severity} "
                   f"| {', '.join(i.stages) if i.stages else 'all'} |")
    out.append("")
    for p in policies:
        out.extend(_section(p))
    out.append(END)
    return "\n".join(out) + "\n"


def _id_key(pid: str):
    head, _, num = pid.rpartition("-")
    return (head, int(num) if num.isdigit() else 0, pid)


def _anchor(pid: str, title: str) -> str:
    text = f"{pid} {title}".lower()
    keep = "".join(c for c in text if c.isalnum() or c in " -_")
    return keep.replace(" ", "-")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _section(p) -> list[str]:
    i, spec = p.info, p.spec
    src = Path(i.source_file)
    try:
        rel_path = src.resolve().relative_to(builtin_dir().resolve())
    except ValueError:
        rel_path = Path(src.name)
    rel = f"policies/{rel_path.as_posix()}"
    tests_rel = f"policies/{(rel_path.parent / 'tests' / rel_path.name).as_posix()}"
    lines = [f"### {i.id} {i.title}", ""]
    facts = [
        ("Severity", i.severity + (f" (security-severity {i.security_severity})"
                                   if i.security_severity is not None else "")),
        ("Category", i.category),
        ("Stages", ", ".join(i.stages) if i.stages else "all"),
        ("Resource types", ", ".join(f"`{t}`" for t in spec.get("resource_types", []))),
        ("CDK-generated resources", spec.get("cdk_internal", "report")),
        ("Unresolved values", spec.get("unresolved", "fail")),
        ("File", f"`{rel}` (tests: `{tests_rel}`)"),
    ]
    group = spec.get("group")
    if group:
        facts.append(("Grouped", f"one finding per {group['by']}"
                      + (" where no resource of it passes" if group.get("when") == "none_pass"
                         else "") + " (see Grouped findings)"))
    if i.combine:
        facts.append(("Merged", f"family `{i.combine['family']}`, label "
                      f"`{i.combine['label']}` (see Merged findings)"))
    if i.tags:
        facts.insert(2, ("Tags", ", ".join(i.tags)))
    if i.opt_in:
        facts.insert(1, ("Opt-in", f"yes: a house preference, runs only with `rules: {{enable: "
                                   f"[{i.id}]}}` in the config file"))
    default = spec.get("service_default")
    if default:
        facts.insert(1, ("Service default", f"relying on it is reported at "
                                            f"{default.get('severity', 'info')}"))
    if spec.get("supersedes"):
        ids = [i if isinstance(i, str) else f"{i['id']} (when {_flow(i['when'])})"
               for i in spec["supersedes"]]
        facts.append(("Supersedes", ", ".join(ids) + " on the same resource (one finding, "
                                   "naming theirs)"))
    if i.docs_url:
        facts.append(("AWS docs", i.docs_url))
    lines += ["| | |", "| --- | --- |"]
    lines += [f"| {k} | {_cell(str(v))} |" for k, v in facts]
    lines.append("")
    if p.parameters:
        lines.append("Parameters (override per stage in the config file under "
                     f"`parameters: {{{i.id}: ...}}`):")
        lines.append("")
        for name, value in p.parameters.items():
            lines.append(f"- `{name}`: `{_flow(value)}`")
        lines.append("")
    lines += [i.description, "", "**Remediation**", "", i.remediation, ""]
    example = spec.get("example")
    if example:
        lines += ["**Example**", "", example.strip(), ""]
    body = {k: spec[k] for k in ("where", "service_default", "assert") if k in spec}
    lines += ["<details><summary>Assertion</summary>", "", "```yaml",
              yaml.dump(body, Dumper=_NoAliases, sort_keys=False, width=96).rstrip(), "```", "",
              "</details>", ""]
    return lines


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:
        return True


def _flow(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix(
        "\n...").removesuffix("...").strip()


def render(doc: str, folder: Path | None = None) -> str:
    """``doc`` with its generated section replaced (appended when the markers are missing)."""
    ref = rule_reference(folder)
    if BEGIN in doc and END in doc:
        head = doc[: doc.index(BEGIN)]
        tail = doc[doc.index(END) + len(END):].lstrip("\n")
        return head + ref + (("\n" + tail) if tail else "")
    return doc.rstrip("\n") + "\n\n" + ref


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    path = Path(args[0]) if args else default_doc_path()
    current = path.read_text() if path.exists() else ""
    new = render(current)
    if check:
        if new != current:
            print(f"{path} is stale: run python -m cfncheck.policy.docs", file=sys.stderr)
            return 1
        return 0
    if new != current:
        path.write_text(new)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
