"""W9107 (opt-in): role trust policies that trust a whole other account."""

from __future__ import annotations

import re
from typing import Iterable

from .. import iam
from ..checks import Hit, ScanContext
from . import _base, _iam

#: a whole account as a principal: its root ARN (``arn:aws:iam::123456789012:root``, CDK's
#: ``AccountPrincipal`` renders ``arn:${AWS::Partition}:iam::123456789012:root``) or a bare id
_ACCOUNT_ROOT = re.compile(r"^(?:arn:[^:]+:iam::(?P<arn>[^:]+):root|(?P<id>\d{12}))$")


class TrustAccountRoot(_base.CfncheckRule):
    """Role trust policies (``AssumeRolePolicyDocument`` of ``AWS::IAM::Role``) whose ``Allow``
    statement names another account as a whole: its root principal
    (``arn:aws:iam::111122223333:root``, what CDK's ``AccountPrincipal("111122223333")`` and
    ``Role(assumed_by=AccountPrincipal(...))`` write) or a bare account id. Every principal of
    that account whose own IAM policies allow ``sts:AssumeRole`` on the role can then assume
    it: the decision of who gets the role's permissions is delegated to that account's
    administrators.

    Opt-in (``rules: {enable: [W9107]}``, and the framework packs): trusting an account's
    root is the standard cross-account pattern (CDK pipelines, a central tooling account) and
    often intended; teams that want every cross-account trust to name the roles turn it on.
    The stack's own account (``AWS::AccountId``, ``AccountRootPrincipal()``, the stack's env
    account) is not reported, nor are statements with a condition that restricts the caller
    (``aws:PrincipalArn``, ``sts:ExternalId``, ``aws:PrincipalOrgID``...). Trust statements
    aws-cdk-lib writes itself are reported at info level, naming the construct.
    """

    id = "W9107"
    shortdesc = "Role trusts a whole other account"
    description = ("Role trust policies name the roles of another account that may assume "
                   "them, or restrict the caller with a condition, instead of trusting the "
                   "account's root")
    source_url = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                  "id_roles_common-scenarios_aws-accounts.html")
    tags = ["security", "iam", "cross-account"]
    category = "iam"
    security_severity = 4.0
    opt_in = True
    remediation = ("Trust the role (or roles) of the other account that need it "
                   "(iam.ArnPrincipal / iam.Role.from_role_arn(...).grant_assume_role), or "
                   "keep the AccountPrincipal and add a condition on aws:PrincipalArn or "
                   "sts:ExternalId.")
    rationale = ("A root principal in a trust policy does not mean the other account's root "
                 "user only: it means any identity in that account that its administrators "
                 "allow sts:AssumeRole. Whoever can change IAM there decides who gets this "
                 "role's permissions here.")
    fix_example = (
        "iam.Role(self, \"DeployRole\",\n"
        "    assumed_by=iam.ArnPrincipal(\"arn:aws:iam::111122223333:role/ci-deployer\"))\n"
        "# or: iam.AccountPrincipal(\"111122223333\").with_conditions(\n"
        "#     {\"ArnLike\": {\"aws:PrincipalArn\": \"arn:aws:iam::111122223333:role/ci-*\"}})")
    bad_example = ('"AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow",\n'
                   '  "Principal": {"AWS": "arn:aws:iam::111122223333:root"},\n'
                   '  "Action": "sts:AssumeRole"}]}')

    def check(self, stack, ctx: ScanContext) -> Iterable[Hit]:
        own = iam.stack_account(stack)
        for doc in iam.policy_documents(stack):
            if doc.kind != "trust":
                continue
            for stmt in doc.statements:
                if not stmt.allow or stmt.not_principal or stmt.principals is None:
                    continue
                accounts = [a for a in (_other_account(p, own)
                                        for p in stmt.principals.get("AWS", [])) if a]
                if not accounts or iam.restricting_conditions(stmt):
                    continue
                severity, suffix = _iam.statement_origin(stack, doc, stmt)
                names = iam.summarize(sorted(set(accounts)), 3)
                yield Hit(
                    stack, doc.logical_id, stmt.path,
                    f"{doc.resource_type} {doc.logical_id} {iam.doc_label(doc)} "
                    f"{stmt.label} trusts the whole account {names} (its root principal): "
                    "any identity there that its administrators allow sts:AssumeRole can "
                    "assume this role, and no condition restricts the caller" + suffix,
                    key=f"{doc.name}|{stmt.key}", severity=severity)


def _other_account(value: str, own: str | None) -> str | None:
    """The account a whole-account principal names, unless it is the stack's own."""
    m = _ACCOUNT_ROOT.match(value)
    if m is None or iam.is_own_account_principal(value, own):
        return None
    account = m.group("arn") or m.group("id")
    if account in ("${AWS::AccountId}", own):
        return None
    return account
