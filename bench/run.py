#!/usr/bin/env python3
"""Benchmark cfncheck against cfn-lint and checkov on generated assemblies (docs/performance.md).

    .venv/bin/python bench/run.py                       # s10x20 and s40x25, all tools
    .venv/bin/python bench/run.py --sizes 40x25 --no-peers

For each size (generated with bench/generate.py when missing) it runs, one after the other on
the same input:

* ``cfncheck scan <cdk.out> -f json -o /dev/null`` with every built-in rule and policy enabled
  (``--config`` with ``packs: [all]`` and ``rules: {only: ["*"]}``), with the default ``--jobs``
  and with ``--jobs 1``
  (each ``--repeat`` times, the median is reported);
* ``cfn-lint <every template>`` (one process, default rules) when cfn-lint is installed;
* ``checkov -d <cdk.out> --framework cloudformation --quiet`` when checkov is installed (looked
  for in ``--checkov``, /work/venv-peers/bin, then PATH);
* the plain ``json.loads`` of the same templates (best of 5, in this process);
* first (unless ``--no-one-template``), the start-up case: ``cfncheck scan`` of one template of
  the bundled sample with the default checks and with every pack, median of ``--repeat`` (at
  least 5) runs after a run that warms the user cache (``--sizes ''`` measures only this),
  wall time and CPU time (user + system, from GNU time: steadier than wall time on a shared
  machine).

cfncheck's package is byte-compiled first, as an installed wheel is (pip compiles the peers'
packages when it installs them); the runs themselves write no bytecode.

Wall time is measured around each command, in runs where nothing else of the benchmark works:
the process-tree memory sampler reads /proc every 20 ms, and on a 2-core machine that thread
takes CPU from a tool running two processes (it made cfncheck's runs 40% slower). Peak memory
is reported twice: the largest single process (``Maximum resident set size`` of GNU
``/usr/bin/time -v``, else ``ru_maxrss`` of the child), from the timed runs, and the whole
process tree (the peak of the summed PSS of the command and its children, sampled from /proc:
workers sharing pages copy-on-write are counted once), from one extra sampled run of each
cfncheck variant. The peers run in one process (checkov's and cfn-lint's trees are the process
itself), so their tree figure is their largest process.
Exit codes other than "ran to the end" (0/1; cfn-lint: 0 or a mask of 2/4/8) fail the
benchmark: a crashed tool measures nothing.

It then checks that the findings are identical with ``--jobs 1`` and ``--jobs 2`` (sorted
fingerprints, and the full JSON findings in order), prints the time per resource for each size
(linear scaling) and the ratios, and prints a markdown table ready for the README.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GNU_TIME = "/usr/bin/time"


@dataclass
class Run:
    tool: str
    size: str
    wall: float
    rss_mb: float  # largest single process
    tree_mb: float  # peak summed PSS of the process tree
    exit_code: int
    cpu: float = 0.0  # user + system CPU seconds of the command and its children (GNU time)


# ---------------------------------------------------------------------------------------------
# measuring one command


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    out.extend(int(x) for x in fh.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


def _pss_kb(pid: int) -> int:
    for name, field in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(name) as fh:
                for line in fh:
                    if line.startswith(field):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


class TreeSampler(threading.Thread):
    """Peak of the summed PSS of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            todo, total, seen = [self.pid], 0, set()
            while todo:
                p = todo.pop()
                if p in seen:
                    continue
                seen.add(p)
                if p != self.pid or not self.wraps_time:
                    total += _pss_kb(p)
                todo.extend(_children(p))
            self.peak_kb = max(self.peak_kb, total)
            self.done.wait(self.interval)

    wraps_time = False


#: Exit codes that mean "ran to the end" (cfn-lint: a bitmask of 2 error, 4 warning, 8 info).
OK_CODES = {"cfn-lint": {0, 2, 4, 6, 8, 10, 12, 14}}


def measure(cmd: list[str], tool: str, size: str, env: dict | None = None,
            cwd: Path | None = None, sample: bool = False) -> Run:
    use_time = os.access(GNU_TIME, os.X_OK)
    full = [GNU_TIME, "-v", "--"] + cmd if use_time else cmd
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd=cwd)
    sampler = TreeSampler(proc.pid) if sample else None
    if sampler is not None:
        sampler.wraps_time = use_time
        sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - started
    if sampler is not None:
        sampler.done.set()
        sampler.join()
    text = err.decode(errors="replace")
    code = proc.returncode
    rss_kb = 0
    cpu = 0.0
    if use_time:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        rss_kb = int(m.group(1)) if m else 0
        cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)",
                                                 text))
        m = re.search(r"Exit status: (\d+)", text)
        code = int(m.group(1)) if m else code
        m = re.search(r"Command terminated by signal (\d+)", text)
        code = -int(m.group(1)) if m else code
    else:
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rss_kb = after if after > before else 0  # only grows: a lower bound otherwise
    if code not in OK_CODES.get(tool, {0, 1}):
        tail = "\n".join(text.strip().splitlines()[-15:])
        raise SystemExit(f"bench: {tool} exited {code} on {size}:\n{tail}")
    # not sampled, or a run shorter than one sample: the largest process
    tree_kb = (sampler.peak_kb if sampler is not None else 0) or rss_kb
    return Run(tool, size, wall, rss_kb / 1024, tree_kb / 1024, code, cpu)


# ---------------------------------------------------------------------------------------------
# tools


def cfncheck_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("cfncheck")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cfncheck.cli"]


def find_tool(name: str, explicit: str | None, venvs: tuple[str, ...]) -> str | None:
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for v in venvs:
        p = Path(v) / "bin" / name
        if os.access(p, os.X_OK):
            return str(p)
    return shutil.which(name)


def tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (out.stdout.strip() or out.stderr.strip()).splitlines()[-1] if (out.stdout or
                                                                           out.stderr) else "?"


def json_parse_time(files: list[Path], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for f in files:
            json.loads(f.read_bytes())
        best = min(best, time.perf_counter() - started)
    return best


def _burn(n: int = 5_000_000) -> None:
    x = 0
    for i in range(n):
        x += i


def parallel_capacity(workers: int = 2) -> float:
    """How many cores this run really gets: the speed-up of ``workers`` busy processes over
    one (2.0 on an idle 2-core machine; near 1.0 when other load takes the second core)."""
    started = time.perf_counter()
    _burn()
    one = time.perf_counter() - started
    started = time.perf_counter()
    pids = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            _burn()
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    return workers * one / (time.perf_counter() - started)


def fingerprints(path: Path) -> tuple[list[str], list[dict]]:
    data = json.loads(path.read_text())
    findings = data["findings"] if isinstance(data, dict) else data
    return sorted(f["fingerprint"] for f in findings), findings


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10x20,40x25",
                        help="comma-separated STACKSxFUNCTIONS (default 10x20,40x25)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="--jobs for the main cfncheck run (default: cfncheck's default)")
    parser.add_argument("--repeat", type=int, default=3, help="cfncheck runs per size")
    parser.add_argument("--no-peers", action="store_true", help="skip cfn-lint and checkov")
    parser.add_argument("--cfn-lint", dest="cfn_lint", help="cfn-lint executable")
    parser.add_argument("--checkov", help="checkov executable")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--no-one-template", action="store_true",
                        help="skip the one-template start-up measurement")
    args = parser.parse_args(argv)

    cfncheck = cfncheck_cmd()
    cfn_lint = checkov = None
    if not args.no_peers:
        cfn_lint = find_tool("cfn-lint", args.cfn_lint, (str(Path(sys.executable).parent.parent),))
        checkov = find_tool("checkov", args.checkov, ("/work/venv-peers",))
    config = args.out / "bench-config.yaml"
    args.out.mkdir(parents=True, exist_ok=True)
    config.write_text('# every built-in rule and policy, every pack (opt-in checks too)\n'
                      'packs: [all]\nrules:\n  only: ["*"]\n')
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("CFNCHECK_DEBUG", None)
    # Bytecode as an installed wheel has it (pip compiles every package it installs, the peers'
    # included): an editable install under PYTHONDONTWRITEBYTECODE would recompile cfncheck's
    # own modules on every run and time the compiler.
    compileall.compile_dir(str(Path(cfncheck_pkg())), quiet=1)

    machine = (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
               f"Python {platform.python_version()}")
    versions = {"cfncheck": tool_version(cfncheck + ["--version"])}
    if cfn_lint:
        versions["cfn-lint"] = tool_version([cfn_lint, "--version"])
    if checkov:
        versions["checkov"] = tool_version([checkov, "--version"])
    rules = subprocess.run(cfncheck + ["rules", "--config", str(config)], capture_output=True,
                           text=True).stdout.strip().splitlines()
    capacity = parallel_capacity() if hasattr(os, "fork") else 1.0
    machine += f", 2-process CPU speed-up available now {capacity:.1f}x"
    print(f"# {machine}; {', '.join(f'{k} {v}' for k, v in versions.items())}; "
          f"{len(rules)} cfncheck checks enabled", flush=True)
    if not args.no_peers:
        if not cfn_lint:
            print("# cfn-lint not found: skipped", flush=True)
        if not checkov:
            print("# checkov not found (install it in a separate venv, e.g. "
                  "python3 -m venv /work/venv-peers && /work/venv-peers/bin/pip install "
                  "checkov): skipped", flush=True)

    if not args.no_one_template:
        one_template(cfncheck, config, env, max(5, args.repeat))

    rows = []
    for size in (args.sizes.split(",") if args.sizes else []):
        stacks, functions = (int(x) for x in size.lower().split("x"))
        name = f"s{stacks}x{functions}"
        cdk_out = args.out / name / "cdk.out"
        if not (cdk_out / "manifest.json").is_file():
            subprocess.run([sys.executable, str(HERE / "generate.py"), "--stacks", str(stacks),
                            "--functions", str(functions), "--out", str(args.out)], check=True)
        files = sorted(cdk_out.rglob("*.template.json"))
        n_res = sum(len(json.loads(f.read_bytes()).get("Resources") or {}) for f in files)
        mb = sum(f.stat().st_size for f in files) / 1e6
        parse = json_parse_time(files)
        print(f"\n## {name}: {len(files)} templates, {n_res} resources, {mb:.1f} MB; "
              f"json.loads {parse:.3f} s", flush=True)

        base = cfncheck + ["scan", str(cdk_out), "--config", str(config), "-f", "json"]
        # correctness first: identical findings with --jobs 1 and --jobs 2
        outs = {}
        for jobs in (1, 2):
            out = args.out / f"{name}-jobs{jobs}.json"
            res = subprocess.run(base + ["-o", str(out), "--jobs", str(jobs)], env=env,
                                 capture_output=True, text=True)
            if res.returncode not in (0, 1):
                raise SystemExit(f"bench: cfncheck --jobs {jobs} exited {res.returncode}:\n"
                                 f"{res.stderr}")
            outs[jobs] = fingerprints(out)
        same_fp = outs[1][0] == outs[2][0]
        same_all = outs[1][1] == outs[2][1]
        print(f"findings: {len(outs[1][0])} with --jobs 1, {len(outs[2][0])} with --jobs 2; "
              f"fingerprints identical: {same_fp}; full findings identical (same order): "
              f"{same_all}", flush=True)
        if not (same_fp and same_all):
            raise SystemExit("bench: FINDINGS DIFFER between --jobs 1 and --jobs 2")

        timed = base + ["-o", os.devnull]
        variants = [("cfncheck", timed + (["--jobs", str(args.jobs)] if args.jobs else [])),
                    ("cfncheck --jobs 1", timed + ["--jobs", "1"])]
        results: dict[str, Run] = {}
        for label, cmd in variants:
            runs = [measure(cmd, label, name, env) for _ in range(max(1, args.repeat))]
            wall = statistics.median(r.wall for r in runs)
            tree = measure(cmd, label, name, env, sample=True).tree_mb  # memory only
            results[label] = Run(label, name, wall, max(r.rss_mb for r in runs), tree,
                                 runs[0].exit_code)
            _print_run(results[label], n_res, runs)
        if cfn_lint:
            results["cfn-lint"] = measure([cfn_lint, *map(str, files)], "cfn-lint", name, env)
            _print_run(results["cfn-lint"], n_res)
        if checkov:
            results["checkov"] = measure([checkov, "-d", str(cdk_out), "--framework",
                                          "cloudformation", "--quiet"], "checkov", name, env)
            _print_run(results["checkov"], n_res)
        main_run = results["cfncheck"]
        for peer in ("checkov", "cfn-lint"):
            if peer in results:
                print(f"cfncheck / {peer}: {main_run.wall / results[peer].wall:.3f} x wall, "
                      f"{main_run.tree_mb / results[peer].tree_mb:.2f} x memory", flush=True)
        print(f"cfncheck / json.loads: {main_run.wall / parse:.1f} x", flush=True)
        rows.append((name, len(files), n_res, mb, parse, results, len(outs[1][0])))

    if rows:
        _print_table(rows, args, versions, machine)
    return 0


#: the one-template scan of a pre-commit hook or the CDK plugin on a small app
ONE_TEMPLATE = HERE.parent / "sample_templates" / "serverless-defective" / "cdk.out" / \
    "assembly-Dev" / "DevApi52A53550.template.json"


def one_template(cfncheck: list[str], config: Path, env: dict, repeat: int) -> None:
    """Wall time of ``cfncheck scan <one template> -f json -o /dev/null``: the default
    (recommended) checks and every pack, median of ``repeat`` runs after one run that warms
    the user cache."""
    n_res = len(json.loads(ONE_TEMPLATE.read_bytes()).get("Resources") or {})
    print(f"\n## one template: {ONE_TEMPLATE.relative_to(HERE.parent)} ({n_res} resources)",
          flush=True)
    base = cfncheck + ["scan", str(ONE_TEMPLATE), "-f", "json", "-o", os.devnull]
    for label, cmd in (("cfncheck (recommended)", base),
                       ("cfncheck (every pack)", base + ["--config", str(config)])):
        measure(cmd, label, "one template", env)  # warms the user cache
        runs = [measure(cmd, label, "one template", env) for _ in range(repeat)]
        wall = statistics.median(r.wall for r in runs)
        cpu = statistics.median(r.cpu for r in runs)
        print(f"{label:24} {wall:6.3f} s median (runs: "
              f"{', '.join(f'{r.wall:.3f}' for r in runs)}), CPU {cpu:.3f} s median, peak RSS "
              f"{max(r.rss_mb for r in runs):.0f} MB", flush=True)


def cfncheck_pkg() -> str:
    import cfncheck

    return str(Path(cfncheck.__file__).parent)


def _print_run(r: Run, n_res: int, runs: list[Run] | None = None) -> None:
    spread = ""
    if runs and len(runs) > 1:
        spread = f" (runs: {', '.join(f'{x.wall:.2f}' for x in runs)})"
    print(f"{r.tool:18} {r.wall:8.2f} s{spread}  {1e6 * r.wall / n_res:8.0f} us/resource  "
          f"peak RSS {r.rss_mb:6.0f} MB (largest process), {r.tree_mb:6.0f} MB (process tree)  "
          f"exit {r.exit_code}", flush=True)


def _print_table(rows, args, versions, machine) -> None:
    command = "python bench/run.py" + (f" --sizes {args.sizes}" if args.sizes != "10x20,40x25"
                                       else "")
    print("\n### Markdown\n")
    print(f"Measured with `{command}` ({machine}; "
          f"{', '.join(f'{k} {v}' for k, v in versions.items())}).\n")
    print("| Assembly | Tool | Wall time | Time per resource | Peak memory (process tree) "
          "| vs cfncheck |")
    print("|---|---|---:|---:|---:|---:|")
    for name, _files, n_res, mb, parse, results, _findings in rows:
        label = f"{name[1:]} ({n_res:,} resources, {mb:.1f} MB)"
        main_wall = results["cfncheck"].wall
        for tool, r in results.items():
            ratio = "1" if tool == "cfncheck" else f"{r.wall / main_wall:.1f} x slower" \
                if r.wall >= main_wall else f"{main_wall / r.wall:.1f} x faster"
            print(f"| {label} | {tool} | {r.wall:.2f} s | {1e6 * r.wall / n_res:.0f} us "
                  f"| {r.tree_mb:.0f} MB | {ratio} |")
            label = ""
        print(f"| | json.loads (parse only) | {parse:.3f} s | {1e6 * parse / n_res:.1f} us | "
              f"| cfncheck is {main_wall / parse:.0f} x |")
    if len(rows) >= 2:  # linear scaling: the cost of each extra resource, small to large
        (_, _, r0, _, _, res0, _), (_, _, r1, _, _, res1, _) = rows[0], rows[-1]
        marginal = {tool: 1e6 * (res1[tool].wall - res0[tool].wall) / (r1 - r0)
                    for tool in res1 if tool in res0}
        print("\nMarginal time per extra resource, from the smallest to the largest size: "
              + ", ".join(f"{tool} {us:.0f} us" for tool, us in marginal.items()) + ".")
    print("\nFindings identical with --jobs 1 and --jobs 2 (fingerprints and order): yes "
          f"({', '.join(f'{r[0]}: {r[6]} findings' for r in rows)}).")


if __name__ == "__main__":
    sys.exit(main())
