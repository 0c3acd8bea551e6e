"""Literal regions and account ids of a stack, judged once for W9201 and W9202.

A literal is a defect only where it duplicates something the template could reference:

* the ARN of a resource the app itself defines (matched by service, resource type and name:
  its literal physical name, or its construct id when CloudFormation generates the name),
  which should be a ``Ref``/``GetAtt`` (``table.table_arn``);
* the stack's own region or account, when that is known: from the manifest environment of an
  environment-bound stack (where CDK itself writes the literal for ``Stack.of(self).region``,
  so only other evidence counts, see below), or, for an environment-agnostic stack, inferred
  from the literal ARNs of its own resources and from the region of the Lambda layers its
  functions use (a layer must be in the function's region);
* the region of a Lambda layer ARN in a function's ``Layers`` (it must be the function's).

Everything else (replica and other regions, other accounts in trust policies or EventBridge
targets, ARNs of resources the app does not define such as a secret or certificate passed in
as configuration, endpoint URLs) is reported at info with the reason, never as "use
AWS::Region / AWS::AccountId" advice. AWS's publisher accounts of well-known public layers
(Powertools 017000801446, Lambda Insights 580247275435, ...) are not reported at all.

One literal gives one finding: W9202 owns literals with an account id (it names the region
too), W9201 those with a region only (or all of them while W9202 is disabled). The same
region or account written several times in one resource for one reason (a custom resource's
``Create`` and ``Update`` calls) is one finding naming every place.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field

from .. import iam, lambda_bundle
from . import _base, _strings

REGION = re.compile(
    r"(?<![A-Za-z0-9])((?:us-gov|us-iso|us-isob|eusc|us|eu|ap|sa|ca|me|af|il|mx|cn)-"
    r"(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2})"
    r"[a-z]?(?![A-Za-z0-9])")
#: keys whose value is meant to be another region (replicas, stack sets, cross-region reads)
CROSS_REGION_KEYS = {"Region", "Regions", "RegionName", "RegionOrder", "DestinationRegion",
                     "SourceRegion", "ReplicaRegion", "ReplicaRegions", "StackSetRegions"}
_GLOBAL_ARN = re.compile(r"arn:[^:]*:(acm|wafv2|waf):us-east-1:")
ARN = re.compile(r"arn:(?:aws[a-z-]*|\$\{[^}]*\}):([a-z0-9-]+):([a-z0-9-]*|\$\{[^}]*\}):"
                 r"(\d{12}|\$\{[^}]*\})?:([^\s\"',]+)")
_ACCOUNT_IN_ARN = re.compile(r"(?:^|:)(\d{12})(?=:|$)")
_ECR = re.compile(r"(?<![0-9])(\d{12})\.dkr\.ecr\.")
_BARE = re.compile(r"^\d{12}$")
#: keys where a bare 12-digit value is an account id
ACCOUNT_KEYS = re.compile(r"account|owner|principal|^AWS$", re.IGNORECASE)

#: service -> [(resource types, name property, resource-part pattern giving the name)]
_OWN = {
    "sns": [(("AWS::SNS::Topic",), "TopicName", r"([^:/]+)")],
    "sqs": [(("AWS::SQS::Queue",), "QueueName", r"([^:/]+)")],
    "dynamodb": [(("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"), "TableName",
                  r"table/([^/]+).*")],
    "lambda": [(("AWS::Lambda::Function",), "FunctionName", r"function:([^:]+).*")],
    "states": [(("AWS::StepFunctions::StateMachine",), "StateMachineName",
                r"stateMachine:([^:]+).*")],
    "logs": [(("AWS::Logs::LogGroup",), "LogGroupName", r"log-group:([^:]+).*")],
    "secretsmanager": [(("AWS::SecretsManager::Secret",), "Name",
                        r"secret:(.+?)(?:-[A-Za-z0-9]{6})?")],
    "kinesis": [(("AWS::Kinesis::Stream",), "Name", r"stream/([^/]+)")],
    "events": [(("AWS::Events::EventBus",), "Name", r"event-bus/([^/]+)"),
               (("AWS::Events::Rule",), "Name", r"rule/([^/]+)")],
    "ssm": [(("AWS::SSM::Parameter",), "Name", r"parameter(/.+)")],
    "ecr": [(("AWS::ECR::Repository",), "RepositoryName", r"repository/(.+)")],
    "iam": [(("AWS::IAM::Role",), "RoleName", r"role/(?:.*/)?([^/]+)")],
    "rds": [(("AWS::RDS::DBInstance",), "DBInstanceIdentifier", r"db:(.+)"),
            (("AWS::RDS::DBCluster",), "DBClusterIdentifier", r"cluster:(.+)")],
}
#: the CDK attribute that gives a resource's ARN, for the advice
_ARN_ATTR = {"AWS::SNS::Topic": "topic.topic_arn", "AWS::SQS::Queue": "queue.queue_arn",
             "AWS::DynamoDB::Table": "table.table_arn",
             "AWS::DynamoDB::GlobalTable": "table.table_arn",
             "AWS::Lambda::Function": "fn.function_arn",
             "AWS::StepFunctions::StateMachine": "state_machine.state_machine_arn",
             "AWS::Logs::LogGroup": "log_group.log_group_arn",
             "AWS::SecretsManager::Secret": "secret.secret_arn",
             "AWS::Kinesis::Stream": "stream.stream_arn", "AWS::IAM::Role": "role.role_arn",
             "AWS::Events::EventBus": "bus.event_bus_arn", "AWS::Events::Rule": "rule.rule_arn",
             "AWS::SSM::Parameter": "parameter.parameter_arn",
             "AWS::ECR::Repository": "repository.repository_arn"}
#: a few ARN kinds that are configuration by nature, for the info message
_CONFIG_KINDS = {"acm": "an ACM certificate", "secretsmanager": "a secret",
                 "ssm": "an SSM parameter", "kms": "a KMS key", "route53": "a hosted zone"}


@dataclass(frozen=True)
class OwnResource:
    stack: object
    logical_id: str
    rtype: str
    construct: str  # construct id, or the logical id
    by: str  # "its name 'orders'" / "its construct id AlertsTopic"


@dataclass
class Judgement:
    """One finding-to-be: a resource (or output), the literal(s), why."""

    logical_id: str | None
    resource_type: str | None
    paths: list  # template paths, first = where the finding points
    values: list  # the literal strings
    regions: list
    accounts: list
    severity: str | None  # None = the rule's own level (warning), or "info"
    reason: str  # message tail after the literal
    advice: str  # "use AWS::Region (...)" or ""
    kind: str  # grouping key part: "own-resource:<lid>", "own-region", "layer", "other"...
    cdk_suffix: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def owner(self) -> str:
        """The rule that reports it when both are on."""
        return "W9202" if self.accounts else "W9201"


_indexes: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


#: a trailing type word of a construct id ("OrdersTable" also matches the name "orders")
_TYPE_WORD = re.compile(r"(?:table|topic|queue|function|fn|handler|bus|eventbus|stream|secret|"
                        r"parameter|param|role|statemachine|loggroup|repository|repo|rule)$")


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _construct_id(stack, lid: str) -> str:
    cp = stack.construct_path(lid) or ""
    parts = [p for p in cp.split("/") if p]
    while parts and parts[-1] in ("Resource", "Default"):
        parts.pop()
    if parts:
        return parts[-1]
    return re.sub(r"[0-9A-F]{8}$", "", lid)


def own_index(ctx) -> dict:
    """(resource type, normalized name) -> [OwnResource], over every stack of the scan."""
    try:
        cached = _indexes.get(ctx.graph)
    except TypeError:
        cached = None
    if cached is not None:
        return cached
    index: dict = {}
    for stack in ctx.stacks:
        for lid, res in stack.resources.items():
            if not isinstance(res, dict) or not isinstance(res.get("Type"), str):
                continue
            rtype = res["Type"]
            props = res.get("Properties") if isinstance(res.get("Properties"), dict) else {}
            for entries in _OWN.values():
                for types, prop, _ in entries:
                    if rtype not in types:
                        continue
                    cid = _construct_id(stack, lid)
                    name = props.get(prop)
                    if isinstance(name, str):
                        index.setdefault((rtype, "=" + name), []).append(
                            OwnResource(stack, lid, rtype, cid, f"its name {name!r}"))
                    elif prop not in props:
                        own = OwnResource(stack, lid, rtype, cid, f"its construct id {cid}; "
                                          "CloudFormation generates its deployed name, so the "
                                          "literal cannot be relied on to match it")
                        keys = {_normal(cid), _TYPE_WORD.sub("", _normal(cid))} - {""}
                        for k in keys:
                            index.setdefault((rtype, k), []).append(own)
    try:
        _indexes[ctx.graph] = index
    except TypeError:
        pass
    return index


def own_resource(arn_match: re.Match, index: dict, stack=None) -> OwnResource | None:
    """The app's resource a literal ARN names: by literal name first, then construct id;
    among several, the one in the same stack, then the same CDK stage."""
    service, resource = arn_match.group(1), arn_match.group(4)
    for types, _, pattern in _OWN.get(service, ()):
        m = re.fullmatch(pattern, resource)
        if m is None:
            continue
        name = m.group(1)
        for rtype in types:
            hits = index.get((rtype, "=" + name)) or index.get((rtype, _normal(name)))
            if hits:
                return min(hits, key=lambda o: (o.stack is not stack, _family(o.stack)
                                                != _family(stack)))
    return None


def _family(stack) -> tuple:
    root = stack
    while getattr(root, "parent", None) is not None:
        root = root.parent
    return tuple(getattr(root, "cdk_stages", ()) or ())


def judgements(stack, ctx) -> list[Judgement]:
    """Every literal region/account of the stack with its verdict (memoized per scan)."""
    key = "rules.hardcoded"
    return stack.memo(key, lambda s: _judge(s, ctx))


def _judge(stack, ctx) -> list[Judgement]:
    index = own_index(ctx)
    env_region, env_account = iam.stack_region(stack), iam.stack_account(stack)
    w9201_allow = set(ctx.parameter("W9201", "allow", stack.stage, []) or [])
    w9202_allow = {str(a) for a in ctx.parameter("W9202", "allow", stack.stage, []) or []}

    # pass 1: what each literal holds
    found = []
    inferred_regions: dict[str, str] = {}  # region -> evidence
    inferred_accounts: dict[str, str] = {}
    for lit in _strings.literal_strings(stack):
        value = lit.value
        if _strings.CDK_BOOTSTRAP.search(value):
            continue
        cloudfront = (lit.resource_type or "").startswith("AWS::CloudFront::")
        regions = []
        if lit.key not in CROSS_REGION_KEYS:
            for m in REGION.finditer(value):
                r = m.group(1)
                if r in w9201_allow:
                    continue
                if r == "us-east-1" and (cloudfront or _GLOBAL_ARN.search(value)):
                    continue
                regions.append(r)
        accounts = []
        if ":" in value:
            accounts += _ACCOUNT_IN_ARN.findall(value)
        accounts += _ECR.findall(value)
        if _BARE.match(value) and ACCOUNT_KEYS.search(lit.key or ""):
            accounts.append(value)
        whole = _whole_value(stack, lit)  # the Fn::Join/Fn::Sub around a literal part
        layer = lambda_bundle.public_layer(whole)
        if layer is not None:
            accounts = [a for a in accounts if a != layer.account]
        accounts = [a for a in dict.fromkeys(accounts) if a not in w9202_allow]
        regions = list(dict.fromkeys(regions))
        if not regions and not accounts:
            continue
        arn = ARN.search(whole) if whole is not None else None
        own = own_resource(arn, index, stack) if arn else None
        if own is not None and env_account and arn.group(3) not in (None, env_account) \
                and arn.group(3).isdigit():
            own = None  # another account's resource of the same name
        is_layer_ref = "Layers" in lit.path and lit.resource_type == "AWS::Lambda::Function" \
            and arn is not None and arn.group(1) == "lambda"
        if own is not None and not env_region:
            if arn.group(2) and REGION.fullmatch(arn.group(2)):
                inferred_regions.setdefault(arn.group(2), f"the ARN of its own {own.rtype} "
                                                          f"{own.construct}")
            if arn.group(3) and arn.group(3).isdigit():
                inferred_accounts.setdefault(arn.group(3), f"the ARN of its own {own.rtype} "
                                                           f"{own.construct}")
        if is_layer_ref and not env_region and arn.group(2) and REGION.fullmatch(arn.group(2)):
            inferred_regions.setdefault(arn.group(2), "the Lambda layer ARN of its function "
                                                      f"{lit.logical_id}")
        found.append((lit, regions, accounts, arn, own, is_layer_ref, layer, whole))

    own_region = env_region or (next(iter(inferred_regions)) if len(inferred_regions) == 1
                                else None)
    own_account = env_account or (next(iter(inferred_accounts))
                                  if len(inferred_accounts) == 1 else None)
    region_evidence = "its environment" if env_region else inferred_regions.get(own_region or "")
    account_evidence = "its environment" if env_account else \
        inferred_accounts.get(own_account or "")

    # pass 2: verdicts
    out: dict[tuple, Judgement] = {}
    for lit, regions, accounts, arn, own, is_layer_ref, layer, whole in found:
        severity, suffix = _base.cdk_internal(stack, lit.logical_id)
        if own is None:  # CDK writes an env-bound stack's own region/account itself
            if env_region:
                regions = [r for r in regions if r != env_region]
            if env_account:
                accounts = [a for a in accounts if a != env_account]
            if not regions and not accounts:
                continue
        if own is not None:
            where = "" if own.stack is stack else f" in stack {own.stack.name}"
            kind = f"own-resource:{own.logical_id}"
            reason = (f"{own.rtype} {own.logical_id}{where}, which this app defines "
                      f"(matched by {own.by})")
            attr = _ARN_ATTR.get(own.rtype, "its ARN attribute")
            advice = (f"reference the resource instead ({attr}), so the template follows "
                      "its name, region and account and carries the dependency")
            sev = severity
        elif is_layer_ref and regions:
            kind = "layer-region"
            who = f" ({layer.publisher}, whose publisher account is right as written)" \
                if layer else ""
            reason = (f"it is a Lambda layer ARN{who}: a layer must be in the function's own "
                      f"region, so this function only deploys to {', '.join(regions)}")
            advice = ("use AWS::Region (f\"arn:aws:lambda:{Stack.of(self).region}:...\"), as "
                      "the layer's publisher documents")
            accounts = [a for a in accounts if a == own_account]
            sev = severity
        else:
            own_r = [r for r in regions if r == own_region]
            own_a = [a for a in accounts if a == own_account]
            # the whole value, or an account's root principal (arn:aws:iam::<account>:root)
            root = arn is not None and arn.group(1) == "iam" and arn.group(4) == "root"
            bare = lit.value in regions or lit.value in accounts or (root and bool(own_a))
            if bare and (own_r or own_a):
                kind = "own-env"
                what = []
                if own_r:
                    what.append(f"{own_r[0]} is this stack's own region ({region_evidence} "
                                "shows it)")
                if own_a:
                    what.append(f"{own_a[0]} is this stack's own account "
                                f"({account_evidence} shows it)")
                reason = "; ".join(what)
                advice = ("use " + " and ".join(
                    (["AWS::Region (Stack.of(self).region)"] if own_r else [])
                    + (["AWS::AccountId (Stack.of(self).account)"] if own_a else [])))
                regions, accounts = own_r or regions, own_a or accounts
                sev = severity
            else:
                kind = "other"
                reason = _why_not(lit.value, arn, regions, accounts, env_region, env_account,
                                  own_region, own_account)
                advice = ""
                sev = "info"
        group = (lit.logical_id, kind, tuple(regions), tuple(accounts))
        j = out.get(group)
        if j is None:
            out[group] = Judgement(lit.logical_id, lit.resource_type, [lit.path],
                                   [whole or lit.value],
                                   regions, accounts, sev, reason, advice, kind, suffix)
        else:
            j.paths.append(lit.path)
            j.values.append(whole or lit.value)
    return list(out.values())


def _whole_value(stack, lit) -> str | None:
    """The string a literal belongs to: itself, or the ``Fn::Join`` it is a part of rendered
    with ``${...}`` for the references (``arn:${AWS::Partition}:iam::111122223333:root``)."""
    path = lit.path
    if "Fn::Join" not in path:
        return lit.value
    cut = len(path) - 1 - path[::-1].index("Fn::Join")
    node = stack.template.data
    try:
        for step in path[:cut]:
            node = node[step]
    except (KeyError, IndexError, TypeError):
        return lit.value
    rendered = lambda_bundle.render({"Fn::Join": node.get("Fn::Join")}) \
        if isinstance(node, dict) else None
    return rendered if rendered is not None else lit.value


def _why_not(value: str, arn, regions, accounts, env_region, env_account, own_region,
             own_account) -> str:
    """Why a literal is reported at info only."""
    parts = []
    if arn is not None and arn.group(1) == "iam" and arn.group(4) == "root":
        acct = arn.group(3)
        if own_account and acct != own_account:
            parts.append(f"it is the root principal of account {acct}, another account than "
                         "this stack's: a cross-account trust or target is a design, not a "
                         "defect")
        else:
            parts.append(f"it is the root principal of account {acct}; nothing shows this "
                         "stack's account, so it may be another account on purpose (a "
                         "cross-account trust); if it is the stack's own, use AWS::AccountId")
        return "; ".join(parts)
    if arn is not None:
        what = _CONFIG_KINDS.get(arn.group(1), f"a resource ({arn.group(1)})")
        acct, reg = arn.group(3) or "", arn.group(2) or ""
        if own_account and acct.isdigit() and acct != own_account:
            return (f"it is the ARN of {what} in account {acct}, another account than this "
                    "stack's: a cross-account design, not a defect")
        elsewhere = f" in {reg}, another region than this stack's ({own_region})" \
            if own_region and REGION.fullmatch(reg) and reg != own_region else ""
        parts.append(f"it is the ARN of {what}{elsewhere} that this app does not define: a "
                     "configuration value (pass it in as context or a parameter), which "
                     "AWS::Region / AWS::AccountId alone cannot rebuild")
        return "; ".join(parts)
    elif value.startswith(("http://", "https://")):
        parts.append("it is an endpoint URL: a configuration value")
    if regions:
        if own_region:
            others = [r for r in regions if r != own_region]
            if others:
                parts.append(f"{', '.join(others)} is another region than this stack's "
                             f"({own_region}): a cross-region design, not a defect")
        elif not parts:
            parts.append("this stack is environment-agnostic and nothing shows its region, "
                         f"so {', '.join(regions)} may be another region on purpose (a "
                         "replica, a cross-region call); if it is the stack's own, use "
                         "AWS::Region")
    if accounts and not arn:
        if own_account:
            others = [a for a in accounts if a != own_account]
            if others:
                parts.append(f"{', '.join(others)} is another account than this stack's: a "
                             "cross-account design, not a defect")
        elif not parts:
            parts.append(f"nothing shows this stack's account, so {', '.join(accounts)} may "
                         "be another account on purpose (a trust policy, a cross-account "
                         "target); if it is the stack's own, use AWS::AccountId")
    return "; ".join(parts) or "not known to duplicate anything the template can reference"


def describe(stack, j: Judgement, rule_id: str) -> str:
    where = _base.display_path(stack, j.logical_id, j.paths[0])
    owner = f"{j.resource_type} {j.logical_id} " if j.logical_id else ""
    more = ""
    if len(j.paths) > 1:
        others = [_base.display_path(stack, j.logical_id, p) for p in j.paths[1:]]
        more = f" (also in {', '.join(others[:4])}" + \
            (f" and {len(others) - 4} more" if len(others) > 4 else "") + ")"
    held = []
    if j.regions:
        held.append(f"region {', '.join(j.regions)}")
    if j.accounts:
        held.append(f"account id {', '.join(j.accounts)}")
    value = j.values[0][:120]
    if j.kind.startswith("own-resource"):
        return (f"{owner}{where}{more} has the literal ARN {value!r} of {j.reason}: "
                f"{j.advice}. Its literal {' and '.join(held)} tie the template to one "
                f"environment{j.cdk_suffix}")
    tail = f": {j.advice}" if j.advice else ""
    lead = "" if j.severity != "info" or j.advice else "not a defect as far as cfncheck can " \
        "tell: "
    return (f"{owner}{where}{more} has the literal {' and '.join(held)} in {value!r}: "
            f"{lead}{j.reason}{tail}{j.cdk_suffix}")


def mine(j: Judgement, rule_id: str, ctx) -> bool:
    """Whether ``rule_id`` reports this judgement (one literal, one finding)."""
    if rule_id == "W9202":
        return bool(j.accounts) or (j.kind.startswith("own-resource")
                                    and not ctx.config.enabled("W9201"))
    # W9201
    if j.accounts:
        return bool(j.regions) and not ctx.config.enabled("W9202")
    return bool(j.regions) or j.kind.startswith("own-resource")
