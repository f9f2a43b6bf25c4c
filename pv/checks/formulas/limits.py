"""CPU-time limits for symbolic steps, so no contract can hang pv and no verdict depends on load.

Every limit here counts CPU seconds spent on the work, never wall-clock time:
with eight `pv validate` runs sharing two cores (pre-commit runs hooks in
parallel, CI runners are shared) a step gets the same CPU time as on an idle
machine, so it reaches the same verdict. A wall-clock backstop, many times
the CPU limit, remains only against a step that stops consuming CPU at all.

A worker thread with a deadline cannot stop sympy (threads cannot be
killed), and a signal handler cannot interrupt one long C-level operation
such as a huge integer power. So pv runs its symbolic steps in a forked
child process (`run_steps`) whose RLIMIT_CPU is set before each step: the
kernel ends a child that overruns by a second (SIGXCPU) even inside C code,
and the parent continues the remaining steps in a fresh child. sympy is
imported in the parent before the fork, so children start warm.

Inside a step, `soft_deadline` bounds sub-steps with ITIMER_PROF (the CPU
time of the process), so e.g. a slow proof attempt can give way to the
counterexample search in the same step.

A result reached by hitting any limit (a timeout, the file's budget, a
sub-step that gave up) is recorded with `pv.core.limited.note()`: CPU time
still varies a little between machines, so such a result is reported but
never cached.

Where `os.fork` does not exist (Windows), steps run in-process under
`soft_deadline` when on the main thread; sizes are bounded before sympy is
called either way (see `pv.checks.formulas.grammar.Limits`).
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pv.core import limited

STEP_SECONDS = 6.0  # CPU seconds per step (one claim or one obligation)
FILE_SECONDS = 30.0  # CPU seconds for all steps of one file; later steps are reported as skipped
WALL_FACTOR = 10.0  # wall-clock backstop per step: this many times its CPU limit ...
WALL_FLOOR = 60.0  # ... and never less than this (a machine under heavy load is slow, not hung)


class StepTimeout(BaseException):
    """Raised by `soft_deadline`. A BaseException so sympy's `except Exception` cannot swallow it."""


@dataclass(frozen=True)
class StepResult:
    ok: bool
    value: Any = None  # the step's return value when ok
    error: str = ""  # "timeout", "budget" or the exception's text
    cpu: float = 0.0  # CPU seconds the step used

    @property
    def limited(self) -> bool:
        """Reached by hitting a limit (here, or inside the step: a value with a true `limited`)."""
        return self.error in ("timeout", "budget") or bool(getattr(self.value, "limited", False)) or (
            isinstance(self.value, dict) and bool(self.value.get("limited")))


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def cpu_seconds() -> float:
    """CPU time (user + system) of this process."""
    return time.process_time()


@contextlib.contextmanager
def soft_deadline(seconds: float) -> Iterator[None]:
    """Raise StepTimeout in this (main) thread after `seconds` of CPU time; no-op elsewhere."""
    if not _can_alarm() or seconds <= 0:
        yield
        return

    active = [True]

    def on_alarm(signum: int, frame: Any) -> None:
        if active[0]:  # never raise once the block is being left
            raise StepTimeout()

    previous = signal.signal(signal.SIGPROF, on_alarm)
    outer, outer_interval = signal.getitimer(signal.ITIMER_PROF)
    entered = cpu_seconds()
    # Re-fire every 50 ms of CPU in case a handler somewhere swallows the first one.
    signal.setitimer(signal.ITIMER_PROF, min(seconds, outer) if outer > 0 else seconds, 0.05)
    try:
        yield
    finally:
        active[0] = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous if previous is not None else signal.SIG_DFL)
        if outer > 0:  # an enclosing deadline keeps running, less the CPU spent in here
            signal.setitimer(signal.ITIMER_PROF, max(0.001, outer - (cpu_seconds() - entered)), outer_interval)


def _run_inline(step: Callable[[], Any], seconds: float) -> StepResult:
    began = cpu_seconds()
    try:
        with soft_deadline(seconds):
            value = step()
        return StepResult(True, value, cpu=cpu_seconds() - began)
    except StepTimeout:
        return StepResult(False, error="timeout", cpu=cpu_seconds() - began)
    except Exception as exc:  # a step failing must not stop the others
        return StepResult(False, error=describe_failure(exc), cpu=cpu_seconds() - began)


def describe_failure(exc: BaseException) -> str:
    """Why a step failed, in pv's words: Python's own exception text is no message for a contract author."""
    if isinstance(exc, OverflowError):
        return "a number in it is too large to compute with (overflow)"
    if isinstance(exc, ZeroDivisionError):
        return "it divides by zero at this point"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply to evaluate"
    if isinstance(exc, MemoryError):
        return "evaluating it needs more memory than pv allows"
    return f"the symbolic engine could not evaluate it ({type(exc).__name__})"


def run_steps(steps: Sequence[Callable[[], Any]], seconds: float = STEP_SECONDS,
              total: float = FILE_SECONDS) -> list[StepResult]:
    """Run each step with a limit of `seconds` CPU seconds, all of them within `total`; results are in order.

    Steps left when `total` is spent get `StepResult(False, error="budget")`.
    Step return values must be picklable plain data. Any result reached by
    hitting a limit is noted (`pv.core.limited`), so it is never cached.
    """
    if not steps:
        return []
    spent = 0.0
    wall_end = time.monotonic() + max(WALL_FLOOR, total * WALL_FACTOR)
    results: list[StepResult] = []
    inline = not hasattr(os, "fork") or os.environ.get("PV_FORMULAS_INLINE") == "1"
    while len(results) < len(steps):
        left = total - spent
        if left <= 0 or time.monotonic() >= wall_end:
            results.extend(StepResult(False, error="budget") for _ in steps[len(results):])
            break
        if inline:
            new = [_run_inline(steps[len(results)], min(seconds, left))]
        else:
            new = _run_forked(steps, len(results), seconds, left, wall_end)
        spent += sum(r.cpu for r in new)
        results.extend(new)
    if any(r.limited for r in results):
        limited.note()
    return results


def _child(steps: Sequence[Callable[[], Any]], start: int, seconds: float, fd: int) -> None:
    import resource

    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an overrun ends the child without a core file
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    with os.fdopen(fd, "wb") as out:
        for step in steps[start:]:
            # The kernel stops this child (SIGXCPU) just after the soft deadline, even inside C code.
            cap = math.ceil(cpu_seconds() + seconds)
            if hard != resource.RLIM_INFINITY:
                cap = min(cap, hard)
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_CPU, (cap, hard))
            result = _run_inline(step, seconds * 0.95)
            try:
                payload = pickle.dumps(result)
            except Exception as exc:
                payload = pickle.dumps(StepResult(False, cpu=result.cpu, error="its result could not be passed "
                                                  f"back ({type(exc).__name__})"))
            out.write(len(payload).to_bytes(8, "big") + payload)
            out.flush()


def _ended_by_cpu_limit(status: int) -> bool:
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)


def _run_forked(steps: Sequence[Callable[[], Any]], start: int, seconds: float, left: float,
                wall_end: float) -> list[StepResult]:
    """Run steps from `start` in one child until one fails to finish, or `left` CPU seconds are spent."""
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to spare: run the next step here, softly bounded
        os.close(read_fd)
        os.close(write_fd)
        return [_run_inline(steps[start], min(seconds, left))]
    if pid == 0:  # child: never return into the caller's code
        code = 0
        try:
            os.close(read_fd)
            _child(steps, start, min(seconds, left), write_fd)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    results: list[StepResult] = []
    buffer = b""
    status: int | None = None
    backstop = max(WALL_FLOOR, seconds * WALL_FACTOR)
    try:
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            deadline = min(time.monotonic() + backstop, wall_end)
            while start + len(results) < len(steps) and sum(r.cpu for r in results) < left:
                remaining = deadline - time.monotonic()
                ready = select.select([pipe], [], [], max(0.0, remaining))[0] if remaining > 0 else []
                if not ready:  # no CPU limit fired, yet nothing came back for minutes: give up on it
                    results.append(StepResult(False, error="timeout", cpu=seconds))
                    break
                chunk = pipe.read(1 << 16)
                if not chunk:  # the child ended without finishing the step
                    with contextlib.suppress(ChildProcessError):
                        status = os.waitpid(pid, 0)[1]
                    if status is not None and _ended_by_cpu_limit(status):
                        results.append(StepResult(False, error="timeout", cpu=seconds))
                    else:
                        results.append(StepResult(False, error="the worker process exited unexpectedly"))
                    break
                buffer += chunk
                while len(buffer) >= 8 and len(buffer) >= 8 + int.from_bytes(buffer[:8], "big"):
                    size = int.from_bytes(buffer[:8], "big")
                    results.append(pickle.loads(buffer[8:8 + size]))
                    buffer = buffer[8 + size:]
                    deadline = min(time.monotonic() + backstop, wall_end)
    finally:
        if status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    return results
