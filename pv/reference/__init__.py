"""pv's reference PyTorch pretraining loop (the `train` extra).

`contracts/training-loop-pretrain-v1.yaml` describes what this loop must
guarantee; the tests under `tests/reference/` are the evidence its gates
cite. The light modules (`regime`, `convergence`, `status`, `hparams`)
import nothing heavy so `pv validate` and `pv verify` can use them; only
`model`, `data`, `train`, `checkpoint` and `cli` import torch.
"""
