"""Policy-language features for precision: ``service_default``, ``opt_in`` (config
``rules.enable``), ``supersedes`` and the ``{owner}`` / ``{referrers.TYPE}`` placeholders."""

from __future__ import annotations

import pytest

from cfncheck.checks import ScanContext
from cfncheck.config import Config
from cfncheck.engine import collect_checks, evaluate
from cfncheck.errors import InputError
from cfncheck.graph import Graph
from cfncheck.policy.check import link_supersessions

from .conftest import make_policy, make_stack, verdicts

BPA = {"path": "Properties.PublicAccessBlockConfiguration.BlockPublicAcls", "equals": True}
DEFAULT = {"when": {"path": "Properties.PublicAccessBlockConfiguration", "exists": False},
           "message": "Bucket {logical_id} relies on the default"}


def test_service_default_reports_absent_at_its_severity_and_explicit_at_the_policys():
    pol = make_policy(BPA, service_default=DEFAULT)
    v = verdicts(pol, make_stack({
        "Absent": {"Type": "AWS::S3::Bucket"},
        "ExplicitFalse": {"Type": "AWS::S3::Bucket", "Properties": {
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": False}}},
        "PartlyDeclared": {"Type": "AWS::S3::Bucket", "Properties": {
            "PublicAccessBlockConfiguration": {"IgnorePublicAcls": True}}},
        "Blocked": {"Type": "AWS::S3::Bucket", "Properties": {
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True}}},
    }))
    assert v["Absent"].status == "FAIL"
    assert v["Absent"].hit.severity == "info"
    assert v["Absent"].hit.message == "Bucket Absent relies on the default"
    assert v["Absent"].hit.key == "service-default"
    for lid in ("ExplicitFalse", "PartlyDeclared"):
        assert v[lid].status == "FAIL" and v[lid].hit.severity is None  # the policy's: error
    assert v["Blocked"].status == "PASS"


def test_service_default_severity_and_placeholders_are_validated():
    pol = make_policy(BPA, service_default={**DEFAULT, "severity": "warning"})
    v = verdicts(pol, make_stack({"Absent": {"Type": "AWS::S3::Bucket"}}))
    assert v["Absent"].hit.severity == "warning"
    with pytest.raises(InputError, match=r"unknown placeholder \{nope\}"):
        make_policy(BPA, service_default={**DEFAULT, "message": "x {nope}"})
    with pytest.raises(InputError, match="service_default"):
        make_policy(BPA, service_default={"when": BPA, "message": "m", "severity": "error"})
    with pytest.raises(InputError, match=r"unknown placeholder \{what\}"):
        make_policy({**BPA, "message": "inner {what}"})


def test_opt_in_policies_run_only_when_enabled():
    assert Config().enabled("CC-RES-001") and not Config().enabled("CC-RES-001", opt_in=True)
    cfg = Config({"rules": {"enable": ["CC-RES-*"], "disable": ["CC-RES-001"]}})
    assert not cfg.enabled("CC-RES-001", opt_in=True)  # disable still wins
    assert Config({"rules": {"enable": ["CC-RES-*"]}}).enabled("CC-RES-001", opt_in=True)
    ids = {c.info.id for c in collect_checks(Config())}
    assert "CC-RES-001" not in ids and "CC-LAMBDA-001" not in ids
    assert "CC-CODEDEPLOY-001" in ids and "CC-LAMBDA-002" in ids
    enabled = {c.info.id for c in collect_checks(Config({"rules": {"enable": ["CC-RES-001"]}}))}
    assert "CC-RES-001" in enabled and "CC-LAMBDA-001" not in enabled
    assert make_policy(BPA, opt_in=True).info.opt_in is True


def _pair(**over):
    wide = make_policy({"path": "Properties.Timeout", "lte": 30}, id="T-WIDE-001",
                       title="Wide cap", severity="warning",
                       resource_types=["AWS::Lambda::Function"])
    narrow = make_policy({"path": "Properties.Timeout", "lte": 29}, id="T-NARROW-001",
                         title="Narrow cap", severity=over.get("severity", "error"),
                         resource_types=["AWS::Lambda::Function"], supersedes=["T-WIDE-001"],
                         where={"path": "Properties.Api", "exists": False})
    return wide, narrow


def _run(checks, resources):
    from cfncheck.assembly import LoadResult

    stack = make_stack(resources)
    result = evaluate(LoadResult(stacks=[stack]), Config(), checks, jobs=1)
    return sorted((f.rule_id, f.logical_id, f.severity, f.message) for f in result.findings)


FUNCTIONS = {"Long": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 300}},
             "Short": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 10}}}


def test_supersedes_gives_one_finding_naming_the_other():
    wide, narrow = _pair()
    assert _run([wide, narrow], FUNCTIONS) == [
        ("T-NARROW-001", "Long", "error", "Narrow cap: Properties.Timeout is 300, expected "
         "<= 29; also T-WIDE-001 (Wide cap): Properties.Timeout is 300, expected <= 30")]


def test_superseded_policy_reports_alone_when_the_other_does_not_run_or_pass():
    wide, narrow = _pair()
    assert [r[:3] for r in _run([wide], FUNCTIONS)] == [("T-WIDE-001", "Long", "warning")]
    # the narrow policy does not apply (its where), so the wide one reports
    other = {"Api": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 300,
                                                                     "Api": True}}}
    assert [r[:3] for r in _run([wide, narrow], other)] == [("T-WIDE-001", "Api", "warning")]
    # only the narrow one fails: its finding, nothing appended
    between = {"Mid": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 29.5}}}
    assert _run([wide, narrow], between) == [
        ("T-NARROW-001", "Mid", "error", "Narrow cap: Properties.Timeout is 29.5, expected "
         "<= 29")]


def test_the_merged_finding_takes_the_higher_severity():
    wide, narrow = _pair(severity="info")
    assert [r[:3] for r in _run([wide, narrow], FUNCTIONS)] == [
        ("T-NARROW-001", "Long", "warning")]


def test_supersession_is_ignored_in_isolated_runs():
    wide, narrow = _pair()
    link_supersessions([wide, narrow])
    stack = make_stack(FUNCTIONS)
    ctx = ScanContext([stack], Graph([stack]), Config())  # no check_ids: each alone
    assert [h.logical_id for h in wide.run(ctx)] == ["Long"]


def test_owner_and_referrers_placeholders():
    pol = make_policy({"path": "Properties.X", "exists": True,
                       "message": "owned by [{owner}], aliases [{referrers.AWS::Lambda::Alias}]"},
                      resource_types=["AWS::CodeDeploy::DeploymentGroup", "Custom::LogRetention"])
    v = verdicts(pol, make_stack({
        "Group": {"Type": "AWS::CodeDeploy::DeploymentGroup",
                  "Metadata": {"aws:cdk:path": "App/Stack/Group/Resource"}},
        "Alias": {"Type": "AWS::Lambda::Alias", "UpdatePolicy": {"CodeDeployLambdaAliasUpdate": {
            "DeploymentGroupName": {"Ref": "Group"}}},
                  "Metadata": {"aws:cdk:path": "App/Stack/Live/Resource"}},
        "Retention": {"Type": "Custom::LogRetention",
                      "Metadata": {"aws:cdk:path": "App/Stack/Db/LogRetentionpostgresql/Resource"}},
    }))
    assert v["Group"].reason == "owned by [App/Stack], aliases [App/Stack/Live]"
    assert v["Retention"].reason == "owned by [App/Stack/Db], aliases [none]"


def test_supersedes_only_where_its_condition_holds():
    wide = make_policy({"path": "Properties.Timeout", "lte": 30}, id="T-WIDE-001",
                       title="Wide cap", severity="warning",
                       resource_types=["AWS::Lambda::Function"])
    narrow = make_policy({"path": "Properties.Timeout", "lte": 29}, id="T-NARROW-001",
                         title="Narrow cap", resource_types=["AWS::Lambda::Function"],
                         supersedes=[{"id": "T-WIDE-001",
                                      "when": {"path": "Properties.Api", "equals": True}}])
    both = {"Api": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 300,
                                                                    "Api": True}},
            "Other": {"Type": "AWS::Lambda::Function", "Properties": {"Timeout": 300}}}
    assert [r[:3] for r in _run([wide, narrow], both)] == [
        ("T-NARROW-001", "Api", "error"), ("T-NARROW-001", "Other", "error"),
        ("T-WIDE-001", "Other", "warning")]
    (api,) = [r for r in _run([wide, narrow], both) if r[1] == "Api"]
    assert "; also T-WIDE-001" in api[3]
    with pytest.raises(InputError, match="supersedes"):
        make_policy(BPA, supersedes=[{"id": "T-WIDE-001"}])
