#!/usr/bin/env python3
"""Check that the committed sample cloud assemblies look as README.md says.

    python3 sample_templates/check_samples.py [--root sample_templates]

Stdlib only. For each planted defect (numbers as in README.md) it asserts the
defect is present in serverless-defective/cdk.out and absent (fixed) in
serverless-fixed/cdk.out, plus the structural facts the tests rely on.
Exit status 0 when every check passes.
"""
import argparse
import ast
import json
import sys
from pathlib import Path

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
USER_FUNCTIONS = ("OrdersApiFunction", "ReportFunction", "WorkerFunction")
STAGES = ("Dev", "Prod")

RESULTS = {"passed": 0, "failed": 0}


def check(ok, what):
    if ok:
        RESULTS["passed"] += 1
    else:
        RESULTS["failed"] += 1
        print(f"FAIL: {what}")


class Assembly:
    """One variant's cdk.out: templates of both stages, keyed by stage."""

    def __init__(self, root: Path):
        self.root = root
        self.tree = json.loads((root / "tree.json").read_text())
        self.stage = {}
        for stage in STAGES:
            adir = root / f"assembly-{stage}"
            manifest = json.loads((adir / "manifest.json").read_text())
            stacks = {a["displayName"].split("/")[-1]: (k, a) for k, a in manifest["artifacts"].items()
                      if a["type"] == "aws:cloudformation:stack"}
            api_id, api_art = stacks["Api"]
            mon_id, mon_art = stacks["Monitoring"]
            nested = sorted(adir.glob(f"{stage}ApiStorage*.nested.template.json"))
            self.stage[stage] = {
                "dir": adir,
                "manifest": manifest,
                "api_art": api_art,
                "mon_art": mon_art,
                "api": json.loads((adir / api_art["properties"]["templateFile"]).read_text()),
                "mon": json.loads((adir / mon_art["properties"]["templateFile"]).read_text()),
                "nested": json.loads(nested[0].read_text()) if nested else {"Resources": {}},
                "nested_file": nested[0].name if nested else None,
                "metadata": {
                    **json.loads((adir / f"{api_id}.metadata.json").read_text()),
                    **json.loads((adir / f"{mon_id}.metadata.json").read_text()),
                },
            }

    def res(self, stage, which="api"):
        return self.stage[stage][which]["Resources"]

    def all_res(self, stage):
        out = {}
        for which in ("api", "nested", "mon"):
            for lid, r in self.res(stage, which).items():
                out[(which, lid)] = r
        return out

    def by_path(self, stage, path, which="api"):
        """Resource whose aws:cdk:path is <stage>/<path>."""
        want = f"{stage}/{path}"
        for lid, r in self.res(stage, which).items():
            if r.get("Metadata", {}).get("aws:cdk:path") == want:
                return lid, r
        raise KeyError(want)

    def of_type(self, stage, typ, which=None):
        items = self.all_res(stage).items()
        return {k: r for k, r in items if r["Type"] == typ and (which is None or k[0] == which)}

    def text(self, stage):
        s = self.stage[stage]
        return json.dumps([s["api"], s["nested"], s["mon"]])

    def warnings(self, stage):
        return [(p, e["data"]) for p, es in self.stage[stage]["metadata"].items()
                for e in es if e["type"] == "aws:cdk:warning"]

    def asset_dir(self, stage, lid):
        rel = self.res(stage)[lid]["Metadata"]["aws:asset:path"]
        return (self.stage[stage]["dir"] / rel).resolve()


def statements(policy_resource):
    st = policy_resource["Properties"]["PolicyDocument"]["Statement"]
    return st if isinstance(st, list) else [st]


def as_list(x):
    return x if isinstance(x, list) else [x]


def imports_of(py_file: Path):
    mods = set()
    for node in ast.walk(ast.parse(py_file.read_text())):
        if isinstance(node, ast.Import):
            mods.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            mods.add(node.module.split(".")[0])
    return mods


def tag_keys(resource):
    tags = resource.get("Properties", {}).get("Tags", [])
    if isinstance(tags, dict):
        return set(tags)
    return {t["Key"] for t in tags}


def structure(asm: Assembly, variant: str):
    v = variant
    check((asm.root / "manifest.json").is_file(), f"{v}: manifest.json")
    check(bool(list(asm.root.glob("asset.*"))), f"{v}: asset.* folders")
    for stage in STAGES:
        s = asm.stage[stage]
        check(s["nested_file"] is not None, f"{v}/{stage}: nested template")
        logical_ids = [e for es in s["metadata"].values() for e in es if e["type"] == "aws:cdk:logicalId"]
        check(len(logical_ids) > 50, f"{v}/{stage}: aws:cdk:logicalId metadata")
        fn_lid, _ = asm.by_path(stage, "Api/OrdersApiFunction/Resource")
        check((asm.asset_dir(stage, fn_lid) / "handler.py").is_file(), f"{v}/{stage}: lambda asset")
        layer_lid, _ = asm.by_path(stage, "Api/SharedUtilsLayer/Resource")
        layer_dir = asm.asset_dir(stage, layer_lid)
        check((layer_dir / "python/shared_utils/__init__.py").is_file(), f"{v}/{stage}: layer asset")
        # cross-stack (weak) references and nested-stack plumbing
        check("Fn::GetStackOutput" in json.dumps(s["mon"]), f"{v}/{stage}: Fn::GetStackOutput refs")
        check(bool(s["nested"].get("Parameters")) and bool(s["nested"].get("Outputs")),
              f"{v}/{stage}: nested parameters + outputs")


def defects(asm: Assembly, variant: str):
    d = variant == "defective"
    v = variant
    for stage in STAGES:
        p = f"{v}/{stage}"
        res = asm.res(stage)

        # 1 IAM wildcards on the OrdersApiFunction role
        _, pol = asm.by_path(stage, "Api/OrdersApiFunction/ServiceRole/DefaultPolicy/Resource")
        sids = {s.get("Sid"): s for s in statements(pol)}
        wild = sids.get("OrdersAclAndAlerts")
        s3all = sids.get("LegacyS3FullAccess")
        has1 = (wild is not None and sorted(as_list(wild["Action"])) == ["s3:PutObjectAcl", "sns:Publish"]
                and wild["Resource"] == "*" and s3all is not None and s3all["Action"] == "s3:*"
                and s3all["Resource"] == "*")
        check(has1 == d, f"{p}: defect 1 (IAM wildcards) present={has1}")
        if not d:
            for fn in USER_FUNCTIONS:
                _, pol = asm.by_path(stage, f"Api/{fn}/ServiceRole/DefaultPolicy/Resource")
                for st in statements(pol):
                    if st.get("Resource") == "*":
                        check(all(a.startswith("xray:") for a in as_list(st["Action"])),
                              f"{p}: {fn} only X-Ray on '*'")

        # 2 log groups: KMS + retention
        groups = asm.of_type(stage, "AWS::Logs::LogGroup")
        check(len(groups) == (3 if d else 4), f"{p}: log group count {len(groups)}")
        no_kms = [k for k, r in groups.items() if "KmsKeyId" not in r.get("Properties", {})]
        no_ret = [k for k, r in groups.items() if "RetentionInDays" not in r.get("Properties", {})]
        check(bool(no_kms) == d and (len(no_kms) == len(groups)) == d, f"{p}: defect 2 KMS {no_kms}")
        _, acc = asm.by_path(stage, "Api/ApiAccessLogs/Resource")
        check(("RetentionInDays" not in acc.get("Properties", {})) == d, f"{p}: defect 2 access-log retention")
        check(len(no_ret) == (1 if d else 0), f"{p}: defect 2 groups without retention {no_ret}")

        # 3 bucket
        _, bucket = asm.by_path(stage, "Api/DataBucket/Resource")
        bp = bucket["Properties"]
        pab = bp.get("PublicAccessBlockConfiguration", {})
        check(all(pab.get(k) is (not d) for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls",
                                                  "RestrictPublicBuckets")), f"{p}: defect 3 BPA")
        check((bp.get("BucketName") == "acme-orders-prod-data") == d, f"{p}: defect 3 bucket name")
        _, bpol = asm.by_path(stage, "Api/DataBucket/Policy/Resource")
        ssl = any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s.get("Condition", {}))
                  for s in statements(bpol))
        check(ssl != d, f"{p}: defect 3 SSL-only policy present={ssl}")
        check(("BucketEncryption" in bp) != d, f"{p}: bucket encryption")

        # 4 PITR on both tables (root + nested)
        tables = asm.of_type(stage, "AWS::DynamoDB::Table")
        check(len(tables) == 2, f"{p}: two tables")
        for k, t in tables.items():
            on = t["Properties"].get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
            check(bool(on) != d, f"{p}: defect 4 PITR {k} = {on}")

        # 5 removal policies
        stateful = {**tables, **asm.of_type(stage, "AWS::S3::Bucket")}
        if not d:
            stateful.update(asm.of_type(stage, "AWS::Logs::LogGroup"))
            stateful.update(asm.of_type(stage, "AWS::KMS::Key"))
            stateful.update(asm.of_type(stage, "AWS::SQS::Queue"))
        want = "Retain" if (not d and stage == "Prod") else "Delete"
        for k, r in stateful.items():
            check(r.get("DeletionPolicy") == want, f"{p}: defect 5 {k} DeletionPolicy {r.get('DeletionPolicy')}")

        # 6 REST API throttling / usage plan / api keys
        _, st = asm.by_path(stage, "Api/OrdersApi/DeploymentStage.v1/Resource")
        ms = st["Properties"].get("MethodSettings", [])
        thr = any(m.get("HttpMethod") == "*" and m.get("ResourcePath") == "/*" and "ThrottlingRateLimit" in m
                  and "ThrottlingBurstLimit" in m for m in ms)
        check(thr != d, f"{p}: defect 6 MethodSettings throttling present={thr}")
        plans = asm.of_type(stage, "AWS::ApiGateway::UsagePlan")
        check(bool(plans) != d, f"{p}: defect 6 usage plan")
        for plan in plans.values():
            pp = plan["Properties"]
            check("Throttle" in pp and "Quota" in pp and pp.get("ApiStages"), f"{p}: usage plan props")
        check(bool(asm.of_type(stage, "AWS::ApiGateway::ApiKey")) != d, f"{p}: defect 6 api key")
        check(bool(asm.of_type(stage, "AWS::ApiGateway::UsagePlanKey")) != d, f"{p}: defect 6 usage plan key")
        methods = asm.of_type(stage, "AWS::ApiGateway::Method")
        check(len(methods) == 4, f"{p}: 4 methods")
        for k, m in methods.items():
            check(bool(m["Properties"].get("ApiKeyRequired")) != d, f"{p}: defect 6 ApiKeyRequired {k}")

        # 7 monitoring
        alarms = asm.of_type(stage, "AWS::CloudWatch::Alarm", "mon")
        dash = asm.of_type(stage, "AWS::CloudWatch::Dashboard", "mon")
        if d:
            check(len(alarms) == 1 and not dash, f"{p}: defect 7 one alarm, no dashboard")
            (alarm,) = alarms.values()
            check(alarm["Properties"]["MetricName"] == "Errors" and "AlarmActions" not in alarm["Properties"],
                  f"{p}: defect 7 lone Errors alarm without action")
        else:
            got = sorted((a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms.values())
            want_m = sorted([("AWS/Lambda", m) for m in ("Errors", "Duration", "Throttles") for _ in range(3)]
                            + [("AWS/ApiGateway", "4XXError"), ("AWS/ApiGateway", "5XXError")])
            check(got == want_m, f"{p}: alarms {got}")
            check(all(a["Properties"].get("AlarmActions") for a in alarms.values()), f"{p}: alarm actions")
            check(len(dash) == 1, f"{p}: dashboard")
            body = json.dumps(list(dash.values())[0]["Properties"]["DashboardBody"])
            for fn in USER_FUNCTIONS:
                check(f"PublishOutputRef{fn}" in body, f"{p}: dashboard widget for {fn}")
            check("ApiGateway" in body and "ApiName" in body, f"{p}: dashboard widget for the API")

        # 8 timeouts
        timeouts = {fn: asm.by_path(stage, f"Api/{fn}/Resource")[1]["Properties"].get("Timeout", 3)
                    for fn in USER_FUNCTIONS}
        want_t = ({"OrdersApiFunction": 900, "ReportFunction": 300, "WorkerFunction": 900} if d
                  else {fn: 10 for fn in USER_FUNCTIONS})
        check(timeouts == want_t, f"{p}: defect 8 timeouts {timeouts}")

        # 9 CloudFront cache policy on /api/*
        _, dist = asm.by_path(stage, "Api/Cdn/Resource")
        cfg = dist["Properties"]["DistributionConfig"]
        (beh,) = [b for b in cfg["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
        check(beh["CachePolicyId"] == (CACHING_OPTIMIZED if d else CACHING_DISABLED), f"{p}: defect 9")
        check(cfg["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_OPTIMIZED, f"{p}: S3 default behavior")

        # 10 tags
        taggable = [asm.by_path(stage, x)[1] for x in (
            "Api/DataBucket/Resource", "Api/OrdersTable/Resource", "Api/OrdersApiFunction/Resource",
            "Api/OrdersApiLogGroup/Resource", "Api/AlertsTopic/Resource", "Api/Cdn/Resource",
            "Api/OrdersApi/Resource")]
        taggable.append(asm.by_path(stage, "Api/Storage/EventsQueue/Resource", "nested")[1])
        taggable.append(asm.by_path(stage, "Api/Storage/AuditTable/Resource", "nested")[1])
        taggable.append(asm.by_path(stage, "Monitoring/OrdersApiErrorsAlarm/Resource",
                                    "mon")[1])
        want_tags = (set() if stage == "Prod" else {"Environment"}) if d else {"Environment", "Owner"}
        for r in taggable:
            got_t = tag_keys(r) & {"Environment", "Owner"}
            check(got_t == want_tags, f"{p}: defect 10 tags {r['Metadata']['aws:cdk:path']} {got_t}")
        stack_tags = {t["Key"] for t in asm.stage[stage]["api_art"]["properties"].get("tags", {})} \
            if isinstance(asm.stage[stage]["api_art"]["properties"].get("tags"), list) \
            else set(asm.stage[stage]["api_art"]["properties"].get("tags", {}))
        check(stack_tags == (set() if d else {"Environment", "Owner"}), f"{p}: manifest stack tags {stack_tags}")

        # 11 hardcoded region/account/physical names
        text = asm.text(stage)
        check(("eu-west-1" in text and "123456789012" in text) == d, f"{p}: defect 11 literal region/account")
        _, wfn = asm.by_path(stage, "Api/WorkerFunction/Resource")
        check((wfn["Properties"]["Environment"]["Variables"]["ALERTS_TOPIC_ARN"]
               == "arn:aws:sns:eu-west-1:123456789012:alerts-topic") == d, f"{p}: defect 11 env var")
        _, otab = asm.by_path(stage, "Api/OrdersTable/Resource")
        _, ofn = asm.by_path(stage, "Api/OrdersApiFunction/Resource")
        check((otab["Properties"].get("TableName") == "orders") == d, f"{p}: defect 11 table name")
        check((ofn["Properties"].get("FunctionName") == "orders-api") == d, f"{p}: defect 11 function name")

        # 12 CodeDeploy + alias
        check(bool(asm.of_type(stage, "AWS::CodeDeploy::DeploymentGroup")) == d, f"{p}: defect 12 deployment group")
        check(bool(asm.of_type(stage, "AWS::Lambda::Alias")) == d, f"{p}: defect 12 alias")

        # 13 handler imports vs. asset + layer
        rlid, _ = asm.by_path(stage, "Api/ReportFunction/Resource")
        rdir = asm.asset_dir(stage, rlid)
        mods = imports_of(rdir / "handler.py")
        layer_dir = asm.asset_dir(stage, asm.by_path(stage, "Api/SharedUtilsLayer/Resource")[0])
        provided = {x.name for x in (layer_dir / "python").iterdir()} | {x.stem for x in rdir.glob("*.py")}
        missing = mods - provided - set(sys.stdlib_module_names) - {"boto3", "botocore"}
        check(missing == ({"requests", "pydantic"} if d else set()), f"{p}: defect 13 missing imports {missing}")
        check({"shared_utils", "formatting", "boto3"} <= mods, f"{p}: defect 13 satisfied imports {mods}")

        # 15 deprecated API: annotation + LogRetention singleton
        warns = asm.warnings(stage)
        dep = [w for w in warns if "logRetention is deprecated" in w[1]]
        check((len(dep) == 1 and dep[0][0] == f"/{stage}/Api/ReportFunction") == d, f"{p}: defect 15 {dep}")
        if not d:
            check(not warns, f"{p}: fixed variant has no aws:cdk:warning ({warns})")
        check(bool(asm.of_type(stage, "Custom::LogRetention")) == d, f"{p}: defect 15 Custom::LogRetention")

        # 16 CDK helper resources present in both variants
        check(bool(asm.of_type(stage, "Custom::S3AutoDeleteObjects")) == (stage == "Dev"),
              f"{p}: 16 AutoDeleteObjects in Dev only")
        check(bool(asm.of_type(stage, "Custom::S3BucketNotifications")), f"{p}: 16 BucketNotifications")
        check(any("BucketNotificationsHandler" in k[1] for k in asm.of_type(stage, "AWS::Lambda::Function")),
              f"{p}: 16 BucketNotificationsHandler function")
        check(bool(asm.of_type(stage, "AWS::ApiGateway::Account")), f"{p}: 16 ApiGateway Account + role")
        check(res[asm.by_path(stage, "Api/OrdersApi/CloudWatchRole/Resource")[0]]["Type"] == "AWS::IAM::Role",
              f"{p}: 16 CloudWatchRole")

    # 14 alpha construct (tree.json)
    tree = json.dumps(asm.tree)
    check(("@aws-cdk/aws-iot-alpha.TopicRule" in tree) == d, f"{v}: defect 14 alpha fqn in tree.json")
    check(("-alpha" in tree) == d, f"{v}: no -alpha fqn in fixed tree.json")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent)
    args = ap.parse_args()
    for variant in ("defective", "fixed"):
        asm = Assembly(args.root / f"serverless-{variant}" / "cdk.out")
        structure(asm, variant)
        defects(asm, variant)
    print(f"check_samples: {RESULTS['passed']} passed, {RESULTS['failed']} failed")
    sys.exit(1 if RESULTS["failed"] else 0)


if __name__ == "__main__":
    main()
