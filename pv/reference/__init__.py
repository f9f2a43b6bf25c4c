"""pv's reference PyTorch pretraining loop (the `train` extra).

`contracts/training-loop-pretrain-v1.yaml` describes what this loop must
guarantee; the tests under `tests/reference/` are the evidence its gates
cite. The light modules (`regime`, `convergence`, `status`, `hparams`,
`faults`, `flops`, `artifacts`) import nothing heavy, so `pv verify`
and `pv check-run` can use them without torch; `model`, `data`, `train`,
`distributed` and the measuring half of `metrics` need torch.
"""
