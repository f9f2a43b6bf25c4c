"""Run-directory layout and checkpoint files, readable without torch.

A checkpoint `ckpt/epoch-NNN.pt` is a zip archive (stored, not compressed)
with members `model.pt` and `optimizer.pt` (each a `torch.save` blob),
`trainer.pt` (RNG state) and `trainer.json` (step, epoch, loss history).
Keeping the optimizer state as its own member makes `optimizer_state_sha`
the sha256 of exactly the bytes saved, which `pv check-run` can verify
with the standard library alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import zipfile
from pathlib import Path
from typing import Any

from pv.core.atomic import write_atomic, write_json_atomic

CKPT_DIR = "ckpt"
METRICS = "metrics.jsonl"
CONFIG = "config.json"
STATUS = "status.json"
OPTIMIZER_MEMBER = "optimizer.pt"
_EPOCH_FILE = re.compile(r"epoch-(\d{3,})\.pt\Z")


def checkpoint_path(run_dir: Path, epoch: int) -> Path:
    return run_dir / CKPT_DIR / f"epoch-{epoch:03d}.pt"


def metadata_path(run_dir: Path, epoch: int) -> Path:
    return run_dir / CKPT_DIR / f"epoch-{epoch:03d}.metadata.json"


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


def write_epoch(run_dir: Path, epoch: int, members: dict[str, bytes], metadata: dict[str, Any]) -> None:
    """Checkpoint first, metadata second: an epoch counts only once both exist."""
    write_checkpoint(checkpoint_path(run_dir, epoch), members)
    write_json_atomic(metadata_path(run_dir, epoch), metadata)


def checkpoint_epochs(run_dir: Path) -> list[int]:
    """Epoch numbers of the checkpoint files present, ascending."""
    directory = run_dir / CKPT_DIR
    if not directory.is_dir():
        return []
    found = (_EPOCH_FILE.match(p.name) for p in directory.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


def latest_good_epoch(run_dir: Path) -> tuple[int, dict[str, bytes], dict[str, Any]] | None:
    """The newest epoch whose checkpoint and metadata are complete and agree.

    An epoch whose metadata is missing or whose optimizer sha does not match
    (a crash between the two writes, a torn copy) is skipped.
    """
    for epoch in reversed(checkpoint_epochs(run_dir)):
        try:
            metadata = json.loads(metadata_path(run_dir, epoch).read_text(encoding="utf-8"))
            members = read_checkpoint(checkpoint_path(run_dir, epoch))
        except (OSError, ValueError, RecursionError):  # RecursionError: [[[[…]]]] metadata
            continue
        if (isinstance(metadata, dict) and OPTIMIZER_MEMBER in members
                and metadata.get("optimizer_state_sha") == sha256(members[OPTIMIZER_MEMBER])):
            return epoch, members, metadata
    return None
