"""Exercises mode: student notebooks stop at their first check, and checks name typical mistakes."""
import ast
import contextlib
import re
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from cnn_utils import checks, exercises

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("W*.ipynb"))
CHECK_CALL = re.compile(r"\bchecks\.\w+\(")  # checks.compare(...) or an exercise's own check
KERNEL_TIMEOUT = 300
GRADED = [
    "zero_pad", "conv_single_step", "conv_forward", "pool_forward", "conv_backward", "pool_backward",
    "happyModel", "convolutional_model", "identity_block", "convolutional_block", "ResNet50",
    "data_augmenter", "transfer_model", "yolo_filter_boxes", "iou", "yolo_non_max_suppression", "yolo_eval",
    "conv_block", "upsampling_block", "unet_model", "triplet_loss", "verify", "who_is_it",
    "compute_content_cost", "gram_matrix", "compute_layer_style_cost", "compute_style_cost", "total_cost",
    "train_step",
]

SOLUTION = '''def zero_pad(X, pad):
    """Pad the two spatial axes of X (m, n_H, n_W, n_C) with zeros."""
    ### START CODE HERE
    X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    ### END CODE HERE
    return X_pad'''

CHECK = "# NBVAL_CHECK_OUTPUT\nchecks.zero_pad_test(zero_pad)"


def _code_cells(nb):
    return [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]


@contextlib.contextmanager
def _kernel(nb, cwd):
    """A fresh kernel for ``nb``; yields ``run(index, source=None)`` -> the cell's printed text.

    ``run`` replaces the cell's source when one is given and raises
    ``CellExecutionError`` when the cell fails.
    """
    client = NotebookClient(nb, timeout=KERNEL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})

    def run(index, source=None):
        cell = nb.cells[index]
        if source is not None:
            cell.source = source
        client.execute_cell(cell, index)
        return "".join(out.get("text", "") for out in cell.outputs)

    with client.setup_kernel():
        yield run


def _paste(source, name, body):
    """``source`` with the placeholder of exercise ``name`` replaced by ``body`` (dedented text)."""
    lines = source.splitlines()
    for number, line in enumerate(lines):
        if line.strip() == exercises.placeholder(name):
            indent = line[: len(line) - len(line.lstrip())]
            lines[number:number + 1] = textwrap.indent(textwrap.dedent(body).strip("\n"), indent).splitlines()
            return "\n".join(lines)
    raise AssertionError(f"no placeholder for {name}")


# --- Turning a solution into a student notebook --------------------------------------------------

def test_strip_solutions_keeps_markers_and_indentation():
    source, count = exercises.strip_solutions(SOLUTION)
    assert count == 1
    assert "np.pad" not in source
    assert f"    ### START CODE HERE\n    {exercises.placeholder('zero_pad')}\n    ### END CODE HERE" in source
    assert source.endswith("return X_pad")


def test_placeholder_names_the_enclosing_function():
    nested = "def outer():\n    def train_step(x):\n        ### START CODE HERE\n        y = x\n        ### END CODE HERE\n"
    assert exercises.placeholder("train_step") in exercises.strip_solutions(nested)[0]
    assert exercises.placeholder("This exercise") in exercises.strip_solutions("### START CODE HERE\n### END CODE HERE")[0]


@pytest.mark.parametrize("source, message", [
    ("### START CODE HERE\nx = 1", "without a matching END"),
    ("x = 1\n### END CODE HERE", "END CODE HERE without a START"),
    ("### START CODE HERE\n### START CODE HERE\n### END CODE HERE", "inside another"),
])
def test_unbalanced_markers_are_reported(source, message):
    with pytest.raises(ValueError, match=message):
        exercises.strip_solutions(source)


def test_student_markdown_drops_solution_text_and_shows_student_text():
    source = ("Write each function between the markers. <!-- solution-only -->The solutions are filled in.\n"
              "Delete them and try yourself.<!-- /solution-only --><!-- student-only: Then run the check below it. -->")
    assert exercises.student_markdown(source) == "Write each function between the markers. Then run the check below it."
    assert exercises.student_markdown("No markers: *unchanged*.") == "No markers: *unchanged*."


@pytest.mark.parametrize("source", ["<!-- solution-only -->never closed", "closed <!-- /solution-only --> only",
                                    "<!-- student-only: not closed"])
def test_unmatched_markdown_markers_are_reported(source):
    with pytest.raises(ValueError, match="unmatched marker"):
        exercises.student_markdown(source)


def test_blank_answers_sets_each_marked_assignment_to_none():
    source = 'quiz.show("w1-q01")\nanswer_01 = ["A", "C"]  # your answer: a list of letters\nx = 3  # not an answer'
    blanked, count = exercises.blank_answers(source)
    assert count == 1
    assert blanked == 'quiz.show("w1-q01")\nanswer_01 = None  # your answer: a list of letters\nx = 3  # not an answer'
    with pytest.raises(ValueError, match="line 1: '# your answer' must end a one-line assignment"):
        exercises.blank_answers("print(29)  # your answer")


def test_student_notebook_drops_solution_only_cells_and_test_markers(tmp_path, capsys):
    solution = nbformat.v4.new_notebook()
    tagged = nbformat.v4.new_markdown_cell("This copy has the solutions filled in.")
    tagged.metadata["tags"] = [exercises.SOLUTION_ONLY_TAG]
    solution.cells = [
        nbformat.v4.new_markdown_cell("Intro.<!-- solution-only --> (Solutions filled in.)<!-- /solution-only -->"),
        tagged,
        nbformat.v4.new_markdown_cell("<!-- solution-only -->Only for the teacher.<!-- /solution-only -->"),
        nbformat.v4.new_code_cell(SOLUTION),
        nbformat.v4.new_code_cell(CHECK, outputs=[nbformat.v4.new_output("stream", text="All tests passed\n")]),
        nbformat.v4.new_code_cell("answer_01 = 29  # your answer"),
    ]
    nbformat.write(solution, tmp_path / "W0-1_demo.ipynb")
    exercises.main([str(tmp_path), str(tmp_path / "out")])
    assert capsys.readouterr().out == "W0-1_demo.ipynb: 1 exercises, 1 quiz answers\n"

    student = nbformat.read(tmp_path / "out" / "W0-1_demo.ipynb", as_version=4)
    assert [cell.source for cell in student.cells if cell.cell_type == "markdown"] == ["Intro."]
    code = [cell.source for cell in student.cells if cell.cell_type == "code"]
    assert code[1] == "checks.zero_pad_test(zero_pad)"
    assert code[2] == "answer_01 = None  # your answer"
    assert all(not cell.outputs and cell.execution_count is None for cell in student.cells if cell.cell_type == "code")


def test_student_notebook_fails_at_first_check_then_passes_when_filled(tmp_path):
    solution = nbformat.v4.new_notebook()
    solution.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    solution.cells = [
        nbformat.v4.new_code_cell("import numpy as np\nfrom cnn_utils import checks, numpy_cnn"),
        nbformat.v4.new_code_cell(SOLUTION),
        nbformat.v4.new_code_cell(CHECK, outputs=[nbformat.v4.new_output("stream", text="All tests passed\n")]),
    ]
    nbformat.write(solution, tmp_path / "W0-1_demo.ipynb")
    student_path = tmp_path / "student" / "W0-1_demo.ipynb"
    assert exercises.make_student_notebook(tmp_path / "W0-1_demo.ipynb", student_path) == 1

    student = nbformat.read(student_path, as_version=4)
    assert all(not cell.outputs for _, cell in _code_cells(student))
    with _kernel(student, tmp_path) as run:
        run(0)
        assert run(1) == ""  # the definition runs; the check says what is missing
        with pytest.raises(CellExecutionError, match="zero_pad is not implemented yet"):
            run(2)

        # The learner pastes a correct body: the check passes.
        correct = _paste(student.cells[1].source, "zero_pad", "X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))")
        run(1, correct)
        assert run(2) == "All tests passed\n"

        # A typical mistake (padding the batch axis too) is caught with the shape it produces.
        run(1, correct.replace("((0, 0), (pad, pad)", "((pad, pad), (pad, pad)"))
        with pytest.raises(CellExecutionError, match=r"pad 3: output: wrong shape \(10, 9, 9, 2\), expected \(4, 9, 9, 2\)"):
            run(2)


def test_main_writes_every_student_notebook_and_rejects_bad_arguments(tmp_path, capsys):
    solution = nbformat.v4.new_notebook()
    solution.cells = [nbformat.v4.new_code_cell(SOLUTION), nbformat.v4.new_code_cell(CHECK)]
    for name in ("W0-1_demo.ipynb", "W0-2_demo.ipynb"):
        nbformat.write(solution, tmp_path / name)
    exercises.main([str(tmp_path), str(tmp_path / "out")])
    assert capsys.readouterr().out == "W0-1_demo.ipynb: 1 exercises\nW0-2_demo.ipynb: 1 exercises\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["W0-1_demo.ipynb", "W0-2_demo.ipynb"]

    with pytest.raises(SystemExit, match="usage"):
        exercises.main([str(tmp_path)])
    with pytest.raises(ValueError, match="SOLUTION_DIR .* holds no W\\*.ipynb notebooks"):
        exercises.main([str(tmp_path / "missing"), str(tmp_path / "out")])


def test_make_student_notebook_rejects_bad_paths(tmp_path):
    with pytest.raises(TypeError, match="src"):
        exercises.make_student_notebook(3, tmp_path / "out.ipynb")
    with pytest.raises(TypeError, match="dst"):
        exercises.make_student_notebook(tmp_path / "in.ipynb", None)
    with pytest.raises(FileNotFoundError, match="src"):
        exercises.make_student_notebook(tmp_path / "missing.ipynb", tmp_path / "out.ipynb")
    with pytest.raises(TypeError, match="name"):
        exercises.placeholder(None)


# --- The course's notebooks ----------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebook_carries_no_test_plumbing_or_markers(path, tmp_path):
    """No NBVAL line, no solution/student marker and no filled-in quiz answer survives into a student notebook."""
    student_path = tmp_path / path.name
    exercises.make_student_notebook(path, student_path)
    for index, cell in enumerate(nbformat.read(student_path, as_version=4).cells):
        assert "NBVAL_" not in cell.source, f"{path.name} cell {index}"  # code lines and the prose about them
        assert not exercises.STRAY_MARKER.search(cell.source), f"{path.name} cell {index}"
        assert exercises.SOLUTION_ONLY_TAG not in cell.metadata.get("tags", []), f"{path.name} cell {index}"
        for line in cell.source.splitlines():
            if exercises.ANSWER_MARK in line:
                assert exercises.ANSWER_LINE.match(line).group(3) == "None", f"{path.name} cell {index}: {line}"


def _exercise_functions(source):
    """Names of the functions defined in ``source`` whose own lines hold a START/END marker pair."""
    lines = source.splitlines()
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = [line.strip() for line in lines[node.lineno - 1:node.end_lineno]]
            if exercises.START in body and exercises.END in body:
                names.append(node.name)
    return names


def _exercise_and_check(nb, name):
    """Indices of the code cell defining exercise ``name`` and of the first check cell after it."""
    cells = _code_cells(nb)
    for position, (index, cell) in enumerate(cells):
        if name in _exercise_functions(cell.source):
            check = next(i for i, c in cells[position + 1:] if CHECK_CALL.search(c.source))
            return index, check
    raise AssertionError(f"no exercise {name}")


def test_every_graded_function_is_an_exercise_followed_by_a_check():
    """Each graded function has START/END markers in its body and a check within the next two code cells."""
    found = set()
    for path in NOTEBOOKS:
        cells = _code_cells(nbformat.read(path, as_version=4))
        for position, (_, cell) in enumerate(cells):
            following = [c.source for _, c in cells[position + 1:position + 3]]
            if any(CHECK_CALL.search(source) for source in following):
                found.update(_exercise_functions(cell.source))
    missing = [name for name in GRADED if name not in found]
    assert not missing, f"graded functions without an exercise region followed by a check: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebook_stops_at_its_first_check(path, tmp_path, monkeypatch):
    """The student notebook runs cleanly up to its first check cell, which says the exercise is missing."""
    student_path = tmp_path / path.name
    if exercises.make_student_notebook(path, student_path) == 0:
        pytest.skip(f"{path.name} has no exercises")
    student = nbformat.read(student_path, as_version=4)
    first_check = next((i for i, cell in _code_cells(student) if CHECK_CALL.search(cell.source)), None)
    assert first_check is not None, f"{path.name} has exercises but no check cell"
    first_exercise = next(name for i, cell in _code_cells(nbformat.read(path, as_version=4)) if i < first_check
                          for name in _exercise_functions(cell.source))
    student.cells = student.cells[:first_check + 1]  # only what leads to the first check runs

    monkeypatch.setenv("CNN_FAST", "1")
    client = NotebookClient(student, timeout=KERNEL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    with pytest.raises(CellExecutionError) as info:
        client.execute()
    expected = f"{first_exercise} {checks.NOT_IMPLEMENTED}"
    assert expected in str(info.value), f"{path.name}: expected '{expected}', got:\n{info.value}"
    failed = [i for i, cell in _code_cells(student) if any(out.output_type == "error" for out in cell.outputs)]
    assert failed == [first_check], f"{path.name}: failed in cells {failed}, expected the check cell {first_check}"
    assert all(cell.execution_count for i, cell in _code_cells(student) if i < first_check)


# Bodies a learner could paste into W1-1 (variables as in the notebook's function skeletons).
ZERO_PAD = "X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))"
CONV_SINGLE_STEP = "Z = float(np.sum(a_slice_prev * W) + b.item())"
CONV_FORWARD = """
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    A_pad = zero_pad(A_prev, pad)
    Z = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                window = A_pad[i, h * stride:h * stride + f, w * stride:w * stride + f, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(window, W[..., c], b[..., c])
"""
W1_1 = NOTEBOOK_DIR / "W1-1_convolution_step_by_step.ipynb"


def _mistake(body, old, new):
    assert old in body
    return body.replace(old, new)


@pytest.mark.skipif(not W1_1.exists(), reason="the W1-1 notebook is not there")
def test_w1_1_filled_exercises_pass_and_typical_mistakes_are_named(tmp_path, monkeypatch):
    student_path = tmp_path / W1_1.name
    exercises.make_student_notebook(W1_1, student_path)
    student = nbformat.read(student_path, as_version=4)
    pad_cell, pad_check = _exercise_and_check(student, "zero_pad")
    step_cell, step_check = _exercise_and_check(student, "conv_single_step")
    conv_cell, conv_check = _exercise_and_check(student, "conv_forward")
    step_source, conv_source = student.cells[step_cell].source, student.cells[conv_cell].source
    bodies = {pad_cell: ("zero_pad", ZERO_PAD), step_cell: ("conv_single_step", CONV_SINGLE_STEP),
              conv_cell: ("conv_forward", CONV_FORWARD)}

    monkeypatch.setenv("CNN_FAST", "1")
    with _kernel(student, NOTEBOOK_DIR) as run:
        printed = {}
        for index, _ in _code_cells(student):
            if index > conv_check:
                break
            name, body = bodies.get(index, (None, None))
            printed[index] = run(index, _paste(student.cells[index].source, name, body) if name else None)
        assert printed[pad_check].endswith("All tests passed\n")
        assert printed[step_check] == "All tests passed\n"
        assert printed[conv_check].endswith("All tests passed\n")

        # conv_single_step without the bias: the check names the input that is missing.
        run(step_cell, _paste(step_source, "conv_single_step", "Z = float(np.sum(a_slice_prev * W))"))
        with pytest.raises(CellExecutionError, match=r"output: wrong values: the output is short by exactly the input `b` \(is `b` missing\?\)"):
            run(step_check)
        run(step_cell, _paste(step_source, "conv_single_step", CONV_SINGLE_STEP))

        # conv_forward that skips the bias: the same diagnosis, channel by channel.
        no_bias = _mistake(CONV_FORWARD, "conv_single_step(window, W[..., c], b[..., c])", "np.sum(window * W[..., c])")
        run(conv_cell, _paste(conv_source, "conv_forward", no_bias))
        with pytest.raises(CellExecutionError, match=r"hparameters \{'pad': 1, 'stride': 2\}: output\[0\]: wrong values: "
                                                      r"the output is short by exactly the input `b`"):
            run(conv_check)

        # conv_forward that ignores the stride: the output's spatial size points at it.
        stride_one = _mistake(_mistake(CONV_FORWARD, "// stride + 1", "+ 1"), "* stride", "")
        run(conv_cell, _paste(conv_source, "conv_forward", stride_one))
        with pytest.raises(CellExecutionError, match=r"hparameters \{'pad': 1, 'stride': 2\}: "
                                                      r"output\[0\]: wrong shape \(2, 5, 7, 8\), expected \(2, 3, 4, 8\): "
                                                      r"the spatial size \(n_H, n_W\) is \(5, 7\) instead of \(3, 4\) "
                                                      r"\(check the stride and padding"):
            run(conv_check)
