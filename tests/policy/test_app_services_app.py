"""Real CDK output (tests/fixtures/app_services_app, see its app.py): the API Gateway,
CloudFront, IAM-user, Lambda and ECS host-mode checks on what aws-cdk-lib writes, each resource
built once with CDK's defaults and once with the setting each opt-in check asks for."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cfncheck.config import Config
from cfncheck.engine import scan

APP = Path(__file__).resolve().parents[1] / "fixtures" / "app_services_app" / "cdk.out"
IDS = {"CC-APIGW-009", "CC-APIGW-010", "CC-APIGW-011", "CC-APIGW-012", "CC-APIGW-013",
       "CC-APIGW-005", "CC-CF-005", "CC-CF-006", "CC-CF-007", "CC-CF-008", "CC-CF-009",
       "CC-CF-010", "CC-IAM-002", "CC-IAM-003", "CC-IAM-004", "CC-LAMBDA-005", "CC-LAMBDA-006",
       "CC-LAMBDA-007", "CC-LAMBDA-008", "CC-LAMBDA-010", "CC-ECS-004", "W9107", "E9404"}


@cache
def findings(packs: tuple) -> tuple:
    result = scan([APP], Config(data={"packs": list(packs)}), stage="prod", jobs=1)
    assert not result.errors
    return tuple(f for f in result.findings if f.rule_id in IDS)


def shape(f) -> tuple:
    return (f.rule_id, f.logical_id, f.severity)


def test_every_pack_exact_findings():
    assert sorted(shape(f) for f in findings(("all",))) == [
        ("CC-APIGW-009", "PlainApiDeploymentStageprodA73F6381", "warning"),
        ("CC-APIGW-010", "ClearCacheApiDeploymentStageprodB736C34C", "warning"),
        ("CC-APIGW-011", "ClearCacheApiDeploymentStageprodB736C34C", "warning"),
        ("CC-APIGW-011", "PlainApiDeploymentStageprodA73F6381", "warning"),
        ("CC-APIGW-012", "ClearCacheApiDeploymentStageprodB736C34C", "warning"),
        ("CC-APIGW-012", "PlainApiDeploymentStageprodA73F6381", "warning"),
        # the open GET: one finding, the authorizer's, naming CC-APIGW-005 (no API key)
        ("CC-APIGW-013", "PlainApiGET5B044D1F", "warning"),
        # the API distribution with CDK's defaults; the S3 site sets everything (and no
        # default root object is asked of a distribution whose default origin is an API)
        ("CC-CF-005", "ApiCdn528FA5AA", "warning"),
        ("CC-CF-006", "ApiCdn528FA5AA", "warning"),
        ("CC-CF-007", "ApiCdn528FA5AA", "warning"),
        ("CC-CF-009", "ApiCdn528FA5AA", "warning"),
        ("CC-ECS-004", "HostAgent0E678640", "warning"),
        ("CC-IAM-002", "LonerDefaultPolicy7A66E423", "warning"),
        ("CC-IAM-003", "InlineRoleFDC07E58", "warning"),
        ("CC-IAM-004", "LonerC883D388", "warning"),
        ("CC-LAMBDA-005", "Plain295EB121", "warning"),
        ("CC-LAMBDA-006", "Plain295EB121", "warning"),
        ("CC-LAMBDA-007", "Plain295EB121", "warning"),
        ("CC-LAMBDA-008", "Plain295EB121", "warning"),
        ("CC-LAMBDA-010", "PlainPartnerRead426BC52C", "error"),
        ("E9404", "Plain295EB121", "error"),
        ("W9107", "PartnerRole53D7BEB1", "warning"),
    ]


def test_the_default_pack_runs_only_the_objective_ones():
    assert sorted(shape(f) for f in findings(("recommended",))) == [
        ("CC-APIGW-005", "PlainApiGET5B044D1F", "warning"),
        ("CC-APIGW-010", "ClearCacheApiDeploymentStageprodB736C34C", "warning"),
        ("CC-LAMBDA-010", "PlainPartnerRead426BC52C", "error"),
        ("E9404", "Plain295EB121", "error"),
    ]


def test_messages_state_the_facts():
    by = {(f.rule_id, f.logical_id): f.message for f in findings(("all",))}
    assert by["CC-APIGW-013", "PlainApiGET5B044D1F"] == (
        "REST API method PlainApiGET5B044D1F lets anyone call it without authorization: "
        "AuthorizationType is NONE or absent (the default is NONE); also CC-APIGW-005 (REST "
        "API methods require an API key): Properties.ApiKeyRequired is absent")
    assert by["CC-LAMBDA-010", "PlainPartnerRead426BC52C"] == (
        "Lambda permission PlainPartnerRead426BC52C grants more than invocation of the "
        "function: Properties.Action is \"lambda:GetFunction\", expected to match "
        "/(?i)^lambda:InvokeFunction(Url)?$/")
    assert by["CC-LAMBDA-005", "Plain295EB121"] == (
        "Function Plain295EB121 can be called from any website with any method: its function "
        "URL (AppServices/Plain/FunctionUrl) allows Cors AllowOrigins \"*\" and AllowMethods "
        "\"*\"")
    assert by["E9404", "Plain295EB121"] == (
        "AWS::Lambda::Function Plain295EB121 environment variable PARTNER_API_TOKEN holds a "
        "literal value, and its name says it is a credential written into the template")
    assert by["CC-IAM-002", "LonerDefaultPolicy7A66E423"] == (
        "AWS::IAM::Policy LonerDefaultPolicy7A66E423 attaches permissions to an IAM user "
        "directly: the policy is attached to Users")


def test_a_users_inline_policy_is_one_finding(tmp_path):
    """CC-IAM-002 (permissions through groups) supersedes CC-IAM-003 (no inline policies) on a
    user: moving the permissions to a group fixes both (IAM users are rare in CDK apps, so a
    hand-written template)."""
    import json

    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Resources": {"Operator": {
        "Type": "AWS::IAM::User", "Properties": {"Policies": [{
            "PolicyName": "read", "PolicyDocument": {"Statement": [{
                "Effect": "Allow", "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*"}]}}]}}}}))
    result = scan([path], Config(data={"packs": ["all"]}), stage="prod", jobs=1)
    iam = sorted((f for f in result.findings if f.rule_id.startswith("CC-IAM")),
                 key=lambda f: f.rule_id)
    assert [(f.rule_id, f.logical_id) for f in iam] == [
        ("CC-IAM-002", "Operator"), ("CC-IAM-004", "Operator")]
    assert iam[0].message == (
        "AWS::IAM::User Operator attaches permissions to an IAM user directly: the user has "
        "inline Policies; also CC-IAM-003 (IAM identities use managed policies instead of "
        "inline ones): it declares inline Policies")
