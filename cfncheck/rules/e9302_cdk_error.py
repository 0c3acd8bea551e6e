"""E9302: CDK ``aws:cdk:error`` annotations."""

from __future__ import annotations

from . import w9301_cdk_warning


class CdkError(w9301_cdk_warning.CdkWarning):
    """Errors CDK recorded in the cloud assembly (``aws:cdk:error`` metadata), as findings at
    the construct that raised them. ``cdk deploy`` refuses an assembly with errors, but
    ``cdk synth --no-validation`` and other pipelines can still produce and ship one; the
    construct path is mapped to a resource exactly as for W9301.
    """

    id = "E9302"
    shortdesc = "CDK synthesis error"
    description = "Errors CDK attached to constructs (aws:cdk:error) must be fixed"
    tags = ["cdk", "correctness"]
    security_severity = 5.0
    level = "error"
    remediation = "Fix the construct configuration the error names; the app is not deployable."
    rationale = ("An aws:cdk:error means CDK knows the construct is wrong (a missing required "
                 "property, an impossible combination); the template may still synthesize.")
    fix_example = (
        "# e.g. \"Cannot use 'removalPolicy' ...\": remove the conflicting property\n"
        "bucket = s3.Bucket(self, \"Data\", removal_policy=RemovalPolicy.RETAIN)")
    bad_example = ('"/Prod/Api/Thing": [{"type": "aws:cdk:error", "data": "..."}]'
                   '   (manifest / *.metadata.json)')
