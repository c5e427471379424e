"""Every committed notebook is one clean, lean, quiet full-mode run.

- clean run: the code cells were executed top to bottom in one kernel (execution counts 1..n in
  order, every code cell executed, nbclient's execution timestamps in order), with no error output;
- lean: each notebook under 1.5 MB, all of them under 8 MB, no cell's text output over 60 lines;
- quiet: no TensorFlow/absl/CUDA start-up lines and no ``\\r`` progress-bar fragments in outputs.

``make refresh NB=notebooks/<name>.ipynb`` writes such a run.
"""
import json
import re
from pathlib import Path

import pytest

from cnn_utils import STARTUP_NOISE

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("W*.ipynb"))
MB = 1_000_000
MAX_NOTEBOOK_BYTES = 1.5 * MB
MAX_TOTAL_BYTES = 8 * MB
MAX_TEXT_LINES = 60


def _notebook(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _code_cells(notebook):
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def _text(value):
    return "".join(value) if isinstance(value, list) else value


def _text_outputs(cell):
    """The text a cell shows: its streams and the text of results that are not images."""
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            yield _text(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            data = output.get("data", {})
            if not any(key.startswith("image/") for key in data):
                yield _text(data.get("text/plain", ""))


def _cell_label(cell, index):
    first_line = _text(cell["source"]).strip().splitlines()[:1]
    return f"code cell {index + 1} ({first_line[0][:50] if first_line else 'empty'})"


def clean_run_problems(notebook):
    """What keeps a notebook from being one top-to-bottom run of its code cells."""
    problems = []
    cells = _code_cells(notebook)
    counts = [cell.get("execution_count") for cell in cells]
    for index, cell in enumerate(cells):
        if counts[index] is None:
            problems.append(f"{_cell_label(cell, index)} was not executed")
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                problems.append(f"{_cell_label(cell, index)} stores an error: {output.get('ename')}")
            if output["output_type"] == "execute_result" and output.get("execution_count") != counts[index]:
                problems.append(f"{_cell_label(cell, index)}: its result comes from another execution")
    wrong = [index for index, count in enumerate(counts) if count != index + 1]
    if not problems and wrong:
        index = wrong[0]
        problems.append(f"execution counts are not 1..{len(cells)} in order: {_cell_label(cells[index], index)} "
                        f"has {counts[index]}")
    started = [cell.get("metadata", {}).get("execution", {}).get("iopub.execute_input") for cell in cells]
    missing = [index for index, value in enumerate(started) if value is None]
    if missing:
        problems.append(f"{len(missing)} code cells carry no execution timestamps (first: "
                        f"{_cell_label(cells[missing[0]], missing[0])}); run `make refresh`")
    elif started != sorted(started):
        problems.append("the cells' execution timestamps are out of order: not one top-to-bottom run")
    return problems


def noise_problems(notebook):
    """Start-up lines, progress-bar fragments and long text outputs."""
    problems = []
    for index, cell in enumerate(_code_cells(notebook)):
        texts = list(_text_outputs(cell))
        lines = [line for text in texts for line in text.splitlines()]
        noise = [line for line in lines if STARTUP_NOISE.match(line) or "cuInit" in line]
        if noise:
            problems.append(f"{_cell_label(cell, index)} stores TensorFlow start-up lines: {noise[0][:80]!r}")
        if any("\r" in text for text in texts):
            problems.append(f"{_cell_label(cell, index)} stores '\\r' progress fragments; use config.progress "
                            "or training.fit_quietly")
        if len(lines) > MAX_TEXT_LINES:
            problems.append(f"{_cell_label(cell, index)} stores {len(lines)} lines of text "
                            f"(at most {MAX_TEXT_LINES})")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_one_clean_run(path):
    problems = clean_run_problems(_notebook(path))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_outputs_are_quiet_and_short(path):
    problems = noise_problems(_notebook(path))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_small(path):
    size = path.stat().st_size
    assert size < MAX_NOTEBOOK_BYTES, f"{path.name} weighs {size / MB:.2f} MB (at most {MAX_NOTEBOOK_BYTES / MB} MB)"


def test_notebooks_together_are_small():
    sizes = {path.name: path.stat().st_size for path in NOTEBOOKS}
    total = sum(sizes.values())
    largest = sorted(sizes, key=sizes.get, reverse=True)[:3]
    assert total < MAX_TOTAL_BYTES, (f"the notebooks weigh {total / MB:.1f} MB together (at most "
                                     f"{MAX_TOTAL_BYTES / MB:.0f} MB); the largest are {largest}")


# The checks themselves, on small notebooks made here.
def _cell(count, outputs=(), started="2025-01-01T00:00:01Z", source="x = 1"):
    metadata = {"execution": {"iopub.execute_input": started}} if started else {}
    return {"cell_type": "code", "execution_count": count, "metadata": metadata, "outputs": list(outputs),
            "source": source}


def _stream(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def test_clean_run_check_finds_each_defect():
    ok = {"cells": [_cell(1, started="2025-01-01T00:00:01Z"), {"cell_type": "markdown", "source": "hi"},
                    _cell(2, started="2025-01-01T00:00:02Z")]}
    assert clean_run_problems(ok) == []
    out_of_order = {"cells": [_cell(2, started="2025-01-01T00:00:01Z"), _cell(1, started="2025-01-01T00:00:02Z")]}
    assert "not 1..2 in order: code cell 1 (x = 1) has 2" in clean_run_problems(out_of_order)[0]
    skipped = {"cells": [_cell(1), _cell(None, source="y = 2")]}
    assert "code cell 2 (y = 2) was not executed" in clean_run_problems(skipped)
    no_metadata = {"cells": [_cell(1), _cell(2, started=None)]}
    assert "carry no execution timestamps" in clean_run_problems(no_metadata)[0]
    stale = {"cells": [_cell(1, [{"output_type": "execute_result", "execution_count": 7, "data": {}}])]}
    assert "another execution" in clean_run_problems(stale)[0]
    reordered = {"cells": [_cell(1, started="2025-01-01T00:00:05Z"), _cell(2, started="2025-01-01T00:00:02Z")]}
    assert "out of order" in clean_run_problems(reordered)[0]
    failed = {"cells": [_cell(1, [{"output_type": "error", "ename": "ValueError"}])]}
    assert "stores an error: ValueError" in clean_run_problems(failed)[0]


def test_noise_check_finds_each_defect():
    quiet = {"cells": [_cell(1, [_stream("full mode\n"), _stream("steps: 100%|###| 3/3 [00:01<00:00]\n")])]}
    assert noise_problems(quiet) == []
    startup = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
               "E0000 00:00:1796153249.918501   31533 cuda_platform.cc:52] failed call to cuInit: INTERNAL\n")
    assert "start-up lines" in noise_problems({"cells": [_cell(1, [_stream(startup)])]})[0]
    bar = "\rsteps:  10%|#  | 1/10\rsteps:  20%|## | 2/10"
    assert "progress fragments" in noise_problems({"cells": [_cell(1, [_stream(bar)])]})[0]
    long_log = {"cells": [_cell(1, [_stream("epoch\n" * 40),
                                    {"output_type": "execute_result", "execution_count": 1,
                                     "data": {"text/plain": "row\n" * 21}}])]}
    assert "61 lines of text" in noise_problems(long_log)[0]
    figure = {"output_type": "display_data", "data": {"image/png": "...", "text/plain": "<Figure>\n" * 100}}
    assert noise_problems({"cells": [_cell(1, [figure])]}) == []
