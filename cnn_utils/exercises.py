"""Student notebooks: the solution notebooks with every exercise body taken out.

In a solution notebook, the code a learner writes sits between two marker lines::

    ### START CODE HERE
    Z = np.sum(a_slice_prev * W) + float(b)
    ### END CODE HERE

``make_student_notebook`` keeps the markers, replaces the lines between them
with a ``raise NotImplementedError("<function> is not implemented yet: ...")``
placeholder and clears every output, so that the learner's notebook stops at
the first check until the gap is filled, with the same message whether the
check calls the function directly or through ``checks.compare``.

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


def make_student_notebook(src, dst):
    """Write the student version of notebook ``src`` to ``dst``; return the number of exercises."""
    src, dst = check_path("src", src), check_path("dst", dst)
    if not src.is_file():
        raise FileNotFoundError(f"src: no notebook at {src}")
    nb = nbformat.read(src, as_version=4)
    total = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            cell.source, count = strip_solutions(cell.source)
        except ValueError as err:
            raise ValueError(f"{src}: {err}") from err
        total += count
        cell.outputs = []
        cell.execution_count = None
    with atomic_path(dst) as tmp:
        nbformat.write(nb, tmp)
    return total


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        raise SystemExit("usage: python -m cnn_utils.exercises SOLUTION_DIR OUTPUT_DIR")
    src_dir, out_dir = Path(argv[0]), Path(argv[1])
    notebooks = sorted(src_dir.glob("W*.ipynb"))
    if not notebooks:
        raise ValueError(f"SOLUTION_DIR {src_dir} holds no W*.ipynb notebooks")
    for src in notebooks:
        count = make_student_notebook(src, out_dir / src.name)
        print(f"{src.name}: {count} exercises")


if __name__ == "__main__":
    main()
