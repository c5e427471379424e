"""Reproducibility: a notebook run twice in fast mode prints the same checked outputs and results.

The notebook seeds everything with ``config.set_seed(0)`` in its first cell and
trains two small models, so equal test accuracies and equal per-epoch losses
across two fresh kernels show that seeding covers training, not only the
deterministic lecture cells.
"""
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "W1-2_convnets_in_keras.ipynb"
CHECKED = "# NBVAL_CHECK_OUTPUT"
KERNEL_TIMEOUT = 300
# Metrics as the notebook prints them: the last epoch of each run ("accuracy 0.9974, loss 0.0106, ...")
# and the test results ("test loss 0.0902"); the timings on the same lines ("2.33 s per epoch") are
# left out: they differ from run to run.
METRIC = re.compile(r"\b((?:val_)?(?:accuracy|loss)):? ([-+0-9.e]+)")
TEST_RESULT = re.compile(r"^.*\btest accuracy\b.*$", re.MULTILINE)


def _text(cell):
    """What a cell printed or displayed as text (stdout, results, errors); stderr holds TF logs."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stdout":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data") and "text/plain" in out.data:
            if "image/png" not in out.data:  # a figure's text/plain is its repr, with an address
                parts.append(out.data["text/plain"])
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return "".join(parts)


def _run_fast(path):
    """Execute the notebook at ``path`` in a fresh kernel; return what the comparison needs.

    Returns a dict: ``checked`` maps each ``# NBVAL_CHECK_OUTPUT`` cell's source to
    its text output, ``tests`` lists the printed "test accuracy" lines and
    ``metrics`` the (name, value) pairs printed while training, in order.
    """
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(nb, timeout=KERNEL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    checked, tests, metrics = {}, [], []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        text = _text(cell)
        if cell.source.lstrip().startswith(CHECKED):
            checked[cell.source] = text
        tests += TEST_RESULT.findall(text)
        metrics += METRIC.findall(text)
    return {"checked": checked, "tests": tests, "metrics": metrics}


def test_notebook_run_twice_in_fast_mode_repeats_checked_outputs_and_results(monkeypatch):
    monkeypatch.setenv("CNN_FAST", "1")  # the kernels inherit the environment
    first = _run_fast(NOTEBOOK)
    second = _run_fast(NOTEBOOK)
    # Cells are matched by their source, not their position, so the notebook may gain cells.
    assert len(first["checked"]) >= 3 and all(first["checked"].values()), first["checked"]
    assert first["checked"].keys() == second["checked"].keys()
    for source, text in first["checked"].items():
        assert second["checked"][source] == text, f"checked cell differs between runs:\n{source}"
    # The trained models: the notebook prints a test accuracy for each, and the loss and accuracy
    # of each run's last epoch. Equal to the last printed digit means seeded training.
    assert len(first["tests"]) >= 2, first["tests"]
    assert second["tests"] == first["tests"]
    assert len(first["metrics"]) >= 8, first["metrics"]
    assert second["metrics"] == first["metrics"]
