import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from cnn_utils import exercises

SOLUTION = '''def zero_pad(X, pad):
    """Pad the two spatial axes of X (m, n_H, n_W, n_C) with zeros."""
    ### START CODE HERE
    X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    ### END CODE HERE
    return X_pad'''

CHECK = "# NBVAL_CHECK_OUTPUT\nchecks.compare(zero_pad, numpy_cnn.zero_pad, np.ones((2, 3, 3, 1)), 2)"


def _notebook(solution):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("import numpy as np\nfrom cnn_utils import checks, numpy_cnn"),
        nbformat.v4.new_code_cell(solution),
        nbformat.v4.new_code_cell(CHECK),
    ]
    return nb


def _run(nb):
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return nb


def test_strip_solutions_keeps_markers_and_indentation():
    source, count = exercises.strip_solutions(SOLUTION)
    assert count == 1
    assert "np.pad" not in source
    assert f"    ### START CODE HERE\n    {exercises.placeholder('zero_pad')}\n    ### END CODE HERE" in source
    assert source.endswith("return X_pad")


@pytest.mark.parametrize("source, message", [
    ("### START CODE HERE\nx = 1", "without a matching END"),
    ("x = 1\n### END CODE HERE", "END CODE HERE without a START"),
    ("### START CODE HERE\n### START CODE HERE\n### END CODE HERE", "inside another"),
])
def test_unbalanced_markers_are_reported(source, message):
    with pytest.raises(ValueError, match=message):
        exercises.strip_solutions(source)


def test_student_notebook_fails_at_first_check_then_passes_when_filled(tmp_path):
    solution_path = tmp_path / "W0-1_demo.ipynb"
    nbformat.write(_run(_notebook(SOLUTION)), solution_path)
    student_path = tmp_path / "student" / "W0-1_demo.ipynb"
    assert exercises.make_student_notebook(solution_path, student_path) == 1

    student = nbformat.read(student_path, as_version=4)
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    with pytest.raises(CellExecutionError, match="zero_pad is not implemented yet"):
        _run(student)
    assert student.cells[1].outputs == []  # the definition cell ran cleanly; the check cell failed

    # The learner pastes a correct body: the check passes.
    filled = student.cells[1].source.replace(exercises.placeholder("zero_pad"), "X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))")
    student.cells[1].source = filled
    out = _run(student).cells[2].outputs
    assert "All tests passed" in out[0]["text"]

    # A typical mistake (padding the batch axis too) is caught with the shape it produces.
    student.cells[1].source = student.cells[1].source.replace("((0, 0), (pad, pad)", "((pad, pad), (pad, pad)")
    with pytest.raises(CellExecutionError, match=r"wrong shape \(6, 7, 7, 1\), expected \(2, 7, 7, 1\)"):
        _run(student)
