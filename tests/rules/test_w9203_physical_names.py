"""W9203 (cfncheck/rules/w9203_physical_names.py): literal physical names."""

from __future__ import annotations

from cfncheck.rules.w9203_physical_names import PhysicalNames
from tests.rules.helpers import DEFECTIVE, PLAIN, PROD_API, line_text, only, resources, run_rule


def test_defective_sample_reports_bucket_table_function_names(sample_findings):
    found = [f for f in only(sample_findings["defective"], "W9203") if f.stack == "Prod/Api"]
    assert [(f.logical_id, f.path[-1]) for f in found] == [
        ("DataBucketE3889A50", "BucketName"),
        ("OrdersTable315BB997", "TableName"),
        ("OrdersApiFunctionF46D4A7F", "FunctionName"),
    ]
    assert found[0].message.startswith(
        "AWS::S3::Bucket DataBucketE3889A50 has the literal BucketName 'acme-orders-prod-data'")
    assert line_text(found[0]).strip() == '"BucketName": "acme-orders-prod-data",'
    assert found[0].construct_path == "Prod/Api/DataBucket/Resource"


def test_fixed_sample_has_none(sample_findings):
    assert only(sample_findings["fixed"], "W9203") == []


def test_literal_means_no_reference(tmp_path):
    tpl = resources(
        A={"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": {"Fn::Join": ["-", ["orders", "events"]]}}},
        B={"Type": "AWS::SNS::Topic", "Properties": {
            "TopicName": {"Fn::Sub": "${AWS::StackName}-alerts"}}},
        C={"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/aws/vendedlogs/x"}},
        D={"Type": "AWS::Glue::Job", "Properties": {"Name": "etl", "Role": "r",
                                                    "Command": {}}},
        E={"Type": "AWS::IAM::Role", "Properties": {"RoleName": {"Ref": "RoleNameParam"},
                                                    "AssumeRolePolicyDocument": {}}},
    )
    found = run_rule(PhysicalNames, tpl, tmp_path)
    assert [(f.logical_id, f.key) for f in found] == [("A", "QueueName"), ("C", "LogGroupName")]
    assert "literal QueueName 'orders-events'" in found[0].message
    tuned = run_rule(PhysicalNames, tpl, tmp_path, params={
        "allow": ["/aws/vendedlogs/*"], "types": ["AWS::Glue::Job=Name"]})
    assert [(f.logical_id, f.key) for f in tuned] == [("A", "QueueName"), ("D", "Name")]


def test_cfn_lint(cfnlint_matches, sample_findings):
    cdk = [m for m in cfnlint_matches[str(DEFECTIVE / PROD_API)] if m[0] == "W9203"]
    scanned = [f for f in only(sample_findings["defective"], "W9203") if f.stack == "Prod/Api"]
    assert sorted(m[1:] for m in cdk) == [(f.line, f.message) for f in scanned]
    assert [m[:2] for m in cfnlint_matches[str(PLAIN)] if m[0] == "W9203"] == [
        ("W9203", 66), ("W9203", 88)]


def test_cfn_lint_configure_rules_sets_parameters():
    from cfnlint.api import lint_by_config

    matches = lint_by_config({"templates": [str(PLAIN)], "append_rules": ["cfncheck.rules"],
                              "configure_rules": {"W9203": {"allow": ["acme-*", "alerts"]}},
                              "include_checks": ["W9203"], "regions": ["eu-west-1"]})
    assert [m for m in matches if m.rule.id == "W9203"] == []


def test_the_message_follows_the_name_scope_and_the_stage(sample_findings):
    found = {(f.stack, f.logical_id[:8]): f for f in only(sample_findings["defective"], "W9203")}
    # S3: global names; "prod" in the Prod bucket's name does not help in another region
    assert found[("Prod/Api", "DataBuck")].message.endswith(
        "'acme-orders-prod-data': the name includes its stage (prod), but S3 bucket names are "
        "global (across all accounts and regions): a copy of this stack in another region or "
        "account fails with 'already exists', and any change that replaces the resource fails "
        "with 'already exists' (the new one cannot take the old one's name)")
    assert found[("Dev/Api", "OrdersTa")].message.endswith(
        "'orders': another copy of this stack in the same account and region (a second stage "
        "there) fails with 'already exists', and any change that replaces the resource fails "
        "with 'already exists' (the new one cannot take the old one's name)")
    assert {f.severity for f in found.values()} == {"warning"}


def test_a_regional_name_with_its_stage_is_info(assembly_copy, tmp_path):
    import json
    root = assembly_copy(DEFECTIVE)
    path = root / PROD_API
    data = json.loads(path.read_text())
    data["Resources"]["OrdersTable315BB997"]["Properties"]["TableName"] = "orders-prod"
    path.write_text(json.dumps(data, indent=1))
    found = [f for f in run_rule(PhysicalNames, root, root)
             if f.stack == "Prod/Api" and f.logical_id == "OrdersTable315BB997"]
    assert [(f.severity, f.message) for f in found] == [(
        "info", "AWS::DynamoDB::Table OrdersTable315BB997 has the literal TableName "
        "'orders-prod': the name includes its stage (prod) and is unique per account and "
        "region, so other stages and regions do not collide; only a change that replaces the "
        "resource fails with 'already exists'")]


def test_name_scopes_of_the_types_added_for_the_guard_rule(tmp_path):
    tpl = resources(
        Sg={"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupName": "web", "GroupDescription": "web", "VpcId": {"Ref": "Vpc"}}},
        Key={"Type": "AWS::ApiGateway::ApiKey", "Properties": {"Name": "partner"}},
        Lb={"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Name": "web"}},
        Group={"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": {
            "ApplicationName": {"Ref": "App"}, "ServiceRoleArn": "r",
            "DeploymentGroupName": "orders"}},
        Search={"Type": "AWS::OpenSearchService::Domain", "Properties": {"DomainName": "logs"}},
    )
    found = {f.logical_id: f for f in run_rule(PhysicalNames, tpl, tmp_path)}
    assert sorted(found) == ["Group", "Key", "Lb", "Search", "Sg"]
    assert found["Sg"].message.endswith(
        "'web': names are unique per VPC: another copy of this stack in the same VPC (a second "
        "stage there) fails with 'already exists', and any change that replaces the resource "
        "fails with 'already exists' (the new one cannot take the old one's name)")
    assert found["Key"].message.endswith(
        "'partner': names of this type need not be unique, but CloudFormation cannot replace a "
        "resource with a custom name: any change that requires replacement fails")
    assert found["Key"].severity == "info" and found["Sg"].severity == "warning"
    assert "same account and region" in found["Lb"].message
