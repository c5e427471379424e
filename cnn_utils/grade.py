"""Grade a learner's notebook: each exercise check and quiz question, passed or failed, and a score.

Command line (``make grade NB=...``)::

    python -m cnn_utils.grade build/exercises/W1-1_convolution_step_by_step.ipynb

The notebook runs from the top in a fresh kernel, in fast mode (``CNN_FAST=1``);
a cell that fails does not stop the run. Before its first cell, the grader
wraps every exercise check of ``cnn_utils.checks`` (the functions named
``<exercise>_test``) and ``quiz.check`` in the kernel, so that each call records
whether it passed and the check's own message.

What is graded: the checks and quiz questions that the course's notebook of the
same name in ``notebooks/`` calls (so deleting a check cell does not remove it
from the score), or, for a notebook of another name, those the notebook itself
calls. A check that never ran counts as failed; one that ran several times
counts as its last run.

The table ends with ``score: N/M`` and the command exits 0. It exits with
status 2 only when the notebook cannot be read or executed at all.
"""
import contextlib
import functools
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from cnn_utils.config import FAST_ENV, ROOT_DIR

EXERCISE_CALL = re.compile(r"\bchecks\.(\w+_test)\s*\(")
QUIZ_CALL = re.compile(r"\bquiz\.check\(\s*[\"']([\w-]+)[\"']")
CELL_TIMEOUT = 900  # seconds, as in `make test`
NOT_RUN = "did not run"


class GradeError(Exception):
    """The notebook cannot be read or executed at all."""


@dataclass
class Item:
    """One graded item: an exercise (by the name of its check) or a quiz question (by its id)."""
    kind: str  # "exercise" or "quiz"
    name: str
    passed: bool = False
    message: str = NOT_RUN


# --- In the learner's kernel ------------------------------------------------------------------

def _append(log, kind, name, passed, message):
    with open(log, "a", encoding="utf-8") as f:
        f.write(json.dumps({"kind": kind, "name": name, "passed": passed, "message": message}) + "\n")


def _first_line(err):
    text = str(err).strip().splitlines()
    text = text[0] if text else ""
    return text if isinstance(err, AssertionError) and text else f"{type(err).__name__}: {text}".rstrip(": ")


def _record_check(check, name, log):
    """The exercise check ``check`` wrapped so that each call appends its result to ``log``."""
    from cnn_utils.checks import PASSED

    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        try:
            result = check(*args, **kwargs)
        except Exception as err:
            _append(log, "exercise", name, False, _first_line(err))
            raise
        _append(log, "exercise", name, True, PASSED)
        return result
    return wrapper


def _record_quiz(check, log):
    """``quiz.check`` wrapped so that each call appends its result to ``log``."""
    @functools.wraps(check)
    def wrapper(qid, answer):
        right = check(qid, answer)  # raises only for an unknown question id
        _append(log, "quiz", qid, right, "correct" if right else "no answer" if answer is None else "wrong answer")
        return right
    return wrapper


def record_to(log):
    """Make every exercise check and ``quiz.check`` of this process append its result to file ``log``."""
    from cnn_utils import checks, quiz

    for name in dir(checks):
        if name.endswith("_test") and callable(getattr(checks, name)):
            setattr(checks, name, _record_check(getattr(checks, name), name, log))
    quiz.check = _record_quiz(quiz.check, log)


# --- In the grader ----------------------------------------------------------------------------

def graded_items(nb):
    """The exercise checks and quiz questions that the code cells of ``nb`` call, in order, each once."""
    items, seen = [], set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        calls = [(m.start(), "exercise", m.group(1)) for m in EXERCISE_CALL.finditer(cell.source)]
        calls += [(m.start(), "quiz", m.group(1)) for m in QUIZ_CALL.finditer(cell.source)]
        for _, kind, name in sorted(calls):
            if (kind, name) not in seen:
                seen.add((kind, name))
                items.append(Item(kind, name))
    return items


def _read(path):
    try:
        return nbformat.read(path, as_version=4)
    except Exception as err:  # missing file, not JSON, not a notebook
        raise GradeError(f"cannot read {path} as a notebook: {err}") from err


@contextlib.contextmanager
def _fast_mode():
    old = os.environ.get(FAST_ENV)
    os.environ[FAST_ENV] = "1"
    try:
        yield
    finally:
        if old is None:
            del os.environ[FAST_ENV]
        else:
            os.environ[FAST_ENV] = old


def _execute(nb, cwd, log, timeout):
    """Run a copy of ``nb`` after a cell that starts recording to ``log``.

    Returns the executed copy and a note when the kernel died (else None).
    """
    nb = nbformat.from_dict(nb)
    setup = nbformat.v4.new_code_cell(f"from cnn_utils import grade as _grade\n_grade.record_to({str(log)!r})\ndel _grade")
    nb.cells.insert(0, setup)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(cwd)}})
    note = None
    with _fast_mode():
        try:
            client.execute()
        except DeadKernelError as err:
            note = f"the kernel died ({err}); the checks after that point did not run"
        except Exception as err:  # the kernel could not start, or the notebook is not valid
            raise GradeError(f"cannot execute the notebook: {type(err).__name__}: {err}") from err
    errors = [out for out in setup.get("outputs", []) if out.output_type == "error"]
    if errors:
        raise GradeError(f"cannot record the checks in the kernel: {errors[0].ename}: {errors[0].evalue}")
    nb.cells.pop(0)
    return nb, note


def _not_run(executed, item):
    """Why ``item`` did not run: the error of the cell that calls it, when that cell failed first."""
    call = EXERCISE_CALL if item.kind == "exercise" else QUIZ_CALL
    for cell in executed.cells:
        if cell.cell_type == "code" and item.name in [m.group(1) for m in call.finditer(cell.source)]:
            errors = [out for out in cell.get("outputs", []) if out.output_type == "error"]
            if errors:
                lines = str(errors[0].evalue).strip().splitlines()
                return f"{NOT_RUN}: {errors[0].ename}: {lines[0] if lines else ''}".rstrip(": ")
            return NOT_RUN
    return f"{NOT_RUN} (no cell calls it)"


def grade_notebook(path, timeout=CELL_TIMEOUT):
    """Execute notebook ``path`` in fast mode and return ``(items, note)``.

    ``items`` are :class:`Item` s with their results; ``note`` says when the kernel
    died part-way (else None). Raises ``GradeError`` when the notebook cannot be
    read or executed at all.
    """
    path = Path(path)
    nb = _read(path)
    reference = ROOT_DIR / "notebooks" / path.name
    items = graded_items(_read(reference) if reference.is_file() else nb)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "results.jsonl"
        log.touch()
        executed, note = _execute(nb, path.resolve().parent, log, timeout)
        results = {}
        for line in log.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            results[(record["kind"], record["name"])] = (record["passed"], record["message"])  # the last run counts
    for item in items:
        item.passed, item.message = results.get((item.kind, item.name), (False, None))
        item.message = item.message or _not_run(executed, item)
    return items, note


def format_report(items, note=None):
    """The table of items and the final ``score: N/M`` line."""
    labels = [f"{item.kind} {item.name.removesuffix('_test') if item.kind == 'exercise' else item.name}"
              for item in items]
    width = max([len("item")] + [len(label) for label in labels])
    lines = [f"{'item':{width}s}  result  message", "-" * (width + 17)]
    for label, item in zip(labels, items):
        lines.append(f"{label:{width}s}  {'passed' if item.passed else 'FAILED':6s}  {item.message}")
    if note:
        lines.append(f"note: {note}")
    lines.append(f"score: {sum(item.passed for item in items)}/{len(items)}")
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m cnn_utils.grade NOTEBOOK", file=sys.stderr)
        return 2
    try:
        _read(argv[0])
        print(f"grading {argv[0]} in fast mode (this runs the whole notebook)...", flush=True)
        items, note = grade_notebook(argv[0])
    except GradeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(format_report(items, note))
    return 0


if __name__ == "__main__":
    sys.exit(main())
