"""Run-directory layout, checkpoint files and the run lock, readable without torch.

A checkpoint is a zip archive (stored, not compressed) with members
`model.pt` and `optimizer.pt` (each a `torch.save` blob), `trainer.pt` (RNG
state), `trainer.json` (step, epoch, loss history, the running sums of the
epoch in progress) and `model_config.json` (the architecture, so a
checkpoint says what it holds before anything is unpickled). Its metadata
JSON beside it carries `optimizer_state_sha` (the sha256 of exactly the
`optimizer.pt` bytes) and `member_sha256` (every member's sha256), so a
torn or tampered member is caught with the standard library alone.

Epoch N ≥ 1 leaves `ckpt/epoch-NNN.pt`; `--ckpt-every` and SIGTERM leave
`ckpt/step-SSSSSSSS.pt`; the loop also writes `step-00000000.pt` right
after the epoch-0 evaluation, so a run is resumable from its first update.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pv.core.atomic import write_atomic, write_json_atomic

CKPT_DIR = "ckpt"
METRICS = "metrics.jsonl"
CONFIG = "config.json"
STATUS = "status.json"
INITIAL_EVAL = "initial-eval.json"
LOCK = ".lock"
OPTIMIZER_MEMBER = "optimizer.pt"
MODEL_CONFIG_MEMBER = "model_config.json"
_EPOCH_FILE = re.compile(r"epoch-(\d{3,})\.pt\Z")
_STEP_FILE = re.compile(r"step-(\d{8,})\.pt\Z")
_TEMP_FILE = re.compile(r"\A\..+\.[A-Za-z0-9_]+\.tmp\Z")  # pv.core.atomic's mkstemp names


def checkpoint_path(run_dir: Path, epoch: int) -> Path:
    return run_dir / CKPT_DIR / f"epoch-{epoch:03d}.pt"


def metadata_path(run_dir: Path, epoch: int) -> Path:
    return run_dir / CKPT_DIR / f"epoch-{epoch:03d}.metadata.json"


def step_checkpoint_path(run_dir: Path, step: int) -> Path:
    return run_dir / CKPT_DIR / f"step-{step:08d}.pt"


def step_metadata_path(run_dir: Path, step: int) -> Path:
    return run_dir / CKPT_DIR / f"step-{step:08d}.metadata.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_checkpoint(path: Path, members: dict[str, bytes]) -> None:
    def write(handle: Any) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data in members.items():
                archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    write_atomic(path, write)


def read_checkpoint(path: Path) -> dict[str, bytes]:
    """All members of a checkpoint; raises ValueError if it is not a readable one."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # /dev/zero, a FIFO: reading would never end
            raise ValueError(f"{path}: not a readable checkpoint: not a regular file")
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            with zipfile.ZipFile(handle) as archive:
                # Members are stored, not compressed: more declared bytes than the file holds is a zip bomb.
                if sum(info.file_size for info in archive.infolist()) > size:
                    raise ValueError(f"{path}: not a readable checkpoint: members larger than the file")
                return {name: archive.read(name) for name in archive.namelist()}
    except (OSError, zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable checkpoint: {exc}") from exc


def write_pair(ckpt: Path, meta: Path, members: dict[str, bytes], metadata: dict[str, Any]) -> None:
    """Checkpoint first, metadata (with every member's sha256) second: a pair counts only once both exist."""
    metadata = {**metadata, "member_sha256": {name: sha256(data) for name, data in members.items()}}
    write_checkpoint(ckpt, members)
    write_json_atomic(meta, metadata)


def write_epoch(run_dir: Path, epoch: int, members: dict[str, bytes], metadata: dict[str, Any]) -> None:
    write_pair(checkpoint_path(run_dir, epoch), metadata_path(run_dir, epoch), members, metadata)


def checkpoint_epochs(run_dir: Path) -> list[int]:
    """Epoch numbers of the epoch checkpoint files present, ascending."""
    directory = run_dir / CKPT_DIR
    if not directory.is_dir():
        return []
    found = (_EPOCH_FILE.match(p.name) for p in directory.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


@dataclass(frozen=True)
class CheckpointFile:
    kind: str  # "epoch" or "step"
    number: int  # the epoch, or the step
    path: Path
    meta: Path


def checkpoint_files(run_dir: Path) -> list[CheckpointFile]:
    """Every checkpoint file or metadata file present (either half of a pair is enough), unordered."""
    directory = run_dir / CKPT_DIR
    if not directory.is_dir():
        return []
    found: dict[tuple[str, int], CheckpointFile] = {}
    for p in directory.iterdir():
        name = p.name.replace(".metadata.json", ".pt")
        for kind, pattern, to_path, to_meta in (("epoch", _EPOCH_FILE, checkpoint_path, metadata_path),
                                                ("step", _STEP_FILE, step_checkpoint_path, step_metadata_path)):
            m = pattern.match(name)
            if m:
                number = int(m.group(1))
                found[(kind, number)] = CheckpointFile(kind, number, to_path(run_dir, number),
                                                       to_meta(run_dir, number))
    return list(found.values())


@dataclass
class Candidate:
    file: CheckpointFile
    step: int
    members: dict[str, bytes]
    metadata: dict[str, Any]


def _verify(file: CheckpointFile) -> Candidate | str:
    """The verified pair, or why it cannot be used."""
    if not file.meta.is_file():
        return f"its metadata {file.meta.name} is missing (a crash between the two writes?)"
    if not file.path.is_file():
        return "the checkpoint file is missing"
    try:
        metadata = json.loads(file.meta.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: [[[[…]]]] metadata
        return f"its metadata is unreadable: {type(exc).__name__}: {str(exc)[:120]}"
    if not isinstance(metadata, dict) or not isinstance(metadata.get("step"), int):
        return "its metadata holds no step number"
    try:
        members = read_checkpoint(file.path)
    except ValueError as exc:
        return str(exc).removeprefix(f"{file.path}: ")
    if OPTIMIZER_MEMBER not in members:
        return f"it has no {OPTIMIZER_MEMBER} member"
    if metadata.get("optimizer_state_sha") != sha256(members[OPTIMIZER_MEMBER]):
        return "optimizer_state_sha in its metadata does not match the saved optimizer state"
    recorded = metadata.get("member_sha256")
    if isinstance(recorded, dict):
        for name, data in members.items():
            if recorded.get(name) != sha256(data):
                return f"member {name} does not match its recorded sha256 (corrupt or replaced)"
        missing = sorted(set(recorded) - set(members))
        if missing:
            return f"member(s) {', '.join(missing)} are missing"
    return Candidate(file, metadata["step"], members, metadata)


def resume_candidates(run_dir: Path) -> Iterator[Candidate | tuple[Path, str]]:
    """Verified checkpoints, newest step first, with (path, reason) for each one that cannot be used.

    At one step an epoch checkpoint comes before a step checkpoint (it also holds that epoch's
    validation loss), and a file whose step cannot be read comes first of all. The caller stops
    at the first candidate it can restore, so only files newer than the one used (or of unknown
    age) are reported as skipped.
    """
    files = []
    for f in checkpoint_files(run_dir):
        step = None
        try:
            data = json.loads(f.meta.read_text(encoding="utf-8")) if f.meta.is_file() else None
            step = data.get("step") if isinstance(data, dict) else None
        except (OSError, ValueError, RecursionError):
            pass
        # Without a readable step the file may be the newest: it goes first, so it is always named.
        files.append((step if isinstance(step, int) else float("inf"), f.kind == "epoch", f.number, f))
    for _, _, _, f in sorted(files, key=lambda item: item[:3], reverse=True):
        verdict = _verify(f)
        yield verdict if isinstance(verdict, Candidate) else (f.path, verdict)


def latest_good_epoch(run_dir: Path) -> tuple[int, dict[str, bytes], dict[str, Any]] | None:
    """The newest epoch checkpoint whose pair is complete and agrees (step checkpoints ignored)."""
    for item in resume_candidates(run_dir):
        if isinstance(item, Candidate) and item.file.kind == "epoch":
            return item.file.number, item.members, item.metadata
    return None


def prune(run_dir: Path, keep_last: int, best_epoch: int | None) -> list[Path]:
    """Delete all but the `keep_last` newest checkpoint files and the best epoch's; return what was deleted.

    Epoch metadata stays (it is small and holds the validation history); a step checkpoint's
    metadata goes with it, first, so a crash mid-way leaves no metadata pointing at nothing.
    """
    if keep_last < 1:
        return []
    present = [f for f in checkpoint_files(run_dir) if f.path.is_file()]

    def step_of(f: CheckpointFile) -> int:
        try:
            data = json.loads(f.meta.read_text(encoding="utf-8"))
            return int(data["step"])
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return -1
    ordered = sorted(present, key=lambda f: (step_of(f), f.kind == "epoch"), reverse=True)
    deleted = []
    for f in ordered[keep_last:]:
        if f.kind == "epoch" and f.number == best_epoch:
            continue
        if f.kind == "step":
            f.meta.unlink(missing_ok=True)
        f.path.unlink(missing_ok=True)
        deleted.append(f.path)
    return deleted


def remove_orphaned_temp_files(run_dir: Path) -> list[Path]:
    """Temp files a killed write left behind (pv.core.atomic names them `.NAME.XXXX.tmp`)."""
    removed = []
    for directory in (run_dir, run_dir / CKPT_DIR):
        if not directory.is_dir():
            continue
        for p in directory.iterdir():
            if _TEMP_FILE.match(p.name) and p.is_file():
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed


class RunLockedError(RuntimeError):
    """Another live process holds the run directory's lock."""


class RunLock:
    """An exclusive, non-blocking flock on `{run_dir}/.lock`; the kernel drops it when the process dies."""

    def __init__(self, run_dir: Path) -> None:
        import fcntl

        run_dir.mkdir(parents=True, exist_ok=True)
        self.path = run_dir / LOCK
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(self._fd, 64, 0).decode(errors="replace").strip() or "another process"
            os.close(self._fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise RunLockedError(f"{run_dir} is in use by {holder}; a second writer would corrupt "
                                     "its checkpoints and metrics") from None
            raise
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"pid {os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = -1
