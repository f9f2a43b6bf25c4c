"""torchrun / DistributedDataParallel plumbing (gloo on CPU, nccl on GPU).

Every abort decision is taken on values that were all-reduced first, so
all ranks agree and none is left waiting in a collective for a peer that
already quit.
"""

from __future__ import annotations

import datetime
import os
import signal
import threading
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(preference: str, local_rank: int = 0) -> torch.device:
    if preference not in ("auto", "cpu", "cuda"):
        raise ValueError(f"unknown device {preference!r}; use auto, cpu or cuda")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but no CUDA device is available")
    if preference in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def setup(preference: str = "auto", timeout_s: float = 300.0) -> DistContext:
    """Join the process group when launched by torchrun with WORLD_SIZE > 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext(device=pick_device(preference))
    watch_parent()
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    device = pick_device(preference, local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo",
                                timeout=datetime.timedelta(seconds=timeout_s))
    return DistContext(rank, world, local_rank, device)


def watch_parent(interval_s: float = 0.5) -> threading.Thread:
    """SIGTERM this worker when its launcher dies.

    A killed torchrun launcher used to leave its workers training in the
    background, unseen, still writing the run directory. When the parent
    goes away the worker is re-parented; a daemon thread notices and sends
    the worker SIGTERM, which checkpoints and ends the run as PREEMPTED.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="pv-parent-watch", daemon=True)
    thread.start()
    return thread


def all_reduce_sum(ctx: DistContext, tensor: torch.Tensor) -> torch.Tensor:
    """The sum over ranks, on the tensor's own device (nccl reduces only CUDA tensors, so move it there)."""
    if ctx.distributed:
        moved = tensor.to(ctx.device)
        dist.all_reduce(moved, op=dist.ReduceOp.SUM)
        return moved.to(tensor.device)
    return tensor


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        dist.barrier()


def teardown(ctx: DistContext) -> None:
    if ctx.distributed and dist.is_initialized():
        try:
            dist.destroy_process_group()
        except (RuntimeError, ValueError):  # the launcher (and its store) may already be gone
            pass
