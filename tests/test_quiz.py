"""Weekly quizzes: stored answers agree with cnn_utils, answers are read leniently, nonsense is wrong, never an error."""
import ast
import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_utils import exercises, quiz

ROOT = Path(__file__).resolve().parent.parent
QUIZ_NOTEBOOKS = {1: "W1-3_quiz.ipynb", 2: "W2-4_quiz.ipynb", 3: "W3-4_quiz.ipynb", 4: "W4-4_quiz.ipynb"}
SHOW = re.compile(r'quiz\.show\("([\w-]+)"\)\n(answer_\d+) = (.+?)  # your answer')
CHECK = re.compile(r'quiz\.check\("([\w-]+)", (answer_\d+)\)')


def _stored(qid):
    return quiz._decode(quiz.QUESTIONS[qid].key)[0]


# --- Answers that cnn_utils computes ---------------------------------------------------------

def _conv(shape, f, c, k, s, p):
    from cnn_utils import numpy_cnn

    return numpy_cnn.conv_output_shape(shape, (f, f, c, k), s, p)


def _built(layer, input_shape):
    layer.build((None, *input_shape))
    return layer.count_params()


def _multiplications(input_shape, *layers):
    import keras

    from cnn_utils import classic

    return classic.count_multiplications(keras.Sequential([keras.Input(input_shape), *layers]))


def _same_padding(p):
    """The smallest padding that keeps a 20x20 input 20x20 under a stride-1 f x f convolution."""
    return next(pad for pad in range(10) if _conv((1, 20, 20, 1), p["f"], 1, 1, 1, pad)[1] == 20)


def _edge(p):
    from cnn_utils import numpy_cnn

    image = np.array([[p["dark"]] * 3 + [p["bright"]] * 3] * 6, dtype=float)
    vertical = np.array([[1, 0, -1]] * 3, dtype=float)
    Z, _ = numpy_cnn.conv_forward(image[None, :, :, None], vertical[:, :, None, None], np.zeros((1, 1, 1, 1)),
                                  {"stride": 1, "pad": 0})
    return Z.min()


def _flattened(p):
    shape = (1, p["n"], p["n"], 3)
    for i in (1, 2, 3):
        shape = _conv(shape, p[f"f{i}"], shape[3], p[f"k{i}"], p[f"s{i}"], 0)
    return math.prod(shape[1:])


def _pooled(p):
    from cnn_utils import numpy_cnn

    A, _ = numpy_cnn.pool_forward(np.zeros((1, p["n"], p["n"], p["c"])), {"f": p["f"], "stride": p["s"]})
    return list(A.shape[1:])


def _direct(p):
    import keras

    return _multiplications((p["n"], p["n"], p["c"]), keras.layers.Conv2D(p["k"], p["f"], padding="same"))


def _bottleneck(p):
    import keras

    return _multiplications((p["n"], p["n"], p["c"]), keras.layers.Conv2D(p["b"], 1),
                            keras.layers.Conv2D(p["k"], p["f"], padding="same"))


def _separable(p):
    import keras

    return _multiplications((p["n"], p["n"], p["c"]), keras.layers.SeparableConv2D(p["k"], p["f"]))


def _separable_ratio(p):
    import keras

    return _separable(p) / _multiplications((p["n"], p["n"], p["c"]), keras.layers.Conv2D(p["k"], p["f"]))


def _inception(p):
    import keras

    from cnn_utils import classic

    x = classic.inception_module(keras.Input((p["n"], p["n"], p["c"])), filters_1x1=p["a"], filters_3x3=p["b"],
                                 filters_5x5=p["d"], filters_pool_proj=p["e"])
    return x.shape[-1]


def _vgg16_millions(p):
    from cnn_utils import classic

    return classic.vgg16((p["size"], p["size"], 3), p["classes"]).count_params() / 1e6


def _nms_kept(p):
    from cnn_utils import yolo

    boxes = np.array([p[name] for name in "ABCD"], "float32")[:, [1, 0, 3, 2]]  # (y1, x1, y2, x2)
    scores, _, _ = yolo.yolo_non_max_suppression(np.array(p["scores"], "float32"), boxes, np.zeros(4, "int32"),
                                                 10, p["threshold"])
    return int(scores.shape[0])


def _windows(p):
    from cnn_utils import localization

    fc_model = localization.fc_window_classifier()
    assert fc_model.input_shape[1:3] == (p["window"], p["window"])
    out = localization.to_convolutional(fc_model)(np.zeros((1, p["n"], p["n"], 3), "float32"))
    return out.shape[1] * out.shape[2]


def _yolo_cell(p):
    from cnn_utils import yolo

    anchors = np.ones((p["a"], 2))
    y = yolo.encode_targets([(10, 10, 40, 40)], [0], anchors, (608, 608), (p["g"], p["g"]), p["c"])
    assert y.shape[:2] == (p["g"], p["g"])
    return y.shape[2] * y.shape[3]


def _triplets(p):
    from cnn_utils import faces

    (ap1, an1), (ap2, an2) = p["t1"], p["t2"]
    anchor = np.zeros((2, 2), "float32")
    positive = np.array([[math.sqrt(ap1), 0], [math.sqrt(ap2), 0]], "float32")
    negative = np.array([[0, math.sqrt(an1)], [0, math.sqrt(an2)]], "float32")
    return float(faces.triplet_loss(None, (anchor, positive, negative), p["alpha"]))


def _gram_shape(p):
    import tensorflow as tf

    from cnn_utils import nst

    unrolled = tf.transpose(tf.reshape(tf.zeros((1, p["h"], p["w"], p["c"])), (-1, p["c"])))
    return list(nst.gram_matrix(unrolled).shape)


def _content_cost(p):
    from cnn_utils import nst

    a_C = np.random.default_rng(0).standard_normal((1, p["h"], p["w"], p["c"])).astype("float32")
    return float(nst.compute_content_cost([a_C], [a_C + np.float32(p["d"])]))


def _conv3d(p):
    import keras

    return list(keras.layers.Conv3D(p["k"], p["f"]).compute_output_shape((None, p["n"], p["n"], p["n"], 1))[1:])


def _conv1d_params(p):
    import keras

    model = keras.Sequential([keras.Input((p["n"], 1)), keras.layers.Conv1D(p["k1"], p["f1"]),
                              keras.layers.Conv1D(p["k2"], p["f2"])])
    return model.layers[1].count_params()


def _lazy(module, name):
    def call(*args):
        import importlib

        return getattr(importlib.import_module(f"cnn_utils.{module}"), name)(*args)
    return call


COMPUTED = {
    "w1-q01": lambda p: list(_conv((1, p["n"], p["n"], p["c"]), p["f"], p["c"], p["k"], p["s"], p["p"])[1:]),
    "w1-q02": _same_padding,
    "w1-q03": lambda p: _conv((1, p["n"], p["n"], 1), p["f"], 1, 1, p["s"], 0)[1],
    "w1-q04": lambda p: _built(__import__("keras").layers.Conv2D(p["k"], p["f"]), (p["n"], p["n"], p["c"])),
    "w1-q05": lambda p: _built(__import__("keras").layers.Dense(p["units"]), (p["n"] * p["n"] * p["c"],)),
    "w1-q06": _pooled,
    "w1-q09": _edge,
    "w1-q11": _flattened,
    "w2-q01": _direct,
    "w2-q02": _bottleneck,
    "w2-q03": _separable,
    "w2-q04": _separable_ratio,
    "w2-q05": lambda p: _built(__import__("keras").layers.Conv2D(p["k"], 1), (p["n"], p["n"], p["c"])),
    "w2-q07": _inception,
    "w2-q09": _vgg16_millions,
    "w2-q12": lambda p: _lazy("classic", "compound_scaling")(p["phi"], p["alpha"], p["beta"], p["gamma"])[2],
    "w3-q01": lambda p: _lazy("yolo", "iou")(p["a"], p["b"]),
    "w3-q03": lambda p: len(_lazy("localization", "encode_target")((8, 8, 24, 40), 0, 64, p["classes"])),
    "w3-q05": lambda p: len(_lazy("localization", "encode_landmarks")(np.zeros((p["k"], 2)), 96)),
    "w3-q06": _yolo_cell,
    "w3-q07": _nms_kept,
    "w3-q10": _windows,
    "w3-q11": lambda p: _lazy("numpy_cnn", "conv_transpose_output_size")(p["n"], p["f"], p["s"], p["p"], 0),
    "w4-q03": _triplets,
    "w4-q06": _gram_shape,
    "w4-q07": lambda p: float(_lazy("nst", "gram_matrix")(np.array(p["A"], "float32"))[0, 1]),
    "w4-q08": _content_cost,
    "w4-q09": lambda p: float(_lazy("nst", "total_cost")(p["J_content"], p["J_style"], p["alpha"], p["beta"])),
    "w4-q12": _conv3d,
    "w4-q13": _conv1d_params,
}


@pytest.mark.parametrize("qid", sorted(COMPUTED))
def test_stored_answer_is_what_cnn_utils_computes(qid, capsys):
    computed = COMPUTED[qid](quiz.QUESTIONS[qid].params)
    stored = _stored(qid)
    if isinstance(stored, list):
        assert [int(v) for v in computed] == stored
    else:
        assert computed == pytest.approx(stored, rel=1e-6)
    assert quiz.check(qid, computed if not isinstance(computed, list) else tuple(computed))
    assert capsys.readouterr().out.startswith("Correct. ")


def test_every_question_that_names_a_computed_number_is_computed():
    """A numeric question with parameters takes its answer from cnn_utils (or says why it cannot)."""
    not_computed = {qid for qid, q in quiz.QUESTIONS.items() if q.kind == "number" and q.params} - set(COMPUTED)
    assert not_computed == set()


# --- The question bank ---------------------------------------------------------------------------

@pytest.mark.parametrize("week", sorted(quiz.WEEKS))
def test_each_week_has_10_to_15_well_formed_questions(week, capsys):
    ids = quiz.questions(week)
    assert 10 <= len(ids) <= 15
    assert ids == [f"w{week}-q{n:02d}" for n in range(1, len(ids) + 1)]
    for qid in ids:
        question = quiz.QUESTIONS[qid]
        answer, why = quiz._decode(question.key)
        assert question.kind in quiz.KINDS and why and "\n" not in why
        if question.kind == "number":
            assert not question.choices and (isinstance(answer, (int, float)) or all(isinstance(v, int) for v in answer))
        else:
            letters = quiz.LETTERS[:len(question.choices)]
            assert len(question.choices) >= 3 and len(set(question.choices)) == len(question.choices)
            assert set(answer) <= set(letters) and (len(answer) == 1) == (question.kind == "choice")
        quiz.show(qid)
        shown = capsys.readouterr().out
        assert shown.startswith(f"Week {week}, question {question.number} (") and "{" not in shown
        assert why not in shown  # explanations only after an attempt


def test_answers_and_explanations_are_not_readable_in_the_source():
    source = Path(quiz.__file__).read_text()
    for qid, question in quiz.QUESTIONS.items():
        answer, why = quiz._decode(question.key)
        assert why not in source, qid
        if question.kind == "number" and isinstance(answer, list):
            assert ", ".join(map(str, answer)) not in source, qid
        elif question.kind == "number" and abs(answer) >= 100:
            assert f"{answer}" not in source and f"{answer:,}" not in source, qid


def test_encode_round_trips_and_wants_one_line():
    key = quiz.encode(["A", 3.5], "because.")
    assert quiz._decode(key) == (["A", 3.5], "because.")
    for bad in ("", "two\nlines", None):
        with pytest.raises(ValueError, match="explanation"):
            quiz.encode(1, bad)


# --- Reading answers ----------------------------------------------------------------------------

def _first(kind):
    return next(qid for qid, q in quiz.QUESTIONS.items() if q.kind == kind)


def test_a_choice_is_read_by_letter_or_by_text(capsys):
    qid = _first("choice")
    question, right = quiz.QUESTIONS[qid], _stored(qid)
    text = question.choices[quiz.LETTERS.index(right)]
    for answer in (right, right.lower(), f"({right})", f"{right})", f" {right}. ", text, text.upper() + "."):
        assert quiz.check(qid, answer), answer
    wrong = next(letter for letter in quiz.LETTERS[:len(question.choices)] if letter != right)
    assert not quiz.check(qid, wrong)
    assert capsys.readouterr().out.count("Not quite. ") == 1


def test_a_select_needs_exactly_the_right_set(capsys):
    qid = _first("select")
    question, right = quiz.QUESTIONS[qid], sorted(_stored(qid))
    texts = [question.choices[quiz.LETTERS.index(letter)] for letter in right]
    for answer in (right, tuple(reversed(right)), set(right), ", ".join(right), "".join(right).lower(),
                   " ".join(right), texts):
        assert quiz.check(qid, answer), answer
    assert not quiz.check(qid, right[:-1])
    extra = next(letter for letter in quiz.LETTERS[:len(question.choices)] if letter not in right)
    assert not quiz.check(qid, right + [extra])


def test_numbers_are_read_from_numbers_strings_and_arrays_within_the_tolerance():
    assert quiz.check("w1-q04", 1520) and quiz.check("w1-q04", 1520.0) and quiz.check("w1-q04", "1,520")
    assert quiz.check("w1-q04", np.int64(1520)) and quiz.check("w1-q04", np.array(1520.0))
    assert not quiz.check("w1-q04", 1521)
    assert quiz.check("w1-q01", [22, 22, 16]) and quiz.check("w1-q01", np.array([22, 22, 16]))
    assert quiz.check("w1-q01", "(22, 22, 16)") and quiz.check("w1-q01", "22x22x16")
    assert not quiz.check("w1-q01", (22, 16, 22))
    tol = quiz.QUESTIONS["w3-q01"].tol  # IoU 1/6, within 0.01
    assert quiz.check("w3-q01", 1 / 6 + 0.9 * tol) and not quiz.check("w3-q01", 1 / 6 + 1.5 * tol)
    rel = quiz.QUESTIONS["w2-q01"].rel  # 21,676,032 multiplications, within 1 %
    assert quiz.check("w2-q01", 21_676_032 * (1 + 0.9 * rel)) and not quiz.check("w2-q01", 21_676_032 * (1 + 1.5 * rel))


@pytest.mark.parametrize("answer", [None, "banana", "", [], {}, True, float("nan"), float("inf"), b"A", 3 + 4j,
                                    [1, 2], "Z", 7, object()])
@pytest.mark.parametrize("qid", ["w1-q01", "w1-q04", "w1-q07", "w1-q08"])
def test_nonsense_is_wrong_without_explanation(qid, answer, capsys):
    assert quiz.check(qid, answer) is False
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1
    assert quiz._decode(quiz.QUESTIONS[qid].key)[1] not in printed or printed.startswith("Not quite. ")


@settings(max_examples=200, deadline=None)
@given(qid=st.sampled_from(sorted(quiz.QUESTIONS)),
       answer=st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner,
                                                                                      max_size=2),
                           max_leaves=8))
def test_any_answer_gives_true_or_false_and_never_raises(qid, answer):
    assert quiz.check(qid, answer) in (True, False)


def test_bad_question_ids_and_weeks_are_reported():
    for bad in ("w9-q01", None, 3):
        with pytest.raises(ValueError, match="qid"):
            quiz.check(bad, 1)
        with pytest.raises(ValueError, match="qid"):
            quiz.show(bad)
    for bad in (0, 5):
        with pytest.raises(ValueError, match="week"):
            quiz.questions(bad)
    for bad in ("1", 1.0, True, None):
        with pytest.raises(TypeError, match="week"):
            quiz.questions(bad)


# --- The quiz notebooks ------------------------------------------------------------------------

def _answers(path):
    """``[(qid shown, variable, value, qid checked, variable checked)]`` in the notebook's order."""
    code = [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    pairs = []
    for show_cell, check_cell in zip(code[1::2], code[2::2]):
        (qid, variable, value), = SHOW.findall(show_cell)
        (checked, checked_variable), = CHECK.findall(check_cell)
        pairs.append((qid, variable, ast.literal_eval(value), checked, checked_variable))
    return pairs


@pytest.mark.parametrize("week", sorted(QUIZ_NOTEBOOKS))
def test_quiz_notebook_asks_every_question_and_holds_the_right_answers(week, capsys):
    path = ROOT / "notebooks" / QUIZ_NOTEBOOKS[week]
    pairs = _answers(path)
    assert [qid for qid, *_ in pairs] == quiz.questions(week)
    for qid, variable, value, checked, checked_variable in pairs:
        assert (checked, checked_variable) == (qid, variable)
        assert quiz.check(qid, value), f"{path.name}: {variable} = {value!r}"
    # It closes its week: no other notebook of the week comes after it.
    assert path == sorted((ROOT / "notebooks").glob(f"W{week}-*.ipynb"))[-1]


@pytest.mark.parametrize("week", sorted(QUIZ_NOTEBOOKS))
def test_student_quiz_notebook_has_every_answer_blank(week, tmp_path):
    student = tmp_path / QUIZ_NOTEBOOKS[week]
    exercises.make_student_notebook(ROOT / "notebooks" / QUIZ_NOTEBOOKS[week], student)
    values = [value for _, _, value, _, _ in _answers(student)]
    assert values == [None] * len(quiz.questions(week))
    text = student.read_text()
    assert "solution notebook" not in text and "NBVAL" not in text
