"""twolayer-bench's workload: the seed's two-layer network in NumPy and PyTorch (what asv measures).

Only the network is in this wheel: the benchmark harness lives in benchmarks/ and the tools in
tools/ (installed into the project's .venv only), so a change to them never becomes a new
point of the published history. numpy and torch are deliberately not in install_requires: asv
installs them from its version matrix and the wheel is installed with --no-deps.
"""
from setuptools import find_packages, setup

setup(
    name="twolayer-bench",
    version="0.2.0",
    description="NumPy vs PyTorch, line for line, on the explicit-backprop two-layer network",
    package_dir={"": "twolayer_src"},
    packages=find_packages("twolayer_src"),
    python_requires=">=3.10",
    install_requires=[],
    extras_require={"numpy": ["numpy>=1.24"], "torch": ["torch>=2.0"]},
)
