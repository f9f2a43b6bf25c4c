"""Time limits for symbolic steps, so no contract can hang pv.

A worker thread with a deadline cannot stop sympy (threads cannot be
killed), and a signal cannot interrupt one long C-level operation such as a
huge integer power. So pv runs its symbolic steps in a forked child process
(`run_steps`): the parent waits for each step's result with a deadline and
kills the child with SIGKILL when it is exceeded, then continues the
remaining steps in a fresh child. sympy is imported in the parent before the
fork, so children start warm (a fork costs a few milliseconds).

Inside a step, `soft_deadline` bounds sub-steps with SIGALRM (the child's
only thread is its main thread), so e.g. a slow proof attempt can give way
to the counterexample search in the same step.

Where `os.fork` does not exist (Windows), steps run in-process under
`soft_deadline` when on the main thread; sizes are bounded before sympy is
called either way (see `pv.checks.formulas.grammar.Limits`).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

STEP_SECONDS = 6.0  # hard limit per step (one claim or one obligation)
FILE_SECONDS = 30.0  # hard limit for all steps of one file; later steps are reported as skipped


class StepTimeout(BaseException):
    """Raised by `soft_deadline`. A BaseException so sympy's `except Exception` cannot swallow it."""


@dataclass(frozen=True)
class StepResult:
    ok: bool
    value: Any = None  # the step's return value when ok
    error: str = ""  # "timeout" or the exception's text


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def soft_deadline(seconds: float) -> Iterator[None]:
    """Raise StepTimeout in this (main) thread after `seconds`; no-op elsewhere."""
    if not _can_alarm() or seconds <= 0:
        yield
        return

    active = [True]

    def on_alarm(signum: int, frame: Any) -> None:
        if active[0]:  # never raise once the block is being left
            raise StepTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    # Re-fire every 50 ms in case a handler somewhere swallows the first one.
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
    try:
        yield
    finally:
        active[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


def _run_inline(step: Callable[[], Any], seconds: float) -> StepResult:
    try:
        with soft_deadline(seconds):
            return StepResult(True, step())
    except StepTimeout:
        return StepResult(False, error="timeout")
    except Exception as exc:  # a step failing must not stop the others
        return StepResult(False, error=f"{type(exc).__name__}: {exc}")


def run_steps(steps: Sequence[Callable[[], Any]], seconds: float = STEP_SECONDS,
              total: float = FILE_SECONDS) -> list[StepResult]:
    """Run each step with a hard limit of `seconds`, all of them within `total`; results are in order.

    Steps left when `total` is spent get `StepResult(False, error="budget")`.
    Step return values must be picklable plain data.
    """
    if not steps:
        return []
    end = time.monotonic() + total
    results: list[StepResult] = []
    inline = not hasattr(os, "fork") or os.environ.get("PV_FORMULAS_INLINE") == "1"
    while len(results) < len(steps):
        left = end - time.monotonic()
        if left <= 0:
            results.extend(StepResult(False, error="budget") for _ in steps[len(results):])
            break
        if inline:
            results.append(_run_inline(steps[len(results)], min(seconds, left)))
        else:
            results.extend(_run_forked(steps, len(results), seconds, end))
    return results


def _child(steps: Sequence[Callable[[], Any]], start: int, seconds: float, fd: int) -> None:
    with os.fdopen(fd, "wb") as out:
        for step in steps[start:]:
            result = _run_inline(step, seconds * 0.95)
            try:
                payload = pickle.dumps(result)
            except Exception as exc:
                payload = pickle.dumps(StepResult(False, error=f"unpicklable result: {exc}"))
            out.write(len(payload).to_bytes(8, "big") + payload)
            out.flush()


def _run_forked(steps: Sequence[Callable[[], Any]], start: int, seconds: float, end: float) -> list[StepResult]:
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to spare: run the remaining steps here, softly bounded
        os.close(read_fd)
        os.close(write_fd)
        return [_run_inline(steps[start], min(seconds, max(0.1, end - time.monotonic())))]
    if pid == 0:  # child: never return into the caller's code
        code = 0
        try:
            os.close(read_fd)
            _child(steps, start, seconds, write_fd)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    results: list[StepResult] = []
    buffer = b""
    try:
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            deadline = min(time.monotonic() + seconds, end)
            while start + len(results) < len(steps):
                remaining = deadline - time.monotonic()
                ready = select.select([pipe], [], [], max(0.0, remaining))[0] if remaining > 0 else []
                if not ready:
                    results.append(StepResult(False, error="timeout"))
                    break
                chunk = pipe.read(1 << 16)
                if not chunk:  # the child died without finishing the step
                    results.append(StepResult(False, error="the worker process exited unexpectedly"))
                    break
                buffer += chunk
                while len(buffer) >= 8 and len(buffer) >= 8 + int.from_bytes(buffer[:8], "big"):
                    size = int.from_bytes(buffer[:8], "big")
                    results.append(pickle.loads(buffer[8:8 + size]))
                    buffer = buffer[8 + size:]
                    deadline = min(time.monotonic() + seconds, end)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    return results
