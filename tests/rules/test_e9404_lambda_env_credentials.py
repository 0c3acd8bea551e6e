"""E9404 (cfncheck/rules/e9404_lambda_env_credentials.py): credentials in Lambda environment
variables (clear patterns only)."""

from __future__ import annotations

from cfncheck.rules.e9404_lambda_env_credentials import LambdaEnvCredentials
from tests.rules.helpers import only, resources, run_rule


def _fn(variables):
    return {"Type": "AWS::Lambda::Function", "Properties": {
        "Handler": "index.handler", "Runtime": "python3.12", "Role": "arn:aws:iam::1:role/r",
        "Code": {"ZipFile": "x"}, "Environment": {"Variables": variables}}}


def test_clear_credentials_are_reported_without_their_value(tmp_path):
    tpl = resources(
        Keys=_fn({"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                  "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}),
        Joined=_fn({"CONFIG": {"Fn::Join": ["", ["key=", "ASIAY34FZKBOKMUTVV7A", ";region=",
                                                 {"Ref": "AWS::Region"}]]}}),
        Pem=_fn({"SIGNING": "-----BEGIN RSA PRIVATE KEY-----\nMIIEow..."}),
        Named=_fn({"DB_PASSWORD": "hunter2-hunter2", "STRIPE_API_KEY": "sk_live_abc123"}),
        Camel=_fn({"dbPassword": "hunter2-hunter2", "signing-key": "k3y"}),
    )
    found = run_rule(LambdaEnvCredentials, tpl, tmp_path)
    assert [(f.logical_id, f.key, f.severity) for f in found] == [
        ("Keys", "env:AWS_ACCESS_KEY_ID", "error"),
        ("Keys", "env:AWS_SECRET_ACCESS_KEY", "error"),
        ("Joined", "env:CONFIG", "error"),
        ("Pem", "env:SIGNING", "error"),
        ("Named", "env:DB_PASSWORD", "error"),
        ("Named", "env:STRIPE_API_KEY", "error"),
        ("Camel", "env:dbPassword", "error"),
        ("Camel", "env:signing-key", "error"),
    ]
    assert found[0].message == ("AWS::Lambda::Function Keys environment variable "
                                "AWS_ACCESS_KEY_ID holds an AWS access key id written into the "
                                "template")
    assert found[4].message.endswith("DB_PASSWORD holds a literal value, and its name says it "
                                     "is a credential written into the template")
    assert not any("hunter2" in f.message or "AKIA" in f.message for f in found)


def test_references_to_secrets_and_non_credentials_pass(tmp_path):
    tpl = resources(Fine=_fn({
        "DB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf",
        "APP_PRIVATE_KEY_SECRET_NAME": "my-secret",          # names the secret
        "API_TOKEN_PARAMETER_PATH": "/prod/partner/token",
        "TOKEN": {"Ref": "TokenSecret"},                       # a reference, not a literal
        "PASSWORD": "{{resolve:secretsmanager:db:SecretString:password}}",
        "TOKEN_TTL": "3600",
        "SECRET_ROTATION": "true",
        "TOKEN_ENDPOINT": "https://auth.example.com/token",
        "STAGE": "prod",
        "HANDLER": "handler.handlerverylongcustomhandlernameforservi",
        "TAGS": "git.commit.sha:55e7e7703f17c41f276caf8f1a1b744d674259f8",
        "EMPTY_SECRET": "",
        "TOKEN_AUDIENCE": "orders-api",                      # describes the token
        "TOKENIZER": "bert-base-uncased",                    # not the word TOKEN
        "MAX_TOKENS": "1024",
        "SECRETARY_EMAIL": "ops@example.com",
    }))
    assert run_rule(LambdaEnvCredentials, tpl, tmp_path) == []


def test_samples_have_none(sample_findings):
    assert only(sample_findings["defective"], "E9404") == []
    assert only(sample_findings["fixed"], "E9404") == []
