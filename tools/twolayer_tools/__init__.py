"""twolayer-bench's tools: one command, ``twolayer-bench`` (``python -m twolayer_tools``), with
subcommands for running, comparing, reporting and publishing the asv benchmarks.

Installed only into the project's tool environment (.venv), never into a benchmark environment:
the wheel asv measures (twolayer_src/) holds the network alone.
"""
