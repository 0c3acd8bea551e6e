"""every / some / lookup: element context ($), vacuous truth, counts, joins, locations."""

from __future__ import annotations

from .conftest import make_policy, make_stack, verdicts


def dist(behaviors, origins):
    return {"Type": "AWS::CloudFront::Distribution",
            "Properties": {"DistributionConfig": {"CacheBehaviors": behaviors,
                                                  "Origins": origins}}}


API = {"Id": "api", "DomainName": {"Fn::Sub": "${Api}.execute-api.${AWS::Region}.amazonaws.com"}}
S3 = {"Id": "s3", "DomainName": {"Fn::GetAtt": ["Bucket", "RegionalDomainName"]}}
DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"

CF_POLICY = {
    "every": {
        "path": "Properties.DistributionConfig.CacheBehaviors",
        "where": {"lookup": {"path": "Properties.DistributionConfig.Origins", "key": "Id",
                             "equals": "$.TargetOriginId",
                             "assert": {"path": "$.DomainName",
                                        "references": {"type": "AWS::ApiGateway::RestApi"}}}},
        "assert": {"path": "$.CachePolicyId", "equals": DISABLED},
    }
}


def resources(**dists):
    return {"Api": {"Type": "AWS::ApiGateway::RestApi"}, "Bucket": {"Type": "AWS::S3::Bucket"},
            **dists}


def test_every_with_lookup_join():
    pol = make_policy(CF_POLICY, resource_types=["AWS::CloudFront::Distribution"])
    vs = verdicts(pol, make_stack(resources(
        Good=dist([{"PathPattern": "/api/*", "TargetOriginId": "api", "CachePolicyId": DISABLED},
                   {"PathPattern": "/img/*", "TargetOriginId": "s3",
                    "CachePolicyId": OPTIMIZED}], [API, S3]),
        Bad=dist([{"PathPattern": "/img/*", "TargetOriginId": "s3", "CachePolicyId": OPTIMIZED},
                  {"PathPattern": "/api/*", "TargetOriginId": "api",
                   "CachePolicyId": OPTIMIZED}], [S3, API]),
        NoBehaviors=dist([], [S3]),
    )))
    assert {k: v.status for k, v in vs.items()} == {
        "Api": "SKIP", "Bucket": "SKIP", "Good": "PASS", "Bad": "FAIL", "NoBehaviors": "PASS"}
    hit = vs["Bad"].hit
    assert hit.path == ("Resources", "Bad", "Properties", "DistributionConfig", "CacheBehaviors",
                        1, "CachePolicyId")
    assert hit.key == "Properties.DistributionConfig.CacheBehaviors[PathPattern=/api/*]" \
                      ".CachePolicyId"
    assert vs["Bad"].reason == (f"Properties.DistributionConfig.CacheBehaviors[1].CachePolicyId "
                                f'is "{OPTIMIZED}", expected "{DISABLED}"')


def test_lookup_fails_when_nothing_matches():
    pol = make_policy({"every": {"path": "Properties.B", "assert": {
        "lookup": {"path": "Properties.O", "key": "Id", "equals": "$.T",
                   "assert": {"path": "$", "exists": True}}}}})
    vs = verdicts(pol, make_stack({"R": {"Type": "AWS::S3::Bucket", "Properties": {
        "B": [{"T": "a"}, {"T": "zz"}], "O": [{"Id": "a"}]}}}))
    assert vs["R"].status == "FAIL"
    assert vs["R"].reason == 'no element of Properties.O has Id = "zz"'


def test_lookup_with_literal_key():
    t = {"lookup": {"path": "Properties.O", "key": "Id", "equals": "a",
                    "assert": {"path": "$.V", "equals": 1}}}
    pol = make_policy(t)
    res = {"Y": {"Type": "AWS::S3::Bucket", "Properties": {"O": [{"Id": "a", "V": 1}]}},
           "N": {"Type": "AWS::S3::Bucket", "Properties": {"O": [{"Id": "a", "V": 2}]}}}
    assert {k: v.status for k, v in verdicts(pol, make_stack(res)).items()} == \
        {"Y": "PASS", "N": "FAIL"}


def test_some_counts_and_where(check):
    t = {"some": {"path": "Properties.S", "count_gte": 2,
                  "assert": {"path": "$.Rate", "gt": 0}}}
    res = {"Two": {"Type": "AWS::S3::Bucket", "Properties": {"S": [{"Rate": 1}, {"Rate": 5}]}},
           "One": {"Type": "AWS::S3::Bucket", "Properties": {"S": [{"Rate": 1}, {"Rate": 0}]}},
           "Missing": {"Type": "AWS::S3::Bucket"}}
    assert check(t, res) == {"Two": "PASS", "One": "FAIL", "Missing": "FAIL"}
    t = {"some": {"path": "Properties.S", "where": {"path": "$.Rate", "gt": 1},
                  "assert": {"path": "$.Rate", "lt": 10}}}
    assert check(t, res) == {"Two": "PASS", "One": "FAIL", "Missing": "FAIL"}


def test_some_reason():
    pol = make_policy({"some": {"path": "Properties.S", "assert": {"path": "$.Rate", "gt": 0}}})
    v = verdicts(pol, make_stack({"R": {"Type": "AWS::S3::Bucket",
                                        "Properties": {"S": [{"Rate": 0}]}}}))["R"]
    assert v.reason.startswith("0 element(s) of Properties.S satisfy ($.Rate is > 0), "
                               "expected at least 1; e.g. Properties.S[0].Rate is 0")


def test_every_vacuous_scalar_and_intrinsic(check):
    t = {"every": {"path": "Properties.L", "assert": {"path": "$.K", "exists": True}}}
    res = {"Empty": {"Type": "AWS::S3::Bucket", "Properties": {"L": []}},
           "Missing": {"Type": "AWS::S3::Bucket"},
           "Scalar": {"Type": "AWS::S3::Bucket", "Properties": {"L": "x"}},
           "Intrinsic": {"Type": "AWS::S3::Bucket", "Properties": {"L": {"Ref": "P"}}},
           "IntrinsicElement": {"Type": "AWS::S3::Bucket", "Properties": {
               "L": [{"K": 1}, {"Fn::If": ["C", {"K": 1}, {"K": 2}]}]}},
           "NoValueElement": {"Type": "AWS::S3::Bucket", "Properties": {
               "L": [{"K": 1}, {"Ref": "AWS::NoValue"}]}}}
    assert check(t, res) == {"Empty": "PASS", "Missing": "PASS", "Scalar": "FAIL",
                             "Intrinsic": "FAIL", "IntrinsicElement": "FAIL",
                             "NoValueElement": "PASS"}
    t["every"]["unresolved"] = "skip"
    assert check(t, res)["Intrinsic"] == "SKIP"


def test_every_and_some_over_several_paths_with_a_single_mapping(check):
    t = {"every": {"path": ["Properties.Default", "Properties.Others"],
                   "assert": {"path": "$.K", "equals": 1}}}
    res = {"AllOk": {"Type": "AWS::S3::Bucket",
                     "Properties": {"Default": {"K": 1}, "Others": [{"K": 1}, {"K": 1}]}},
           "DefaultBad": {"Type": "AWS::S3::Bucket",
                          "Properties": {"Default": {"K": 2}, "Others": [{"K": 1}]}},
           "OtherBad": {"Type": "AWS::S3::Bucket",
                        "Properties": {"Default": {"K": 1}, "Others": [{"K": 3}]}},
           "NoOthers": {"Type": "AWS::S3::Bucket", "Properties": {"Default": {"K": 1}}}}
    assert check(t, res) == {"AllOk": "PASS", "DefaultBad": "FAIL", "OtherBad": "FAIL",
                             "NoOthers": "PASS"}
    pol = make_policy(t)
    v = verdicts(pol, make_stack({"OtherBad": res["OtherBad"]}))["OtherBad"]
    assert v.hit.path == ("Resources", "OtherBad", "Properties", "Others", 0, "K")
    t = {"some": {"path": ["Properties.Default", "Properties.Others"],
                  "assert": {"path": "$.K", "equals": 3}}}
    assert check(t, res) == {"AllOk": "FAIL", "DefaultBad": "FAIL", "OtherBad": "PASS",
                             "NoOthers": "FAIL"}


def test_every_over_multi_valued_path(check):
    t = {"every": {"path": "Properties.L[*].Tags", "assert": {"path": "$", "length_gte": 1}}}
    res = {"Y": {"Type": "AWS::S3::Bucket", "Properties": {"L": [{"Tags": [1]}, {"Tags": [2]}]}},
           "N": {"Type": "AWS::S3::Bucket", "Properties": {"L": [{"Tags": [1]}, {"Tags": []}]}}}
    assert check(t, res) == {"Y": "PASS", "N": "FAIL"}


def test_nested_every_uses_innermost_element(check):
    t = {"every": {"path": "Properties.Statement", "assert": {
        "every": {"path": "$.Action", "assert": {"path": "$", "not_equals": "*"}}}}}
    res = {"Y": {"Type": "AWS::S3::Bucket", "Properties": {"Statement": [{"Action": ["s3:Get"]}]}},
           "N": {"Type": "AWS::S3::Bucket", "Properties": {
               "Statement": [{"Action": ["s3:Get"]}, {"Action": ["a", "*"]}]}}}
    assert check(t, res) == {"Y": "PASS", "N": "FAIL"}
