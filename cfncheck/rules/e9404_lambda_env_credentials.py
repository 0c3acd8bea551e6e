"""E9404: credentials written into a Lambda function's environment variables."""

from __future__ import annotations

from typing import Iterable

import re2

from ..checks import Hit, ScanContext
from . import _base
from ._credentials import ACCESS_KEY_ID, PRIVATE_KEY

#: an AWS access key id (long-term AKIA, temporary ASIA): 4 letters and 16 base32 characters
#: words of a variable name that say the value is a credential ...
_SECRET_WORDS = {"PASSWORD", "PASSWD", "PASSPHRASE", "PWD", "SECRET", "TOKEN", "APIKEY",
                 "PRIVATEKEY", "ACCESSKEY", "SECRETKEY"}
_SECRET_PAIRS = {("API", "KEY"), ("PRIVATE", "KEY"), ("ACCESS", "KEY"), ("SECRET", "KEY"),
                 ("AUTH", "KEY"), ("SIGNING", "KEY"), ("ENCRYPTION", "KEY")}
#: ... unless its last word says the value names, locates or describes one (a secret's name or
#: ARN, a parameter path, a token's audience or lifetime)
_REFERENCE_WORDS = {"NAME", "NAMES", "ARN", "ARNS", "ID", "IDS", "PARAM", "PARAMETER", "PATH",
                    "URL", "URI", "ENDPOINT", "REF", "HEADER", "FIELD", "TTL", "EXPIRY",
                    "EXPIRATION", "LENGTH", "ENABLED", "REGION", "TYPE", "FILE", "AUDIENCE",
                    "ISSUER", "SCOPE", "SCOPES", "ALGORITHM", "FORMAT", "VERSION", "MODE",
                    "LOCATION", "SOURCE", "PREFIX"}
#: literal values that locate a secret, or are no credential (flags, numbers)
_REFERENCE_VALUE = re2.compile(r"(?i)^(arn:|\{\{resolve:|/|ssm:|secretsmanager:|https?://|"
                               r"true$|false$|none$|null$|[0-9]+$)")


class LambdaEnvCredentials(_base.CfncheckRule):
    """Lambda functions (``AWS::Lambda::Function``) whose ``Environment.Variables`` hold a
    credential written into the template. Only clear patterns are reported, never guesses
    from a value's entropy:

    * an AWS access key id (``AKIA``/``ASIA`` followed by 16 characters) anywhere in a value,
      literal or inside ``Fn::Join``/``Fn::Sub``;
    * a private key (``-----BEGIN ... PRIVATE KEY-----``);
    * a variable whose name says it holds a credential (a word ``PASSWORD``, ``SECRET``,
      ``TOKEN``, ``PWD``, or ``API_KEY``, ``PRIVATE_KEY``, ``ACCESS_KEY``, ``SIGNING_KEY``...; words
      split at ``_``, ``-`` and camelCase: ``dbPassword``) set to a literal string, unless its
      last word says the value names, locates or describes the credential (``DB_SECRET_ARN``,
      ``API_KEY_SECRET_NAME``, ``TOKEN_PARAMETER_PATH``, ``..._ID``, ``..._URL``,
      ``TOKEN_AUDIENCE``, ``TOKEN_TTL``) or the value does (an ARN, a ``{{resolve:...}}``
      dynamic reference, an SSM path, a URL), or is a
      number or a flag (``TOKEN_TTL: "3600"``).

    A value built with ``Ref``/``Fn::GetAtt`` (a secret's ARN or name passed to the code) is
    the right way and is not reported. The message names the variable and the pattern, never
    the value. Functions CDK creates for itself are reported at info level.
    """

    id = "E9404"
    shortdesc = "Credential in a Lambda environment variable"
    description = ("Lambda environment variables must not hold credentials written into the "
                   "template: pass a secret's ARN or name and read it at run time")
    source_url = ("https://docs.aws.amazon.com/lambda/latest/dg/"
                  "configuration-envvars.html#configuration-envvars-secrets")
    tags = ["security", "lambda", "secrets"]
    category = "lambda"
    security_severity = 8.0
    remediation = ("Store the credential in Secrets Manager (or an SSM SecureString), pass "
                   "its ARN or name in the environment, grant the function read access and "
                   "fetch it at run time (the AWS Parameters and Secrets Lambda Extension "
                   "caches it). AWS access keys are never needed: the function's execution "
                   "role provides credentials. Rotate a credential that was committed.")
    rationale = ("A literal value is stored in the synthesized template, the CDK asset bucket, "
                 "CloudFormation's console and the source repository, and shown by the Lambda "
                 "console and GetFunctionConfiguration to anyone allowed to read the "
                 "function's configuration.")
    fix_example = (
        "secret = secretsmanager.Secret.from_secret_name_v2(self, \"ApiToken\", "
        "\"prod/partner/token\")\n"
        "fn = lambda_.Function(self, \"Worker\", ...,\n"
        "    environment={\"API_TOKEN_SECRET_ARN\": secret.secret_arn})\n"
        "secret.grant_read(fn)")
    bad_example = ('"Environment": {"Variables": {"API_TOKEN": "tok_live_5f2b9c...",\n'
                   '                              "AWS_ACCESS_KEY_ID": "AKIA..."}}')

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        for lid, res in stack.resources.items():
            if not isinstance(res, dict) or res.get("Type") != "AWS::Lambda::Function":
                continue
            props = res.get("Properties")
            env = props.get("Environment") if isinstance(props, dict) else None
            variables = env.get("Variables") if isinstance(env, dict) else None
            if not isinstance(variables, dict):
                continue
            for name, value in variables.items():
                what = _credential(str(name), value)
                if what is None:
                    continue
                severity, suffix = _base.cdk_internal(stack, lid)
                yield Hit(stack, lid,
                          ("Resources", lid, "Properties", "Environment", "Variables", name),
                          f"AWS::Lambda::Function {lid} environment variable {name} holds "
                          f"{what} written into the template{suffix}",
                          key=f"env:{name}", severity=severity)


def _credential(name: str, value: object) -> str | None:
    """What credential the variable holds (for the message), or None."""
    strings = list(_strings(value))
    if any(ACCESS_KEY_ID.search(s) for s in strings):
        return "an AWS access key id"
    if any(PRIVATE_KEY.search(s) for s in strings):
        return "a private key"
    if isinstance(value, str) and value.strip() and _credential_name(name) \
            and not _REFERENCE_VALUE.search(value.strip()):
        return "a literal value, and its name says it is a credential"
    return None


def _credential_name(name: str) -> bool:
    """The name's words (``DB_PASSWORD``, ``dbPassword``, ``api-key``) say it holds a credential
    and its last word does not say it only names or describes one (``DB_SECRET_ARN``)."""
    words = _words(name)
    if not words or words[-1] in _REFERENCE_WORDS:
        return False
    return any(w in _SECRET_WORDS for w in words) or any(
        pair in _SECRET_PAIRS for pair in zip(words, words[1:], strict=False))


def _words(name: str) -> list[str]:
    """Upper-case words of a variable name: split at non-alphanumerics and camelCase humps."""
    words, cur = [], ""
    for i, ch in enumerate(name[:256]):
        if not ch.isalnum():
            if cur:
                words.append(cur)
            cur = ""
            continue
        if cur and ch.isupper() and name[i - 1].islower():
            words.append(cur)
            cur = ""
        cur += ch
    if cur:
        words.append(cur)
    return [w.upper() for w in words]


def _strings(value: object, depth: int = 0) -> Iterable[str]:
    """Every string in the value, inside intrinsic functions too (bounded depth)."""
    if isinstance(value, str):
        yield value
    elif depth < 8 and isinstance(value, dict):
        for v in value.values():
            yield from _strings(v, depth + 1)
    elif depth < 8 and isinstance(value, list):
        for v in value:
            yield from _strings(v, depth + 1)
