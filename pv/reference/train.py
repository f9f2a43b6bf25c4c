"""The training loop: AdamW, linear warmup then cosine decay, gradient clipping.

Before the first update it measures the validation loss of epoch 0 (the
cold start, or the --init-from weights) and checks it against the regime's
cap. Per step it appends one metrics record; per epoch N ≥ 1 it measures
the validation loss, applies the non-divergence rule of the run's regime,
writes the checkpoint and its metadata atomically and asks the convergence
policy whether to stop. A run reports success only when its best loss beat
epoch 0's. SIGTERM writes a checkpoint of the current step and ends the
run as PREEMPTED. Under torchrun, rank 0 writes and every decision is taken
on all-reduced values.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import math
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from pv.reference import artifacts, distributed, flops
from pv.reference.convergence import ConvergencePolicy, early_stop_reason, no_improvement_reason
from pv.reference.data import ShardStream, builtin_corpus, split_corpus, validation_batches, windows
from pv.reference.faults import Fault, InjectedCrash
from pv.reference.metrics import MetricsWriter, StatusLine, UtilMeter, perplexity, read_records
from pv.reference.model import ModelConfig, TinyGPT, lm_loss
from pv.reference.regime import TrainingRegime, divergence_reason
from pv.reference.status import RunStatus, TrainingAbort

log = logging.getLogger("pv.reference")

PRECISIONS = ("auto", "fp32", "bf16")


class RunDirError(ValueError):
    """The run directory cannot be used as asked (exists, locked, or nothing usable to resume)."""


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
    precision: str = "auto"  # auto: bf16 autocast on a GPU that supports it, else fp32
    tf32: bool = True  # let fp32 matmuls use TF32 tensor cores on CUDA (no effect on a CPU)
    compile: bool = False
    ckpt_every: int = 0  # steps; 0: epoch checkpoints only
    keep_last: int = 0  # checkpoint files kept (the best epoch's always); 0: keep all

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
        for name in ("ckpt_every", "keep_last"):
            if isinstance(getattr(self, name), bool) or not isinstance(getattr(self, name), int) \
                    or getattr(self, name) < 0:
                raise ValueError(f"{name} must be an integer >= 0")
        if not (self.lr_max > 0 and math.isfinite(self.lr_max)):
            raise ValueError("lr_max must be a positive number")
        if self.warmup_steps < 0:
            raise ValueError("warmup_steps must be >= 0")
        if not math.isfinite(self.target_val_loss):  # NaN would never stop the run, nor fit in config.json
            raise ValueError("target_val_loss must be a finite number")
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; use {', '.join(PRECISIONS)}")

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    def model_config(self) -> ModelConfig:
        return ModelConfig(self.vocab_size, self.context, self.d_model, self.n_layers, self.n_heads)


@dataclass
class RunResult:
    status: RunStatus
    message: str
    epochs_completed: int  # epochs of updates (epoch 0, the evaluation before training, not counted)
    steps: int
    history: list[float]  # validation loss of epoch 0, 1, ..., epochs_completed
    mfu_pct: float | None = None

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


def resolve_precision(precision: str, device: torch.device) -> str:
    """"auto" becomes bf16 on a CUDA device that supports it and fp32 everywhere else."""
    if precision == "auto":
        return "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(f"--precision bf16: {torch.cuda.get_device_name(device)} does not support bfloat16")
    return precision


def adamw_fused(device: torch.device) -> bool | None:
    """The fused AdamW kernel on GPUs; CPUs keep the reference implementation (and its exact numbers)."""
    return True if device.type == "cuda" else None


def _to_bytes(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _from_bytes(data: bytes, member: str = "member") -> Any:
    try:
        return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for garbage (pickle, zip, EOF, runtime)
        raise ValueError(f"{member} cannot be loaded: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}") \
            from None


def describe_shape_mismatch(expected: ModelConfig, members: dict[str, bytes], model: torch.nn.Module) -> str | None:
    """What differs between the model we build and the one a checkpoint holds, or None if they match."""
    if artifacts.MODEL_CONFIG_MEMBER in members:
        try:
            saved = json.loads(members[artifacts.MODEL_CONFIG_MEMBER])
        except ValueError as exc:
            return f"its {artifacts.MODEL_CONFIG_MEMBER} is unreadable: {exc}"
        if not isinstance(saved, dict):
            return f"its {artifacts.MODEL_CONFIG_MEMBER} is not an object"
        ours = dataclasses.asdict(expected)
        diffs = [f"{k} {saved.get(k)!r} (this run: {ours[k]!r})" for k in ours if saved.get(k) != ours[k]]
        return ("it holds a model with " + ", ".join(diffs)) if diffs else None
    # A checkpoint from before v1.6.0: compare the tensor shapes.
    state = _from_bytes(members["model.pt"], "model.pt")
    ours = model.state_dict()
    diffs = [f"{k}: {tuple(state[k].shape)} (this run: {tuple(v.shape)})" for k, v in ours.items()
             if k in state and tuple(state[k].shape) != tuple(v.shape)]
    missing = sorted(set(ours) - set(state))
    if missing:
        diffs.append(f"missing {', '.join(missing[:5])}")
    return ("its tensors differ: " + "; ".join(diffs[:6])) if diffs else None


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
        self.precision = resolve_precision(cfg.precision, ctx.device)
        cfg.precision = self.precision  # config.json records what ran, so a resume runs the same
        if ctx.device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = cfg.tf32
            torch.backends.cudnn.allow_tf32 = cfg.tf32

        corpus = builtin_corpus(cfg.corpus_bytes)
        train_tokens, val_tokens = split_corpus(corpus)
        self.stream = ShardStream(windows(train_tokens, cfg.context), cfg.batch_size, cfg.seed,
                                  ctx.rank, ctx.world_size, policy=cfg.on_exhaustion)
        self.val = [(x.to(ctx.device), y.to(ctx.device)) for x, y in
                    validation_batches(windows(val_tokens, cfg.context), cfg.batch_size, cfg.val_batches,
                                       ctx.rank, ctx.world_size)]

        torch.manual_seed(cfg.seed)
        self.model = TinyGPT(cfg.model_config()).to(ctx.device)
        if cfg.init_from:
            self._load_weights(Path(cfg.init_from))
        decay = [p for p in self.model.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.model.parameters() if p.dim() < 2]
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=cfg.lr_max, betas=(0.9, 0.95), fused=adamw_fused(ctx.device))
        self.net: torch.nn.Module = self.model
        if ctx.distributed:
            from torch.nn.parallel import DistributedDataParallel
            self.net = DistributedDataParallel(
                self.model, device_ids=[ctx.device.index] if ctx.device.type == "cuda" else None)
        if cfg.compile:
            self.net = torch.compile(self.net)  # type: ignore[assignment]
        self.params = list(self.model.parameters())
        self.flops_per_token = self.model.flops_per_token()
        device_name = torch.cuda.get_device_name(ctx.device) if ctx.device.type == "cuda" else None
        self.peak_flops = flops.peak_flops(device_name, self.precision, cfg.tf32)

        self.step = 0
        self.start_epoch = 1
        self.epochs_saved = 0  # epochs N >= 1 whose checkpoint and metadata exist
        self.history: list[float] = []
        self.tokens_seen = 0
        self.tokens_per_step = cfg.batch_size * ctx.world_size * cfg.context
        self.resumed = False
        # The running sums of the epoch in progress; saved in step checkpoints so a resume mid-epoch
        # writes the same epoch metadata as the uninterrupted run.
        self.epoch_sums = {"loss_sum": 0.0, "grad_norm_max": 0.0, "n": 0}
        self.step_seconds = 0.0  # wall time inside train_step, for the run's MFU
        self._stop_signal: str | None = None  # set by the SIGTERM handler, at any moment
        self._stop_agreed = False  # set after a step: every rank has seen some rank's SIGTERM
        self._tokens_at_start = 0
        self._lock: artifacts.RunLock | None = None

    # --- set-up -------------------------------------------------------------
    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.precision == "bf16":
            return torch.autocast(device_type=self.ctx.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _load_weights(self, path: Path) -> None:
        members = artifacts.read_checkpoint(path)
        if "model.pt" not in members:
            raise ValueError(f"{path}: not a pv checkpoint: it has no model.pt member")
        problem = describe_shape_mismatch(self.cfg.model_config(), members, self.model)
        if problem:
            raise ValueError(f"--init-from {path}: {problem}")
        self.model.load_state_dict(_from_bytes(members["model.pt"], f"{path}: model.pt"))

    def _collective_ok(self, ok: bool) -> bool:
        """True when every rank says ok (rank 0 decides what is on disk; the others follow)."""
        flag = torch.tensor([0.0 if ok else 1.0], dtype=torch.float64)
        return distributed.all_reduce_sum(self.ctx, flag).item() == 0.0

    def prepare_run_dir(self, resume: bool) -> None:
        problem: str | None = None
        if self.ctx.is_main:
            try:
                self._lock = artifacts.RunLock(self.run_dir)
            except artifacts.RunLockedError as exc:
                problem = str(exc)
            if problem is None:
                for orphan in artifacts.remove_orphaned_temp_files(self.run_dir):
                    log.warning("removed %s, a temp file left by an interrupted write", orphan)
                has_run = (self.run_dir / artifacts.METRICS).exists() or artifacts.checkpoint_files(self.run_dir)
                if not resume and has_run:
                    problem = (f"{self.run_dir} already holds a run; pass --resume to continue it "
                               "or choose a new --run-dir")
        if not self._collective_ok(problem is None):
            self.release()
            raise RunDirError(problem or "rank 0 could not use the run directory")
        if resume:
            self._resume()
        if self.ctx.is_main:
            artifacts.write_json_atomic(self.run_dir / artifacts.CONFIG, self.cfg.to_dict())

    def _resume(self) -> None:
        """Restore the newest usable checkpoint, naming each newer one that was skipped and why."""
        skipped: list[str] = []
        for item in artifacts.resume_candidates(self.run_dir):
            if isinstance(item, tuple):
                skipped.append(f"{item[0]}: {item[1]}")
                log.warning("skipping checkpoint %s: %s", item[0], item[1])
                continue
            try:
                self._restore(item)
                return
            except (ValueError, KeyError, RuntimeError) as exc:  # a member that will not load into this model
                reason = str(exc).splitlines()[0][:200]
                skipped.append(f"{item.file.path}: {reason}")
                log.warning("skipping checkpoint %s: %s", item.file.path, reason)
        metrics = self.run_dir / artifacts.METRICS
        if skipped or (metrics.exists() and metrics.stat().st_size > 0):
            detail = ("; ".join(skipped) if skipped else "no checkpoint was written")
            raise RunDirError(f"--resume found no usable checkpoint in {self.run_dir} ({detail}); nothing was "
                              f"changed: {artifacts.METRICS} and the checkpoints are left as they are")
        log.info("nothing was recorded yet in %s: starting from step 0", self.run_dir)

    def _restore(self, found: artifacts.Candidate) -> None:
        members, name = found.members, found.file.path.name
        problem = describe_shape_mismatch(self.cfg.model_config(), members, self.model)
        if problem:
            raise ValueError(problem)
        state = json.loads(members["trainer.json"])
        model_state = _from_bytes(members["model.pt"], f"{name}: model.pt")
        optimizer_state = _from_bytes(members[artifacts.OPTIMIZER_MEMBER], f"{name}: optimizer.pt")
        rng = _from_bytes(members["trainer.pt"], f"{name}: trainer.pt")
        self.model.load_state_dict(model_state)
        self.optimizer.load_state_dict(optimizer_state)
        torch.set_rng_state(rng["torch_rng"])
        self.step = state["next_step"]
        self.history = [float(v) for v in state["history"]]
        self.tokens_seen = state["tokens_seen"]
        done = state["epochs_done"]
        self.start_epoch = done + 1
        self.epochs_saved = done
        self.epoch_sums = dict(state.get("epoch_sums") or {"loss_sum": 0.0, "grad_norm_max": 0.0, "n": 0})
        self.stream.wrap_logged = self.step > self.stream.steps_per_pass  # the wrap was logged before
        self.resumed = True
        log.info("resuming from %s at step %d (%d epoch(s) done)", name, self.step, done)

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

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
        stop = 1.0 if self._stop_signal else 0.0
        if self.cfg.synthetic:
            loss_value, grad_norm = _scripted(step, self.cfg.vocab_size)
            if self.ctx.distributed:
                stop = distributed.all_reduce_sum(self.ctx, torch.tensor([stop])).item()
        else:
            with self.autocast():
                loss = lm_loss(self.net(x), y)
            if self.fault is not None and self.fault.kind == "nan_loss" and self.fault.step == step:
                loss = loss * float("nan")
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            # The norm before clipping: what the contract records and checks.
            norm = torch.nn.utils.clip_grad_norm_(self.params, self.cfg.grad_clip)
            if self.ctx.distributed:
                # Ranks hold different losses; reduce so all of them log and judge the same number. A
                # pending SIGTERM on any rank rides along, so all ranks stop after the same step.
                triple = distributed.all_reduce_sum(self.ctx, torch.stack(
                    [loss.detach().float(), norm.detach().float(), torch.tensor(stop, device=loss.device)]))
                loss_value = triple[0].item() / self.ctx.world_size
                grad_norm = triple[1].item() / self.ctx.world_size
                stop = triple[2].item()
            else:
                loss_value, grad_norm = loss.item(), norm.item()
        if not (math.isfinite(loss_value) and math.isfinite(grad_norm)):
            raise TrainingAbort(RunStatus.NUMERICAL_INSTABILITY,
                                f"non-finite value at step {step}: train_loss={loss_value}, "
                                f"grad_norm={grad_norm}; no update was applied", step=step)
        if not self.cfg.synthetic:
            self.optimizer.step()
        wall, util = self.meter.stop()
        self.step_seconds += wall
        self.tokens_seen += self.tokens_per_step
        # Decide on the value every rank saw at the reduce, never on the live flag (which may have
        # flipped since on one rank only).
        self._stop_agreed = bool(stop)
        if stop and self._stop_signal is None:
            self._stop_signal = "SIGTERM on another rank"
        tokens_per_sec = self.tokens_per_step / wall if wall > 0 else 0.0
        record = {"step": step, "train_loss": loss_value, "grad_norm": grad_norm, "lr": lr,
                  "tokens_per_sec": tokens_per_sec, "device_util_pct": util}
        mfu = flops.mfu_pct(self.flops_per_token, tokens_per_sec, self.peak_flops, self.ctx.world_size)
        if mfu is not None:
            record["mfu_pct"] = mfu
        return record

    def _fire_step_fault(self) -> None:
        assert self.fault is not None
        if self.fault.kind == "crash":
            raise InjectedCrash(f"injected crash at step {self.fault.step}")
        if self.fault.kind == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.fault.kind == "term":
            os.kill(os.getpid(), signal.SIGTERM)

    # --- evaluation and checkpoints ---------------------------------------------
    def _write_pair(self, ckpt: Path, meta: Path, members: dict[str, bytes], metadata: dict[str, Any]) -> None:
        if self.fault is not None and self.fault.kind == "kill_write" and self.step >= (self.fault.step or 0):
            _die_while_writing(ckpt, members)
        artifacts.write_pair(ckpt, meta, members, metadata)

    @torch.inference_mode()
    def evaluate(self, epoch: int) -> float:
        if self.cfg.synthetic:
            local = _scripted(self.step, self.cfg.vocab_size)[0] + 0.05
        else:
            self.net.eval()
            with self.autocast():
                total = sum(lm_loss(self.model(x), y).item() for x, y in self.val)
            local = total / len(self.val)
            self.net.train()
        if self.fault is not None and self.fault.kind == "val_loss" and self.fault.epoch == epoch:
            local = float(self.fault.value)  # type: ignore[arg-type]
        summed = distributed.all_reduce_sum(self.ctx, torch.tensor([local], dtype=torch.float64))
        return summed.item() / self.ctx.world_size

    def _members(self) -> tuple[dict[str, bytes], bytes]:
        optimizer_bytes = _to_bytes(self.optimizer.state_dict())
        members = {
            "model.pt": _to_bytes(self.model.state_dict()),
            artifacts.OPTIMIZER_MEMBER: optimizer_bytes,
            "trainer.pt": _to_bytes({"torch_rng": torch.get_rng_state()}),
            "trainer.json": json.dumps({"next_step": self.step, "epochs_done": self.epochs_saved,
                                        "history": self.history, "tokens_seen": self.tokens_seen,
                                        "epoch_sums": self.epoch_sums}).encode(),
            artifacts.MODEL_CONFIG_MEMBER: json.dumps(dataclasses.asdict(self.cfg.model_config())).encode(),
        }
        return members, optimizer_bytes

    def _common_metadata(self, optimizer_bytes: bytes) -> dict[str, Any]:
        return {"step": self.step, "optimizer_state_sha": artifacts.sha256(optimizer_bytes),
                "tokens_seen": self.tokens_seen, "regime": self.regime.to_dict(),
                "compute": "synthetic" if self.cfg.synthetic else "real", "world_size": self.ctx.world_size,
                "precision": self.precision}

    def save_step(self, reason: str) -> None:
        """A checkpoint of the current step (ckpt-every, step 0 or SIGTERM); the epoch in progress goes on."""
        if self.ctx.is_main:
            members, optimizer_bytes = self._members()
            metadata = {**self._common_metadata(optimizer_bytes), "kind": "step", "reason": reason,
                        "epoch": self.epochs_saved + 1,
                        "checkpoint": artifacts.step_checkpoint_path(self.run_dir, self.step).name}
            self._write_pair(artifacts.step_checkpoint_path(self.run_dir, self.step),
                             artifacts.step_metadata_path(self.run_dir, self.step), members, metadata)
            self._prune()
        distributed.barrier(self.ctx)

    def save_epoch(self, epoch: int, train_loss: float, val_loss: float, wall: float,
                   grad_norm_max: float) -> None:
        self.epochs_saved = epoch
        self.epoch_sums = {"loss_sum": 0.0, "grad_norm_max": 0.0, "n": 0}
        if self.ctx.is_main:
            members, optimizer_bytes = self._members()
            metadata = {
                **self._common_metadata(optimizer_bytes),
                "kind": "epoch",
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "train_ppl": perplexity(train_loss),
                "val_ppl": perplexity(val_loss),
                "wall_seconds": wall,
                "grad_norm_max": grad_norm_max,
                "checkpoint": artifacts.checkpoint_path(self.run_dir, epoch).name,
            }
            self._write_pair(artifacts.checkpoint_path(self.run_dir, epoch),
                             artifacts.metadata_path(self.run_dir, epoch), members, metadata)
            self._prune()
        distributed.barrier(self.ctx)

    def _prune(self) -> None:
        if self.cfg.keep_last < 1 or len(self.history) < 2:
            best = None
        else:
            best = min(range(1, len(self.history)), key=lambda i: (self.history[i], i))
        for path in artifacts.prune(self.run_dir, self.cfg.keep_last, best):
            log.info("removed %s (--keep-last %d)", path.name, self.cfg.keep_last)

    def _record_initial_eval(self, val_loss: float, wall: float) -> None:
        if self.ctx.is_main:
            artifacts.write_json_atomic(self.run_dir / artifacts.INITIAL_EVAL, {
                "epoch": 0, "step": 0, "val_loss": val_loss, "val_ppl": perplexity(val_loss),
                "wall_seconds": wall, "regime": self.regime.to_dict(),
                "init": self.cfg.init_from or "random", "precision": self.precision})

    # --- the run --------------------------------------------------------------
    def _on_sigterm(self, signum: int, frame: Any) -> None:  # noqa: ARG002
        self._stop_signal = signal.Signals(signum).name

    def _stop_requested(self) -> bool:
        """At an epoch boundary: did any rank get SIGTERM? (Within an epoch it rides on the step's reduce.)"""
        if not self.ctx.distributed:
            return self._stop_signal is not None
        return not self._collective_ok(self._stop_signal is None)

    def fit(self, resume: bool = False) -> RunResult:
        handler_set = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, self._on_sigterm) if handler_set else None
        try:
            return self._fit(resume)
        finally:
            if handler_set:  # None: a handler not installed from Python; restore the default then
                signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
            self.release()

    def _fit(self, resume: bool) -> RunResult:
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
        result.mfu_pct = self.run_mfu()
        if self.ctx.is_main:
            artifacts.write_json_atomic(self.run_dir / artifacts.STATUS, {
                "status": result.status.value, "exit_code": result.exit_code, "message": result.message,
                "epochs_completed": result.epochs_completed, "steps": result.steps,
                "history": result.history, "regime": self.regime.to_dict(),
                "compute": "synthetic" if self.cfg.synthetic else "real",
                "world_size": self.ctx.world_size, "seed": self.cfg.seed, "precision": self.precision,
                "flops_per_token": self.flops_per_token,
                "peak_flops": self.peak_flops if self.peak_flops is not None else "unknown",
                "mfu_pct": result.mfu_pct if result.mfu_pct is not None else "unknown"})
        distributed.barrier(self.ctx)
        return result

    def run_mfu(self) -> float | None:
        """MFU over the steps this process ran (None: the device's peak is unknown, or no step ran)."""
        tokens = self.tokens_seen - self._tokens_at_start
        if tokens <= 0 or self.step_seconds <= 0:
            return None
        return flops.mfu_pct(self.flops_per_token, tokens / self.step_seconds, self.peak_flops,
                             self.ctx.world_size)

    def _preempt(self) -> RunResult:
        raise TrainingAbort(RunStatus.PREEMPTED,
                            f"{self._stop_signal} received: stopped after step {self.step - 1} with a checkpoint; "
                            f"`pv pretrain --run-dir {self.run_dir} --resume` continues", step=self.step)

    def _epochs(self, writer: MetricsWriter | None) -> RunResult:
        cfg = self.cfg
        self._tokens_at_start = self.tokens_seen
        if not self.resumed:
            # Epoch 0: the model before its first update, measured, recorded and judged like any epoch.
            started = time.perf_counter()
            val_loss = self.evaluate(0)
            self.history = [val_loss]
            self._record_initial_eval(val_loss, time.perf_counter() - started)
            self._judge(0, val_loss)
            log.info("epoch 0 (before training): val_loss %.4f (ppl %.2f)", val_loss, perplexity(val_loss))
            self.save_step("start")  # from here on every fault is resumable
            if self._stop_requested():
                return self._preempt()
        elif self.epochs_saved and self.step == self.epochs_saved * cfg.steps_per_epoch:
            # Resumed at an epoch's end: take the decision the interrupted run took (or was about to).
            reason = early_stop_reason(self.history, self.policy)
            if reason is not None:
                return self._ending(RunStatus.EARLY_STOP, reason)
        for epoch in range(self.start_epoch, cfg.epochs + 1):
            started = time.perf_counter()
            first = (epoch - 1) * cfg.steps_per_epoch
            last = first + cfg.steps_per_epoch
            for step in range(max(first, self.step), last):
                record = self.train_step(step)
                self.step = step + 1
                if writer is not None:
                    writer.write(record)
                self.status_line.step(epoch - 1, cfg.epochs, step, record)
                sums = self.epoch_sums
                sums["loss_sum"] += record["train_loss"]
                sums["grad_norm_max"] = max(sums["grad_norm_max"], record["grad_norm"])
                sums["n"] += 1
                if self._stop_agreed:
                    if self.step < last:  # at the epoch's end the epoch checkpoint follows
                        self.save_step("preempted")
                        return self._preempt()
                    break
                if cfg.ckpt_every and self.step % cfg.ckpt_every == 0 and self.step < last:
                    self.save_step("ckpt-every")
            val_loss = self.evaluate(epoch)
            self.history.append(val_loss)
            self._judge(epoch, val_loss)
            sums = self.epoch_sums
            train_loss = sums["loss_sum"] / max(sums["n"], 1)
            self.save_epoch(epoch, train_loss, val_loss, time.perf_counter() - started, sums["grad_norm_max"])
            self.status_line.clear()
            log.info("epoch %d/%d: train_loss %.4f val_loss %.4f (ppl %.2f) %.1f s", epoch, cfg.epochs,
                     train_loss, val_loss, perplexity(val_loss), time.perf_counter() - started)
            reason = early_stop_reason(self.history, self.policy)
            if reason is not None:
                return self._ending(RunStatus.EARLY_STOP, reason)
            if epoch < cfg.epochs and self._stop_requested():
                return self._preempt()
        return self._ending(RunStatus.COMPLETED, f"trained {cfg.epochs} epochs")

    def _judge(self, epoch: int, val_loss: float) -> None:
        reason = divergence_reason(epoch, self.history, self.regime)
        if reason is not None:
            raise TrainingAbort(RunStatus.DIVERGENCE, f"{reason} (regime {self.regime})", epoch=epoch,
                                step=self.step)

    def _ending(self, status: RunStatus, message: str) -> RunResult:
        """Success only when the run improved on epoch 0; otherwise NO_IMPROVEMENT, whatever stopped it."""
        worse = no_improvement_reason(self.history)
        if worse is not None:
            status, message = RunStatus.NO_IMPROVEMENT, f"{message}, but {worse}"
        return RunResult(status, message, self.epochs_saved, self.step, list(self.history))


def _die_while_writing(path: Path, members: dict[str, bytes]) -> None:
    """The `kill_write` fault: SIGKILL this process half-way through a checkpoint's temp file."""
    from pv.core.atomic import write_atomic

    blob = b"".join(members.values())

    def half_then_die(handle: Any) -> None:
        handle.write(blob[:len(blob) // 2])
        handle.flush()
        os.fsync(handle.fileno())
        os.kill(os.getpid(), signal.SIGKILL)
    write_atomic(path, half_then_die)


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


__all__ = ["RunDirError", "RunResult", "TrainConfig", "Trainer", "learning_rate", "read_records", "run"]
