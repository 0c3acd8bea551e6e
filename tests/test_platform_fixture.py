"""The platform fixture (sample_templates/platform_app) loads as the app defines it.

These tests pin the fixture itself: stacks, stages, environments, tags and resource types, and
what CDK recorded when bundling was limited to one stack. What cfncheck *reports* on it is
asserted by the checks' own tests against sample_templates/platform_app/AUDIT.md.
"""

from __future__ import annotations

import ast
import json
import sys
from collections import Counter

import pytest

from cfncheck.assembly import load
from cfncheck.stages import assign_stages
from tests.samples import PLATFORM, PLATFORM_NOBUNDLE

STACK_IDS = ["Network", "Data", "Api", "Monitoring", "Events", "Delivery"]
STACKS = [f"{stage}/{sid}" for stage in ("Dev", "Prod") for sid in STACK_IDS]
ACCOUNTS = {"Dev": "111111111111", "Prod": "333333333333"}
TAGS = {"Environment": None, "Owner": "platform-team"}
SKIPPED_BUNDLES = {  # (stack, logical id) -> source folder CDK recorded instead of a bundle
    ("Dev/Delivery", "WorkerFunctionACE6A4B0"): "/tmp/platform_app/lambda/worker",
    ("Prod/Api", "IngestHandler6F5F26C7"): "/tmp/platform_app/lambda/ingest",
    ("Prod/Delivery", "WorkerFunctionACE6A4B0"): "/tmp/platform_app/lambda/worker",
}


@pytest.fixture(scope="module")
def platform():
    result = load([PLATFORM])
    assign_stages(result.stacks)
    return result


def stacks_by_name(result):
    return {s.name: s for s in result.stacks}


def types_of(stack) -> Counter:
    return Counter(r["Type"] for r in stack.resources.values())


def test_twelve_stacks_in_two_cdk_stages_with_fixed_environments(platform):
    assert platform.errors == []
    assert platform.notes == []
    stacks = stacks_by_name(platform)
    assert sorted(stacks) == sorted(STACKS)
    for name, stack in stacks.items():
        stage = name.split("/")[0]
        assert stack.cdk_stages == (stage,)
        assert stack.stage == stage.lower()
        assert stack.stack_name == name.replace("/", "-")
        assert stack.environment == f"aws://{ACCOUNTS[stage]}/eu-west-1"
        assert stack.assembly_path == f"assembly-{stage}"
    assert sum(len(s.resources) for s in platform.stacks) == 493


@pytest.mark.parametrize("stage", ["Dev", "Prod"])
def test_stack_tags_on_some_stacks_only(platform, stage):
    stacks = stacks_by_name(platform)
    want = {"Environment": stage.lower(), "Owner": TAGS["Owner"]}
    for sid in ("Network", "Data", "Monitoring", "Events"):
        assert stacks[f"{stage}/{sid}"].tags == want
    # Api: resource tags (Tags.of) only; Delivery: no tags at all.
    assert stacks[f"{stage}/Api"].tags == {}
    assert stacks[f"{stage}/Delivery"].tags == {}
    api = stacks[f"{stage}/Api"].resources
    owner = {"Key": "Owner", "Value": "platform-team"}
    assert owner in api["OrdersHandlerA8584A8A"]["Properties"]["Tags"]
    provider = api["AWSCDKTriggerCustomResourceProviderCustomResourceProviderHandler97BECD91"]
    assert provider["Type"] == "AWS::Lambda::Function"
    assert "Tags" not in provider["Properties"]  # CDK's plain CfnResource escapes Tags.of()


@pytest.mark.parametrize("stage", ["Dev", "Prod"])
def test_each_stack_holds_the_services_it_is_meant_to(platform, stage):
    stacks = stacks_by_name(platform)
    expected = {
        "Network": {"AWS::EC2::VPC": 1, "AWS::EC2::FlowLog": 1, "AWS::ECR::Repository": 1,
                    "AWS::ECS::Cluster": 1, "AWS::AutoScaling::AutoScalingGroup": 1,
                    "AWS::ECS::Service": 1, "AWS::ElasticLoadBalancingV2::LoadBalancer": 1,
                    "AWS::ElasticLoadBalancingV2::Listener": 2, "AWS::EC2::Instance": 1,
                    "Custom::VpcRestrictDefaultSG": 1},
        "Data": {"AWS::KMS::Key": 1, "AWS::RDS::DBInstance": 1, "AWS::SecretsManager::Secret": 1,
                 "AWS::SecretsManager::RotationSchedule": 1, "AWS::Serverless::Application": 1,
                 "AWS::EFS::FileSystem": 1, "AWS::DynamoDB::GlobalTable": 1,
                 "AWS::S3::Bucket": 1, "AWS::S3::BucketPolicy": 2, "Custom::LogRetention": 2},
        "Api": {"AWS::ApiGateway::RestApi": 1, "AWS::ApiGateway::Authorizer": 1,
                "AWS::ApiGateway::UsagePlan": 1, "AWS::ApiGatewayV2::Api": 1,
                "AWS::ApiGatewayV2::Stage": 1, "AWS::Lambda::Url": 2, "AWS::Lambda::Alias": 1,
                "AWS::CodeDeploy::DeploymentGroup": 1, "Custom::Trigger": 1, "Custom::AWS": 1,
                "AWS::SQS::Queue": 2},
        "Monitoring": {"AWS::SNS::Topic": 1,
                       "AWS::CloudWatch::Dashboard": 1 if stage == "Prod" else 0},
        "Events": {"AWS::Events::EventBus": 1, "AWS::Events::Rule": 1, "AWS::Events::Archive": 1,
                   "AWS::IAM::Role": 2},
        "Delivery": {"AWS::CodePipeline::Pipeline": 1, "AWS::CodeBuild::Project": 1,
                     "AWS::CodeDeploy::DeploymentGroup": 2, "AWS::Lambda::Alias": 1,
                     "AWS::DynamoDB::GlobalTable": 1},
    }
    for sid, want in expected.items():
        have = types_of(stacks[f"{stage}/{sid}"])
        assert {t: have[t] for t in want} == want, sid


def test_design_details_the_audit_relies_on(platform):
    stacks = stacks_by_name(platform)
    api = stacks["Dev/Api"].resources
    items = api["ItemsHandlerFB09CCF4"]["Properties"]
    assert items["Runtime"] == "python3.14"
    assert items["Layers"] == [
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:18"]
    assert api["OrdersHandlerA8584A8A"]["Properties"]["Timeout"] == 300
    assert api["WebhookHandlerFunctionUrl8C186DA9"]["Properties"]["AuthType"] == "NONE"
    table = stacks["Dev/Data"].resources["SessionsTable7C302024"]["Properties"]
    assert sorted(r["Region"] for r in table["Replicas"]) == ["eu-central-1", "eu-west-1"]
    policy = stacks["Dev/Data"].resources["SharedReportsPolicy770118F5"]["Properties"]
    assert policy["Bucket"] == "acme-shared-reports"  # a bucket the app does not define
    bucket = stacks["Dev/Data"].resources["ExportsBucket5A12738B"]["Properties"]
    assert "PublicAccessBlockConfiguration" not in bucket and "BucketEncryption" not in bucket
    canary = stacks["Dev/Delivery"].resources["WorkerDeploymentBD152F36"]["Properties"]
    assert canary["DeploymentConfigName"] == ("CodeDeployDefault."
                                              "LambdaCanary10Percent5Minutes")
    assert canary["AlarmConfiguration"] == {"Enabled": False}  # no alarms to roll back on
    linear = stacks["Dev/Api"].resources["OrdersDeploymentDA3AB001"]["Properties"]
    alarm = {"Name": {"Ref": "OrdersAliasErrors794F2D63"}}
    assert linear["AlarmConfiguration"]["Alarms"] == [alarm]
    rule = stacks["Dev/Events"].resources["ForwardToCentral3DCC5103"]["Properties"]
    central = "arn:aws:events:eu-west-1:222222222222:event-bus/central-bus"
    assert rule["Targets"][0]["Arn"] == central


def test_python314_handler_needs_the_python_3_12_grammar():
    handler = PLATFORM.parents[1] / "platform_app" / "lambda" / "items_api" / "handler.py"
    source = handler.read_text()
    assert 'f"served {item["pk"]} ({item.get("name", "unnamed")})"' in source  # PEP 701
    if sys.version_info >= (3, 12):
        ast.parse(source)
    else:
        with pytest.raises(SyntaxError):
            ast.parse(source)


def test_nobundle_assembly_records_absolute_source_folders_for_skipped_bundles():
    """bundling-stacks ['Dev/Api']: the other stacks' bundled assets keep their source path."""
    seen = {}
    for template in sorted(PLATFORM_NOBUNDLE.glob("assembly-*/*.template.json")):
        stage = template.parent.name.removeprefix("assembly-")
        sid = template.name.removeprefix(stage).split(".")[0][:-8]  # drop the 8-char hash
        for lid, res in json.loads(template.read_text())["Resources"].items():
            path = res.get("Metadata", {}).get("aws:asset:path")
            if res["Type"] == "AWS::Lambda::Function" and path and not path.startswith("../asset."):
                seen[(f"{stage}/{sid}", lid)] = path
    assert seen == SKIPPED_BUNDLES
    # Dev/Api's bundled function was bundled: its asset holds the vendored package.
    dev_api = PLATFORM_NOBUNDLE / "assembly-Dev" / "DevApi52A53550.template.json"
    api = json.loads(dev_api.read_text())
    asset = api["Resources"]["IngestHandler6F5F26C7"]["Metadata"]["aws:asset:path"]
    assert (PLATFORM_NOBUNDLE / "assembly-Dev" / asset / "acme_common" / "records.py").is_file()


def test_no_path_of_the_synthesizing_machine_in_either_assembly():
    for root in (PLATFORM, PLATFORM_NOBUNDLE):
        for path in root.rglob("*.json"):
            text = path.read_text()
            assert "/work/" not in text and "jsii-kernel" not in text, path
