"""E9105 (cfncheck/rules/e9105_public_principal.py): Principal "*" without a condition."""

from __future__ import annotations

from pathlib import Path

from cfncheck.rules.e9105_public_principal import PublicPrincipal
from tests.rules.helpers import FIXED, PLAIN, PROD_API, only, policy, resources, run_rule

#: real CDK output: the default EFS policy and add_function_url (tests/fixtures/generated_iam_app)
GENERATED_IAM_APP = Path(__file__).parents[1] / "fixtures" / "generated_iam_app" / "cdk.out"


def test_samples_have_none_even_with_ssl_deny_and_key_policy(sample_findings):
    assert only(sample_findings["defective"], "E9105") == []
    assert only(sample_findings["fixed"], "E9105") == []
    text = (FIXED / PROD_API).read_text()
    assert '"Principal": "*"' in text and '"aws:SecureTransport": "false"' in text


def test_public_allow_needs_a_restricting_condition(tmp_path):
    def bucket_policy(*stmts):
        return policy(*stmts, rtype="AWS::S3::BucketPolicy", Bucket="b")

    base = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    tpl = resources(B=bucket_policy(
        {**base, "Principal": "*"},
        {**base, "Principal": {"AWS": ["*"]},
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {**base, "Principal": {"AWS": "*"},
         "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}},
        {**base, "Principal": {"AWS": "*"},
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}},
        {**base, "Principal": {"AWS": "*"},
         "Condition": {"ArnLike": {"aws:SourceArn": {
             "Fn::Sub": "arn:aws:cloudfront::${AWS::AccountId}:distribution/X"}}}},
        {**base, "Principal": {"AWS": "*"},
         "Condition": {"StringLike": {"aws:SourceAccount": "*"}}},
        {**base, "Principal": {"Service": "cloudfront.amazonaws.com"}},
        {**base, "Effect": "Deny", "Principal": "*"},
    ))
    found = run_rule(PublicPrincipal, tpl, tmp_path)
    assert [f.path[-1] for f in found] == [0, 1, 2, 5]
    assert found[0].message == ('AWS::S3::BucketPolicy B PolicyDocument Statement[0] allows '
                                'Principal "*" to s3:GetObject on arn:aws:s3:::b/*')
    assert "its condition keys aws:SecureTransport do not restrict the caller" in found[1].message
    assert all(f.severity == "error" for f in found)


def test_efs_mount_target_condition_restricts_forallvalues_does_not(tmp_path):
    """CDK's default file-system policy (real output of the fixture app): ClientRootAccess and
    ClientWrite to AWS "*" only via a mount target, i.e. from inside the VPC."""
    assert [f for f in run_rule(PublicPrincipal, GENERATED_IAM_APP, tmp_path)
            if f.stack in ("EfsDefaultPolicy", "FunctionUrls")] == []
    base = {"Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]}
    tpl = resources(Fs={"Type": "AWS::EFS::FileSystem", "Properties": {"FileSystemPolicy": {
        "Version": "2012-10-17", "Statement": [
            {**base, "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}},
            {**base, "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "false"}}},
            {**base, "Condition": {"StringEquals": {
                "elasticfilesystem:AccessedViaMountTarget": "true"}}},
            {**base, "Condition": {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-1"}}},
            {**base, "Condition": {"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-1"}}},
        ]}}})
    found = run_rule(PublicPrincipal, tpl, tmp_path)
    assert [f.path[-1] for f in found] == [1, 2, 3]
    assert "its condition keys aws:PrincipalOrgID do not restrict the caller" in found[2].message


def test_function_url_permissions_belong_to_the_url(tmp_path):
    """CDK's two permissions of add_function_url(auth_type=NONE) (FunctionUrlAuthType NONE,
    and lambda:InvokeFunction with InvokedViaFunctionUrl) are the URL's: CC-LAMBDA-004 reports
    AuthType NONE there, once. Principal "*" through an AWS_IAM URL admits every account."""
    def perm(fn, **props):
        return {"Type": "AWS::Lambda::Permission", "Properties": {
            "Action": "lambda:InvokeFunction", "Principal": "*",
            "FunctionName": {"Fn::GetAtt": [fn, "Arn"]}, **props}}

    def url(fn, auth):
        return {"Type": "AWS::Lambda::Url", "Properties": {
            "AuthType": auth, "TargetFunctionArn": {"Fn::GetAtt": [fn, "Arn"]}}}

    tpl = resources(
        PublicUrl=url("Public", "NONE"),
        PublicViaUrl=perm("Public", InvokedViaFunctionUrl=True),
        PublicUrlPerm=perm("Public", Action="lambda:InvokeFunctionUrl",
                           FunctionUrlAuthType="NONE"),
        SignedUrl=url("Signed", "AWS_IAM"),
        SignedViaUrl=perm("Signed", InvokedViaFunctionUrl=True),
        SignedUrlPerm=perm("Signed", Action="lambda:InvokeFunctionUrl",
                           FunctionUrlAuthType="AWS_IAM"),
        NoUrlViaUrl=perm("Elsewhere", InvokedViaFunctionUrl=True),
    )
    found = run_rule(PublicPrincipal, tpl, tmp_path)
    assert [f.logical_id for f in found] == ["SignedViaUrl", "SignedUrlPerm"]
    # with CC-LAMBDA-004 off, the NONE permission is the one finding for the public URL
    from cfncheck.config import Config
    from cfncheck.engine import scan

    off = scan([tmp_path / "template.json"], checks=[PublicPrincipal()],
               config=Config(data={"rules": {"disable": ["CC-LAMBDA-004"]}})).findings
    assert [f.logical_id for f in off] == ["PublicUrlPerm", "SignedViaUrl", "SignedUrlPerm"]
    assert found[0].message == (
        "AWS::Lambda::Permission SignedViaUrl lets principals of every AWS account invoke the "
        "function through its AWS_IAM function URL: Principal \"*\" without SourceArn, "
        "SourceAccount or PrincipalOrgID")


def test_trust_key_topic_policies_and_identity_policies(tmp_path):
    tpl = resources(
        Role={"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                           "Action": "sts:AssumeRole"}]}}},
        Key=policy({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}},
                   rtype="AWS::KMS::Key", prop="KeyPolicy"),
        Topic=policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:Publish",
                      "Resource": {"Ref": "T"}}, rtype="AWS::SNS::TopicPolicy", Topics=["t"]),
        P=policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
    )
    found = run_rule(PublicPrincipal, tpl, tmp_path)
    assert [(f.logical_id, f.path[3]) for f in found] == [
        ("Role", "AssumeRolePolicyDocument"), ("Topic", "PolicyDocument")]


def test_lambda_permissions(tmp_path):
    def perm(**props):
        return {"Type": "AWS::Lambda::Permission",
                "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": "f", **props}}

    tpl = resources(
        Open=perm(Principal="*"),
        Url=perm(Principal="*", Action="lambda:InvokeFunctionUrl", FunctionUrlAuthType="NONE"),
        Scoped=perm(Principal="*", SourceAccount={"Ref": "AWS::AccountId"}),
        Layer={"Type": "AWS::Lambda::LayerVersionPermission",
               "Properties": {"Action": "lambda:GetLayerVersion", "LayerVersionArn": "x",
                              "Principal": "*"}},
    )
    found = run_rule(PublicPrincipal, tpl, tmp_path)
    # no AWS::Lambda::Url in the template: the permission is the finding for the public URL
    assert [(f.logical_id, f.path[-1]) for f in found] == [
        ("Open", "Principal"), ("Url", "Principal"), ("Layer", "Principal")]
    assert found[0].message == ("AWS::Lambda::Permission Open grants lambda:InvokeFunction to "
                                "anyone: Principal \"*\" without SourceArn, SourceAccount or "
                                "PrincipalOrgID")
    assert "makes the function URL public (FunctionUrlAuthType NONE)" in found[1].message
    assert "shares the layer with every AWS account" in found[2].message


def test_cfn_lint(cfnlint_matches):
    assert [m[:2] for m in cfnlint_matches[str(PLAIN)] if m[0] == "E9105"] == [("E9105", 76)]


def test_lambda_permissions_for_service_principals_need_a_source(tmp_path):
    """Confused deputy: checkov CKV_AWS_364, guard LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED."""
    def perm(principal, **props):
        return {"Type": "AWS::Lambda::Permission",
                "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": "f",
                               "Principal": principal, **props}}

    arn = {"Fn::GetAtt": ["Bucket", "Arn"]}
    tpl = resources(
        Sns=perm("sns.amazonaws.com"),
        ApiRegional=perm({"Fn::Join": ["", ["apigateway.", {"Ref": "AWS::URLSuffix"}]]}),
        S3ArnOnly=perm("s3.amazonaws.com", SourceArn=arn),
        S3Both=perm("s3.amazonaws.com", SourceArn=arn, SourceAccount={"Ref": "AWS::AccountId"}),
        S3Org=perm("s3.amazonaws.com", PrincipalOrgID="o-abc123"),
        SnsArn=perm("sns.amazonaws.com", SourceArn={"Ref": "Topic"}),
        EventsAccount=perm("events.amazonaws.com", SourceAccount="111122223333"),
        Account=perm("111122223333"),
        AccountArn=perm("arn:aws:iam::111122223333:root"),
    )
    found = run_rule(PublicPrincipal, tpl, tmp_path)
    assert sorted((f.logical_id, f.severity) for f in found) == [
        ("ApiRegional", "warning"), ("S3ArnOnly", "warning"), ("Sns", "warning")]
    by_id = {f.logical_id: f.message for f in found}
    assert by_id["Sns"] == (
        "AWS::Lambda::Permission Sns lets sns.amazonaws.com invoke the function without "
        "SourceArn, SourceAccount or PrincipalOrgID: resources of that service in any account "
        "can invoke the function (confused deputy)")
    assert "lets apigateway.amazonaws.com invoke" in by_id["ApiRegional"]
    assert "with SourceArn but no SourceAccount: bucket ARNs name no account" in \
        by_id["S3ArnOnly"]

