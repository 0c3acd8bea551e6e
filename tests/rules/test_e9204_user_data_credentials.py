"""E9204 (cfncheck/rules/e9204_user_data_credentials.py): credentials in EC2 user data."""

from __future__ import annotations

import base64

import pytest

from cfncheck.engine import scan
from cfncheck.rules.e9204_user_data_credentials import UserDataCredentials
from tests.rules.helpers import only, resources, run_rule
from tests.samples import PLATFORM

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def instance(user_data) -> dict:
    return {"Type": "AWS::EC2::Instance",
            "Properties": {"ImageId": "ami-1", "SubnetId": "subnet-1", "UserData": user_data}}


def messages(tmp_path, **res) -> dict:
    return {f.logical_id: f.message
            for f in run_rule(UserDataCredentials, resources(**res), tmp_path)}


def test_access_keys_in_cdk_user_data_and_a_base64_literal(tmp_path):
    script = f"#!/bin/bash\nexport AWS_ACCESS_KEY_ID={KEY_ID}\n" \
             f"export AWS_SECRET_ACCESS_KEY={SECRET}\n"
    found = messages(
        tmp_path,
        AddCommands=instance({"Fn::Base64": script}),   # instance.user_data.add_commands(...)
        Encoded=instance(base64.b64encode(script.encode()).decode()),
        Template={"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "UserData": {"Fn::Base64": {"Fn::Join": ["", ["#!/bin/bash\nKEY=", KEY_ID, "\n"]]}}}}},
        Config={"Type": "AWS::AutoScaling::LaunchConfiguration",
                "Properties": {"UserData": {"Fn::Base64": {"Fn::Sub": f"KEY={KEY_ID}"}}}})
    assert found["AddCommands"] == (
        "AWS::EC2::Instance AddCommands writes an AWS access key id (AKIA...) and an AWS secret "
        "access key (AWS_SECRET_ACCESS_KEY=...) in its user data, readable by anyone who can "
        "read the template or the instance's attributes")
    assert found["Encoded"] == found["AddCommands"].replace("AddCommands", "Encoded")
    assert found["Template"].startswith(
        "AWS::EC2::LaunchTemplate Template writes an AWS access key id (AKIA...) in its")
    assert found["Config"].startswith("AWS::AutoScaling::LaunchConfiguration Config writes an")
    for message in found.values():  # the credential itself is never repeated
        assert KEY_ID not in message and SECRET not in message


@pytest.mark.parametrize("line, reported", [
    ("DB_PASSWORD=hunter22", True),
    ("  password: 'S3cr3t!x'", True),
    ("mysql --user=app --passwd=letmein", True),
    ("export DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db)", False),
    ("export DB_PASSWORD=$DB_SECRET", False),
    ("password=${DbPassword}", False),          # an Fn::Sub variable
    ("password={{resolve:secretsmanager:db}}", False),
    ("PasswordAuthentication no", False),
    ("ssh_pwauth: false", False),
    ("password: true", False),
    ("password_file=/run/secrets/db", False),
    (f"export AWS_SECRET_ACCESS_KEY={SECRET[:20]}", False),  # not a key's shape
    ("export AWS_ACCESS_KEY_ID=FOO", False),
    ("curl https://example.com/AKIA", False),
])
def test_password_and_key_shapes(tmp_path, line, reported):
    found = messages(tmp_path, Host=instance({"Fn::Base64": {"Fn::Sub": f"#!/bin/bash\n{line}\n"}}))
    assert ("Host" in found) is reported, found


def test_values_cloudformation_fills_in_are_not_literals(tmp_path):
    joined = {"Fn::Base64": {"Fn::Join": ["", [
        "#!/bin/bash\nexport DB_PASSWORD=", {"Ref": "DbPassword"},
        "\necho ECS_CLUSTER=", {"Ref": "Cluster"}, " >> /etc/ecs/ecs.config\n"]]}}
    branches = {"Fn::Base64": {"Fn::If": ["IsProd", "#!/bin/bash\n", f"KEY={KEY_ID}\n"]}}
    found = messages(tmp_path, Joined=instance(joined), Branches=instance(branches),
                     NoUserData={"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "a"}})
    assert list(found) == ["Branches"]  # a credential in either branch of Fn::If


def test_platform_sample_user_data_is_clean():
    result = scan([PLATFORM], checks=[UserDataCredentials()])
    assert only(result.findings, "E9204") == []


def test_finding_points_at_the_user_data(tmp_path):
    [f] = run_rule(UserDataCredentials, resources(Host=instance({"Fn::Base64": f"K={KEY_ID}"})),
                   tmp_path)
    assert (f.rule_id, f.severity, f.path) == (
        "E9204", "error", ("Resources", "Host", "Properties", "UserData"))
