"""`pv pretrain`: train the reference model on the built-in, checksummed corpus.

torch is imported only when the command runs, so `pv --help` stays light.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from pv.reference.hparams import MODES, resolve

# Settings that come from config.json when resuming; passing one with --resume is an error.
_TRAINING_OPTIONS = ("mode", "vocab_size", "lr", "warmup_steps", "target_val_loss", "patience", "min_epochs",
                     "epochs", "steps_per_epoch", "batch_size", "context", "d_model", "n_layers", "n_heads",
                     "corpus_bytes", "val_batches", "seed", "on_exhaustion", "synthetic", "init_from",
                     "precision", "tf32", "compile", "ckpt_every", "keep_last")


def _setup_logging(quiet: bool) -> None:
    logger = logging.getLogger("pv.reference")
    rank = int(os.environ.get("RANK", "0"))
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(f"pv pretrain{f' [rank {rank}]' if rank else ''}: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.WARNING if quiet or rank else logging.INFO)


@click.command("pretrain")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for metrics.jsonl, ckpt/ and status.json.")
@click.option("--mode", type=click.Choice(MODES), default="from-scratch", show_default=True,
              help="Sets regime, lr_max, warmup_steps and target_val_loss from the contract's table.")
@click.option("--vocab-size", type=click.IntRange(256), default=256, show_default=True,
              help="Model vocabulary (tokens are bytes; a larger V widens embedding and head).")
@click.option("--lr", type=float, help="Override the mode's lr_max.")
@click.option("--warmup-steps", type=click.IntRange(0), help="Override the mode's warmup_steps.")
@click.option("--target-val-loss", type=float, help="Override the mode's target_val_loss.")
@click.option("--patience", type=click.IntRange(1), default=2, show_default=True)
@click.option("--min-epochs", type=click.IntRange(1), default=3, show_default=True,
              help="Minimum epochs before an early stop.")
@click.option("--epochs", type=click.IntRange(1), default=5, show_default=True)
@click.option("--steps-per-epoch", type=click.IntRange(1), default=200, show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=16, show_default=True, help="Per process.")
@click.option("--context", type=click.IntRange(2), default=64, show_default=True)
@click.option("--d-model", type=click.IntRange(8), default=64, show_default=True)
@click.option("--n-layers", type=click.IntRange(1), default=2, show_default=True)
@click.option("--n-heads", type=click.IntRange(1), default=4, show_default=True)
@click.option("--corpus-bytes", type=click.IntRange(10_000), default=4_000_000, show_default=True,
              help="How many bytes of the built-in corpus to use (generated, checksummed).")
@click.option("--val-batches", type=click.IntRange(1), default=8, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--on-exhaustion", type=click.Choice(["cycle", "halt"]), default="cycle", show_default=True,
              help="When the token stream runs out: start another pass (one INFO log) or stop "
                   "with STREAM_EXHAUSTED.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--threads", type=click.IntRange(1, 1024),  # 100000 made torch/libgomp segfault
              help="torch threads per process.")
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), default="auto", show_default=True,
              help="auto: bf16 autocast on a GPU that supports it, fp32 elsewhere (CPUs).")
@click.option("--tf32/--no-tf32", default=True, show_default=True,
              help="Let fp32 matmuls use TF32 tensor cores on CUDA (no effect on a CPU).")
@click.option("--compile", "compile_", is_flag=True, help="torch.compile the model (needs a C++ compiler on CPU).")
@click.option("--ckpt-every", type=click.IntRange(0), default=0, show_default=True,
              help="Also checkpoint every N steps (0: at the end of each epoch only).")
@click.option("--keep-last", type=click.IntRange(0), default=0, show_default=True,
              help="Keep only the K newest checkpoint files and the best epoch's (0: keep all).")
@click.option("--init-from", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Start from the weights of this checkpoint (finetune).")
@click.option("--resume", is_flag=True, help="Continue the run in --run-dir from its last good checkpoint.")
@click.option("--synthetic", is_flag=True,
              help="Demo only: write a scripted loss curve without computing anything. "
                   "Without this flag every loss is really computed.")
@click.option("--plot", is_flag=True, help="Write loss-curve.png into the run directory (needs matplotlib).")
@click.option("--quiet", is_flag=True, help="Only warnings and errors.")
@click.option("--inject-fault", hidden=True, help="Fault injection for falsification tests.")
@click.pass_context
def pretrain(ctx: click.Context, **opts: object) -> None:
    """Train the reference transformer; exit 0 (COMPLETED/EARLY_STOP), 3 DIVERGENCE,
    4 NUMERICAL_INSTABILITY, 5 STREAM_EXHAUSTED, 6 NO_IMPROVEMENT, 7 PREEMPTED (SIGTERM;
    checkpointed, --resume continues), 2 usage error."""
    from pv.reference.faults import parse_fault

    opts["compile"] = opts.pop("compile_")

    try:
        import torch  # noqa: F401
    except ImportError:
        raise click.UsageError("pv pretrain needs torch: pip install 'pv-contracts[train]'") from None
    _setup_logging(bool(opts["quiet"]))
    run_dir: Path = opts["run_dir"]  # type: ignore[assignment]
    try:
        fault = parse_fault(str(opts["inject_fault"])) if opts["inject_fault"] else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--inject-fault") from None
    if opts["resume"]:
        given = [name for name in _TRAINING_OPTIONS
                 if ctx.get_parameter_source("compile_" if name == "compile" else name)
                 == click.core.ParameterSource.COMMANDLINE]
        if given:
            raise click.UsageError("--resume continues with the settings in config.json; drop "
                                   + ", ".join("--" + g.replace("_", "-") for g in given))
        config_file = run_dir / "config.json"
        if not config_file.is_file():
            raise click.UsageError(f"{config_file} does not exist: nothing to resume")
        try:
            data = json.loads(config_file.read_text(encoding="utf-8"))
            from pv.reference.train import TrainConfig
            cfg = TrainConfig.from_dict(data)
            # The run continues where it is: a copied or moved run dir (or a config.json naming
            # /etc) must not make --resume write into the directory recorded in the file.
            cfg.run_dir = str(run_dir)
            cfg.validate()  # wrong types ("epochs": "3") fail here, not deep inside the loop
        except (ValueError, TypeError, AttributeError, RecursionError) as exc:
            raise click.UsageError(f"{config_file}: {exc}") from None
        # Where the run executes may change on resume, but only when asked: otherwise config.json's
        # device and threads hold (a resume used to drop a saved --threads).
        if ctx.get_parameter_source("device") == click.core.ParameterSource.COMMANDLINE:
            cfg.device = str(opts["device"])
        if ctx.get_parameter_source("threads") == click.core.ParameterSource.COMMANDLINE:
            cfg.threads = opts["threads"]  # type: ignore[assignment]
    else:
        cfg = _config_from_options(opts)
    _run(cfg, bool(opts["resume"]), fault, bool(opts["plot"]), bool(opts["quiet"]))


def _config_from_options(opts: dict[str, object]):  # -> TrainConfig (torch imported lazily)
    from pv.reference.train import TrainConfig

    try:
        hp = resolve(str(opts["mode"]), int(opts["vocab_size"]), lr=opts["lr"],  # type: ignore[arg-type]
                     warmup_steps=opts["warmup_steps"],  # type: ignore[arg-type]
                     target_val_loss=opts["target_val_loss"])  # type: ignore[arg-type]
        cfg = TrainConfig(
            run_dir=str(opts["run_dir"]), mode=str(opts["mode"]), regime=hp.regime, lr_max=hp.lr_max,
            warmup_steps=hp.warmup_steps, target_val_loss=hp.target_val_loss,
            patience_epochs=opts["patience"], min_epochs_before_early_stop=opts["min_epochs"],  # type: ignore
            epochs=opts["epochs"], steps_per_epoch=opts["steps_per_epoch"],  # type: ignore[arg-type]
            batch_size=opts["batch_size"], context=opts["context"], d_model=opts["d_model"],  # type: ignore
            n_layers=opts["n_layers"], n_heads=opts["n_heads"], vocab_size=opts["vocab_size"],  # type: ignore
            corpus_bytes=opts["corpus_bytes"], val_batches=opts["val_batches"],  # type: ignore[arg-type]
            seed=opts["seed"], on_exhaustion=str(opts["on_exhaustion"]), device=str(opts["device"]),  # type: ignore
            threads=opts["threads"], synthetic=bool(opts["synthetic"]),  # type: ignore[arg-type]
            init_from=str(opts["init_from"]) if opts["init_from"] else None,
            precision=str(opts["precision"]), tf32=bool(opts["tf32"]), compile=bool(opts["compile"]),
            ckpt_every=int(opts["ckpt_every"]), keep_last=int(opts["keep_last"]))  # type: ignore[arg-type]
        cfg.validate()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    return cfg


def _run(cfg, resume: bool, fault, plot: bool, quiet: bool) -> None:  # noqa: ANN001
    from pv.reference.data import CorpusChecksumError
    from pv.reference.metrics import StatusLine
    from pv.reference.train import RunDirError, run

    status_line = StatusLine(enabled=False) if quiet or int(os.environ.get("RANK", "0")) else StatusLine()
    try:
        result = run(cfg, resume=resume, fault=fault, status_line=status_line)
    except (RunDirError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    except CorpusChecksumError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # unreadable corpus, full disk, ...
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    except MemoryError:
        raise click.ClickException("out of memory: the model does not fit (--vocab-size, --d-model?)") from None
    except RuntimeError as exc:  # torch's allocator: "DefaultCPUAllocator: can't allocate memory"
        if "allocate" not in str(exc) and "out of memory" not in str(exc):
            raise
        raise click.ClickException(f"out of memory: the model does not fit (--vocab-size, --d-model?): "
                                   f"{str(exc).splitlines()[0][:200]}") from None
    except KeyboardInterrupt:
        status_line.clear()
        click.echo(f"pv pretrain: interrupted; `pv pretrain --run-dir {cfg.run_dir} --resume` continues "
                   "from the last completed epoch", err=True)
        click.get_current_context().exit(130)
    if int(os.environ.get("RANK", "0")) == 0:
        if plot:
            from pv.runcheck.plot import PlotUnavailable, write_loss_curve
            try:
                out = write_loss_curve(Path(cfg.run_dir), Path(cfg.run_dir) / "loss-curve.png")
                click.echo(f"pv pretrain: loss curve written to {out}", err=True)
            except PlotUnavailable as exc:
                click.echo(f"pv pretrain: no plot: {exc}", err=True)
        mfu = f"MFU {result.mfu_pct:.1f} %" if result.mfu_pct is not None else "MFU unknown (no peak FLOPS " \
            "is known for this device)"
        click.echo(f"pv pretrain: {result.status.value} after {result.epochs_completed} epoch(s), "
                   f"{result.steps} steps: {result.message}; {mfu}", err=True)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and result.exit_code:
        # All ranks left the last barrier together; leave now, skipping interpreter teardown, so
        # torchrun sees every rank exit with the status instead of killing the slower ones.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(result.exit_code)
    click.get_current_context().exit(result.exit_code)


def main() -> None:
    """The `pv-pretrain` console script: the same command as `pv pretrain`."""
    pretrain(prog_name="pv-pretrain")
