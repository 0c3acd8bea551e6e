"""cfncheck.parallel: the same findings with any --jobs, and the per-template time limit.

The checks below are test doubles with exact, known output, run on the committed sample
assembly (6 templates, 2 stages, a nested stack, alarms in another stack than their
functions). ``MIN_PARALLEL_RESOURCES`` is lowered so the small sample really goes through the
worker processes; each double records the pid it ran in, so the tests also prove it did.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cfncheck import parallel
from cfncheck.checks import CheckInfo, Hit
from cfncheck.cli import app
from cfncheck.config import Config
from cfncheck.engine import scan
from tests.samples import DEFECTIVE

API_DEV = "assembly-Dev/DevApi52A53550.template.json"
MON_PROD = "assembly-Prod/ProdMonitoringCE03A844.template.json"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


class PidLog:
    """Where the doubles write the pid they ran in (one file per test)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def record(self) -> None:
        (self.folder / f"pid-{os.getpid()}").touch()

    def pids(self) -> set[int]:
        return {int(p.name[4:]) for p in self.folder.glob("pid-*")}


class FunctionAlarms:
    """Per-stack: one hit per function, naming the alarms (in any stack) that watch it."""

    per_stack = True

    def __init__(self, log: PidLog | None = None):
        self.info = CheckInfo(id="T-FN-001", title="function alarms", severity="warning")
        self.log = log

    def check(self, stack, ctx):
        if self.log:
            self.log.record()
        for lid, res in stack.resources.items():
            if res.get("Type") != "AWS::Lambda::Function":
                continue
            node = ctx.graph.node(stack, lid)
            alarms = sorted(f"{e.source.stack.name}:{e.source.logical_id}"
                            for e in ctx.graph.referrers(node, "AWS::CloudWatch::Alarm"))
            yield Hit(stack, lid, ("Resources", lid, "Type"),
                      f"{len(alarms)} alarm(s): {', '.join(alarms) or 'none'}", key="alarms")

    def run(self, ctx):
        for stack in ctx.stacks:
            yield from self.check(stack, ctx)


class AlarmTargets:
    """Whole assembly at once: one hit per (alarm, function it watches)."""

    def __init__(self, log: PidLog | None = None):
        self.info = CheckInfo(id="T-ALARM-001", title="alarm targets", severity="error")
        self.log = log

    def run(self, ctx):
        if self.log:
            self.log.record()
        for alarm in ctx.graph.resources("AWS::CloudWatch::Alarm"):
            for e in ctx.graph.references(alarm, "AWS::Lambda::Function"):
                yield Hit(alarm.stack, alarm.logical_id,
                          ("Resources", alarm.logical_id) + e.path,
                          f"watches {e.target.stack.name}:{e.target.logical_id}",
                          key=e.target.logical_id)
        ctx.notes.append("alarm targets checked")


class StallOn:
    """Per-stack: never finishes on one template (a pure-Python loop), fine elsewhere."""

    per_stack = True

    def __init__(self, template_rel: str, block_alarm: bool = False):
        self.info = CheckInfo(id="T-STALL-001", title="stalls", severity="info")
        self.template_rel = template_rel
        self.block_alarm = block_alarm

    def check(self, stack, ctx):
        if stack.template_rel == self.template_rel:
            if self.block_alarm:  # like code stuck in C: the SIGALRM handler never runs
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
                time.sleep(30)
            end = time.monotonic() + 30
            while time.monotonic() < end:
                pass
        yield Hit(stack, None, (), f"{stack.name} done", key="done")

    def run(self, ctx):
        for stack in ctx.stacks:
            yield from self.check(stack, ctx)


class Backtracking:
    """Whole assembly: a catastrophic regex on one template's value (the `re` engine is
    interruptible); the time-out must name that template."""

    def __init__(self, template_rel: str):
        self.info = CheckInfo(id="T-RE-001", title="regex", severity="info")
        self.template_rel = template_rel

    def run(self, ctx):
        for stack in ctx.stacks:
            text = "a" * 40 + "b" if stack.template_rel == self.template_rel else "ok"
            re.match(r"(a+)+$", text)
        return iter(())


class Boom:
    per_stack = True

    def __init__(self):
        self.info = CheckInfo(id="T-BOOM-001", title="boom", severity="info")

    def check(self, stack, ctx):
        if stack.template_rel == MON_PROD:
            raise KeyError("boom in " + stack.name)
        return iter(())


@pytest.fixture
def force_parallel(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_RESOURCES", 0)


def dump(result) -> str:
    return json.dumps([f.to_dict() for f in result.findings], sort_keys=True)


def test_same_findings_in_the_same_order_with_any_jobs(tmp_path, force_parallel):
    log = PidLog(tmp_path)
    checks = [FunctionAlarms(log), AlarmTargets(log)]
    one = scan([DEFECTIVE], checks=checks, jobs=1)
    assert log.pids() == {os.getpid()}
    for jobs in (2, 3):
        for p in tmp_path.glob("pid-*"):
            p.unlink()
        many = scan([DEFECTIVE], checks=checks, jobs=jobs)
        assert dump(many) == dump(one)
        assert many.notes == one.notes
        assert many.errors == one.errors == []
        assert os.getpid() not in log.pids() and len(log.pids()) >= 2  # really in workers
    messages = [(f.stack, f.logical_id, f.message) for f in one.findings]
    # the cross-stack answer is there: the Monitoring stack's alarm watches the Api function
    assert ("Prod/Api", "OrdersApiFunctionF46D4A7F",
            "1 alarm(s): Prod/Monitoring:OrdersApiErrorsAlarm9E152C1C") in messages
    assert ("Prod/Monitoring", "OrdersApiErrorsAlarm9E152C1C",
            "watches Prod/Api:OrdersApiFunctionF46D4A7F") in messages
    assert len([m for m in messages if m[2].startswith("watches ")]) == 2
    assert len([m for m in messages if "alarm(s)" in m[2]]) == 11
    assert "alarm targets checked" in one.notes


def test_real_checks_same_with_any_jobs(force_parallel):
    one = scan([DEFECTIVE], jobs=1)
    two = scan([DEFECTIVE], jobs=2)
    assert dump(two) == dump(one)
    assert [str(e) for e in two.errors] == [str(e) for e in one.errors]


def test_small_input_stays_in_this_process(tmp_path):
    log = PidLog(tmp_path)
    scan([DEFECTIVE], checks=[FunctionAlarms(log), AlarmTargets(log)], jobs=4)
    assert log.pids() == {os.getpid()}


def test_units_split_per_stack_checks_by_template():
    from cfncheck.assembly import load

    stacks = load([DEFECTIVE]).stacks
    units = parallel.plan_units([FunctionAlarms(), AlarmTargets(), StallOn("x")], stacks)
    assert [(u.checks, u.stack) for u in units] == \
        [([1], None)] + [([0, 2], i) for i in range(len(stacks))]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_stalled_template_is_abandoned_and_reported(jobs, force_parallel):
    started = time.monotonic()
    result = scan([DEFECTIVE], checks=[StallOn(API_DEV), FunctionAlarms()], jobs=jobs,
                  timeout=0.5)
    assert time.monotonic() - started < 10
    assert [(e.kind, Path(e.file).as_posix().endswith(API_DEV)) for e in result.errors] == \
        [("timeout", True)]
    assert "did not finish within 0.5 s" in str(result.errors[0])
    stalled = "Dev/Api"
    # every check of the stalled template is abandoned, the other templates are checked
    assert stalled not in {f.stack for f in result.findings}
    done = sorted(f.message for f in result.findings if f.rule_id == "T-STALL-001")
    assert done == ["Dev/Api/Storage done", "Dev/Monitoring done", "Prod/Api done",
                    "Prod/Api/Storage done", "Prod/Monitoring done"]
    assert {f.stack for f in result.findings if f.rule_id == "T-FN-001"} == {"Prod/Api"}


def test_timeout_comes_from_config_when_not_given(force_parallel):
    config = Config(data={"template_timeout": 0.5})
    result = scan([DEFECTIVE], config, checks=[StallOn(MON_PROD)], jobs=1)
    assert [e.kind for e in result.errors] == ["timeout"]
    assert Path(result.errors[0].file).as_posix().endswith(MON_PROD)
    assert parallel.resolve_timeout(None, Config()) == parallel.DEFAULT_TIMEOUT
    assert parallel.resolve_timeout(3, config) == 3.0


@pytest.mark.parametrize("jobs", [1, 2])
def test_whole_assembly_check_timeout_names_the_template(jobs, force_parallel):
    result = scan([DEFECTIVE], checks=[Backtracking(MON_PROD), FunctionAlarms()], jobs=jobs,
                  timeout=0.5)
    assert len(result.errors) == 1
    err = result.errors[0]
    assert err.kind == "timeout" and Path(err.file).as_posix().endswith(MON_PROD)
    assert "check T-RE-001 did not finish within 0.5 s (while on this template)" in str(err)
    assert len([f for f in result.findings if f.rule_id == "T-FN-001"]) == 11


def test_worker_ignoring_the_alarm_is_killed(monkeypatch, force_parallel):
    monkeypatch.setattr(parallel, "KILL_GRACE", 0.3)
    started = time.monotonic()
    result = scan([DEFECTIVE], checks=[StallOn(API_DEV, block_alarm=True)], jobs=2,
                  timeout=0.3)
    assert time.monotonic() - started < 10
    assert [e.kind for e in result.errors] == ["timeout"]
    assert Path(result.errors[0].file).as_posix().endswith(API_DEV)
    assert len(result.findings) == 5  # the other five templates, checked by a new worker


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_check_is_an_internal_error_and_the_rest_still_runs(jobs, force_parallel):
    good = scan([DEFECTIVE], checks=[FunctionAlarms()], jobs=jobs)
    result = scan([DEFECTIVE], checks=[FunctionAlarms(), Boom()], jobs=jobs)
    assert dump(result) == dump(good)  # every other finding is still there
    (err,) = result.errors
    assert err.kind == "internal"
    assert Path(err.file).as_posix().endswith(MON_PROD)
    assert err.message.startswith("check T-BOOM-001 failed on this template (KeyError: "
                                  "'boom in Prod/Monitoring'); its findings there are missing")


def test_a_failing_check_raises_with_debug(monkeypatch):
    monkeypatch.setenv("CFNCHECK_DEBUG", "1")
    with pytest.raises(KeyError, match="boom in Prod/Monitoring"):
        scan([DEFECTIVE], checks=[FunctionAlarms(), Boom()], jobs=1)


def test_cli_jobs_output_is_identical(tmp_path, force_parallel):
    runner = CliRunner()
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"j{jobs}.json"
        res = runner.invoke(app, ["scan", str(DEFECTIVE), "-f", "json", "-o", str(out),
                                  "--jobs", jobs, "--fail-on", "never"])
        assert res.exit_code == 0, res.output
        outputs.append(json.loads(out.read_text()))
    assert outputs[0]["findings"] == outputs[1]["findings"]


def test_cli_exits_3_when_a_check_crashed(monkeypatch, capsys):
    from cfncheck import cli, engine

    monkeypatch.setattr(engine, "collect_checks", lambda config, dirs=(), packs=None: [Boom()])
    with pytest.raises(SystemExit) as exc:
        cli.app(["scan", str(DEFECTIVE), "-f", "json", "-o", "/dev/null"],
                standalone_mode=True)
    assert exc.value.code == 3
    err = capsys.readouterr().err
    assert "check T-BOOM-001 failed on this template" in err and "Traceback" not in err
