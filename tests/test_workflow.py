"""The GitHub Actions workflow is valid and runs the project's own commands."""
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "benchmarks.yml"


def test_workflow_matches_github_schema():
    exe = Path(sys.executable).parent / "check-jsonschema"
    proc = subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflow_gates_pull_requests_and_publishes_main():
    text = WORKFLOW.read_text()
    assert "make compare BASE=" in text       # the gate on pull requests
    assert "make history" in text and "make publish" in text  # main: fill history, publish
    assert "upload-artifact" in text


def test_schema_check_can_fail(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: 3\n")
    exe = Path(sys.executable).parent / "check-jsonschema"
    proc = subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode != 0
