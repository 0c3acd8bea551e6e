"""A one-template scan starts fast: no cfn-lint, sympy, networkx, jsonschema, policy_sentry or
PyYAML on the path of a JSON template once the user cache is warm (cfncheck/cache.py), and the
cache is JSON keyed by content, so a stale or corrupt entry is ignored and rebuilt, never
executed. (A well-formed entry with other content is read as it is: the cache folder is as
trusted as the user's home.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cfncheck import cache

from .samples import DEFECTIVE

TEMPLATE = DEFECTIVE / "assembly-Dev" / "DevApi52A53550.template.json"

PROBE = """
import sys, json
from cfncheck.config import Config
from cfncheck.engine import scan
result = scan([sys.argv[1]], Config(), jobs=1)
heavy = sorted(m for m in ("cfnlint", "sympy", "networkx", "jsonschema", "policy_sentry", "yaml")
               if m in sys.modules)
print(json.dumps({"heavy": heavy, "findings": len(result.findings),
                  "ids": sorted({f.rule_id for f in result.findings})}))
"""


def probe(cache_dir, extra_env=None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "CFNCHECK_NO_CACHE"}
    env.update({"CFNCHECK_CACHE_DIR": str(cache_dir), **(extra_env or {})})
    out = subprocess.run([sys.executable, "-c", PROBE, str(TEMPLATE)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def test_a_warm_one_template_scan_imports_no_heavy_dependency(tmp_path):
    cold = probe(tmp_path)
    assert "jsonschema" in cold["heavy"]  # the first run validates the policies...
    warm = probe(tmp_path)
    assert warm["heavy"] == []  # ...later runs compile the cached, validated data only
    assert (warm["findings"], warm["ids"]) == (cold["findings"], cold["ids"])
    names = sorted(p.name.split("-")[0] for p in tmp_path.iterdir())
    assert set(names) == {"iam", "policy", "taggable", "generated"}
    assert all(p.suffix == ".json" for p in tmp_path.iterdir())  # JSON only, never pickle


def test_a_tampered_or_corrupt_entry_is_ignored_and_rebuilt(tmp_path):
    reference = probe(tmp_path)
    for p in tmp_path.iterdir():
        if p.name.startswith("policy-"):
            p.write_text('{"id": "CC-EVIL-001"}')  # claims to be a policy, is not one
        elif p.name.startswith("iam-actions"):
            # the right outer shape, malformed rows: found when a service is used, rebuilt
            table = json.loads(p.read_text())
            for _, actions in table.values():
                for name in actions:
                    actions[name] = "nope"
            p.write_text(json.dumps(table))
        else:
            p.write_text("not json")
    again = probe(tmp_path)
    assert (again["findings"], again["ids"]) == (reference["findings"], reference["ids"])


def test_the_cache_can_be_turned_off(tmp_path):
    result = probe(tmp_path / "c", {"CFNCHECK_NO_CACHE": "1"})
    assert not (tmp_path / "c").exists()
    assert result["findings"] == probe(tmp_path / "d")["findings"]


def test_cache_keys_change_with_their_inputs(tmp_path, monkeypatch):
    monkeypatch.setenv("CFNCHECK_CACHE_DIR", str(tmp_path))
    k1, k2 = cache.key("policy", "a"), cache.key("policy", "b")
    assert k1 != k2 and len(k1) == 24
    cache.store("x", k1, {"a": [1, 2]})
    assert cache.load("x", k1) == {"a": [1, 2]}
    assert cache.load("x", k2) is None
    assert cache.load("x", k1, check=lambda v: "b" in v) is None


def test_cfn_lint_still_finds_the_rule_pack():
    """The rule classes no longer derive from cfn-lint's; cfn-lint gets a face of each."""
    import cfnlint.helpers

    import cfncheck.rules as pack

    rules = cfnlint.helpers.create_rules(pack)
    ids = sorted(r.id for r in rules)
    assert ids == sorted(r.id for r in pack.all_rules())
    w9101 = next(r for r in rules if r.id == "W9101")
    assert type(w9101).__name__ == "WildcardActions"
    assert callable(w9101.match) and w9101.config is not None


CONFIG_PROBE = """
import sys, json
from cfncheck.config import load_config
try:
    load_config(sys.argv[1])
    outcome = "ok"
except Exception as e:  # an InputError: the message is what the test compares
    outcome = str(e)
print(json.dumps({"outcome": outcome, "jsonschema": "jsonschema" in sys.modules}))
"""


def config_probe(cache_dir, config) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "CFNCHECK_NO_CACHE"}
    env["CFNCHECK_CACHE_DIR"] = str(cache_dir)
    out = subprocess.run([sys.executable, "-c", CONFIG_PROBE, str(config)], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def test_a_config_that_passed_is_not_validated_again_and_a_changed_one_is(tmp_path):
    config = tmp_path / "cfncheck.yaml"
    config.write_text("packs: [all]\nfail_on: error\n")
    cache_dir = tmp_path / "cache"
    assert config_probe(cache_dir, config) == {"outcome": "ok", "jsonschema": True}
    assert config_probe(cache_dir, config) == {"outcome": "ok", "jsonschema": False}
    config.write_text("packs: [all]\nfail_on: sometimes\n")  # new content: validated, refused
    bad = config_probe(cache_dir, config)
    assert bad["jsonschema"] is True
    assert bad["outcome"].startswith(f"{config}:2: invalid config at fail_on: 'sometimes' is "
                                     "not one of"), bad


SET_PROBE = """
import sys, json
from cfncheck.policy.loader import load_policies
print(json.dumps([c.info.title for c in load_policies([sys.argv[1]])]))
"""


def test_a_policy_folder_is_read_from_one_cache_entry_until_a_file_changes(tmp_path):
    folder = tmp_path / "policies" / "sns"
    folder.mkdir(parents=True)
    source = Path(__file__).parent.parent / "policies" / "sns" / "encryption.yaml"
    policy = folder / "encryption.yaml"
    policy.write_text(source.read_text().replace("id: CC-SNS-001", "id: ACME-SNS-001"))
    env = {k: v for k, v in os.environ.items() if k != "CFNCHECK_NO_CACHE"}
    env["CFNCHECK_CACHE_DIR"] = str(tmp_path / "cache")

    def titles():
        return json.loads(subprocess.run([sys.executable, "-c", SET_PROBE, str(folder.parent)],
                                         env=env, check=True, capture_output=True,
                                         text=True).stdout)

    first = titles()
    assert [p.name.split("-")[1] for p in (tmp_path / "cache").glob("policy-set-*")] == ["set"]
    assert titles() == first
    text = policy.read_text()
    title = text.split("title: ", 1)[1].split("\n", 1)[0]
    policy.write_text(text.replace(f"title: {title}", "title: SNS topics are encrypted (ACME)"))
    assert titles() == ["SNS topics are encrypted (ACME)"]
    os.utime(policy, ns=(1, 1))
    # the same size as before, a new modification time: a new key, read from the file
    policy.write_text(text.replace(f"title: {title}", "title: SNS topics are encrypted (ACMX)"))
    assert titles() == ["SNS topics are encrypted (ACMX)"]
