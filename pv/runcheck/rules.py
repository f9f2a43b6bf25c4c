"""PV5xx: findings of `pv check-run` about a training run directory."""

from __future__ import annotations

from pv.core.findings import Severity
from pv.core.rules import register

E, W = Severity.ERROR, Severity.WARNING

register("PV501", "run-dir-missing", E, "The run directory or its metrics file is missing.",
         "`pv check-run CONTRACT RUN_DIR` needs the directory a run wrote: metrics.jsonl, ckpt/ and "
         "status.json. Check the path; a run that never started has nothing to verify.")
register("PV502", "step-record-unreadable", E, "A line of metrics.jsonl is not a JSON object.",
         "Every line of metrics.jsonl must be one complete JSON object. A torn last line means the "
         "run was killed mid-write; anything else means the file was produced or edited by hand.")
register("PV503", "step-field-missing", E, "A step record lacks a field the contract requires.",
         "The contract's `per_step_metrics.required` lists the fields every step must record. "
         "A missing field means the loop did not measure it; fix the loop, not the contract.")
register("PV504", "step-value-invalid", E, "A step metric is not a finite number in its range.",
         "Losses, gradient norms, learning rates and throughput must be finite numbers, never "
         "negative; device_util_pct lies in [0, 100] and step is an integer. A NaN or Inf should "
         "have aborted the run with NUMERICAL_INSTABILITY.")
register("PV505", "step-sequence", E, "Step numbers are not 0, 1, 2, ... without gaps or repeats.",
         "Each optimizer step writes exactly one record, in order. A gap means lost records; a repeat "
         "means two runs wrote into one directory or a resume did not rewind the file.")
register("PV506", "epoch-artifact-missing", E, "An epoch lacks its checkpoint or its metadata JSON.",
         "Every completed epoch must leave both files (the contract's `per_epoch_artifacts`). A "
         "checkpoint without metadata is the trace of a crash between the two atomic writes.")
register("PV507", "metadata-invalid", E, "Epoch metadata is unreadable, incomplete or non-finite.",
         "The metadata JSON beside each checkpoint must hold every field of "
         "`per_epoch_artifacts.metadata_json.required_fields` with a finite value, and its epoch "
         "number must match its file name.")
register("PV508", "optimizer-sha-mismatch", E, "optimizer_state_sha does not match the saved optimizer state.",
         "The metadata must carry the sha256 of the optimizer state exactly as saved in the "
         "checkpoint, so a resume can prove where it started. A mismatch means the pair is torn or "
         "the metadata describes another checkpoint.")
register("PV509", "divergence", E, "The validation losses break the non-divergence rule of the run's regime.",
         "At epoch 0 the validation loss must be finite and at most the regime's cap; later it may "
         "at most double from one epoch to the next. The caps are read from the contract's "
         "`training_regime` block, for the regime recorded in the run.")
register("PV510", "placeholder-loss", E, "The run shows a placeholder fingerprint instead of real training.",
         "Identical losses of exactly the contract's placeholder value in sub-second epochs are what "
         "a stubbed-out loop writes. Real training does not produce them.")
register("PV511", "synthetic-run", E, "The run used the --synthetic scripted-loss path.",
         "A synthetic run writes a scripted curve for demos; it is not evidence that the model "
         "trains. Run again without --synthetic.")
register("PV512", "run-not-successful", E, "The run did not end with COMPLETED or EARLY_STOP.",
         "status.json records how the run ended. DIVERGENCE, NUMERICAL_INSTABILITY, "
         "STREAM_EXHAUSTED and NO_IMPROVEMENT are failures; PREEMPTED means a scheduler stopped it "
         "(`pv pretrain --resume` continues); a missing status.json means the run is still going or "
         "was killed.")
register("PV513", "early-stop-too-soon", E, "The run stopped early before the contract's minimum epochs.",
         "`convergence.min_epochs_before_early_stop` sets how many epochs must complete before an "
         "early stop is allowed.")
register("PV514", "contract-incomplete", E, "The contract lacks a block or value that check-run needs.",
         "check-run reads its thresholds from the contract: `per_step_metrics.required`, "
         "`per_epoch_artifacts`, `training_regime` caps, `convergence` and "
         "`placeholder_fingerprint`. Add the missing item; check-run has no defaults of its own.")
register("PV515", "run-config-invalid", E, "The run's config.json or status.json is unreadable or inconsistent.",
         "check-run needs the run's configuration (its regime in particular) to pick the right "
         "thresholds. Files written by the loop are always readable; a damaged one is a finding.")
register("PV516", "metadata-disagrees", E, "Epoch metadata disagrees with the epoch's step records.",
         "An epoch's train_loss is the mean of its steps' train_loss and grad_norm_max their largest "
         "grad_norm. Metadata that does not summarise the records beside it was not written by the "
         "run that wrote them.")
register("PV517", "initial-eval-invalid", E, "The epoch-0 evaluation (before the first update) is missing or invalid.",
         "Epoch 0 is the model before any update: the loop measures its validation loss first and "
         "records it in the file `per_epoch_artifacts.initial_eval` names, so the regime's cap judges the "
         "start itself. Without it the cap could only see a loss after a whole epoch of training, which "
         "hides a cold start run as a finetune.")
register("PV518", "success-without-improvement", E, "The run reports success but never beat its epoch-0 loss.",
         "`convergence.success_requires_improvement`: COMPLETED or EARLY_STOP requires the best "
         "validation loss of epochs 1..N to be strictly below the epoch-0 loss. A run that got worse "
         "ends with NO_IMPROVEMENT (exit 6).")
