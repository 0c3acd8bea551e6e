"""docs/rules.md is generated from the rule classes (cfncheck/rules/_docs.py) and up to date."""

from __future__ import annotations

from pathlib import Path

from cfncheck.rules import _docs, all_rules

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_rules_md_is_up_to_date():
    assert DOC.read_text() == _docs.render(), \
        "docs/rules.md is stale: run `python -m cfncheck.rules._docs > docs/rules.md`"


def test_every_rule_is_documented_completely():
    text = _docs.render()
    for rule in all_rules():
        assert f'<a id="{rule.id.lower()}"></a>' in text
        assert rule.__doc__ and rule.rationale and rule.remediation and rule.fix_example \
            and rule.bad_example and rule.source_url.startswith("https://docs.aws.amazon.com/")
        assert rule.category and rule.tags and rule.security_severity is not None
        assert rule.info.docs_url == rule.source_url
        assert type(rule).__module__.rsplit(".", 1)[1].startswith(rule.id.lower())
        test_file = Path(__file__).parent / f"test_{type(rule).__module__.rsplit('.', 1)[1]}.py"
        assert test_file.is_file(), f"{rule.id} has no test file {test_file.name}"
