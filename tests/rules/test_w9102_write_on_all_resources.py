"""W9102 (cfncheck/rules/w9102_write_on_all_resources.py): write actions on Resource "*"."""

from __future__ import annotations

import re

from cfncheck.rules.w9102_write_on_all_resources import WriteOnAllResources
from tests.rules.helpers import (
    DEFECTIVE,
    FIXED,
    PLAIN,
    PROD_API,
    only,
    policy,
    resources,
    run_rule,
    statement_text,
)

POLICY = "OrdersApiFunctionServiceRoleDefaultPolicy7EA3A08B"
LOG_RETENTION = "LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aServiceRoleDefaultPolicyADDA7DEB"


def test_defective_sample_reports_the_acl_and_publish_statement_with_its_line(sample_findings):
    found = only(sample_findings["defective"], "W9102")
    assert [(f.stack, f.logical_id, f.path[-1], f.severity) for f in found] == [
        ("Dev/Api", POLICY, 1, "warning"),
        ("Dev/Api", LOG_RETENTION, 0, "info"),
        ("Prod/Api", POLICY, 1, "warning"),
        ("Prod/Api", LOG_RETENTION, 0, "info"),
    ]
    acl = found[2]
    assert acl.message == (
        f"AWS::IAM::Policy {POLICY} PolicyDocument Statement[1] (Sid \"OrdersAclAndAlerts\") "
        "allows s3:PutObjectAcl (permissions management), sns:Publish (write) on Resource '*'; "
        "these actions support resource-level permissions")
    assert acl.file.endswith(PROD_API) and acl.line > 1
    assert statement_text(acl, 1).strip() == "{"
    assert '"s3:PutObjectAcl"' in statement_text(acl, 4)
    assert found[1].message.endswith(
        "(written by aws-cdk-lib.aws_logs.LogRetention (log_retention=) at "
        "Dev/Api/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a; reported at info level)")


def test_service_wildcard_is_left_to_w9101_one_finding_per_statement(sample_findings):
    """Statement[2] is ``s3:*`` on "*": W9101 reports it, W9102 does not repeat it..."""
    by_rule = {r: [f.path[-1] for f in only(sample_findings["defective"], r)
                   if f.logical_id == POLICY and f.stack == "Prod/Api"]
               for r in ("W9101", "W9102")}
    assert by_rule == {"W9101": [2], "W9102": [1]}


def test_service_wildcard_is_reported_here_when_w9101_is_off(tmp_path):
    """...unless W9101 is disabled (or allows the pattern): then W9102 lists the write
    actions ``s3:*`` grants on "*", counted from the IAM database, permissions first."""
    from cfncheck.config import Config
    from cfncheck.engine import scan

    for cfg in (Config({"rules": {"disable": ["W9101"]}}),
                Config({"parameters": {"W9101": {"allow": ["s3:*"]}}})):
        found = [f for f in scan([DEFECTIVE], cfg, checks=[WriteOnAllResources()]).findings
                 if f.stack == "Prod/Api" and f.logical_id == POLICY]
        assert [f.path[-1] for f in found] == [1, 2]
        star = found[1].message
        count = int(re.search(r"allows (\d+) write/permissions-management/tagging actions: ",
                              star).group(1))
        assert count > 50
        assert "Statement[2] (Sid \"LegacyS3FullAccess\")" in star
        assert star.split(": ", 1)[1].split(", ")[0].endswith("(permissions management)")
        assert star.endswith(f"and {count - 8} more on Resource '*'; these actions support "
                             "resource-level permissions")


def test_fixed_sample_has_none_although_xray_is_on_star(sample_findings):
    assert only(sample_findings["fixed"], "W9102") == []
    text = (FIXED / PROD_API).read_text()
    assert '"xray:PutTraceSegments"' in text  # the statement is there, on "*"


def test_actions_without_resource_level_support_are_fine(tmp_path):
    tpl = resources(P=policy(
        {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "cloudwatch:PutMetricData",
                                       "ec2:DescribeInstances", "s3:GetObject"],
         "Resource": "*"},
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup"], "Resource": "*"},
    ))
    found = run_rule(WriteOnAllResources, tpl, tmp_path)
    assert [(f.path[-1], "logs:CreateLogGroup (write)" in f.message) for f in found] == \
        [(1, True)]


def test_resolved_all_resource_arns_and_scoping_conditions(tmp_path):
    all_buckets = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::*"]]}
    tpl = resources(P=policy(
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": all_buckets},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/team": "orders"}}},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Effect": "Allow", "Action": "s3:PutObject",
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${B}/*"}},
    ))
    found = run_rule(WriteOnAllResources, tpl, tmp_path)
    assert [f.path[-1] for f in found] == [0, 2]
    assert "on Resource 'arn:aws:s3:::*'" in found[0].message


def test_resource_policies_are_not_examined_and_allow_list(tmp_path):
    tpl = resources(
        Key=policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/x"},
                    "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"},
                   rtype="AWS::KMS::Key", prop="KeyPolicy"),
        P=policy({"Effect": "Allow", "Action": ["sns:Publish", "sqs:SendMessage"],
                  "Resource": "*"}))
    found = run_rule(WriteOnAllResources, tpl, tmp_path)
    assert [f.logical_id for f in found] == ["P"]
    allowed = run_rule(WriteOnAllResources, tpl, tmp_path, params={"allow": ["SNS:Publish"]})
    assert "sns:Publish" not in allowed[0].message and "sqs:SendMessage" in allowed[0].message


def test_cfn_lint_reports_the_app_statements_not_the_cdk_internal_one(cfnlint_matches,
                                                                       sample_findings):
    cdk = [m for m in cfnlint_matches[str(DEFECTIVE / PROD_API)] if m[0] == "W9102"]
    scanned = [f for f in only(sample_findings["defective"], "W9102")
               if f.stack == "Prod/Api" and f.severity == "warning"]
    assert sorted(m[1] for m in cdk) == sorted(f.line for f in scanned)
    assert [m for m in cfnlint_matches[str(FIXED / PROD_API)] if m[0] == "W9102"] == []
    plain = [m for m in cfnlint_matches[str(PLAIN)] if m[0] == "W9102"]
    assert [m[1] for m in plain] == [35]  # line 29, Action "*" on "*", is W9101's
