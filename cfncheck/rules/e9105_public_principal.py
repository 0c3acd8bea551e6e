"""E9105: resource policies that allow anyone (Principal "*") without a restricting condition."""

from __future__ import annotations

import re
from typing import Iterable

from .. import iam
from ..checks import Hit, ScanContext
from . import _base, _iam

_PERMISSION_KEYS = ("SourceArn", "SourceAccount", "PrincipalOrgID")
_SERVICE = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$")


class PublicPrincipal(_base.CfncheckRule):
    """Allow statements with ``Principal: "*"`` or ``{"AWS": "*"}`` in resource policies (S3
    bucket policies, SNS topic policies, SQS queue policies, KMS key policies, ECR repository
    policies, Secrets Manager resource policies, API Gateway, OpenSearch, EFS, Backup, EventBridge)
    and in role trust policies, unless a condition restricts the caller: ``aws:SourceArn``,
    ``aws:SourceAccount``, ``aws:PrincipalOrgID``, ``aws:PrincipalAccount``, ``aws:PrincipalArn``,
    ``aws:SourceVpc(e)``, ``aws:SourceIp``, ``kms:CallerAccount``, ``sts:ExternalId``... with a
    non-wildcard value and a positive operator (``StringNotEquals`` does not restrict).
    ``aws:SecureTransport`` does not restrict who calls, so it does not count, nor do
    ``ForAllValues:`` operators (they hold when the key is absent, as for an anonymous caller).
    ``elasticfilesystem:AccessedViaMountTarget`` ``true`` restricts: only clients that reach a
    mount target, inside the file system's VPC, get access. So CDK's default EFS file-system
    policy (ClientRootAccess and ClientWrite to ``AWS: "*"`` via mount targets, the console's
    "prevent anonymous access") is not public.

    ``AWS::Lambda::Permission`` with ``Principal: "*"`` and no ``SourceArn``/``SourceAccount``/
    ``PrincipalOrgID`` (a public function) and
    ``AWS::Lambda::LayerVersionPermission`` with ``Principal: "*"`` and no ``OrganizationId``
    are reported too. Permissions scoped to function-URL calls belong to the function URL: a
    public URL (``FunctionUrlAuthType: NONE``) is one finding, CC-LAMBDA-004's on the URL when
    the template has it and that policy is enabled, else this rule's on the permission; CDK's
    second permission (``InvokedViaFunctionUrl: true``) is not reported for it. Principal
    ``"*"`` through an AWS_IAM URL (every AWS account's principals may call it) is.
    ``Deny`` statements (such as CDK's SSL-only ``enforce_ssl`` statement, which uses
    ``Principal: {"AWS": "*"}``) are fine.

    An ``AWS::Lambda::Permission`` for a service principal (``sns.amazonaws.com``,
    ``apigateway.amazonaws.com``...) without ``SourceArn``, ``SourceAccount`` or
    ``PrincipalOrgID`` is reported at warning level: any account's topic, API or rule can then
    invoke the function (confused deputy). For ``s3.amazonaws.com`` a ``SourceArn`` alone is not
    enough: bucket ARNs name no account, so ``SourceAccount`` is needed too (CDK's S3
    notifications set both).

    Statements aws-cdk-lib writes itself (ECS capacity instance roles, the bastion host, ECS
    Exec, CodePipeline action roles, log retention, custom-resource providers...) are reported
    at info level, naming the construct that wrote them ("written by
    aws-cdk-lib.aws_ec2.BastionHostLinux ... at Stack/Bastion"): they are recognised by the
    tree.json fqns above the policy resource and the statement's shape, from a catalogue
    recorded by synthesizing those constructs (``cfncheck/data/generated_iam.yaml``). A
    statement the app adds to the same role has another shape and keeps the rule's severity.
    """

    id = "E9105"
    shortdesc = "Resource policy allows any principal"
    description = ("Allow statements with Principal '*' need a condition that restricts the "
                   "caller (source ARN/account, organization, VPC...)")
    source_url = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                  "reference_policies_elements_principal.html#principal-anonymous")
    tags = ["security", "iam", "public-access"]
    category = "iam"
    security_severity = 9.0
    remediation = ("Name the principals (account, role or service) instead of \"*\", or add a "
                   "condition on aws:SourceArn / aws:SourceAccount / aws:PrincipalOrgID.")
    rationale = ("Principal \"*\" means anyone, including anonymous callers and every other AWS "
                 "account: the resource is public (readable objects, publishable topics, "
                 "invocable functions, decryptable data, assumable roles). A Lambda "
                 "permission for a service principal without a source condition lets that "
                 "service invoke the function on behalf of any account (confused deputy).")
    fix_example = (
        "bucket.add_to_resource_policy(iam.PolicyStatement(\n"
        "    actions=[\"s3:GetObject\"], resources=[bucket.arn_for_objects(\"*\")],\n"
        "    principals=[iam.ServicePrincipal(\"cloudfront.amazonaws.com\")],\n"
        "    conditions={\"StringEquals\": {\"AWS:SourceArn\": distribution_arn}}))\n"
        "fn.add_permission(\"S3Invoke\", principal=iam.ServicePrincipal(\"s3.amazonaws.com\"),\n"
        "                  source_arn=bucket.bucket_arn, source_account=Stack.of(self).account)")
    bad_example = ('{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",\n'
                   ' "Resource": "arn:aws:s3:::my-bucket/*"}')

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        for doc in iam.policy_documents(stack):
            if doc.kind == "identity":
                continue
            for stmt in doc.statements:
                if not stmt.allow or not iam.is_public_principal(stmt):
                    continue
                if iam.restricting_conditions(stmt):
                    continue
                severity, suffix = _iam.statement_origin(stack, doc, stmt)
                conds = [k for _, k, _ in stmt.condition_keys()]
                cond_note = (f" (its condition keys {', '.join(conds)} do not restrict the "
                             "caller)" if conds else "")
                actions = iam.summarize(stmt.actions or stmt.not_actions or ["(none)"], 5)
                yield Hit(
                    stack, doc.logical_id, stmt.path,
                    f"{doc.resource_type} {doc.logical_id} {iam.doc_label(doc)} "
                    f"{stmt.label} allows Principal \"*\" to {actions}"
                    f"{_on(stmt)}{cond_note}{suffix}",
                    key=f"{doc.name}|{stmt.key}", severity=severity,
                )
        for lid, res in stack.resources.items():
            if not isinstance(res, dict) or not isinstance(res.get("Properties"), dict):
                continue
            rtype, props = res.get("Type"), res["Properties"]
            if rtype == "AWS::Lambda::Permission" and props.get("Principal") == "*":
                if any(props.get(k) not in (None, "", "*") for k in _PERMISSION_KEYS):
                    continue
                what = _public_permission(stack, props, ctx)
                if what is None:
                    continue
                severity, suffix = _base.cdk_internal(stack, lid)
                yield Hit(stack, lid, ("Resources", lid, "Properties", "Principal"),
                          f"AWS::Lambda::Permission {lid} {what}: Principal \"*\" "
                          f"without SourceArn, SourceAccount or PrincipalOrgID{suffix}",
                          key="permission", severity=severity)
            elif rtype == "AWS::Lambda::Permission" and _service(props.get("Principal")):
                hit = _service_permission(stack, lid, props, _service(props.get("Principal")))
                if hit is not None:
                    yield hit
            elif rtype == "AWS::Lambda::LayerVersionPermission" \
                    and props.get("Principal") == "*" and not props.get("OrganizationId"):
                severity, suffix = _base.cdk_internal(stack, lid)
                yield Hit(stack, lid, ("Resources", lid, "Properties", "Principal"),
                          f"AWS::Lambda::LayerVersionPermission {lid} shares the layer with "
                          f"every AWS account (Principal \"*\" without OrganizationId){suffix}",
                          key="layer-permission", severity=severity)


def _public_permission(stack, props: dict, ctx: ScanContext) -> str | None:
    """What a Lambda permission with Principal "*" grants, or None when it is not this
    rule's finding.

    A permission scoped to function-URL calls opens only the URL. ``FunctionUrlAuthType:
    NONE`` makes the URL public: one finding for that cause, CC-LAMBDA-004's on the URL when
    the template has the URL (AuthType NONE) and that policy is enabled, else this one. CDK's
    second permission (``lambda:InvokeFunction`` with ``InvokedViaFunctionUrl: true``) adds
    nothing to a NONE URL; through an AWS_IAM URL, Principal "*" admits every AWS account's
    principals, which is reported."""
    auth = props.get("FunctionUrlAuthType")
    via_url = str(props.get("InvokedViaFunctionUrl", "")).lower() == "true"
    if auth is None and not via_url:
        return f"grants {props.get('Action', 'lambda:InvokeFunction')} to anyone"
    url_auths = _url_auth_types(stack, props.get("FunctionName"))
    iam_url = ("lets principals of every AWS account invoke the function through its "
               "AWS_IAM function URL")
    if auth is None:
        return iam_url if "AWS_IAM" in url_auths else None
    auths = set(iam.resolve_patterns(auth))
    if "NONE" in auths:
        if "NONE" in url_auths and ctx.config.enabled("CC-LAMBDA-004"):
            return None  # reported on the URL
        return "makes the function URL public (FunctionUrlAuthType NONE)"
    return iam_url if "AWS_IAM" in auths else None


def _url_auth_types(stack, function_name) -> set[str]:
    """AuthType values of the template's function URLs that target a function."""
    targets = {_logical(p) for p in iam.resolve_patterns(function_name)} - {None}
    out: set[str] = set()
    for res in stack.resources.values():
        if not isinstance(res, dict) or res.get("Type") != "AWS::Lambda::Url":
            continue
        props = res.get("Properties")
        if not isinstance(props, dict):
            continue
        if {_logical(p) for p in iam.resolve_patterns(props.get("TargetFunctionArn"))} \
                & targets:
            out.update(iam.resolve_patterns(props.get("AuthType")))
    return out


def _logical(pattern: str) -> str | None:
    """``${Fn.Arn}`` / ``${Fn}`` -> ``Fn``; a literal name or ARN stays as it is."""
    if pattern.startswith("${") and pattern.endswith("}") and "::" not in pattern:
        return pattern[2:-1].split(".", 1)[0]
    return pattern or None


def _service(principal) -> str | None:
    """The service principal (``sns.amazonaws.com``) a Lambda permission names, if any."""
    for value in iam.resolve_patterns(principal):
        if _SERVICE.match(value):
            return value
    return None


def _service_permission(stack, lid: str, props: dict, service: str) -> Hit | None:
    given = [k for k in _PERMISSION_KEYS if props.get(k) not in (None, "", "*")]
    if given and not (service.startswith("s3.") and given == ["SourceArn"]):
        return None
    severity, suffix = _base.cdk_internal(stack, lid)
    if given:
        why = ("with SourceArn but no SourceAccount: bucket ARNs name no account, and a "
               "deleted bucket's name can be registered by another account")
    else:
        why = ("without SourceArn, SourceAccount or PrincipalOrgID: resources of that service "
               "in any account can invoke the function (confused deputy)")
    return Hit(stack, lid, ("Resources", lid, "Properties", "Principal"),
               f"AWS::Lambda::Permission {lid} lets {service} invoke the function {why}{suffix}",
               key="service-permission", severity=severity or "warning")


def _on(stmt) -> str:
    if stmt.resources:
        return f" on {iam.summarize(stmt.resources, 3)}"
    if stmt.not_resources:
        return f" on everything but {iam.summarize(stmt.not_resources, 3)}"
    return ""
