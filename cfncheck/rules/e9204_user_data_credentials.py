"""E9204: credentials written in EC2 user data."""

from __future__ import annotations

import base64
import binascii
from typing import Iterable

import re2

from ..checks import Hit, ScanContext
from . import _base
from ._credentials import ACCESS_KEY_ID

#: where user data lives, per resource type
USER_DATA = {
    "AWS::EC2::Instance": ("Properties", "UserData"),
    "AWS::EC2::LaunchTemplate": ("Properties", "LaunchTemplateData", "UserData"),
    "AWS::AutoScaling::LaunchConfiguration": ("Properties", "UserData"),
}
#: stands for a value CloudFormation fills in (Ref, GetAtt, ...): never part of a credential
HOLE = "\x00"
MAX_TEXT = 64 * 1024  # EC2 user data is at most 16 KB once decoded

# RE2 (linear time); only unmistakable shapes, never entropy guesses
SECRET_ACCESS_KEY = re2.compile(
    r"(?i)(aws_?secret_?access_?key)[\"']?\s*[=:]\s*[\"']?[A-Za-z0-9/+]{40}(?:[^A-Za-z0-9/+]|$)")
# NAME=value / NAME: value where NAME ends in password or passwd and the value is a literal:
# not a shell or Fn::Sub variable ($X, ${X}), a command substitution, a dynamic reference or a
# value CloudFormation fills in
PASSWORD = re2.compile(
    r"(?i)(?:^|[^a-z0-9_.-])([a-z0-9_.-]*(?:password|passwd))[\"']?[ \t]*[=:][ \t]*[\"']?"
    r"([^\s\"'$&;|<>{}()`\x00]{3,})")
NOT_PASSWORDS = {"true", "false", "null", "none", "yes", "no"}


def user_data_text(value, depth: int = 0) -> list[str]:
    """The texts the user data can be: literal parts kept, intrinsic values as HOLE, a base64
    literal decoded (CloudFormation passes it as is), each ``Fn::If`` branch a text of its own.
    """
    if depth > 20:
        return [HOLE]
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Fn::Base64":
            return user_data_text(arg, depth + 1)
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 \
                and isinstance(arg[0], str) and isinstance(arg[1], list):
            texts = [""]
            for i, part in enumerate(arg[1]):
                options = user_data_text(part, depth + 1)
                texts = [t + (arg[0] if i else "") + o for t in texts for o in options][:8]
            return texts
        if fn == "Fn::Sub":
            template = arg[0] if isinstance(arg, list) and arg else arg
            return [template] if isinstance(template, str) else [HOLE]
        if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
            return [*user_data_text(arg[1], depth + 1), *user_data_text(arg[2], depth + 1)][:8]
    return [HOLE]


def decoded(text: str) -> str:
    """A plain base64 literal decoded (UserData given already encoded), else the text."""
    compact = "".join(text.split())
    if len(compact) < 8 or len(compact) % 4:
        return text
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return text


def credentials(text: str) -> list[str]:
    """What kinds of credential the text holds, in order, without their values."""
    text = text[:MAX_TEXT]
    found = []
    m = ACCESS_KEY_ID.search(text)
    if m:
        found.append(f"an AWS access key id ({m.group(1)[:4]}...)")
    m = SECRET_ACCESS_KEY.search(text)
    if m:
        found.append(f"an AWS secret access key ({m.group(1)}=...)")
    for m in PASSWORD.finditer(text):
        if m.group(2).lower() not in NOT_PASSWORDS:
            found.append(f"a literal password ({m.group(1)[-40:]}=...)")
            break
    return found


class UserDataCredentials(_base.CfncheckRule):
    """The user data of EC2 instances, launch templates and Auto Scaling launch configurations
    holds no credential: an AWS access key id (``AKIA...``/``ASIA...``), an AWS secret access key
    assigned to ``aws_secret_access_key``, or a literal assigned to a name ending in
    ``password``/``passwd`` (``DB_PASSWORD=hunter2``, ``password: hunter2``).

    The text is the user data as CloudFormation passes it: the literal parts of ``Fn::Base64``,
    ``Fn::Join`` and ``Fn::Sub`` (values filled in by ``Ref``/``GetAtt`` and ``${...}``
    variables are not literals and never match), each branch of ``Fn::If``, and a plain
    base64 literal decoded. Only these unmistakable shapes are reported, never a guess from
    a string's entropy: a value read at boot (``$(aws secretsmanager get-secret-value ...)``,
    ``$DB_PASSWORD``, ``{{resolve:...}}``) is fine. The message names the kind of credential
    and the variable, never the value.
    """

    id = "E9204"
    shortdesc = "Credentials in EC2 user data"
    description = "EC2 user data must not contain access keys or passwords"
    source_url = ("https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/"
                  "instancedata-add-user-data.html")
    tags = ["security", "secrets"]
    category = "secrets"
    security_severity = 8.0
    remediation = ("Give the instance a role (CDK ec2.Instance creates one) instead of access "
                   "keys, and read other secrets at boot from Secrets Manager or SSM Parameter "
                   "Store; rotate the credential that was exposed.")
    rationale = ("User data is stored in the template, the CDK asset bucket and the "
                 "instance's attributes: anyone who can read the template or call "
                 "ec2:DescribeInstanceAttribute, and every process on the instance through the "
                 "metadata service, can read it.")
    fix_example = (
        "secret = secretsmanager.Secret.from_secret_name_v2(self, \"Db\", \"prod/db\")\n"
        "secret.grant_read(instance)\n"
        "instance.user_data.add_commands(\n"
        "    f\"export DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id "
        "{secret.secret_name} --query SecretString --output text)\")")
    bad_example = ('"UserData": {"Fn::Base64": "#!/bin/bash\\nexport AWS_ACCESS_KEY_ID='
                   'AKIAIOSFODNN7EXAMPLE\\n..."}')

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        for lid, res in stack.resources.items():
            where = USER_DATA.get(res.get("Type")) if isinstance(res, dict) else None
            if where is None:
                continue
            value = res
            for key in where:
                value = value.get(key) if isinstance(value, dict) else None
            if value is None:
                continue
            found: list[str] = []
            for text in user_data_text(value):
                for kind in credentials(decoded(text)) + credentials(text):
                    if kind not in found:
                        found.append(kind)
            if not found:
                continue
            severity, suffix = _base.cdk_internal(stack, lid)
            yield Hit(stack, lid, ("Resources", lid, *where),
                      f"{res['Type']} {lid} writes {' and '.join(found)} in its user data, "
                      "readable by anyone who can read the template or the instance's "
                      f"attributes{suffix}",
                      key="|".join(k.split(" (")[0] for k in found), severity=severity)
