"""twolayer-bench: the seed's two-layer network in NumPy and PyTorch, and the tools around its benchmarks.

numpy and torch are deliberately not in install_requires: asv installs them from its version
matrix and the wheel is installed with --no-deps, so a pin is never replaced by a dependency.
"""
from setuptools import find_packages, setup

setup(
    name="twolayer-bench",
    version="0.1.0",
    description="NumPy vs PyTorch, line for line, on the explicit-backprop two-layer network",
    package_dir={"": "twolayer_src"},
    packages=find_packages("twolayer_src"),
    python_requires=">=3.10",
    install_requires=["threadpoolctl>=3.1"],
    extras_require={"numpy": ["numpy>=1.24"], "torch": ["torch>=2.0"]},
    entry_points={"console_scripts": [
        "twolayer-compare = twolayer.compare:main",   # environments / backends side by side (issue 3)
        "twolayer-report = twolayer.report:main",     # the per-op report, Markdown and HTML
    ]},
)
