"""The model: GPT-2's scaled initialisation of every residual projection (issue 12, item 7)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")


def test_scaled_init_on_every_residual_projection():
    import torch

    from pv.reference.model import ModelConfig, TinyGPT, residual_projections

    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=256, context=16, d_model=128, n_layers=8, n_heads=4)
    model = TinyGPT(cfg)
    scaled = 0.02 / (2 * cfg.n_layers) ** 0.5  # 0.005
    for block in model.blocks:
        assert [p is block.proj or p is block.mlp[2] for p in residual_projections(block)] == [True, True]
        for layer in (block.proj, block.mlp[2]):  # attention output and the MLP's second layer
            assert layer.weight.std().item() == pytest.approx(scaled, rel=0.1)
        for layer in (block.qkv, block.mlp[0]):  # the others keep 0.02
            assert layer.weight.std().item() == pytest.approx(0.02, rel=0.1)
