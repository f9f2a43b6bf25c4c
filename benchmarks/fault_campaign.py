"""Fault campaign for the reference loop (issue 12): every fault must end resumable, bit-identical, nothing lost.

Real processes (`python -m pv pretrain`), real signals. One uninterrupted run
is the reference; every faulted run is resumed (as often as it takes) and
then compared with it: every step record's step, train_loss, grad_norm and
lr, every epoch's val_loss, train_loss, grad_norm_max, tokens_seen and
optimizer_state_sha, the validation history in status.json, and
`pv check-run` must pass. Cases:

- kill -9 at random points (`--kills`, default 20): a random point of the
  run (its step records reaching a random count from 0 to all, then a random
  0-150 ms more; startup and the final epoch included), with a checkpoint
  every 3 steps, so some land during a write; plus `--kill-writes` (default
  6) SIGKILLs injected half-way through a checkpoint's temp file;
- SIGTERM at random points (`--terms`, default 5): exit 7 PREEMPTED, then resume;
- corrupt-checkpoint variants on a run killed in its last epoch: torn,
  zero-length, a flipped byte in optimizer.pt, a garbage member with forged
  shas, metadata deleted, metadata garbage; each resume must name the file
  it skips and still match. All checkpoints corrupt: the resume must refuse
  (exit 2) and leave metrics.jsonl byte for byte as it was;
- a concurrent `--resume` while a run is live (held with SIGSTOP) must be refused (exit 2);
- `--torchrun`: SIGKILL the torchrun launcher of a 2-process run; its
  workers must stop (PREEMPTED) instead of training on, and a torchrun
  resume must match an uninterrupted 2-process run.

    .venv/bin/python benchmarks/fault_campaign.py                 # ~10 min on 2 busy cores
    .venv/bin/python benchmarks/fault_campaign.py --torchrun --json campaign.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONTRACT = REPO / "contracts" / "training-loop-pretrain-v1.yaml"
ARGS = ["--epochs", "3", "--steps-per-epoch", "30", "--warmup-steps", "10", "--corpus-bytes", "400000",
        "--val-batches", "2", "--threads", "1", "--device", "cpu", "--ckpt-every", "3", "--quiet"]
RESULTS = ("step", "train_loss", "grad_norm", "lr")
EPOCH_FIELDS = ("val_loss", "train_loss", "grad_norm_max", "tokens_seen", "optimizer_state_sha")
ENV = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


def pv(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pv", *args], capture_output=True, text=True, timeout=timeout,
                          env=ENV, cwd=REPO)


def start(run_dir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pv", "pretrain", "--run-dir", str(run_dir), *ARGS, *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV, cwd=REPO)


def wait_for_point(proc: subprocess.Popen, run_dir: Path, count: int, jitter: float) -> float:
    """Wait until the run has `count` step records (or has ended), then `jitter` seconds more."""
    began = time.perf_counter()
    path = run_dir / "metrics.jsonl"
    while proc.poll() is None:
        if count == 0 or (path.exists() and path.read_bytes().count(b"\n") >= count):
            break
        time.sleep(0.005)
    time.sleep(jitter)
    return time.perf_counter() - began


def records(run_dir: Path) -> list[dict]:
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def fingerprint(run_dir: Path) -> dict:
    status = json.loads((run_dir / "status.json").read_text())
    epochs = {}
    for epoch in (1, 2, 3):
        meta = json.loads((run_dir / "ckpt" / f"epoch-{epoch:03d}.metadata.json").read_text())
        epochs[epoch] = {k: meta[k] for k in EPOCH_FIELDS}
    return {"steps": [[r[k] for k in RESULTS] for r in records(run_dir)], "epochs": epochs,
            "history": status["history"], "status": status["status"]}


def resume_until_done(run_dir: Path, log: list[str], *, torchrun: bool = False) -> None:
    for _ in range(5):
        if not (run_dir / "config.json").exists():  # killed before the run wrote anything: start afresh
            proc = pv("pretrain", "--run-dir", str(run_dir), *ARGS)
            log.append(f"fresh start: exit {proc.returncode}")
        elif torchrun:
            proc = torchrun_pv("pretrain", "--run-dir", str(run_dir), "--resume", "--quiet")
            log.append(f"torchrun resume: exit {proc.returncode}")
        else:
            proc = pv("pretrain", "--run-dir", str(run_dir), "--resume", "--quiet")
            log.append(f"resume: exit {proc.returncode}")
        if proc.returncode == 0:
            return
        log.append(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "")
    raise RuntimeError(f"{run_dir}: did not finish after 5 resumes: {log}")


def compare(reference: dict, run_dir: Path) -> list[str]:
    problems = []
    got = fingerprint(run_dir)
    for key in ("steps", "epochs", "history", "status"):
        if got[key] != reference[key]:
            problems.append(f"{key} differs")
    check = pv("check-run", str(CONTRACT), str(run_dir))
    if check.returncode != 0:
        problems.append("check-run: " + check.stdout.strip().splitlines()[-1])
    return problems


def torchrun_pv(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "pv", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ENV, cwd=REPO)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--kill-writes", type=int, default=6)
    parser.add_argument("--terms", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--torchrun", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    results: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        began = time.perf_counter()
        ref_proc = pv("pretrain", "--run-dir", str(root / "reference"), *ARGS)
        span = time.perf_counter() - began
        assert ref_proc.returncode == 0, ref_proc.stderr
        reference = fingerprint(root / "reference")
        total_steps = len(reference["steps"])
        print(f"reference: {total_steps} steps, {span:.1f} s per uninterrupted process", flush=True)

        def record(kind: str, detail: str, run_dir: Path, log: list[str]) -> None:
            problems = compare(reference, run_dir)
            results.append({"case": kind, "detail": detail, "ok": not problems, "problems": problems, "log": log})
            print(f"  {kind:18s} {detail:48s} {'ok' if not problems else 'FAIL ' + '; '.join(problems)}",
                  flush=True)

        # 1. kill -9 at random points of the run.
        for i in range(args.kills):
            run_dir = root / f"kill{i}"
            proc = start(run_dir)
            delay = wait_for_point(proc, run_dir, rng.randrange(0, total_steps + 1), rng.uniform(0, 0.15))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            done = len(records(run_dir))
            log = [f"SIGKILL after {delay:.2f} s: exit {proc.returncode}, {done}/{total_steps} records"]
            temps = [p.name for p in (run_dir / "ckpt").glob(".*.tmp")] if (run_dir / "ckpt").exists() else []
            if temps:
                log.append(f"orphaned temp files (killed during a write): {temps}")
            resume_until_done(run_dir, log)
            record("kill -9", f"at {delay:5.2f} s, {done:3d} records" + (", mid-write" if temps else ""),
                   run_dir, log)

        # 1b. SIGKILL injected half-way through a checkpoint write.
        for i in range(args.kill_writes):
            run_dir = root / f"killwrite{i}"
            step = rng.randrange(0, total_steps)
            proc = pv("pretrain", "--run-dir", str(run_dir), *ARGS, "--inject-fault", f"kill_write:step={step}")
            temps = sorted(p.name for p in (run_dir / "ckpt").glob(".*.tmp"))
            log = [f"kill_write at step >= {step}: exit {proc.returncode}, temp files {temps}"]
            resume_until_done(run_dir, log)
            left = sorted(p.name for p in (run_dir / "ckpt").glob(".*.tmp"))
            if left:
                log.append(f"temp files left after resume: {left}")
            record("kill -9 in write", f"first write at/after step {step}, temp {len(temps)}", run_dir, log)
            if left:
                results[-1]["ok"] = False

        # 2. SIGTERM at random points of the training.
        for i in range(args.terms):
            run_dir = root / f"term{i}"
            proc = start(run_dir)
            delay = wait_for_point(proc, run_dir, rng.randrange(1, total_steps), rng.uniform(0, 0.15))
            proc.send_signal(signal.SIGTERM)
            code = proc.wait()
            done = len(records(run_dir))
            status = json.loads((run_dir / "status.json").read_text())["status"] if \
                (run_dir / "status.json").exists() else None
            log = [f"SIGTERM after {delay:.2f} s: exit {code}, status {status}, {done} records"]
            resume_until_done(run_dir, log)
            record("SIGTERM", f"at {delay:5.2f} s, exit {code}, {status}", run_dir, log)

        # 3. Corrupt checkpoints on a run killed in its last epoch.
        base = root / "corrupt-base"
        pv("pretrain", "--run-dir", str(base), *ARGS, "--inject-fault", f"kill:step={total_steps - 5}")

        def newest(run_dir: Path) -> Path:
            ckpts = sorted((run_dir / "ckpt").glob("step-*.pt"))
            return ckpts[-1]

        def torn(p: Path) -> None:
            p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])

        def zero(p: Path) -> None:
            p.write_bytes(b"")

        def flip(p: Path) -> None:
            from pv.reference import artifacts
            members = artifacts.read_checkpoint(p)
            blob = bytearray(members["optimizer.pt"])
            blob[len(blob) // 2] ^= 0xFF
            members["optimizer.pt"] = bytes(blob)
            artifacts.write_checkpoint(p, members)

        def forged(p: Path) -> None:
            from pv.reference import artifacts
            members = artifacts.read_checkpoint(p)
            members["model.pt"] = b"garbage" * 100
            artifacts.write_checkpoint(p, members)
            meta = p.with_name(p.name.replace(".pt", ".metadata.json"))
            data = json.loads(meta.read_text())
            data["member_sha256"]["model.pt"] = artifacts.sha256(members["model.pt"])
            meta.write_text(json.dumps(data))

        def no_meta(p: Path) -> None:
            p.with_name(p.name.replace(".pt", ".metadata.json")).unlink()

        def bad_meta(p: Path) -> None:
            p.with_name(p.name.replace(".pt", ".metadata.json")).write_text("{not json")

        for name, corrupt in (("torn", torn), ("zero-length", zero), ("flipped optimizer byte", flip),
                              ("garbage member, forged shas", forged), ("metadata deleted", no_meta),
                              ("metadata garbage", bad_meta)):
            run_dir = root / f"corrupt-{name.split()[0]}-{len(results)}"
            shutil.copytree(base, run_dir)
            victim = newest(run_dir)
            corrupt(victim)
            proc = pv("pretrain", "--run-dir", str(run_dir), "--resume")
            named = victim.name in proc.stderr
            log = [f"corrupted {victim.name} ({name}); resume exit {proc.returncode}; skipped file named: {named}"]
            record("corrupt ckpt", f"{name}: {victim.name}", run_dir, log)
            if not named or proc.returncode != 0:
                results[-1]["ok"] = False

        run_dir = root / "corrupt-all"
        shutil.copytree(base, run_dir)
        for p in (run_dir / "ckpt").glob("*.pt"):
            torn(p)
        before = (run_dir / "metrics.jsonl").read_bytes()
        proc = pv("pretrain", "--run-dir", str(run_dir), "--resume")
        kept = (run_dir / "metrics.jsonl").read_bytes() == before
        ok = proc.returncode == 2 and kept and "no usable checkpoint" in proc.stderr
        results.append({"case": "all corrupt", "detail": "resume refuses", "ok": ok,
                        "problems": [] if ok else [proc.stderr[-300:]],
                        "log": [f"exit {proc.returncode}; metrics.jsonl unchanged: {kept}"]})
        print(f"  {'all corrupt':18s} {'resume refuses, metrics unchanged':48s} {'ok' if ok else 'FAIL'}", flush=True)

        # 4. A concurrent resume while the run is live.
        run_dir = root / "concurrent"
        proc = start(run_dir)
        deadline = time.monotonic() + 120
        while len(records(run_dir)) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGSTOP)  # hold the live run mid-epoch while the second writer tries
        try:
            second = pv("pretrain", "--run-dir", str(run_dir), "--resume", "--quiet")
        finally:
            proc.send_signal(signal.SIGCONT)
        first_code = proc.wait()
        log = [f"second writer: exit {second.returncode}: {second.stderr.strip().splitlines()[-1:]}",
               f"first run: exit {first_code}"]
        record("concurrent resume", f"refused with exit {second.returncode}", run_dir, log)
        if second.returncode != 2 or "in use by pid" not in second.stderr:
            results[-1]["ok"] = False

        # 5. torchrun: kill the launcher; its workers must stop, and a resume must match.
        if args.torchrun:
            ref_dir = root / "ddp-reference"
            assert torchrun_pv("pretrain", "--run-dir", str(ref_dir), *ARGS).returncode == 0
            ddp_reference = fingerprint(ref_dir)
            run_dir = root / "ddp-killed"
            cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m",
                   "pv", "pretrain", "--run-dir", str(run_dir), *ARGS]
            launcher = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV,
                                        cwd=REPO, start_new_session=True)
            deadline = time.monotonic() + 120
            while len(records(run_dir)) < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
            launcher.send_signal(signal.SIGKILL)
            launcher.wait()
            time.sleep(10)
            live = subprocess.run(["pgrep", "-f", f"run-dir {run_dir} "], capture_output=True,
                                  text=True).stdout.split()
            status = json.loads((run_dir / "status.json").read_text())["status"] if \
                (run_dir / "status.json").exists() else None
            log = [f"launcher SIGKILLed at {len(records(run_dir))} records; workers alive 10 s later: {live}; "
                   f"status {status}"]
            for pid in live:
                os.kill(int(pid), signal.SIGKILL)
            resume_until_done(run_dir, log, torchrun=True)
            got = fingerprint(run_dir)
            problems = [k for k in ("steps", "epochs", "history", "status") if got[k] != ddp_reference[k]]
            if live:
                problems.append(f"workers still running: {live}")
            results.append({"case": "torchrun launcher", "detail": "kill -9", "ok": not problems,
                            "problems": problems, "log": log})
            print(f"  {'torchrun launcher':18s} {log[0][:48]:48s} {'ok' if not problems else problems}", flush=True)

    failed = [r for r in results if not r["ok"]]
    print(f"{len(results)} cases, {len(results) - len(failed)} ok, {len(failed)} failed")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
