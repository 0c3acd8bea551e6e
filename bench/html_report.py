#!/usr/bin/env python3
"""Size and first-render time of the HTML report in headless Chromium (see README, HTML report).

    python bench/html_report.py                                   # bench/out/s40x25/cdk.out
    python bench/html_report.py sample_templates/serverless-defective/cdk.out \\
        --screenshot docs/html-report.png --view assembly

Scans the assembly with every check, writes ``--format html`` to bench/out/, opens it from the
file in Chromium (Debian's ``chromium``, driven by Playwright) and prints: the file size, the
time from navigation to the page being ready (overview and findings table drawn), and the time
to draw the assembly view (layout included). Optionally saves a screenshot of one view.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?", default=str(HERE / "out" / "s40x25" / "cdk.out"))
    ap.add_argument("--out", type=Path, default=HERE / "out" / "report.html")
    ap.add_argument("--screenshot", type=Path)
    ap.add_argument("--view", default="overview",
                    choices=["overview", "findings", "suppressed", "assembly"])
    ap.add_argument("--select", action="store_true",
                    help="select the first error finding before the screenshot")
    ap.add_argument("--chromium", default=os.environ.get("CFNCHECK_CHROMIUM")
                    or shutil.which("chromium"))
    args = ap.parse_args()
    if not Path(args.path).exists():
        print(f"html_report: {args.path} not found (python bench/generate.py first)",
              file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    cfncheck = Path(sys.executable).parent / "cfncheck"
    proc = subprocess.run([str(cfncheck), "scan", args.path, "--format", "html", "-o",
                           str(args.out)], capture_output=True, text=True)
    scan_s = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        print(proc.stderr, file=sys.stderr)
        return proc.returncode
    size = args.out.stat().st_size

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        t = time.perf_counter()
        page.goto(args.out.resolve().as_uri())
        page.wait_for_function("window.cfncheckReport && window.cfncheckReport.ready")
        ready_s = time.perf_counter() - t
        script_ms = page.evaluate("window.cfncheckReport.renderMs")
        t = time.perf_counter()
        page.evaluate("window.cfncheckReport.show('assembly')")
        page.wait_for_function("window.cfncheckReport.cy && "
                               "window.cfncheckReport.cy.nodes().length > 0")
        graph_s = time.perf_counter() - t
        drawn = page.evaluate("[window.cfncheckReport.cy.nodes().length, "
                              "window.cfncheckReport.cy.edges().length]")
        if args.screenshot:
            page.evaluate(f"window.cfncheckReport.show('{args.view}')")
            if args.select:
                page.evaluate("window.cfncheckReport.selectFinding(window.cfncheckReport.data"
                              ".findings.findIndex(f => f.sev === 'error' && f.node >= 0))")
            page.wait_for_timeout(500)
            args.screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.screenshot))
        browser.close()
    print(f"assembly         {args.path}")
    print(f"scan + write     {scan_s:.2f} s")
    print(f"report size      {size / 1e6:.2f} MB")
    print(f"first render     {ready_s:.2f} s (page script {script_ms / 1000:.2f} s)")
    print(f"assembly view    {graph_s:.2f} s ({drawn[0]} nodes, {drawn[1]} edges drawn)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
