"""The training loop: AdamW, linear warmup then cosine decay, gradient clipping.

Per step it appends one metrics record; per epoch it measures the
validation loss, applies the non-divergence rule of the run's regime,
writes the checkpoint and its metadata atomically and asks the convergence
policy whether to stop. Under torchrun, rank 0 writes and every decision
is taken on all-reduced values.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import math
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from pv.reference import artifacts, distributed
from pv.reference.convergence import ConvergencePolicy, early_stop_reason
from pv.reference.data import ShardStream, read_stdlib_corpus, split_corpus, validation_batches, windows
from pv.reference.faults import Fault, InjectedCrash
from pv.reference.metrics import MetricsWriter, StatusLine, UtilMeter, perplexity
from pv.reference.model import ModelConfig, TinyGPT, lm_loss
from pv.reference.regime import TrainingRegime, divergence_reason
from pv.reference.status import RunStatus, TrainingAbort

log = logging.getLogger("pv.reference")


class RunDirError(ValueError):
    """The run directory cannot be used as asked (exists, or nothing to resume)."""


@dataclass
class TrainConfig:
    """Everything that determines a run; saved as config.json in the run directory."""

    run_dir: str
    mode: str = "from-scratch"
    regime: TrainingRegime = field(default_factory=lambda: TrainingRegime.from_scratch(256))
    lr_max: float = 3.0e-3
    warmup_steps: int = 100
    target_val_loss: float = 2.2
    patience_epochs: int = 2
    min_epochs_before_early_stop: int = 3
    epochs: int = 5
    steps_per_epoch: int = 200
    batch_size: int = 16  # per rank
    context: int = 64
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    vocab_size: int = 256
    corpus_bytes: int = 4_000_000
    val_batches: int = 8
    seed: int = 0
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    min_lr_ratio: float = 0.1
    on_exhaustion: str = "cycle"
    device: str = "auto"
    threads: int | None = None
    synthetic: bool = False
    init_from: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["regime"] = self.regime.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown config field(s): {', '.join(sorted(unknown))}")
        values = dict(data)
        values["regime"] = TrainingRegime.from_dict(values.get("regime"))
        return cls(**values)

    def validate(self) -> None:
        if self.regime.kind == "from_scratch" and self.regime.vocab_size != self.vocab_size:
            raise ValueError(f"the from_scratch regime's vocab_size {self.regime.vocab_size} differs "
                             f"from the model's {self.vocab_size}")
        if self.vocab_size < 256:
            raise ValueError("byte-level data needs vocab_size >= 256")
        for name in ("epochs", "steps_per_epoch", "batch_size", "context", "val_batches", "corpus_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not (self.lr_max > 0 and math.isfinite(self.lr_max)):
            raise ValueError("lr_max must be a positive number")
        if self.warmup_steps < 0:
            raise ValueError("warmup_steps must be >= 0")
        if not math.isfinite(self.target_val_loss):  # NaN would never stop the run, nor fit in config.json
            raise ValueError("target_val_loss must be a finite number")

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch


@dataclass
class RunResult:
    status: RunStatus
    message: str
    epochs_completed: int
    steps: int
    history: list[float]

    @property
    def exit_code(self) -> int:
        return self.status.exit_code


def learning_rate(step: int, cfg: TrainConfig) -> float:
    """Linear warmup to lr_max over warmup_steps, then cosine decay to min_lr_ratio·lr_max."""
    if step < cfg.warmup_steps:
        return cfg.lr_max * (step + 1) / cfg.warmup_steps
    span = max(1, cfg.total_steps - cfg.warmup_steps)
    progress = min(1.0, (step - cfg.warmup_steps) / span)
    floor = cfg.lr_max * cfg.min_lr_ratio
    return floor + (cfg.lr_max - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def _to_bytes(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _from_bytes(data: bytes) -> Any:
    return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")


class Trainer:
    def __init__(self, cfg: TrainConfig, ctx: distributed.DistContext, *, fault: Fault | None = None,
                 status_line: StatusLine | None = None) -> None:
        cfg.validate()
        self.cfg = cfg
        self.ctx = ctx
        self.fault = fault if fault is not None and fault.applies(ctx.rank) else None
        self.status_line = status_line or StatusLine(enabled=False)
        self.run_dir = Path(cfg.run_dir)
        self.regime = cfg.regime
        self.policy = ConvergencePolicy(cfg.target_val_loss, cfg.patience_epochs,
                                        cfg.min_epochs_before_early_stop)
        threads = cfg.threads or (max(1, (os.cpu_count() or 1) // ctx.world_size) if ctx.distributed
                                  else torch.get_num_threads())
        torch.set_num_threads(threads)
        self.meter = UtilMeter(ctx.device, threads)

        corpus = read_stdlib_corpus(cfg.corpus_bytes)
        train_tokens, val_tokens = split_corpus(corpus)
        self.stream = ShardStream(windows(train_tokens, cfg.context), cfg.batch_size, cfg.seed,
                                  ctx.rank, ctx.world_size, policy=cfg.on_exhaustion)
        self.val = [(x.to(ctx.device), y.to(ctx.device)) for x, y in
                    validation_batches(windows(val_tokens, cfg.context), cfg.batch_size, cfg.val_batches,
                                       ctx.rank, ctx.world_size)]

        torch.manual_seed(cfg.seed)
        self.model = TinyGPT(ModelConfig(cfg.vocab_size, cfg.context, cfg.d_model, cfg.n_layers,
                                         cfg.n_heads)).to(ctx.device)
        if cfg.init_from:
            self._load_weights(Path(cfg.init_from))
        decay = [p for p in self.model.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.model.parameters() if p.dim() < 2]
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=cfg.lr_max, betas=(0.9, 0.95))
        self.net: torch.nn.Module = self.model
        if ctx.distributed:
            from torch.nn.parallel import DistributedDataParallel
            self.net = DistributedDataParallel(
                self.model, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
        self.params = list(self.model.parameters())

        self.step = 0
        self.start_epoch = 0
        self.epochs_saved = 0  # epochs whose checkpoint and metadata exist
        self.history: list[float] = []
        self.tokens_seen = 0
        self.tokens_per_step = cfg.batch_size * ctx.world_size * cfg.context

    # --- set-up -------------------------------------------------------------
    def _load_weights(self, path: Path) -> None:
        members = artifacts.read_checkpoint(path)
        state = _from_bytes(members["model.pt"])
        if state["tok.weight"].shape[0] != self.cfg.vocab_size:
            raise ValueError(f"{path}: its vocab size {state['tok.weight'].shape[0]} is not "
                             f"{self.cfg.vocab_size}")
        self.model.load_state_dict(state)

    def prepare_run_dir(self, resume: bool) -> None:
        if not resume and (
                (self.run_dir / artifacts.METRICS).exists() or artifacts.checkpoint_epochs(self.run_dir)):
            raise RunDirError(f"{self.run_dir} already holds a run; pass --resume to continue it "
                              "or choose a new --run-dir")
        if resume:
            found = artifacts.latest_good_epoch(self.run_dir)
            if found is not None:
                self._restore(*found)
        if self.ctx.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            artifacts.write_json_atomic(self.run_dir / artifacts.CONFIG, self.cfg.to_dict())

    def _restore(self, epoch: int, members: dict[str, bytes], metadata: dict[str, Any]) -> None:
        self.model.load_state_dict(_from_bytes(members["model.pt"]))
        self.optimizer.load_state_dict(_from_bytes(members[artifacts.OPTIMIZER_MEMBER]))
        rng = _from_bytes(members["trainer.pt"])
        torch.set_rng_state(rng["torch_rng"])
        state = json.loads(members["trainer.json"])
        self.step = state["next_step"]
        self.start_epoch = epoch + 1
        self.epochs_saved = epoch + 1
        self.history = [float(v) for v in state["history"]]
        self.tokens_seen = state["tokens_seen"]
        self.stream.wrap_logged = self.step > self.stream.steps_per_pass  # the wrap was logged before
        log.info("resuming after epoch %d at step %d", epoch, self.step)

    # --- one step -------------------------------------------------------------
    def train_step(self, step: int) -> dict[str, Any]:
        self.meter.start()
        x, y = self.stream.batch(step)
        x, y = x.to(self.ctx.device, non_blocking=True), y.to(self.ctx.device, non_blocking=True)
        lr = learning_rate(step, self.cfg)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        if self.fault is not None and self.fault.step == step:
            self._fire_step_fault()
        if self.cfg.synthetic:
            loss_value, grad_norm = _scripted(step, self.cfg.vocab_size)
        else:
            loss = lm_loss(self.net(x), y)
            if self.fault is not None and self.fault.kind == "nan_loss" and self.fault.step == step:
                loss = loss * float("nan")
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            # The norm before clipping: what the contract records and checks.
            norm = torch.nn.utils.clip_grad_norm_(self.params, self.cfg.grad_clip)
            if self.ctx.distributed:
                # Ranks hold different losses; reduce so all of them log and judge the same number.
                pair = distributed.all_reduce_sum(self.ctx, torch.stack([loss.detach(), norm.detach()]))
                loss_value = pair[0].item() / self.ctx.world_size
                grad_norm = pair[1].item() / self.ctx.world_size
            else:
                loss_value, grad_norm = loss.item(), norm.item()
        if not (math.isfinite(loss_value) and math.isfinite(grad_norm)):
            raise TrainingAbort(RunStatus.NUMERICAL_INSTABILITY,
                                f"non-finite value at step {step}: train_loss={loss_value}, "
                                f"grad_norm={grad_norm}; no update was applied", step=step)
        if not self.cfg.synthetic:
            self.optimizer.step()
        wall, util = self.meter.stop()
        self.tokens_seen += self.tokens_per_step
        return {"step": step, "train_loss": loss_value, "grad_norm": grad_norm, "lr": lr,
                "tokens_per_sec": self.tokens_per_step / wall if wall > 0 else 0.0,
                "device_util_pct": util}

    def _fire_step_fault(self) -> None:
        assert self.fault is not None
        if self.fault.kind == "crash":
            raise InjectedCrash(f"injected crash at step {self.fault.step}")
        if self.fault.kind == "kill":
            os.kill(os.getpid(), signal.SIGKILL)

    # --- one epoch ------------------------------------------------------------
    @torch.inference_mode()
    def evaluate(self, epoch: int) -> float:
        if self.cfg.synthetic:
            local = _scripted(self.step, self.cfg.vocab_size)[0] + 0.05
        else:
            self.net.eval()
            total = sum(lm_loss(self.model(x), y).item() for x, y in self.val)
            local = total / len(self.val)
        if self.fault is not None and self.fault.kind == "val_loss" and self.fault.epoch == epoch:
            local = float(self.fault.value)  # type: ignore[arg-type]
        summed = distributed.all_reduce_sum(self.ctx, torch.tensor([local], dtype=torch.float64))
        return summed.item() / self.ctx.world_size

    def save_epoch(self, epoch: int, train_loss: float, val_loss: float, wall: float,
                   grad_norm_max: float) -> None:
        if self.ctx.is_main:
            optimizer_bytes = _to_bytes(self.optimizer.state_dict())
            members = {
                "model.pt": _to_bytes(self.model.state_dict()),
                artifacts.OPTIMIZER_MEMBER: optimizer_bytes,
                "trainer.pt": _to_bytes({"torch_rng": torch.get_rng_state()}),
                "trainer.json": json.dumps({"next_step": self.step, "epoch": epoch, "history": self.history,
                                            "tokens_seen": self.tokens_seen}).encode(),
            }
            metadata = {
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "train_ppl": perplexity(train_loss),
                "val_ppl": perplexity(val_loss),
                "optimizer_state_sha": artifacts.sha256(optimizer_bytes),
                "wall_seconds": wall,
                "tokens_seen": self.tokens_seen,
                "grad_norm_max": grad_norm_max,
                "step": self.step,
                "checkpoint": artifacts.checkpoint_path(self.run_dir, epoch).name,
                "regime": self.regime.to_dict(),
                "compute": "synthetic" if self.cfg.synthetic else "real",
                "world_size": self.ctx.world_size,
            }
            artifacts.write_epoch(self.run_dir, epoch, members, metadata)
        self.epochs_saved = epoch + 1
        distributed.barrier(self.ctx)

    def fit(self, resume: bool = False) -> RunResult:
        self.prepare_run_dir(resume)
        distributed.barrier(self.ctx)
        writer = (MetricsWriter(self.run_dir / artifacts.METRICS, resume_from_step=self.step if resume else None)
                  if self.ctx.is_main else None)
        try:
            result = self._epochs(writer)
        except TrainingAbort as abort:
            result = RunResult(abort.status, abort.message, self.epochs_saved, self.step, list(self.history))
            log.error("rank %d: abort %s: %s", self.ctx.rank, abort.status.value, abort.message)
        finally:
            self.status_line.clear()
            if writer is not None:
                writer.close()
        if self.ctx.is_main:
            artifacts.write_json_atomic(self.run_dir / artifacts.STATUS, {
                "status": result.status.value, "exit_code": result.exit_code, "message": result.message,
                "epochs_completed": result.epochs_completed, "steps": result.steps,
                "history": result.history, "regime": self.regime.to_dict(),
                "compute": "synthetic" if self.cfg.synthetic else "real",
                "world_size": self.ctx.world_size, "seed": self.cfg.seed})
        distributed.barrier(self.ctx)
        return result

    def _epochs(self, writer: MetricsWriter | None) -> RunResult:
        cfg = self.cfg
        for epoch in range(self.start_epoch, cfg.epochs):
            started = time.perf_counter()
            loss_sum, grad_norm_max, n = 0.0, 0.0, 0
            self.net.train()
            first = epoch * cfg.steps_per_epoch
            for step in range(max(first, self.step), first + cfg.steps_per_epoch):
                record = self.train_step(step)
                self.step = step + 1
                if writer is not None:
                    writer.write(record)
                self.status_line.step(epoch, cfg.epochs, step, record)
                loss_sum += record["train_loss"]
                grad_norm_max = max(grad_norm_max, record["grad_norm"])
                n += 1
            val_loss = self.evaluate(epoch)
            self.history.append(val_loss)
            reason = divergence_reason(epoch, self.history, self.regime)
            if reason is not None:
                raise TrainingAbort(RunStatus.DIVERGENCE, f"{reason} (regime {self.regime})", epoch=epoch,
                                    step=self.step)
            train_loss = loss_sum / max(n, 1)
            self.save_epoch(epoch, train_loss, val_loss, time.perf_counter() - started, grad_norm_max)
            self.status_line.clear()
            log.info("epoch %d/%d: train_loss %.4f val_loss %.4f (ppl %.2f) %.1f s", epoch + 1, cfg.epochs,
                     train_loss, val_loss, perplexity(val_loss), time.perf_counter() - started)
            reason = early_stop_reason(self.history, self.policy)
            if reason is not None:
                return RunResult(RunStatus.EARLY_STOP, reason, self.epochs_saved, self.step, list(self.history))
        return RunResult(RunStatus.COMPLETED, f"trained {cfg.epochs} epochs", self.epochs_saved, self.step,
                         list(self.history))


def _scripted(step: int, vocab_size: int) -> tuple[float, float]:
    """The --synthetic demo curve: no model, no data, just a plausible decay."""
    start, floor = math.log(vocab_size), 1.6
    loss = floor + (start - floor) * math.exp(-step / 150.0) + 0.03 * math.sin(step * 0.7)
    return loss, 1.0 / (1.0 + step / 100.0)


def run(cfg: TrainConfig, *, resume: bool = False, fault: Fault | None = None,
        status_line: StatusLine | None = None) -> RunResult:
    """Train (or resume) one run; joins the process group under torchrun."""
    ctx = distributed.setup(cfg.device)
    try:
        return Trainer(cfg, ctx, fault=fault, status_line=status_line).fit(resume)
    finally:
        distributed.teardown(ctx)
