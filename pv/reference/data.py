"""Token data from the Python standard library's own source, byte-level.

Every machine with Python has the corpus, so a run needs no download. The
bytes are the tokens (ids 0..255); a larger configured vocab size only
widens the model's embedding and head, so a from-scratch model with
V = 50257 starts at a loss of about ln(V) even though it only ever sees
byte ids.

The training windows are grouped into shards; each pass over the data
visits the shards in a seeded order and the windows of each shard in a
seeded order. What happens when a run needs more than one pass is the
exhaustion policy: `cycle` (start the next pass, with exactly one INFO log
at the first wrap) or `halt` (raise StreamExhausted).
"""

from __future__ import annotations

import logging
import os
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import torch

from pv.reference.status import StreamExhausted

log = logging.getLogger("pv.reference.data")

EXHAUSTION_POLICIES = ("cycle", "halt")
_VAL_EVERY = 10  # every 10th 1 KiB block of the corpus is held out for validation
_BLOCK = 1024


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def read_stdlib_corpus(max_bytes: int, root: Path | None = None) -> bytes:
    """The first `max_bytes` bytes of the stdlib's *.py files, in sorted path order.

    Walks directories in sorted order and stops as soon as enough bytes are
    read, so a small corpus costs a few milliseconds.
    """
    root = root or stdlib_root()
    chunks: list[bytes] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "__pycache__"))
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            try:
                data = Path(dirpath, name).read_bytes()
            except OSError:
                continue
            chunks.append(data)
            total += len(data)
            if total >= max_bytes:
                return b"".join(chunks)[:max_bytes]
    if not chunks:
        raise FileNotFoundError(f"no Python source files under {root}")
    return b"".join(chunks)


def split_corpus(corpus: bytes) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, validation) token tensors: every tenth 1 KiB block is validation."""
    train, val = bytearray(), bytearray()
    for i in range(0, len(corpus), _BLOCK):
        (val if (i // _BLOCK) % _VAL_EVERY == _VAL_EVERY - 1 else train).extend(corpus[i:i + _BLOCK])
    if not val:
        raise ValueError(f"a corpus of {len(corpus)} bytes is too small to hold out validation data")
    as_tensor = lambda b: torch.frombuffer(bytearray(b), dtype=torch.uint8).long()  # noqa: E731
    return as_tensor(train), as_tensor(val)


def windows(tokens: torch.Tensor, context: int) -> torch.Tensor:
    """Non-overlapping (context + 1)-token windows: inputs and shifted targets."""
    n = (tokens.numel() - 1) // context
    if n <= 0:
        raise ValueError(f"{tokens.numel()} tokens are too few for a context of {context}")
    idx = torch.arange(n).unsqueeze(1) * context + torch.arange(context + 1)
    return tokens[idx]


@dataclass
class ShardStream:
    """Training batches for step `s` of rank `rank` out of `world_size`.

    Deterministic in (seed, step): a resumed run sees exactly the batches the
    uninterrupted run saw.
    """

    windows: torch.Tensor  # (n_windows, context + 1)
    batch_size: int  # per rank
    seed: int
    rank: int = 0
    world_size: int = 1
    shard_windows: int = 256
    policy: str = "cycle"

    def __post_init__(self) -> None:
        if self.policy not in EXHAUSTION_POLICIES:
            raise ValueError(f"unknown exhaustion policy {self.policy!r}")
        self.global_batch = self.batch_size * self.world_size
        self.steps_per_pass = self.windows.shape[0] // self.global_batch
        if self.steps_per_pass == 0:
            raise ValueError(f"{self.windows.shape[0]} windows are too few for a global batch of "
                             f"{self.global_batch}; use a larger corpus or a smaller batch")
        self._orders: dict[int, torch.Tensor] = {}
        self.wrap_logged = False

    @property
    def n_shards(self) -> int:
        return -(-self.windows.shape[0] // self.shard_windows)

    def _order(self, epoch_of_data: int) -> torch.Tensor:
        order = self._orders.get(epoch_of_data)
        if order is None:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch_of_data)
            parts = []
            for shard in torch.randperm(self.n_shards, generator=gen).tolist():
                lo = shard * self.shard_windows
                hi = min(lo + self.shard_windows, self.windows.shape[0])
                parts.append(lo + torch.randperm(hi - lo, generator=gen))
            order = torch.cat(parts)
            self._orders = {epoch_of_data: order}  # keep one pass in memory
        return order

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        data_pass, index = divmod(step, self.steps_per_pass)
        if data_pass > 0:
            if self.policy == "halt":
                raise StreamExhausted(
                    f"the token stream ran out at step {step}: one pass is {self.steps_per_pass} steps "
                    f"of {self.global_batch} windows ({self.n_shards} shards); the policy is `halt`",
                    step=step)
            if not self.wrap_logged:
                self.wrap_logged = True
                log.info("token stream exhausted after %d steps (%d shards); cycling: pass %d starts at "
                         "step %d with a new shard order", self.steps_per_pass, self.n_shards,
                         data_pass + 1, step)
        lo = index * self.global_batch + self.rank * self.batch_size
        rows = self.windows[self._order(data_pass)[lo:lo + self.batch_size]]
        return rows[:, :-1], rows[:, 1:]


def validation_batches(val_windows: torch.Tensor, batch_size: int, n_batches: int, rank: int = 0,
                       world_size: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """A fixed validation set, split across ranks; at most `n_batches` global batches."""
    per_step = batch_size * world_size
    n = min(n_batches, val_windows.shape[0] // per_step)
    if n == 0:
        raise ValueError(f"{val_windows.shape[0]} validation windows are too few for a global batch "
                         f"of {per_step}; use a larger corpus")
    out = []
    for i in range(n):
        rows = val_windows[i * per_step + rank * batch_size:i * per_step + (rank + 1) * batch_size]
        out.append((rows[:, :-1], rows[:, 1:]))
    return out
