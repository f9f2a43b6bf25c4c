"""Model FLOPs utilisation (MFU): achieved training FLOP/s over the device's peak (pure Python).

MFU = flops_per_token × tokens/s ÷ (peak FLOP/s per device × devices), with
flops_per_token from `TinyGPT.flops_per_token` (6·N + 12·L·d·T, as in
PaLM's appendix B and nanoGPT). The peaks are the vendors' dense (no
sparsity) datasheet figures for the precision the matmuls run in: bf16 for
`--precision bf16`, TF32 for fp32 with TF32 allowed, plain fp32 otherwise.
A device that is not in the table (every CPU among them) has no known
peak, and its MFU is reported as "unknown" rather than a made-up number.
"""

from __future__ import annotations

# Dense peak TFLOP/s by precision. Sources: NVIDIA datasheets (A100 80GB SXM, H100 SXM5 and PCIe,
# H200 SXM, L4, A10, RTX 4090 / Ada whitepaper). Names are matched as substrings of
# torch.cuda.get_device_name(), most specific first.
PEAK_TFLOPS: tuple[tuple[str, dict[str, float]], ...] = (
    ("H200", {"bf16": 989.0, "tf32": 494.7, "fp32": 66.9}),
    ("H100 PCIe", {"bf16": 756.0, "tf32": 378.0, "fp32": 51.2}),
    ("H100", {"bf16": 989.0, "tf32": 494.7, "fp32": 66.9}),  # SXM5
    ("A100", {"bf16": 312.0, "tf32": 156.0, "fp32": 19.5}),
    ("L4", {"bf16": 121.0, "tf32": 60.0, "fp32": 30.3}),
    ("A10", {"bf16": 125.0, "tf32": 62.5, "fp32": 31.2}),
    ("RTX 4090", {"bf16": 165.2, "tf32": 82.6, "fp32": 82.6}),
)


def matmul_precision(precision: str, tf32: bool) -> str:
    """The table column for a run: bf16, tf32 (fp32 storage, TF32 tensor cores) or fp32."""
    if precision == "bf16":
        return "bf16"
    return "tf32" if tf32 else "fp32"


def peak_flops(device_name: str | None, precision: str, tf32: bool) -> float | None:
    """Peak FLOP/s of one device of that name, or None when it is not known (CPUs, unlisted GPUs)."""
    if not device_name:
        return None
    column = matmul_precision(precision, tf32)
    for key, peaks in PEAK_TFLOPS:
        if key.lower() in device_name.lower():
            return peaks[column] * 1e12
    return None


def mfu_pct(flops_per_token: float, tokens_per_sec: float, peak: float | None, devices: int = 1) -> float | None:
    """MFU in percent, or None when the peak is unknown."""
    if peak is None or peak <= 0 or devices < 1:
        return None
    return 100.0 * flops_per_token * tokens_per_sec / (peak * devices)
