"""Library-generated IAM (cfncheck/generated_iam.py, cfncheck/data/generated_iam.yaml).

The fixture app tests/fixtures/generated_iam_app synthesizes, one stack each, the aws-cdk-lib
constructs that write wildcard statements of their own; the catalogue is recorded from it by
tools/refresh_generated_iam.py. Its UserStatements stack adds the app's own statements to
library roles: those are judged normally.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest
import yaml

from cfncheck import generated_iam
from cfncheck.engine import scan
from cfncheck.rules import all_rules

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "tests" / "fixtures" / "generated_iam_app"
ASSEMBLY = APP / "cdk.out"
IAM_RULES = ("W9101", "W9102", "W9103", "E9104", "E9105", "W9106")


@pytest.fixture(scope="module")
def iam_findings():
    rules = [r for r in all_rules() if r.id in IAM_RULES]
    result = scan([ASSEMBLY], checks=rules)
    assert result.errors == []
    return result.findings


def _written_by(message: str) -> str | None:
    start = message.rfind(" (written by ")
    return message[start + 2:].removesuffix("; reported at info level)") if start >= 0 else None


def test_every_library_statement_is_info_naming_its_writer(iam_findings):
    got = sorted((f.stack, f.rule_id, f.logical_id, f.severity, _written_by(f.message))
                 for f in iam_findings if f.stack != "UserStatements")
    assert got == sorted([
        ("Bastion", "W9101", "BastionInstanceRoleDefaultPolicy457C3156", "info",
         "written by aws-cdk-lib.aws_ec2.BastionHostLinux (BastionHostLinux) at Bastion/Bastion"),
        ("BucketDeployment", "W9102",
         "CustomCDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756CServiceRoleDefaultPolicy88902FDF",
         "info", "written by aws-cdk-lib.aws_s3_deployment.BucketDeployment "
         "(BucketDeployment(distribution=...)) at BucketDeployment/Custom::CDKBucketDeployment"
         "8693BB64968944B69AAFB0CC9EB8756C (aws-cdk-lib.aws_lambda.Function)"),
        ("CodeBuildProject", "W9102", "ProjectPolicyDocumentC3B7A043", "info",
         "written by aws-cdk-lib.aws_codebuild.Project (Project(vpc=...)) at "
         "CodeBuildProject/Project"),
        ("CognitoSms", "W9102", "UserssmsRole3629E766", "info",
         "written by aws-cdk-lib.aws_cognito.UserPool (UserPool(mfa with SMS)) at "
         "CognitoSms/Users"),
        ("EcsAddCapacity", "W9102", "ClusterCapacityInstanceRoleDefaultPolicyCCA4190D", "info",
         "written by aws-cdk-lib.aws_ecs.Cluster (Cluster.add_capacity) at "
         "EcsAddCapacity/Cluster"),
        ("EcsAsgCapacityProvider", "W9102", "AsgInstanceRoleDefaultPolicy16A5BCED", "info",
         "written by aws-cdk-lib.aws_ecs.AsgCapacityProvider (Cluster.add_asg_capacity_provider)"
         " at EcsAsgCapacityProvider/Asg (aws-cdk-lib.aws_autoscaling.AutoScalingGroup)"),
        ("LogRetention", "W9102",
         "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRoleDefaultPolicyADDA7DEB", "info",
         "written by aws-cdk-lib.aws_logs.LogRetention (log_retention=) at "
         "LogRetention/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a"),
        # one statement CDK merged from two tasks' statements: both writers named
        ("MergedStatements", "W9102", "FlowRoleDefaultPolicy79AC5FC2", "info",
         "written by aws-cdk-lib.aws_stepfunctions_tasks.EcsRunTask (EcsRunTask("
         "integration_pattern=RUN_JOB)) and aws-cdk-lib.aws_stepfunctions_tasks.EmrCreateCluster"
         " (EmrCreateCluster(integration_pattern=RUN_JOB)) at MergedStatements/Flow "
         "(aws-cdk-lib.aws_stepfunctions.StateMachine)"),
        ("OidcProvider", "W9102",
         "CustomAWSCDKOpenIdConnectProviderCustomResourceProviderRole517FED65", "info",
         "written by aws-cdk-lib.aws_iam.OpenIdConnectProvider (OpenIdConnectProvider) at "
         "OidcProvider/Custom::AWSCDKOpenIdConnectProviderCustomResourceProvider"),
        ("PipelineEcsDeploy", "E9104",
         "PipelineDeployEcsCodePipelineActionRoleDefaultPolicyACE20AA5", "info",
         "written by aws-cdk-lib.aws_codepipeline_actions.EcsDeployAction (EcsDeployAction) at "
         "PipelineEcsDeploy/Pipeline (aws-cdk-lib.aws_codepipeline.Pipeline)"),
        ("PipelineEcsDeploy", "W9102",
         "PipelineDeployEcsCodePipelineActionRoleDefaultPolicyACE20AA5", "info",
         "written by aws-cdk-lib.aws_codepipeline_actions.EcsDeployAction (EcsDeployAction) at "
         "PipelineEcsDeploy/Pipeline (aws-cdk-lib.aws_codepipeline.Pipeline)"),
        ("RdsLogExports", "W9102",
         "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRoleDefaultPolicyADDA7DEB", "info",
         "written by aws-cdk-lib.aws_logs.LogRetention (log_retention=) at "
         "RdsLogExports/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a"),
        ("SfnAthena", "W9102", "FlowRoleDefaultPolicy79AC5FC2", "info",
         "written by aws-cdk-lib.aws_stepfunctions_tasks.AthenaStartQueryExecution "
         "(AthenaStartQueryExecution(integration_pattern=RUN_JOB)) at SfnAthena/Flow "
         "(aws-cdk-lib.aws_stepfunctions.StateMachine)"),
        ("SfnEcsRunTask", "W9102", "FlowRoleDefaultPolicy79AC5FC2", "info",
         "written by aws-cdk-lib.aws_stepfunctions_tasks.EcsRunTask "
         "(EcsRunTask(integration_pattern=RUN_JOB)) at SfnEcsRunTask/Flow "
         "(aws-cdk-lib.aws_stepfunctions.StateMachine)"),
        ("SfnEmr", "W9102", "FlowRoleDefaultPolicy79AC5FC2", "info",
         "written by aws-cdk-lib.aws_stepfunctions_tasks.EmrCreateCluster "
         "(EmrCreateCluster(integration_pattern=RUN_JOB)) at SfnEmr/Flow "
         "(aws-cdk-lib.aws_stepfunctions.StateMachine)"),
        ("TableReplicas", "W9101", "TableSourceTableAttachedManagedPolicyTableReplicasawscdkaws"
         "dynamodbReplicaProviderOnEventHandlerServiceRole0869707F3FF38E24", "info",
         "written by aws-cdk-lib.aws_dynamodb.Table (Table(replication_regions=...)) at "
         "TableReplicas/Table"),
    ])


def test_statements_the_app_adds_to_library_roles_are_judged_normally(iam_findings):
    """CDK merges the app's s3:* into the bastion's statement and sns:Publish into the ECS
    instance role's: the merged statements are not the library's shape. The very statement
    LogRetention writes, on the app's own function, is not under LogRetention's singleton."""
    got = [(f.rule_id, f.logical_id, f.severity, _written_by(f.message))
           for f in iam_findings if f.stack == "UserStatements"]
    assert sorted(got) == [
        ("W9101", "BastionInstanceRoleDefaultPolicy457C3156", "warning", None),
        ("W9102", "AsgInstanceRoleDefaultPolicy16A5BCED", "warning", None),
        ("W9102", "RetentionServiceRoleDefaultPolicyE7440A9C", "warning", None),
    ]
    bastion = next(f for f in iam_findings
                   if f.stack == "UserStatements" and f.rule_id == "W9101")
    assert "s3:* (all " in bastion.message and "ssmmessages:* (all " in bastion.message


def test_the_catalogue_is_what_the_refresh_script_records():
    """cfncheck/data/generated_iam.yaml is exactly the refresh script's output for the
    committed fixture (the script synthesizes only with --synth)."""
    spec = importlib.util.spec_from_file_location(
        "refresh_generated_iam", ROOT / "tools" / "refresh_generated_iam.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (ROOT / "cfncheck" / "data" / "generated_iam.yaml").read_text()
    assert module.render(ASSEMBLY) == committed
    assert committed.count("- writer: ") == 14


def test_chain_and_shape_both_have_to_match(tmp_path):
    """The bastion's statement moved onto a role the app defines, and a changed action on the
    bastion's own role: neither is the library's."""
    stack = _stack(ASSEMBLY)
    [entry] = [e for es in generated_iam.catalogue().values() for e in es
               if e.writer == "aws-cdk-lib.aws_ec2.BastionHostLinux"]
    assert entry.chain == ("aws-cdk-lib.aws_iam.CfnPolicy", "aws-cdk-lib.aws_iam.Policy",
                           "aws-cdk-lib.aws_iam.Role", "aws-cdk-lib.aws_ec2.Instance",
                           "aws-cdk-lib.aws_ec2.BastionHostLinux")
    from cfncheck import iam

    doc = next(d for d in iam.policy_documents(stack)
               if d.logical_id == "BastionInstanceRoleDefaultPolicy457C3156")
    stmt = doc.statements[0]
    assert generated_iam.origin(stack, doc, stmt).entry == entry
    changed = copy.deepcopy(stmt)
    changed.actions = [*stmt.actions, "ssm:SendCommand"]
    assert generated_iam.origin(stack, doc, changed) is None
    elsewhere = copy.deepcopy(doc)
    elsewhere.logical_id = "BastionInstanceRoleD3B36EDD"  # the role itself: another chain
    [(_, fqn, _), *_] = generated_iam.chain_of(stack, elsewhere.logical_id)
    assert fqn == "aws-cdk-lib.aws_iam.CfnRole"
    assert generated_iam.origin(stack, elsewhere, stmt) is None


def _stack(assembly: Path, name: str = "Bastion"):
    from cfncheck.assembly import load

    return next(s for s in load([assembly]).stacks if s.name == name)


def test_normalised_values():
    norm = generated_iam.normalise_value
    assert norm("arn:aws:dynamodb:eu-west-2:${AWS::AccountId}:table/${TableCD117FA1}") == \
        "arn:aws:dynamodb:${region}:${account}:table/${ref}"
    assert norm("arn:aws:logs:${AWS::Region}:123456789012:log-group:/x:*") == \
        "arn:aws:logs:${region}:${account}:log-group:/x:*"
    assert norm("arn:aws:iam::aws:policy/ReadOnlyAccess") == \
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert norm("${Fn.Arn}") == "${ref}" and norm("*") == "*"


def test_catalogue_entries_name_real_constructs():
    data = yaml.safe_load((ROOT / "cfncheck" / "data" / "generated_iam.yaml").read_text())
    for e in data["statements"]:
        assert e["writer"].startswith("aws-cdk-lib.")
        assert e["chain"][0].startswith(("aws-cdk-lib.aws_iam.Cfn", "aws-cdk-lib.CfnResource"))
        assert set(e["rules"]) <= set(IAM_RULES)
