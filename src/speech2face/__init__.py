"""speech2face: picture a face from a voice, and measure per group what a voice reveals."""

import os

__version__ = "0.1.0"

# The same numbers on every x86-64 CPU with AVX2, not only on the one that trained: PyTorch,
# oneDNN, MKL and OpenBLAS otherwise pick kernels by the CPU they find (AVX-512, AMX ...), and
# their different summation orders change trained weights and metrics, so a fresh clone on
# another CPU would not reproduce `dvc.lock`. Read by those libraries when they load, so set
# here, before any of them is imported; a value already in the environment wins.
CPU_KERNELS = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "MKL_CBWR": "AVX2",
    "OPENBLAS_CORETYPE": "Haswell",
}
for _name, _value in CPU_KERNELS.items():
    os.environ.setdefault(_name, _value)
