"""Grouped findings on the platform fixture (sample_templates/platform, owner's verdicts in
sample_templates/platform_app/AUDIT.md): the exact CC-TAG-001, CC-DASH-001 and CC-ALARM-*
findings, one per root cause (rows W-ALARM-*, W-DASH-*, W-TAG-*, T-9 to T-13).

CDK's Trigger provider (``AWSCDKTriggerCustomResourceProvider...``) is left out of the
comparison: recognising it as CDK-generated is cfncheck.cdk_internals' job (its fqn catalogue),
tested there; once recognised, the alarm and dashboard checks skip it and CC-TAG-001 reports it
at info, as for every CDK-generated resource.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cfncheck.engine import scan

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ROOT / "sample_templates" / "platform" / "cdk.out"
RULES = ("CC-TAG-001", "CC-DASH-001")
TRIGGER_PROVIDER = "AWSCDKTriggerCustomResourceProviderCustomResourceProvider"

# W-ALARM-a: the user functions without any alarm (SeedReferenceData, a TriggerFunction, and
# the ECS drain hook are skipped: W-ALARM-c/e)
NO_ALARMS = {"Api": ["IngestHandler6F5F26C7", "ReportExporterC0B674EB", "StatusHandler849210EB",
                     "TokenAuthorizerFunctionF9C35432", "WebhookHandler40BDAF19"],
             "Delivery": ["WorkerFunctionACE6A4B0"]}
DELIVERY = sorted([
    "Build45A36621", "BuildRoleB7C66CB2", "LegacyAppA0410596", "LegacyFleetF72E0BF3",
    "LegacyFleetRole66FE3247", "PipelineArtifactsBucket22248F97",
    "PipelineBuildCodePipelineActionRoleD77A08E6", "PipelineDeployCodePipelineActionRole8B83082E",
    "PipelineEventsRole46BEEA7C", "PipelineC660917D", "PipelineRoleD68726F7",
    "PipelineSourceCodePipelineActionRoleC6F9E7F5", "SourceBucketDDD2130A",
    "WorkerDeploymentApplicationBD0F7909", "WorkerDeploymentBD152F36",
    "WorkerDeploymentServiceRoleF95258C0", "WorkerFunctionLogGroup84405B00",
    "WorkerFunctionACE6A4B0", "WorkerFunctionServiceRole38D8F738",
    "ReleasesTable79897B23",  # the TableV2 (GlobalTable): tags in Replicas[].Tags
])
SOURCE_RULE = {"Dev": "SourceBucketDevDeliveryPipeline532B3546SourceEventRule"
                      "legacyreportssourcezipB68833FD",
               "Prod": "SourceBucketProdDeliveryPipeline121C3E0FSourceEventRule"
                       "legacyreportssourcezipCB59BF9F"}
DEV_API_DASH = ["IngestHandler6F5F26C7", "ItemsHandlerFB09CCF4", "ItemsHttpApiE1D7F208",
                "OrdersApi48294D44", "OrdersHandlerA8584A8A", "ReportExporterC0B674EB",
                "StatusHandler849210EB", "TokenAuthorizerFunctionF9C35432",
                "WebhookHandler40BDAF19"]
PROD_MISSING = ["IngestHandler6F5F26C7", "ItemsHttpApiE1D7F208", "OrdersApi48294D44",
                "ReportExporterC0B674EB", "StatusHandler849210EB",
                "TokenAuthorizerFunctionF9C35432", "WebhookHandler40BDAF19"]


@cache
def findings() -> tuple:
    result = scan([PLATFORM], jobs=1)
    return tuple(f for f in result.findings
                 if f.rule_id in RULES or f.rule_id.startswith("CC-ALARM-"))


def shape(f) -> tuple:
    members = tuple(sorted((m["stack"], m["logical_id"]) for m in f.related
                           if not m["logical_id"].startswith(TRIGGER_PROVIDER)))
    return (f.rule_id, f.stack, f.logical_id, members,
            tuple(c["rule_id"] for c in f.covers))


def expected(stage: str) -> set:
    out = {
        # T-11: the REST API has a 5XXError alarm in Monitoring, no 4XXError alarm
        ("CC-ALARM-004", f"{stage}/Api", "OrdersApi48294D44", (), ()),
        # T-10: the HTTP API has neither (lower-case 4xx/5xx, dimension ApiId)
        ("CC-ALARM-007", f"{stage}/Api", "ItemsHttpApiE1D7F208", (), ()),
        # W-TAG-delivery: the untagged stack, once, with the GlobalTable
        ("CC-TAG-001", f"{stage}/Delivery", None,
         tuple(sorted((f"{stage}/Delivery", lid) for lid in DELIVERY + [SOURCE_RULE[stage]])),
         ()),
        # W-TAG-api: Tags.of() misses the Trigger provider's handler and role: once per stack
        ("CC-TAG-001", f"{stage}/Api", None, (), ()),
    }
    # W-ALARM-a / T-9: one finding per function naming the three missing metrics
    for stack, lids in NO_ALARMS.items():
        out.update(("CC-ALARM-001", f"{stage}/{stack}", lid, (),
                    ("CC-ALARM-002", "CC-ALARM-003")) for lid in lids)
    # W-DASH-dev / W-DASH-prod / T-12: one finding per CDK Stage
    if stage == "Dev":  # no dashboard at all
        members = [("Dev/Api", lid) for lid in DEV_API_DASH] + [
            ("Dev/Delivery", "WorkerFunctionACE6A4B0")]
    else:  # the dashboard shows the Orders and Items functions only
        members = [("Prod/Api", lid) for lid in PROD_MISSING] + [
            ("Prod/Delivery", "WorkerFunctionACE6A4B0")]
    # (its primary location is the group's first resource: compared through the members)
    return out | {("CC-DASH-001", "dash", stage, tuple(sorted(members)), ())}


def test_exact_grouped_findings_on_the_platform_app():
    got = set()
    for f in findings():
        if _provider_only(f):
            continue  # see the module docstring
        if f.rule_id == "CC-ALARM-006":
            raise AssertionError(f"CC-ALARM-006 on {f.logical_id}: {f.message}")
        s = shape(f)
        if f.rule_id == "CC-DASH-001":
            s = ("CC-DASH-001", "dash", f.stack.split("/")[0], s[3], ())
        got.add(s)
    assert got == expected("Dev") | expected("Prod")
    assert len(findings()) == len(got) + sum(1 for f in findings() if _provider_only(f))


def _provider_only(f) -> bool:
    return not f.related and bool(f.logical_id) and f.logical_id.startswith(TRIGGER_PROVIDER)


def test_messages_on_the_platform_app():
    by = {(f.rule_id, f.stack, f.logical_id): f for f in findings()}
    worker = by["CC-ALARM-001", "Prod/Delivery", "WorkerFunctionACE6A4B0"]
    assert worker.message.startswith("Function WorkerFunctionACE6A4B0 has no CloudWatch alarm "
                                     "on Errors, Duration and Throttles: ")
    delivery = by["CC-TAG-001", "Prod/Delivery", None]
    assert delivery.message == ("21 taggable resource(s) of stack Prod/Delivery lack required "
                                "tags (missing tags Environment, Owner); one tags= on the "
                                "stack fixes them all")
    (prod_dash,) = [f for f in findings() if f.rule_id == "CC-DASH-001"
                    and f.stack.startswith("Prod/")]
    assert prod_dash.message.endswith(" of CDK Stage Prod are not on a CloudWatch dashboard: "
                                      "not shown by any of the app's CloudWatch dashboards")
    (dev_dash,) = [f for f in findings() if f.rule_id == "CC-DASH-001"
                   and f.stack.startswith("Dev/")]
    assert dev_dash.message.endswith(" of CDK Stage Dev are not on a CloudWatch dashboard: the "
                                     "app (CDK Stage Dev) has no CloudWatch dashboard")
    api = by["CC-TAG-001", "Dev/Api", None]
    assert [m["construct_path"] for m in api.related] == [
        f"Dev/Api/AWSCDK.{TRIGGER_PROVIDER[6:]}/Handler",
        f"Dev/Api/AWSCDK.{TRIGGER_PROVIDER[6:]}/Role"]
    # the deployment group's rollback alarm is consumed by CodeDeploy (W-ALARM-006)
    assert not [f for f in findings() if f.rule_id == "CC-ALARM-006"]
