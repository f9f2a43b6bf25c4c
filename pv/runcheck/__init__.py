"""`pv check-run`: verify a finished training run directory against its contract.

Needs neither torch nor the training loop: run directories are JSON, JSONL
and zip files, and every threshold comes from the contract.
"""
