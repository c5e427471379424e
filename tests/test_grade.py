"""The grader: full marks for a solution, 0 for a blank student notebook, exactly what a half-done one earns.

Each grading starts a kernel, so the notebooks here are small: real exercise cells of W1-1 and real
questions of the Week 1 quiz, not whole lessons.
"""
import json
from pathlib import Path

import nbformat
import pytest

from cnn_utils import exercises, grade
from test_exercises import _paste  # fills a student's placeholder with a body

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
W1_1 = NOTEBOOKS / "W1-1_convolution_step_by_step.ipynb"
W1_3 = NOTEBOOKS / "W1-3_quiz.ipynb"
ZERO_PAD = "X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))"
NO_BIAS = "Z = np.sum(a_slice_prev * W)"  # the typical conv_single_step mistake: the bias is left out


def _code(nb, text):
    """The first code cell of ``nb`` whose source contains ``text``."""
    return next(cell for cell in nb.cells if cell.cell_type == "code" and text in cell.source)


@pytest.fixture(scope="module")
def solution(tmp_path_factory):
    """A small solution notebook: two W1-1 exercises with their checks and two Week 1 quiz questions."""
    lesson, quiz_nb = nbformat.read(W1_1, as_version=4), nbformat.read(W1_3, as_version=4)
    nb = nbformat.v4.new_notebook()
    nb.metadata = lesson.metadata
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\nfrom cnn_utils import checks, quiz"),
                _code(lesson, "def zero_pad("), _code(lesson, "checks.zero_pad_test("),
                _code(lesson, "def conv_single_step("), _code(lesson, "checks.conv_single_step_test("),
                _code(quiz_nb, 'quiz.show("w1-q01")'), _code(quiz_nb, 'quiz.check("w1-q01"'),
                _code(quiz_nb, 'quiz.show("w1-q07")'), _code(quiz_nb, 'quiz.check("w1-q07"')]
    path = tmp_path_factory.mktemp("solution") / "W0-1_demo.ipynb"
    nbformat.write(nb, path)
    return path


def _student(solution, tmp_path):
    path = tmp_path / solution.name
    exercises.make_student_notebook(solution, path)
    return path


def _results(items):
    return [(item.kind, item.name, item.passed) for item in items]


def test_solution_notebook_gets_full_marks(solution, capsys):
    assert grade.main([str(solution)]) == 0
    out = capsys.readouterr().out
    assert "exercise zero_pad          passed  All tests passed" in out
    assert "quiz w1-q07                passed  correct" in out
    assert out.endswith("score: 4/4\n")


def test_blank_student_notebook_gets_zero_without_crashing(solution, tmp_path):
    items, note = grade.grade_notebook(_student(solution, tmp_path))
    assert note is None
    assert _results(items) == [("exercise", "zero_pad_test", False), ("exercise", "conv_single_step_test", False),
                               ("quiz", "w1-q01", False), ("quiz", "w1-q07", False)]
    # The zero_pad check cell calls zero_pad before the check does: the cell's own error is reported.
    assert items[0].message == ("did not run: NotImplementedError: zero_pad is not implemented yet: "
                                "write your code between the START and END markers")
    assert items[1].message == "conv_single_step is not implemented yet: write your code between the START and END markers"
    assert [item.message for item in items[2:]] == ["no answer", "no answer"]


def test_one_exercise_right_and_one_typical_mistake_earn_exactly_one(solution, tmp_path):
    path = _student(solution, tmp_path)
    nb = nbformat.read(path, as_version=4)
    pad, step = _code(nb, "def zero_pad("), _code(nb, "def conv_single_step(")
    pad.source = _paste(pad.source, "zero_pad", ZERO_PAD)
    step.source = _paste(step.source, "conv_single_step", NO_BIAS)
    nbformat.write(nb, path)

    items, _ = grade.grade_notebook(path)
    assert _results(items)[:2] == [("exercise", "zero_pad_test", True), ("exercise", "conv_single_step_test", False)]
    assert "the output is short by exactly the input `b` (is `b` missing?)" in items[1].message
    assert grade.format_report(items).endswith("score: 1/4")


def test_a_course_notebook_is_graded_on_all_its_questions_even_when_cells_are_deleted(tmp_path):
    """A student copy of W1-3 with one right answer, one wrong one and one check cell deleted."""
    path = tmp_path / W1_3.name
    exercises.make_student_notebook(W1_3, path)
    nb = nbformat.read(path, as_version=4)
    for qid, answer in (("w1-q01", "(22, 22, 16)"), ("w1-q03", "5")):
        cell = _code(nb, f'quiz.show("{qid}")')
        cell.source = cell.source.replace("= None", f"= {answer}")
    nb.cells.remove(_code(nb, 'quiz.check("w1-q13"'))
    nbformat.write(nb, path)

    items, _ = grade.grade_notebook(path)
    messages = {item.name: (item.passed, item.message) for item in items}
    assert len(items) == 13
    assert messages["w1-q01"] == (True, "correct")
    assert messages["w1-q03"] == (False, "wrong answer")
    assert messages["w1-q02"] == (False, "no answer")
    assert messages["w1-q13"] == (False, "did not run (no cell calls it)")


def test_a_kernel_that_dies_is_reported_and_graded_up_to_there(solution, tmp_path):
    nb = nbformat.read(solution, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    path = tmp_path / solution.name
    nbformat.write(nb, path)
    items, note = grade.grade_notebook(path)
    assert [item.passed for item in items] == [True, False, False, False]
    assert items[1].message == grade.NOT_RUN
    assert "the kernel died" in note
    assert "note: the kernel died" in grade.format_report(items, note)


def test_notebooks_that_cannot_be_read_exit_with_a_clear_error(tmp_path, capsys):
    not_json = tmp_path / "broken.ipynb"
    not_json.write_text("{ not a notebook")
    not_a_notebook = tmp_path / "list.ipynb"
    not_a_notebook.write_text(json.dumps([1, 2]))
    for path in (tmp_path / "missing.ipynb", not_json, not_a_notebook):
        assert grade.main([str(path)]) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith(f"error: cannot read {path} as a notebook") and captured.out == ""
    assert grade.main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_graded_items_are_the_checks_and_questions_called_once_each():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("checks.zero_pad_test(zero_pad) in prose is not a call"),
                nbformat.v4.new_code_cell("checks.pool_forward_test(f)\nchecks.compare(f, g, x)\nquiz.check('w1-q02', a)"),
                nbformat.v4.new_code_cell('quiz.check("w1-q01", b); checks.pool_forward_test(f)')]
    assert [(item.kind, item.name) for item in grade.graded_items(nb)] == [
        ("exercise", "pool_forward_test"), ("quiz", "w1-q02"), ("quiz", "w1-q01")]
