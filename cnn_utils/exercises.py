"""Student notebooks: the solution notebooks with every answer taken out.

``make exercises`` turns each solution notebook in ``notebooks/`` into a
student notebook in ``build/exercises/``. The solution notebook marks what the
learner must not see:

- **Exercise bodies.** The code a learner writes sits between two marker lines::

      ### START CODE HERE
      Z = np.sum(a_slice_prev * W) + float(b)
      ### END CODE HERE

  The markers stay; the lines between them become a
  ``raise NotImplementedError("<function> is not implemented yet: ...")``
  placeholder, so that the learner's notebook stops at the first check until
  the gap is filled, with the same message whether the check calls the
  function directly or through ``checks.compare``.
- **Quiz answers.** A one-line assignment whose comment starts with
  ``# your answer`` gets ``None`` as its value: ``answer_03 = 29  # your answer``
  becomes ``answer_03 = None  # your answer``.
- **Text written for the solution notebook.** A cell tagged ``solution-only``
  is dropped. In a markdown cell, text between ``<!-- solution-only -->`` and
  ``<!-- /solution-only -->`` is dropped, and ``<!-- student-only: TEXT -->``
  (invisible in the solution notebook) becomes ``TEXT``.
- **Test plumbing.** ``# NBVAL_...`` marker lines (``# NBVAL_CHECK_OUTPUT``)
  are removed from code cells.

Every output is cleared.

Command line (``make exercises``)::

    python -m cnn_utils.exercises notebooks build/exercises
"""
import re
import sys
from pathlib import Path

import nbformat

from cnn_utils.checks import NOT_IMPLEMENTED
from cnn_utils.config import atomic_path
from cnn_utils.validation import check_path

START = "### START CODE HERE"
END = "### END CODE HERE"
PLACEHOLDER = ('raise NotImplementedError("{name} ' + NOT_IMPLEMENTED
               + ': write your code between the START and END markers")')
DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")

SOLUTION_ONLY_TAG = "solution-only"
SOLUTION_ONLY = re.compile(r"<!--\s*solution-only\s*-->(.*?)<!--\s*/solution-only\s*-->", re.DOTALL)
STUDENT_ONLY = re.compile(r"<!--\s*student-only:\s*(.*?)\s*-->", re.DOTALL)
STRAY_MARKER = re.compile(r"<!--\s*/?(solution-only|student-only)\b")
NBVAL_LINE = re.compile(r"^\s*#\s*NBVAL_\w+\s*$")
ANSWER_MARK = "# your answer"
ANSWER_LINE = re.compile(r"^(\s*)([A-Za-z_]\w*)\s*=\s*(.+?)\s*(" + re.escape(ANSWER_MARK) + r".*)$")


def placeholder(name):
    """The line that replaces the solution of exercise ``name`` (without indentation)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be the exercise's function name (a str), got {type(name).__name__}")
    return PLACEHOLDER.format(name=name)


def _enclosing_function(lines, indent):
    """Name of the innermost ``def`` above the end of ``lines`` that is indented less than ``indent``."""
    for line in reversed(lines):
        match = DEF.match(line)
        if match and len(match.group(1)) < len(indent):
            return match.group(2)
    return "This exercise"


def strip_solutions(source):
    """Replace the lines between START/END marker pairs of a cell's source; return ``(source, count)``.

    The placeholder is indented like the START marker and names the function
    the region belongs to. Raises ``ValueError`` when markers are unbalanced.
    """
    out, count, inside = [], 0, False
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(START):
            if inside:
                raise ValueError(f"line {number}: START CODE HERE inside another exercise region")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += [line, indent + placeholder(_enclosing_function(out, indent))]
            count += 1
        elif stripped.startswith(END):
            if not inside:
                raise ValueError(f"line {number}: END CODE HERE without a START")
            inside = False
            out.append(line)
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("START CODE HERE without a matching END CODE HERE")
    return "\n".join(out), count


def blank_answers(source):
    """Set every quiz answer (``name = value  # your answer ...``) of a cell's source to None.

    Returns ``(source, count)``. Raises ``ValueError`` when a line carries the
    ``# your answer`` comment but is not a one-line assignment.
    """
    out, count = [], 0
    for number, line in enumerate(source.splitlines(), start=1):
        if ANSWER_MARK in line:
            match = ANSWER_LINE.match(line)
            if not match:
                raise ValueError(f"line {number}: '{ANSWER_MARK}' must end a one-line assignment "
                                 f"such as 'answer_01 = 29  {ANSWER_MARK}', got {line.strip()!r}")
            indent, name, _, comment = match.groups()
            line = f"{indent}{name} = None  {comment}"
            count += 1
        out.append(line)
    return "\n".join(out), count


def student_markdown(source):
    """A markdown cell's source with solution-only spans dropped and student-only comments shown.

    Raises ``ValueError`` when a solution-only span is not closed.
    """
    source = SOLUTION_ONLY.sub("", source)
    source = STUDENT_ONLY.sub(lambda match: match.group(1), source)
    stray = STRAY_MARKER.search(source)
    if stray:
        raise ValueError(f"unmatched marker {stray.group(0)!r}: write <!-- solution-only -->...<!-- /solution-only --> "
                         "or <!-- student-only: TEXT -->")
    return source


def strip_test_markers(source):
    """A code cell's source without its ``# NBVAL_...`` marker lines."""
    return "\n".join(line for line in source.splitlines() if not NBVAL_LINE.match(line))


def _student_cells(nb):
    """Turn notebook ``nb`` into the student version in place; return ``(exercises, answers)``."""
    exercises = answers = 0
    kept = []
    for index, cell in enumerate(nb.cells):
        if SOLUTION_ONLY_TAG in cell.metadata.get("tags", []):
            continue
        try:
            if cell.cell_type == "markdown":
                cell.source = student_markdown(cell.source)
                if not cell.source.strip():
                    continue  # a cell that held only solution text
            elif cell.cell_type == "code":
                source, count = strip_solutions(strip_test_markers(cell.source))
                cell.source, blanks = blank_answers(source)
                exercises, answers = exercises + count, answers + blanks
                cell.outputs = []
                cell.execution_count = None
        except ValueError as err:
            raise ValueError(f"cell {index}: {err}") from err
        kept.append(cell)
    nb.cells = kept
    return exercises, answers


def _write_student_notebook(src, dst):
    src, dst = check_path("src", src), check_path("dst", dst)
    if not src.is_file():
        raise FileNotFoundError(f"src: no notebook at {src}")
    nb = nbformat.read(src, as_version=4)
    try:
        counts = _student_cells(nb)
    except ValueError as err:
        raise ValueError(f"{src}: {err}") from err
    with atomic_path(dst) as tmp:
        nbformat.write(nb, tmp)
    return counts


def make_student_notebook(src, dst):
    """Write the student version of notebook ``src`` to ``dst``; return the number of exercises."""
    return _write_student_notebook(src, dst)[0]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        raise SystemExit("usage: python -m cnn_utils.exercises SOLUTION_DIR OUTPUT_DIR")
    src_dir, out_dir = Path(argv[0]), Path(argv[1])
    notebooks = sorted(src_dir.glob("W*.ipynb"))
    if not notebooks:
        raise ValueError(f"SOLUTION_DIR {src_dir} holds no W*.ipynb notebooks")
    for src in notebooks:
        exercises, answers = _write_student_notebook(src, out_dir / src.name)
        print(f"{src.name}: {exercises} exercises" + (f", {answers} quiz answers" if answers else ""))


if __name__ == "__main__":
    main()
