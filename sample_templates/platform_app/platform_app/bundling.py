"""Local (no Docker) bundling of a function with the app's in-repo ``acme_common`` package.

CDK calls ``try_bundle`` only for stacks selected by ``aws:cdk:bundling-stacks``;
for the others it records the function's absolute source folder as the asset.
"""
import shutil
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from .config import ASSET_EXCLUDES, LAMBDA_DIR

SHARED_PACKAGE = LAMBDA_DIR / "shared" / "acme_common"


@jsii.implements(ILocalBundling)
class CopyWithSharedPackage:
    def __init__(self, source: Path) -> None:
        self.source = source

    def try_bundle(self, output_dir: str, *args, **kwargs) -> bool:
        ignore = shutil.ignore_patterns(*ASSET_EXCLUDES)
        shutil.copytree(self.source, output_dir, dirs_exist_ok=True, ignore=ignore)
        shutil.copytree(SHARED_PACKAGE, Path(output_dir) / "acme_common", dirs_exist_ok=True, ignore=ignore)
        return True


def bundled_code(name: str, runtime: lambda_.Runtime) -> lambda_.Code:
    """Code of ``lambda/<name>`` plus ``acme_common``; Docker is only the fallback."""
    source = LAMBDA_DIR / name
    return lambda_.Code.from_asset(
        str(source),
        exclude=ASSET_EXCLUDES,
        bundling=BundlingOptions(
            image=runtime.bundling_image,
            command=["bash", "-c", "cp -r . /asset-output/ && cp -r /shared/acme_common /asset-output/"],
            local=CopyWithSharedPackage(source),
        ),
    )
