"""E9402 (cfncheck/rules/e9402_lambda_import_unresolved.py): unresolvable Python imports."""

from __future__ import annotations

import json
import shutil

from cfncheck.rules.e9402_lambda_import_unresolved import LambdaImportUnresolved
from tests.rules.helpers import DEFECTIVE, FIXED, PROD_API, line_text, only, run_rule

REPORT_ASSET = "asset.f9117170bc07bf4144ad7ac7d5f2f5045ac4acfb32c51a0be9c539700c558e3f"
FIXED_REPORT_ASSET = "asset.2d04825f00df71caaa870e10a0eea974fdf7a19225dd280e5d9af22ca0d0ed4e"
LAYER_ASSET = "asset.31a144ba42b6ebbdf0e53caaa7109928b3eec5fdbef7a2bc77f0fa3a19157e34"


def test_defective_sample_reports_requests_and_pydantic(sample_findings):
    found = only(sample_findings["defective"], "E9402")
    assert [(f.stack, f.logical_id, f.key) for f in found] == [
        ("Dev/Api", "ReportFunction3CBC8DF1", "import:pydantic"),
        ("Dev/Api", "ReportFunction3CBC8DF1", "import:requests"),
        ("Prod/Api", "ReportFunction3CBC8DF1", "import:pydantic"),
        ("Prod/Api", "ReportFunction3CBC8DF1", "import:requests"),
    ]
    assert found[3].message == (
        "AWS::Lambda::Function ReportFunction3CBC8DF1: handler.py:14 imports 'requests', which "
        f"is in neither {REPORT_ASSET}, layer SharedUtilsLayer nor the python3.12 standard "
        "library / runtime modules")
    assert found[3].path == ("Resources", "ReportFunction3CBC8DF1", "Properties", "Code")
    assert line_text(found[3]).strip() == '"Code": {'
    assert (DEFECTIVE / REPORT_ASSET / "handler.py").read_text().splitlines()[13] == \
        "import requests"
    assert all(f.severity == "error" for f in found)


def test_fixed_sample_has_none_layer_and_local_module_resolve(sample_findings):
    assert only(sample_findings["fixed"], "E9402") == []


def edit_function(root, lid: str, **props) -> None:
    path = root / PROD_API
    data = json.loads(path.read_text())
    data["Resources"][lid]["Properties"].update(props)
    path.write_text(json.dumps(data, indent=1))


def test_without_the_layer_its_package_is_missing(assembly_copy):
    root = assembly_copy(FIXED)
    edit_function(root, "ReportFunction3CBC8DF1", Layers=[])
    found = [f for f in run_rule(LambdaImportUnresolved, root, root) if f.stack == "Prod/Api"]
    assert [(f.logical_id, f.key) for f in found] == [("ReportFunction3CBC8DF1",
                                                       "import:shared_utils")]
    assert "handler.py:9 imports 'shared_utils', which is in neither " \
        f"{FIXED_REPORT_ASSET} nor the python3.12" in found[0].message


def test_layer_package_in_the_wrong_folder_and_opaque_layers(assembly_copy):
    root = assembly_copy(FIXED)
    layer = root / LAYER_ASSET
    wrong = layer / "python" / "lib" / "python3.11" / "site-packages"
    wrong.mkdir(parents=True)
    shutil.move(str(layer / "python" / "shared_utils"), str(wrong / "shared_utils"))
    edit_function(root, "WorkerFunctionACE6A4B0", Layers=[
        {"Ref": "SharedUtilsLayerB5102E0E"},
        "arn:aws:lambda:eu-west-1:111122223333:layer:team-utils:3"])
    # AWS's Powertools layer is known: it provides aws_lambda_powertools, not shared_utils
    edit_function(root, "ReportFunction3CBC8DF1", Layers=[
        {"Ref": "SharedUtilsLayerB5102E0E"},
        {"Fn::Join": ["", ["arn:aws:lambda:", {"Ref": "AWS::Region"},
                           ":017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:7"]]}])
    found = {f.logical_id: f for f in run_rule(LambdaImportUnresolved, root, root)
             if f.stack == "Prod/Api"}
    assert sorted(found) == ["OrdersApiFunctionF46D4A7F", "ReportFunction3CBC8DF1",
                             "WorkerFunctionACE6A4B0"]
    assert "; found layer SharedUtilsLayer: under python/lib/python3.11/site-packages/" in \
        found["OrdersApiFunctionF46D4A7F"].message
    worker = found["WorkerFunctionACE6A4B0"]
    assert worker.severity == "warning"
    assert "it may come from arn:aws:lambda:eu-west-1:111122223333:layer:team-utils:3, " \
        "whose content is not in the assembly" in worker.message
    report = found["ReportFunction3CBC8DF1"]
    assert report.severity == "error" and "may come from" not in report.message
    assert f"which is in neither {FIXED_REPORT_ASSET}, layer SharedUtilsLayer, the AWS " \
        "(Powertools for AWS Lambda, Python) layer nor the python3.12 standard library" \
        in report.message


def test_imports_of_local_modules_are_followed(assembly_copy):
    root = assembly_copy(FIXED)
    fmt = root / FIXED_REPORT_ASSET / "formatting.py"
    fmt.write_text(fmt.read_text() + "\nimport yaml\n")
    found = [f for f in run_rule(LambdaImportUnresolved, root, root,
                                 params={"runtime_modules": []}) if f.stack == "Prod/Api"]
    n = len(fmt.read_text().splitlines())
    assert [f.message.split(": ", 1)[1].split(",")[0] for f in found] == \
        [f"formatting.py:{n} imports 'yaml'"]
    assert run_rule(LambdaImportUnresolved, root, root, params={"ignore": ["yaml"]}) == []
    assert run_rule(LambdaImportUnresolved, root, root,
                    params={"runtime_modules": ["yaml"]}) == []


def test_cfn_lint(cfnlint_matches, sample_findings):
    cdk = sorted(m[1:] for m in cfnlint_matches[str(DEFECTIVE / PROD_API)] if m[0] == "E9402")
    scanned = sorted((f.line, f.message) for f in only(sample_findings["defective"], "E9402")
                     if f.stack == "Prod/Api")
    assert cdk == scanned and len(cdk) == 2
    assert [m for m in cfnlint_matches[str(FIXED / PROD_API)] if m[0] == "E9402"] == []


def test_an_unbundled_requirements_set_is_one_finding(assembly_copy):
    root = assembly_copy(FIXED)
    asset = root / FIXED_REPORT_ASSET
    (asset / "requirements.txt").write_text("requests==2.32.3\nPyYAML==6.0.2\n")
    handler = asset / "handler.py"
    handler.write_text("import requests\nimport yaml\n" + handler.read_text())
    found = [f for f in run_rule(LambdaImportUnresolved, root, root) if f.stack == "Prod/Api"]
    assert [(f.logical_id, f.key, f.severity) for f in found] == [
        ("ReportFunction3CBC8DF1", "unbundled", "error")]
    assert found[0].message == (
        f"AWS::Lambda::Function ReportFunction3CBC8DF1: the asset ({FIXED_REPORT_ASSET}) holds "
        "requirements.txt but no installed package: the code was deployed without its "
        "dependencies, so the imports of 'requests' (handler.py:1), 'yaml' (handler.py:2) "
        "fail on every cold start")
    # once something is installed, each missing import is its own finding again
    (asset / "requests").mkdir()
    (asset / "requests-2.32.3.dist-info").mkdir()
    (asset / "requests-2.32.3.dist-info" / "top_level.txt").write_text("requests\n")
    found = [f for f in run_rule(LambdaImportUnresolved, root, root) if f.stack == "Prod/Api"]
    assert [f.key for f in found] == ["import:yaml"]
