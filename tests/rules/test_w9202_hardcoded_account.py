"""W9202 (cfncheck/rules/w9202_hardcoded_account.py): literal account ids that duplicate what
the template could reference; the others at info with the reason."""

from __future__ import annotations

from cfncheck.rules.w9201_hardcoded_region import HardcodedRegion
from cfncheck.rules.w9202_hardcoded_account import HardcodedAccount
from tests.rules.helpers import DEFECTIVE, PLAIN, line_text, only, resources, run_rule

POLICY = "WorkerFunctionServiceRoleDefaultPolicy07D8276A"


def test_defective_sample_reports_the_arn_of_its_own_topic(sample_findings):
    found = [f for f in only(sample_findings["defective"], "W9202") if f.stack == "Prod/Api"]
    assert [(f.logical_id, f.path[-1], f.severity) for f in found] == [
        (POLICY, "Resource", "warning"),
        ("WorkerFunctionACE6A4B0", "ALERTS_TOPIC_ARN", "warning"),
    ]
    assert found[1].message == (
        "AWS::Lambda::Function WorkerFunctionACE6A4B0 Properties.Environment.Variables."
        "ALERTS_TOPIC_ARN has the literal ARN 'arn:aws:sns:eu-west-1:123456789012:alerts-topic' "
        "of AWS::SNS::Topic AlertsTopic3414BE91, which this app defines (matched by its "
        "construct id AlertsTopic; CloudFormation generates its deployed name, so the literal "
        "cannot be relied on to match it): reference the resource instead (topic.topic_arn), "
        "so the template follows its name, region and account and carries the dependency. Its "
        "literal region eu-west-1 and account id 123456789012 tie the template to one "
        "environment")
    assert '"ALERTS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:alerts-topic"' in \
        line_text(found[1])
    # the same literal is not W9201's too
    assert [f for f in only(sample_findings["defective"], "W9201")
            if f.logical_id == POLICY] == []


def test_fixed_sample_has_none(sample_findings):
    assert only(sample_findings["fixed"], "W9202") == []


def test_other_accounts_and_configuration_are_info(tmp_path):
    tpl = resources(
        Perm={"Type": "AWS::Lambda::Permission", "Properties": {
            "Action": "lambda:InvokeFunction", "FunctionName": "f",
            "Principal": "s3.amazonaws.com", "SourceAccount": "111122223333"}},
        Fn={"Type": "AWS::Lambda::Function", "Properties": {
            "Layers": ["arn:aws:lambda:eu-west-1:017000801446:layer:"
                       "AWSLambdaPowertoolsPythonV3-python313-arm64:7"],
            "Environment": {"Variables": {
                "IMAGE": "444455556666.dkr.ecr.eu-west-1.amazonaws.com/app:1",
                "BUILD": "202401011200",
                "SECRET": "arn:aws:secretsmanager:eu-west-1:777788889999:secret:db-AbCdEf",
            }}}},
        Key={"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "999988887777"}, "Action": "kms:*",
             "Resource": "*"}]}}},
    )
    found = run_rule(HardcodedAccount, tpl, tmp_path)
    assert [(f.logical_id, f.key.rsplit("|", 1)[1], f.severity) for f in found] == [
        ("Perm", "111122223333", "info"), ("Fn", "444455556666", "info"),
        ("Fn", "777788889999", "info"), ("Key", "999988887777", "info")]
    assert "it is the ARN of a secret that this app does not define: a configuration value (pass " \
        "it in as context or a parameter), which AWS::Region / AWS::AccountId alone cannot " \
        "rebuild" in found[2].message
    assert "AWS::AccountId" not in found[2].message.split("alone cannot")[1]
    assert run_rule(HardcodedAccount, tpl, tmp_path,
                    params={"allow": ["111122223333", "444455556666", "777788889999",
                                      "999988887777"]}) == []


def test_own_account_and_own_table_arn(tmp_path):
    table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
    tpl = resources(
        Orders={"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "orders"}},
        Fn={"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {
            "TABLE_ARN": table_arn, "TABLE_INDEX": table_arn + "/index/byDate"}}}},
        Perm={"Type": "AWS::Lambda::Permission", "Properties": {
            "SourceAccount": "123456789012"}},
        Trust={"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                           "Principal": {"AWS": "arn:aws:iam::210987654321:root"}}]}}},
    )
    found = {(f.logical_id, f.path[-1]): f for f in run_rule(HardcodedAccount, tpl, tmp_path)}
    assert sorted((k, f.severity) for k, f in found.items()) == [
        (("Fn", "TABLE_ARN"), "warning"), (("Perm", "SourceAccount"), "warning"),
        (("Trust", "AWS"), "info")]
    # one resource, one literal table ARN (also with an index suffix): one finding
    assert found[("Fn", "TABLE_ARN")].message.startswith(
        "AWS::Lambda::Function Fn Properties.Environment.Variables.TABLE_ARN (also in "
        "Properties.Environment.Variables.TABLE_INDEX) has the literal ARN "
        f"'{table_arn}' of AWS::DynamoDB::Table Orders, which this app defines (matched by its "
        "name 'orders'): reference the resource instead (table.table_arn)")
    assert found[("Perm", "SourceAccount")].message.endswith(
        "123456789012 is this stack's own account (the ARN of its own AWS::DynamoDB::Table "
        "Orders shows it): use AWS::AccountId (Stack.of(self).account)")
    assert found[("Trust", "AWS")].message.endswith(
        "it is the root principal of account 210987654321, another account than this "
        "stack's: a cross-account trust or target is a design, not a defect")
    assert run_rule(HardcodedRegion, tpl, tmp_path) == []  # one literal, one finding


def test_the_account_of_an_environment_bound_stack_is_not_reported(assembly_copy):
    root = assembly_copy(DEFECTIVE)
    manifest = root / "assembly-Dev" / "manifest.json"
    manifest.write_text(manifest.read_text().replace(
        "aws://unknown-account/unknown-region", "aws://210987654321/us-east-1"))
    found = run_rule(HardcodedAccount, root, root)
    # in Dev (another account) the ARN cannot be its own topic: another account's, at info
    assert sorted((f.stack, f.severity) for f in found) == [
        ("Dev/Api", "info"), ("Dev/Api", "info"), ("Prod/Api", "warning"),
        ("Prod/Api", "warning")]


def test_cfn_lint(cfnlint_matches):
    assert [m[:2] for m in cfnlint_matches[str(PLAIN)] if m[0] == "W9202"] == [("W9202", 57)]


def test_literal_parts_of_joins_are_judged_with_the_whole_value(tmp_path):
    # the shapes CDK writes for LayerVersion.from_layer_version_arn(f"...{Stack.of(self)
    # .region}:017000801446:...") and iam.AccountPrincipal("999988887777")
    tpl = resources(
        Fn={"Type": "AWS::Lambda::Function", "Properties": {"Layers": [{"Fn::Join": ["", [
            "arn:aws:lambda:", {"Ref": "AWS::Region"},
            ":017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:7"]]}]}},
        Role={"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
                "AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                          ":iam::999988887777:root"]]}}}]}}},
    )
    found = run_rule(HardcodedAccount, tpl, tmp_path)
    assert [(f.logical_id, f.severity) for f in found] == [("Role", "info")]
    assert "999988887777 in 'arn:${AWS::Partition}:iam::999988887777:root': not a defect as " \
        "far as cfncheck can tell: it is the root principal of account 999988887777" in \
        found[0].message


def test_an_own_table_matched_by_its_construct_id(tmp_path):
    # CloudFormation generates the table's name; the construct id OrdersTable names it
    tpl = resources(
        OrdersTable315BB997={"Type": "AWS::DynamoDB::Table", "Properties": {},
                             "Metadata": {"aws:cdk:path": "App/OrdersTable/Resource"}},
        Fn={"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {
            "TABLE_ARN": "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}}}},
    )
    found = run_rule(HardcodedAccount, tpl, tmp_path)
    assert [(f.logical_id, f.severity) for f in found] == [("Fn", "warning")]
    assert "of AWS::DynamoDB::Table OrdersTable315BB997, which this app defines (matched by " \
        "its construct id OrdersTable; CloudFormation generates its deployed name" in \
        found[0].message
