"""Weekly practice quizzes: multiple choice, multiple select and numeric questions.

Each week of the course closes with a quiz notebook (``W1-3_quiz``, ``W2-4_quiz``,
``W3-4_quiz``, ``W4-4_quiz``). A question is shown, the learner assigns an answer
to a variable, and the next cell checks it::

    quiz.show("w1-q01")
    answer_01 = (5, 5, 8)  # your answer
    quiz.check("w1-q01", answer_01)   # prints whether it is right and a one-line explanation

Answers:

- **choice**: one letter (``"B"``) or the text of the choice;
- **select** (all that apply): a list of letters (``["A", "C"]``), a string
  ``"A, C"``, or a list of choice texts;
- **number**: a number, or a tuple of numbers where the question asks for a
  shape, within the tolerance the question states.

An answer that cannot be read (``None``, a word where a number is due, a letter
that is not a choice) is simply wrong: ``check`` says what it expected and
returns False, it never raises.

The answers and explanations are stored as *keys*: compressed and
base64-encoded (see :func:`encode`), so that reading this file does not give
them away. That is no secret from someone who decodes them; it is a quiz for
practice. Numbers that ``cnn_utils`` can compute (output sizes, parameter and
multiplication counts, IoU, Gram-matrix shapes) are written as ``params`` of
the question, and ``tests/test_quiz.py`` checks each stored answer against the
value ``cnn_utils`` computes from them.

To add a question, append a :class:`Question` to ``QUESTIONS`` with its key
from ``quiz.encode(answer, "one-line explanation")``: a letter for a choice, a
string of letters (``"ACD"``) for a select, a number or list of numbers.
"""
import base64
import json
import math
import numbers
import re
import textwrap
import zlib
from dataclasses import dataclass, field

WEEKS = {
    1: "The basics of ConvNets",
    2: "Deep convolutional models",
    3: "Detection algorithms",
    4: "Special applications: face recognition and neural style transfer",
}
KINDS = ("choice", "select", "number")
WIDTH = 100
LETTERS = "ABCDEFGH"


@dataclass(frozen=True)
class Question:
    """One quiz question.

    ``qid`` is ``"w<week>-q<nn>"``; ``text`` may name ``{params}``; ``choices``
    are for choice and select questions; ``form`` says how to write a numeric
    answer, ``tol`` and ``rel`` its absolute and relative tolerance; ``key`` holds
    the encoded answer and explanation.
    """
    qid: str
    kind: str
    text: str
    key: str
    choices: tuple = ()
    params: dict = field(default_factory=dict)
    form: str = "a number"
    tol: float = 0.0
    rel: float = 0.0

    @property
    def week(self):
        return int(self.qid[1:self.qid.index("-")])

    @property
    def number(self):
        return int(self.qid.rsplit("q", 1)[1])


def encode(answer, explanation):
    """The key of a question: its answer and one-line explanation, compressed and base64-encoded."""
    if not isinstance(explanation, str) or not explanation or "\n" in explanation:
        raise ValueError("explanation must be one non-empty line of text")
    blob = json.dumps({"answer": answer, "why": explanation}).encode("utf-8")
    return base64.b64encode(zlib.compress(blob, 9)).decode("ascii")


def _decode(key):
    """``(answer, explanation)`` stored in a key made by :func:`encode`."""
    data = json.loads(zlib.decompress(base64.b64decode(key)).decode("utf-8"))
    return data["answer"], data["why"]


# --- Reading an answer ------------------------------------------------------------------------

def _normal(text):
    """Text compared case-insensitively, with spaces collapsed and a final full stop dropped."""
    return " ".join(text.split()).rstrip(".").casefold()


def _letter(question, item):
    """The letter of the choice that ``item`` names (a letter such as "b" or "(B)", or the text), or None."""
    if not isinstance(item, str):
        return None
    letters = LETTERS[:len(question.choices)]
    match = re.fullmatch(r"\(?\s*([A-Za-z])\s*[).]?", item.strip())
    if match:
        letter = match.group(1).upper()
        return letter if letter in letters else None
    for letter, choice in zip(letters, question.choices):
        if _normal(item) == _normal(choice):
            return letter
    return None


def _letters(question, answer):
    """The set of letters a select answer names, or None when one of its parts names no choice."""
    if isinstance(answer, str):
        if _letter(question, answer) is not None:
            return {_letter(question, answer)}
        parts = [part for part in re.split(r"[,;\s]+", answer.strip()) if part]
        if len(parts) == 1 and parts[0].isalpha():  # "AC"
            parts = list(parts[0])
    elif isinstance(answer, (list, tuple, set, frozenset)):
        parts = list(answer)
    else:
        return None
    letters = {_letter(question, part) for part in parts}
    return None if not parts or None in letters else letters


def _number(value):
    """A float read from a number, a NumPy scalar or a numeric string ("1,000"), or None."""
    if hasattr(value, "ndim") and getattr(value, "ndim") == 0 and hasattr(value, "item"):
        value = value.item()  # NumPy and TensorFlow scalars
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "").replace("_", ""))
        except ValueError:
            return None
    return None


def _numbers(value, size):
    """A list of ``size`` floats read from a number, a sequence or a string such as "(5, 5, 8)", or None."""
    if isinstance(value, str) and size > 1:
        value = [part for part in re.split(r"[\s,x×()\[\]]+", value) if part]
    elif getattr(value, "ndim", None) == 0:
        value = [value]  # a NumPy or TensorFlow scalar
    elif hasattr(value, "tolist"):
        value = value.tolist()  # a NumPy array
    elif not isinstance(value, (str, list, tuple)) and hasattr(value, "__iter__"):
        value = list(value)  # a TensorShape, a generator
    if not isinstance(value, (list, tuple)):
        value = [value]
    if len(value) != size:
        return None
    values = [_number(item) for item in value]
    return None if None in values else values


def _close(got, want, tol, rel):
    return math.isfinite(got) and abs(got - want) <= tol + rel * abs(want) + 1e-9 * max(1.0, abs(want))


def _read(question, answer):
    """``answer`` in the form the key stores (a letter, a set of letters, a list of numbers), or None."""
    if question.kind == "choice":
        return _letter(question, answer)
    if question.kind == "select":
        return _letters(question, answer)
    expected, _ = _decode(question.key)
    return _numbers(answer, len(expected) if isinstance(expected, list) else 1)


def _is_right(question, got):
    expected, _ = _decode(question.key)
    if question.kind == "choice":
        return got == expected
    if question.kind == "select":
        return got == set(expected)
    expected = expected if isinstance(expected, list) else [expected]
    return all(_close(g, w, question.tol, question.rel) for g, w in zip(got, expected))


def _expects(question):
    """How to write an answer to ``question``, as shown under it."""
    if question.kind == "choice":
        return "one letter, for example 'B' (or the text of the choice)"
    if question.kind == "select":
        return "a list of letters, for example ['A', 'C'] (select all that apply)"
    if question.rel:
        return f"{question.form}, within {question.rel:.0%}"
    if question.tol:
        return f"{question.form}, within ±{question.tol:g}"
    return question.form


# --- The questions ----------------------------------------------------------------------------

def _question(qid):
    if not isinstance(qid, str) or qid not in QUESTIONS:
        raise ValueError(f"qid must be a question id such as 'w1-q01' (see quiz.questions(week)), got {qid!r}")
    return QUESTIONS[qid]


def questions(week):
    """The ids of week ``week``'s questions (1 to 4), in order."""
    if isinstance(week, bool) or not isinstance(week, numbers.Integral):
        raise TypeError(f"week must be an integer 1 to 4, got {type(week).__name__} {week!r}")
    if week not in WEEKS:
        raise ValueError(f"week must be one of {sorted(WEEKS)}, got {week!r}")
    return [qid for qid, question in QUESTIONS.items() if question.week == week]


def show(qid):
    """Print question ``qid``: its text, its choices, and how to write the answer."""
    question = _question(qid)
    kind = {"choice": "multiple choice", "select": "multiple select", "number": "numeric"}[question.kind]
    lines = [f"Week {question.week}, question {question.number} ({kind})",
             textwrap.fill(question.text.format(**question.params), WIDTH)]
    for letter, choice in zip(LETTERS, question.choices):
        lines.append(textwrap.fill(choice, WIDTH, initial_indent=f"  {letter}. ", subsequent_indent="     "))
    lines.append(f"Answer with {_expects(question)}.")
    print("\n".join(lines))


def _short_repr(value):
    try:
        text = repr(value)
    except Exception:  # an object whose repr fails is still just a wrong answer
        text = f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def check(qid, answer):
    """Check ``answer`` to question ``qid``: print a one-line verdict and explanation, return True or False.

    An answer that cannot be read as the question expects returns False with a
    note on the expected form (and no explanation: it does not count as an attempt).
    """
    question = _question(qid)
    if answer is None:
        print("No answer yet: set your answer in the question's cell, run it, then run this cell.")
        return False
    try:
        got = _read(question, answer)
    except Exception:  # anything unreadable is a wrong answer, never an error
        got = None
    if got is None:
        print(f"Cannot read {_short_repr(answer)} as an answer: answer with {_expects(question)}.")
        return False
    right = _is_right(question, got)
    print(("Correct. " if right else "Not quite. ") + _decode(question.key)[1])
    return right


QUESTIONS = {question.qid: question for question in [
    # Week 1: The basics of ConvNets
    Question("w1-q01", "number",
        "A convolutional layer receives a {n}x{n}x{c} volume and applies {k} filters of size {f}x{f} "
        "with stride {s} and padding {p}. What is the shape (n_H, n_W, n_C) of its output?",
        params=dict(n=45, c=8, k=16, f=5, s=2, p=1),
        form="a tuple (n_H, n_W, n_C)",
        key=("eNpFTcEKwjAU+5XQU6tTaXEeBt73Bx5ERpmvVOxeoR2MIf67bycPCSQhyUd5rgsV1eHuXIMN9vJooJa4iql46HEFD"
             "zfhkHIuWp9b7OF2Fge0Bic4I9pKvpU9P0F+jMgBcyQZQ3ilmUrF5N9UkZkwRs9MqYP+f5qj+v4AUhkllg=="),
    ),
    Question("w1-q02", "number",
        "You want a 'same' convolution (output as large as the input) with a {f}x{f} filter and stride "
        "1. How many rows and columns of zeros p must you pad on each side?",
        params=dict(f=7),
        form="a whole number",
        key=("eNqrVkrMKy5PLVKyUjDWUVAqz6gEspTyFLQVjAoUdBXSgAxDBVuFPIX0zLLUYoUCIFsjDShhqKmgr2AE4pkj84z1l"
             "GoBcjETGA=="),
    ),
    Question("w1-q03", "number",
        "A {n}x{n} image is convolved with a {f}x{f} filter, stride {s}, no padding. How many rows does"
        " the output have?",
        params=dict(n=10, f=3, s=2),
        form="a whole number",
        key=("eNo1icEKgzAQBX/lsSelra3VXgQ/JmhSF1M3JCuhFP+9gdLLMMx8yGwp20gD+jMoL+9i5LxIrKr2hgu6Glfca5zQY"
             "sTvdM3jH/oBBo692oggiZVlgy5GkWX3M5LytEJ2hbjSLfhlnoUJaeUQ7NzQ8QW6zSgx"),
    ),
    Question("w1-q04", "number",
        "A convolutional layer has {k} filters of size {f}x{f} and its input is a {n}x{n}x{c} image. "
        "How many parameters (weights and biases) does the layer learn?",
        params=dict(k=20, f=5, c=3, n=64),
        form="a whole number",
        key=("eNotjNEKwjAQBH9luccQpKnEgtJHP+RqzyZgE+gFgxb/3Qg+7jCzO3HSKhud4XzfWVANrzboyreAe3wU2RBY4Y03R"
             "4wYPKrEJRQFpxkOU2S10Iy++/vagqdgOMH84Ahn2/UFJQjiyotA41swZ1GkXLByadWBPl93Bypo"),
    ),
    Question("w1-q05", "number",
        "A {n}x{n}x{c} image is flattened and fed to a fully connected layer with {units} units. How "
        "many parameters (weights and biases) does that layer have?",
        params=dict(n=100, c=3, units=50),
        form="a whole number",
        key=("eNodjEEKwjAQRa/yyVIGmVKyETxM1KEZTNOSSQ2leHdjF3/x+Lx3uJCtSXE3DJ6ZPRNci3tnNzBf/htxx8jUX2het"
             "2qoOovBM7as1Qhr2k58aDCxnqLeojMW8gtaMZWlGZrWiBoFOodJqOtJ34KA55I/SGGXcnXfHwQpLCc="),
    ),
    Question("w1-q06", "number",
        "Max pooling with a {f}x{f} window and stride {s} is applied to a {n}x{n}x{c} volume. What is "
        "the shape (n_H, n_W, n_C) of its output?",
        params=dict(n=15, c=32, f=3, s=2),
        form="a tuple (n_H, n_W, n_C)",
        key=("eNo1jcEKwjAQBX/lkVOLVWmLFBS/RDwscTVC3C3ZSAjiv5uLMKeZw3wciRVO7ojLMqAxT9cBroTalLtH1dR14wFbz"
             "D32mHpsMOKMBUmLgeQGr/H9EjthVY1PeYB8NqiAyQf4QCIcYbxSosyxDjBFDtxW/2qwTHXnvj+/ESyY"),
    ),
    Question("w1-q07", "choice",
        "How many parameters does a max-pooling layer learn during training?",
        choices=(
            "None: its window size f and stride s are hyperparameters, fixed before training",
            "One per channel",
            "As many as a conv layer with the same window",
            "f x f per channel",
        ),
        key=("eNodzEEOgkAMRuGr/OlKE+IBdOUNvEIZiiUwLZmOGQnx7qK7l2/xdmKLJoWuoDt1oKbbrx/uy2RPVJ4lUFWQ+T3lV"
             "8bJC7KwneEjhJOiTTZ4u2EE24AAF0FSDzH0G/TADuHoOc1r8fWQgHnV/9+xCBe70OcLf5Mu/Q=="),
    ),
    Question("w1-q08", "select",
        "Why does a conv layer need far fewer parameters than a fully connected layer on the same "
        "input? Select all that apply.",
        choices=(
            "Parameter sharing: the same filter is used at every position of the image",
            "The number of filter weights does not depend on the size of the image",
            "Sparse connections: each output value depends only on a small window of the input",
            "A convolution always pads its input with zeros",
            "The pooling layers after it learn most of the features",
        ),
        key=("eNodjVEOAiEMRK8y4XvjAfRLvYIXaJYKJGxLoCvZGO8u7N+89mXm60ha5+qucPfH0y1wPR6TXpHRaGO8uaNzCtEaq"
             "DIq7409+MP16JHHhWQgrRG6W9kNjXmoaBvljJ7Ea1/QFDYqV93F4HUYooZQdbQni+czbRT4hqKakwRkpiqnFyfOmU"
             "Lez5watFhSoXxxvz9vQUX0"),
    ),
    Question("w1-q09", "number",
        "A 6x6 grayscale image is {dark} in its three left columns and {bright} in its three right "
        "columns (dark on the left, bright on the right). It is convolved, stride 1 and no padding, "
        "with the vertical-edge filter [[1, 0, -1], [1, 0, -1], [1, 0, -1]]. What is the most negative "
        "value in the 4x4 output?",
        params=dict(dark=0, bright=20),
        form="a whole number",
        key=("eNo9jdEKwjAMRX/l0icVK0XBh4nfsedqs7bYdZBEhoj/bjfBp9zcQ3LexleZiU0He3Z7mDm9WjZ9IiZoIgy5KDFE2"
             "YdQSNaSQiRkFRQaFPepPMcKoUYdfA0r4hzTnx1dhxN22DjYtmxxXXyX9ZnkWDF6fgg8QptWJ3v7nS+ig/l8AbCNNV"
             "0="),
    ),
    Question("w1-q10", "choice",
        "Deep-learning libraries compute 'convolutions' without flipping the filter first. What is that"
        " operation called in mathematics?",
        choices=(
            "Deconvolution",
            "Autocorrelation",
            "Transposed convolution",
            "Cross-correlation",
        ),
        key=("eNo9jEEOwjAMBL+y8rnwALjyB85RMMRqGke2S1Qh/o4KErc5zMyLUvPBRifQhSbQKNvOV4miayAK416lQwLiSMim7"
             "oesZlxTiLbz12kcQ22Gy9LrhsrJmv/rzjcMlkcJn+D6K9LCyNqeWtf9A481z0d6fwCPkjQ5"),
    ),
    Question("w1-q11", "number",
        "A network takes {n}x{n}x3 images through three conv layers without padding: {k1} filters "
        "{f1}x{f1} stride {s1}, then {k2} filters {f2}x{f2} stride {s2}, then {k3} filters {f3}x{f3} "
        "stride {s3}. The result is flattened for a softmax. How many numbers reach the softmax layer?",
        params=dict(n=64, k1=8, f1=5, s1=1, k2=16, f2=3, s2=2, k3=32, f3=3, s3=2),
        form="a whole number",
        key=("eNqrVkrMKy5PLVKyUjAzMjfSUVAqz6gEcpTMTBR07RRApIKpgraCoYKtgpkBSCgtJz+/SMPUXEFfwUgTKmNkiZAxM"
             "kOWMTTRUSjOB1IKWhDC2Ahkkg7QLoWyxJzS1GI9pVoA+vUeGw=="),
    ),
    Question("w1-q12", "select",
        "Layer l is a conv layer with n_C[l] filters of size f x f, applied to a volume with n_C[l-1] "
        "channels. Which statements are true? Select all that apply.",
        choices=(
            "Each filter has shape f x f x n_C[l-1]",
            "Each filter has shape f x f x n_C[l]",
            "The output has n_C[l] channels",
            "The biases fit in an array of shape (1, 1, 1, n_C[l])",
            "The output has n_C[l-1] channels",
        ),
        key=("eNpNjM0KwjAQhF9l2JOCCl71JPUtpMi2bkgwbko2tZbiu/tTDx7mMPMN30SsNkimHehQHWkFGvz4bXAhFsmw7n2B3"
             "CWPCNr1Ba1nVYlYODzwiZ6rU1xv6+Uewq1Hcihe5rn+eQw3voohqSD15d/DeoHnGTWBbUPPF7ZDMsI="),
    ),
    Question("w1-q13", "choice",
        "What does a 'valid' convolution mean?",
        choices=(
            "Padding only on the right and at the bottom",
            "Padding with copies of the edge pixels instead of zeros",
            "No padding: an n x n input and an f x f filter give an (n - f + 1) x (n - f + 1) output",
            "Padding chosen so that the output is as large as the input",
        ),
        key=("eNodjEEKwjAQAL8y5BKFquhR8eQfeo90NaE2Cd2UUMW/a3sbmGE+xkWtMpoz5mYaTPXzwrZ1r9BZBvl7YiK7rgvx2"
             "aCJ4oU0lTwV1I8h9sp95sGO4wWrbhC79EoNxZO5slnllgMnSqIXyetFw1v25vsDA0gpYw=="),
    ),
    # Week 2: Deep convolutional models
    Question("w2-q01", "number",
        "A 'same' convolution with {k} filters of size {f}x{f} is applied to a {n}x{n}x{c} volume. How "
        "many multiplications does it perform for one image (biases left out)?",
        params=dict(n=14, c=256, k=48, f=3),
        form="a whole number",
        rel=0.01,
        key=("eNodjdEKAiEURH9l8HGRcK9mW9BjH2KboeDqktoS0b93C+Zp5jDnLVyum3+IE2i0B6s0SYgtvLgQFzcHlDta8BjNw"
             "DETzjhKoyaU3tbe8HSp+4rs/a1CD3qgvWWGpFYGS08trinOrsWS688hWSL/FnflCxBhiSnxvBOfLx08KMs="),
    ),
    Question("w2-q02", "number",
        "Same input and output as before ({n}x{n}x{c} in, {k} filters of {f}x{f}, 'same'), but a 1x1 "
        "convolution first shrinks the {c} channels to {b} (a bottleneck), and the {f}x{f} convolution "
        "runs on that. How many multiplications do the two layers perform together?",
        params=dict(n=14, c=256, k=48, f=3, b=32),
        form="a whole number",
        rel=0.01,
        key=("eNpNjcsKwjAURH9lyDJcJG+10o8JNSEFaaS9pYr476biQpjNwJk5LxGnZUuz6OCs9toGgtjKs3WhH7qDdrLFGtSV7"
             "ysvkDA+oIemoDwFay7gkqYf6E5/oJV2X/YwdFRn8so1tnK8wVGT0dcWkcfMBTXvP7iOcxoYQ134IN4fukAqRw=="),
    ),
    Question("w2-q03", "number",
        "A depthwise separable convolution replaces a normal {f}x{f} convolution (no padding, stride 1)"
        " that maps a {n}x{n}x{c} input to {k} channels. How many multiplications does the separable "
        "version need (depthwise plus pointwise)?",
        params=dict(n=10, c=4, k=6, f=3),
        form="a whole number",
        key=("eNpFjcEKwjAQBX/lkWMIUt1YQktv/kiR1QTKpiQLoYj/bsSDx4EZ5mVWqY2LmUDBDw6mxaODufGusaXKE4IN2HNNm"
             "rJUWHjc4yrC2xfIEhZcHA1+7lYS/UcWIx5pUy6/bMHZXWmcofnJGrmAXJ+ezPsDjUUmoQ=="),
    ),
    Question("w2-q04", "number",
        "For that layer ({n}x{n}x{c} in, {k} channels out, {f}x{f} filters), what fraction of the "
        "normal convolution's multiplications does the depthwise separable one need?",
        params=dict(n=10, c=4, k=6, f=3),
        form="a number between 0 and 1",
        tol=0.01,
        key=("eNpVjFEKwjAQRK8y5HMNbW1CjYq38AKBbqkQE01ai4h3dxVB3I/ZGR68h/KxLJzVDk3Vbv7OaahlvAtSx5ERUz77g"
             "BSlMvcFjhx1IBgyZHHA2mjX2j3k2Qb1dwsQs3vzusNKcqs/knTjjEnEwylMnAsuYS4/MqBcZ5+5r9TzBffjLQ0="),
    ),
    Question("w2-q05", "number",
        "A 1x1 convolution with {k} filters is applied to a {n}x{n}x{c} volume. How many parameters "
        "(weights and biases) does it have?",
        params=dict(n=28, c=192, k=32),
        form="a whole number",
        key=("eNoNjGEHgDAURf/K9T5mYo2l0cd+yMpqY5K9spL+e8/lcBzuS37nGgo5WN1bBarxEaHJLxFrymcoSAx9y4ZOQYAa0"
             "hZPxpEvhsecPDsJBg1MhxFWyVVL3w8L+Bo6"),
    ),
    Question("w2-q06", "choice",
        "What are 1x1 convolutions mostly used for in Inception modules and MobileNet?",
        choices=(
            "Detecting edges",
            "Changing (usually shrinking) the number of channels cheaply",
            "Halving the height and width of the volume",
            "Replacing the softmax layer",
        ),
        key=("eNoljEsKAyEQBa/ycD0EZju75CaN84KSHhXt+UjI3RPJrgqKejtJ7WR1C9zDTXBn6IPvmK8ZPqcj624xJ2zxYoMFw"
             "gdJidogBooPKLnF0SyIhkb7ZyuLhQkaX4SgbaKK567axzbRG1eodFZIKRp/xoO1n4GVN/f5Aqh/NeI="),
    ),
    Question("w2-q07", "number",
        "An Inception module on a {n}x{n}x{c} volume has four 'same' branches: {a} 1x1 filters; {b} 3x3"
        " filters after a 1x1 reduction; {d} 5x5 filters after a 1x1 reduction; and a 3x3 max-pool "
        "followed by {e} 1x1 filters. How many channels does the module output?",
        params=dict(n=28, c=192, a=96, b=160, d=48, e=48),
        form="a whole number",
        key=("eNoljUEKgzAQRa/ymW2ltLGVKLjwKGM6NGAYSyJYKd7dkS7+4/M270esZZVMHeqnq0Br3OzTkBLGzBqiFEwiHzj/d"
             "R6sL3AWhFkDL6I2E2nWN5ZoOrKqpNKhbXDBvbkZH/6P/kxcaT8AT3EiZw=="),
    ),
    Question("w2-q08", "select",
        "Which statements about residual networks are true? Select all that apply.",
        choices=(
            "Skip connections remove the need for non-linear activations",
            "In the identity block, the shortcut is added before the last ReLU",
            "A plain network's training error keeps falling however many layers you add",
            "When the shortcut's shape differs from the main path's, a 1x1 convolution with a stride on"
            " the shortcut makes them match",
            "A residual block can easily learn the identity (weights and bias near zero), so adding "
            "blocks rarely hurts training",
        ),
        key=("eNo1jEEOgjAURK8y6UoDMeJS48boGVgYYgp8KbHpJ/0FROPdhRp3b95M5q20k5G82kOdzheVQo1mWpK+2mRX4Ihm9"
             "fphgtkV6xTCGNtgkM/tFtrVKCMFQygtVw90WoQk7mfruW/MIdbZM4MY9qHqA/geXcVuYNuHlp22/wOrJ0F+kwMG8h"
             "Nqom6RrYOjIAh+wZG90EZ9vrHCQQo="),
    ),
    Question("w2-q09", "number",
        "Roughly how many parameters does VGG-16 have, for {size}x{size}x3 inputs and {classes} "
        "classes? Give the number in millions.",
        params=dict(size=224, classes=1000),
        form="a number of millions",
        tol=5,
        key=("eNo9jE0KwjAYRK8yZKUllNYkphZceJRav5hAfqBNCUW8u+nG1TBvHvNhU1wLLWxEL4ZWKK2k5GDF7hWxxzNt+VgQn"
             "PcuRZxq4VXj1TtzhLRmJINsKcDFI2HcUqHZvN8xpxhpzvSCn3ZaRuhGN6q/NLK7XXFH34n/dSH3tnlt2fcH4lctDA"
             "=="),
    ),
    Question("w2-q10", "choice",
        "You have a few hundred labelled images for a 3-class problem and a network pretrained on "
        "ImageNet. What does the lecture recommend?",
        choices=(
            "Freeze the pretrained layers, replace the softmax with a 3-class one and train only that; "
            "the frozen features can even be computed once and saved",
            "Retrain every layer from the pretrained weights with a large learning rate",
            "Train the whole network from random weights",
            "Keep the 1,000-class softmax and map its classes to yours by hand",
        ),
        key=("eNo1jEEKwzAQA78ifE77gPbUV/S8EBkbNmvYbDBJ6d9bt+QmDdK8ktja6emG9EgTUi/7yM8aBVojlJglZEK4VEMz3"
             "RGFMHYUyvwlv569HTRkSmzO9Y4+DEvz879ZdvLgn6ns9HMl0BYTcjVeYjNCVNHy8C7X9P4A2yc4jw=="),
    ),
    Question("w2-q11", "select",
        "Which of these are data-augmentation methods for images? Select all that apply.",
        choices=(
            "Random cropping",
            "Ensembling several networks",
            "Dropout",
            "Colour shifting, for example PCA colour augmentation",
            "Mirroring",
        ),
        key=("eNo1jcEKwjAQRH9lyEmh+AF6EvToR6zNmgSb3bLZEkT8d1vE28zAe/MOJK2zhSPC+XINA0LPr63diplakTRgNJ3nN"
             "YEkYtRJF0PL5eENO5qawtTJi8qwzkw/qJNtzB6VngzhDjcqsmlKpcTtBJbG9T79zXG90cURFaKOMZMkhmdGJKdD+H"
             "wBNis81w=="),
    ),
    Question("w2-q12", "number",
        "EfficientNet's compound scaling multiplies depth, width and resolution by alpha^phi, beta^phi "
        "and gamma^phi. With alpha = {alpha}, beta = {beta}, gamma = {gamma} and phi = {phi}, by what "
        "factor does the input resolution grow?",
        params=dict(alpha=1.2, beta=1.1, gamma=1.15, phi=2),
        form="a number",
        tol=0.01,
        key=("eNodil0KgzAQBq/ysc9WcFuFCl5F2LRLDTQ/GCWW0rub5m2GmS+JT1lXGtG1V+a+AeXlU5Re4pzMcbGYSuv6mSv8p"
             "xEC5tsl2kPfsD7uG4w+gtMEMaEY3wfUmpDtU1v6nU1TH6w="),
    ),
    Question("w2-q13", "choice",
        "Ensembling 3 to 15 networks and multi-crop at test time (for example 10-crop) typically...",
        choices=(
            "reduce the memory needed to store the model",
            "make the model faster at test time",
            "are needed to train deep networks at all",
            "win a little accuracy on benchmarks at a large cost in computation, so production systems "
            "rarely use them",
        ),
        key=("eNodyzEOwjAMBdCrfHkuHKAj4iJR6zYRiR05jqIIcXco21vem4K0wUYr6EkLaMR5+aEeYV3gkSHsQ+2FEmTCU+GGy"
             "oZUwskrjiSMQw0Bm5bKnjypLOith5x/QRUt60CQHYWL2rzFLqfN/6qme9+ucqfPF6W3MpY="),
    ),
    Question("w2-q14", "choice",
        "In a MobileNet v2 bottleneck block, in what order do the layers come?",
        choices=(
            "1x1 projection, 3x3 depthwise, 1x1 expansion",
            "3x3 convolution, max-pool, 1x1 convolution",
            "1x1 expansion, 3x3 depthwise, 1x1 projection",
            "3x3 depthwise, 1x1 expansion, 1x1 projection",
        ),
        key=("eNo1jUEKwjAQRa/yyUohuCm40KUrjzE2I0mbTkImmhbx7raKuw+P/97LkGjjYk4wF2Nhml+2fa3gOZM4RfWM3pMIR"
             "8XuOO8t7iFWLgqm3v8ZWqgehG7u4DhX34KuxyRPuykEuaSB+6q4UT/CpSbnr7uwBvegiCEF+eWESkkNvOYtmg9rZW"
             "TOiomnVBbE1A7m/QFKs0E3"),
    ),
    # Week 3: Detection algorithms
    Question("w3-q01", "number",
        "Boxes are given by their corners (x1, y1, x2, y2). What is the IoU of box A = {a} and box B = "
        "{b}?",
        params=dict(a=(2, 1, 6, 4), b=(4, 2, 8, 6)),
        form="a number between 0 and 1",
        tol=0.01,
        key=("eNpdjcEKAjEQQ38lzNV1tGWooPgB3vUDig5sL7PSdlkX8d8dr+aU8BLypmxt0UpH7DmkPw2gZVyd0XVUFOtam957m"
             "Qzt6UO8IMwJ2R5YEZllQK6aISd0X8z2q5aGELFBSNhCcEZ0fJlu7gQ7T278/MD0+QJAsSXX"),
    ),
    Question("w3-q02", "choice",
        "By the convention of the lecture, a predicted box counts as a correct localization when its "
        "IoU with the true box is...",
        choices=(
            "at most 0.5",
            "at least 0.5",
            "exactly 1",
            "greater than 0",
        ),
        key=("eNoVi0EKAjEQBL/SzFkWLyqs6MGbD/ABMTuYgM5AZrJRxL+bnLq7qP5SEGtcaAZdaANq6TP6VW84n7CddsgGT4xqN"
             "TwRVVYWzypHBJiXHJ1L9/bQEQfEILgPnRe0xH3omw2vaj6450fqj4l+fyV5J4A="),
    ),
    Question("w3-q03", "number",
        "In classification with localization with {classes} object classes (pedestrian, car, "
        "motorcycle), the target y holds p_c, the box b_x, b_y, b_h, b_w, and one value per class. How "
        "many numbers does y hold?",
        params=dict(classes=3),
        form="a whole number",
        key=("eNqrVkrMKy5PLVKyUrDQUVAqz6gEspQMFTQK4pM1FbQVTBQ0kvIrQCxjBY3knMTi4tRiTQVbBQs9pVoA9BIP8g=="),
    ),
    Question("w3-q04", "choice",
        "For an image with no object (p_c = 0), the squared-error loss of classification with "
        "localization counts...",
        choices=(
            "only (y_hat_1 - y_1)^2, the error in p_c",
            "the squared errors of all eight components",
            "only the errors of the box coordinates",
            "nothing: such images are skipped",
        ),
        key=("eNoVizEKwzAQBL+yXG3yAHd5RUpzkpdIRjkJn8E2IX+P1A3DzFfU/OQuM+QpE+RM9+BXouFI3InssIoaNsZjKIR6Q"
             "W1FLOoO7cmHatnehe4TvMdWbrQljrfRtGTn+pDfH8lhJU4="),
    ),
    Question("w3-q05", "number",
        "A network finds {k} landmarks on a face, each an (x, y) position, and also says whether there "
        "is a face at all. How many output units does it need?",
        params=dict(k=64),
        form="a whole number",
        key=("eNoljEsKwkAQBa/ymE1AREgIgoKHaTIvyeB8pHtMCOLdjbqrRVW9nGRbqe6Ktrsc4dZ529m1GIuiCYY6UwnBKAMbP"
             "OLT0OGAc4+hFPUhS6Xh9s9jsEqPkL8ZTBIRJfskescuU39bLtQNIcnEk3t/AFQ0Kgk="),
    ),
    Question("w3-q06", "number",
        "YOLO runs on a {g}x{g} grid with {a} anchor boxes per cell and {c} classes. How many numbers "
        "does the output hold for each grid cell?",
        params=dict(g=19, a=5, c=20),
        form="a whole number",
        key=("eNoljNsKwyAQRH9l2KdeQmkEHxroY78jWCNsIERxNSaU/nuVwnAYOMN8yKxSXKQBvdIdqPBRO72MZZjVso8I0U2zT"
             "YIw2g7vcW84Grih1N0EdYddjAg2s2QnAzQuOGlcqznj+X8Xj8QOPqeQE2ZB/9hblL7R9weXHClH"),
    ),
    Question("w3-q07", "number",
        "After the low scores are discarded, four car boxes remain, given by their corners (x1, y1, x2,"
        " y2): A = {A}, B = {B}, C = {C} and D = {D}, with scores {scores} in that order. Non-max "
        "suppression discards a box whose IoU with a box already kept is above {threshold}. How many "
        "boxes are kept?",
        params=dict(A=(0, 0, 4, 4), B=(0.5, 0.5, 4.5, 4.5), C=(5, 5, 9, 9), D=(3, 3, 7, 7), scores=(0.9, 0.8, 0.7, 0.6), threshold=0.5),
        form="a whole number",
        key=("eNpNjM0OwiAAg1+l4UxAmPNniwdkFx/AB0BHZJkZy0AXYnx3mRc9tc3X9kXMEGY7kQoFBZldyo4odAG9HWONI/zTT"
             "nczBijMXXQ4+TOEZLIEh9izbYkDVmwjYYYWN29DDY02KwYfEf3j6vJ0gSGalGnzf3lJELwQX66XtOZy92tXUBSaom"
             "Hk/QEZTzIw"),
    ),
    Question("w3-q08", "select",
        "Which steps belong to non-max suppression as the lecture describes it? Select all that apply.",
        choices=(
            "Discard the boxes whose score p_c is at or below a threshold such as 0.6",
            "Pick the remaining box with the largest score and output it",
            "With several classes, run it separately for each class",
            "Discard every remaining box whose IoU with the box just output is 0.5 or more, and repeat",
            "Average the coordinates of overlapping boxes into one box",
        ),
        key=("eNoli00OgiEQQ6/SsCYeQFf+HMELDNKIkQCZIX4S492FuGn6XtqPk2Ib1e3hjqfzxXm4LY2F16S0VHP06IkFykbpj"
             "HngSbYlEWgdob4hJSJqbXh0wy1XI+qLmqWZnyxmCONfDutAgyhROEeQGXJn3LnvD68uMd0="),
    ),
    Question("w3-q09", "choice",
        "When YOLO is trained, which grid cell is responsible for detecting an object?",
        choices=(
            "Every cell the box overlaps",
            "The cell that contains the box's top-left corner",
            "The cell with the highest predicted p_c",
            "The cell that contains the centre (midpoint) of the object's box",
        ),
        key=("eNo1y0EKwkAMRuGr/MxKoXgA13qQdCY2kTEpTWAQ8e6liLv3Ft+nkMXgrVxRbmVCGfI++k5V4POTa0IDFKGLcUM6U"
             "hhujMq9Q7w3tQWagZe21dUSJ7I2YWgKyKr4FtMf/h5DPBghtDIeh9XEzJHnS/nuLt8yUQ=="),
    ),
    Question("w3-q10", "number",
        "The lecture's window classifier takes {window}x{window}x3 crops (5x5 conv, 2x2 max-pool, then "
        "fully connected layers). Rewritten with convolutions only, it runs on a whole {n}x{n}x3 image "
        "in one pass, windows {stride} pixels apart. How many windows does it classify?",
        params=dict(n=28, window=14, stride=2),
        form="a whole number",
        key=("eNoNjMEKwjAQBX/lkZNiVFqKhIIfs5hoAmU3ZFNWEf/d3OYwM19HrJaaW3FbPJzlz0B3mAPOmJYjrphxwoQ7Aqpo6"
             "UVYQZvwC4keGVpiWkGM8A6Qvde9+/GCFY5i6oe7QTO1MgrhhKc0oxZRSfXifn+Cbyg1"),
    ),
    Question("w3-q11", "number",
        "A transposed convolution with a {f}x{f} filter, stride {s} and padding {p} is applied to a "
        "{n}x{n} input. How many rows does its output have?",
        params=dict(n=5, f=3, s=2, p=1),
        form="a whole number",
        key=("eNoljNsKwjAQRH9lyJOXKlh9acGPCe2GBNIk7CZGEf/dFd/mHGbmbWySTmxmTANM9y9NZpdwwmWPAwRHOIWx4I6bi"
             "lHF9SeUpxlkF4+QSqt42NgIUu1WBNUTXIiVWJslPCkKXGPVjJwG2LSigHMXWCYsunect/+fhJXO5vMFH0Au0Q=="),
    ),
    Question("w3-q12", "choice",
        "What does a semantic segmentation network such as U-Net output for an h x w image and k "
        "classes?",
        choices=(
            "A list of bounding boxes with class labels",
            "A 19x19 grid of anchor boxes",
            "An h x w x k volume: class scores for every pixel",
            "One k-way softmax for the whole image",
        ),
        key=("eNodyMENwjAQRNFWRnvhElEAV0qggiUZ2RaObXk3mAjRO4HL09d/ixYb7HKBXGWCjLj/+sawsrh6qgVZ78wGPtl3t"
             "PRinmAVHom6edscD7LZf6RVA0+GyBSiQ8uCkRaPhwe1EDbXTjR2zFnNzvL5Atq8Lmk="),
    ),
    Question("w3-q13", "select",
        "Which statements about U-Net are true? Select all that apply.",
        choices=(
            "The expanding path uses transposed convolutions to increase height and width",
            "The skip connections concatenate activations of the contracting path with the upsampled "
            "ones, along the channels",
            "A final 1x1 convolution maps each pixel's features to the class scores",
            "The skip connections add the two activations element by element, as in ResNet",
            "Height and width stay the same along the contracting path",
        ),
        key=("eNo9jkEOwjAMBL9i5YyQeoUT8AU+YKVWYxGcKE6bAuLvuBFw8GG93lm/HIo2Ku4A7nS+uB24Fh6bugYCn6QW9JVlg"
             "ow1QMC4kEI1T/lJgDLCVFJT8AFFKOqxm7Rms/6xOSvec7RkY5PGFM1JadwalhTnykm002zhsZLYfHtunI2KMKxDP4"
             "eJfz/4iKqke/f+AIGSR6E="),
    ),
    Question("w3-q14", "choice",
        "In the R-CNN family, what does Faster R-CNN change compared with Fast R-CNN?",
        choices=(
            "It no longer refines the bounding boxes",
            "It proposes the regions with a convolutional network instead of a separate segmentation "
            "algorithm",
            "It slides windows over every position and scale",
            "It classifies the proposed regions one at a time",
        ),
        key=("eNpljTEOwkAMBL+ych14ACVIlCn4gYmM7oSxo/PBKUL8nQRCRbVbzOw+iS2aFNqB9tSBWpqWftoc+h6DckS+ZAmMx"
             "UcP1oCb4Dwt0eHIUfHH1iQ3sCqyfejB7eF6r9mNFePMfU0pqzvP+vrw01uuCQyT2rxct/R6A98SOlc="),
    ),
    Question("w3-q15", "choice",
        "What problem do anchor boxes mainly address?",
        choices=(
            "Two objects whose midpoints fall in the same grid cell",
            "Images that contain no object",
            "Slow non-max suppression",
            "Objects larger than the whole image",
        ),
        key=("eNpdjEEKwjAURK8yZKVQPICuPIXr32QglfATkmAo4t396bK74c3M+zrRNljdHe7pFrgR95lfW4/ISnzoe64orPBMy"
             "VjajyKvb6vgRbESVJ8Dw+P8uczTAlEfjbQohVck9gZBF/MVBrZeN9OIBqNjCzTrMa40MA039/sDAic52g=="),
    ),
    # Week 4: Special applications: face recognition and neural style transfer
    Question("w4-q01", "choice",
        "A door scans an employee's badge and checks that the face in front of the camera belongs to "
        "that employee. Which problem is this?",
        choices=(
            "Face recognition, a 1:K search",
            "One-shot classification with a K-way softmax",
            "Neural style transfer",
            "Face verification, a 1:1 comparison",
        ),
        key=("eNoljEEOwjAMBL+y8rniAXDlxpUPRI1JLDV2FAeiCvH3puI22lnNl4L64EZX0J0W0Mj7yc/MWLcghSMksnbpO8SR5"
             "MO6wA2m82GlhiZuin/GIf2GxqsllS5zL2/veIlGjGzTnpFQTBMeqGx14wv9DvDnLow="),
    ),
    Question("w4-q02", "choice",
        "Why not recognise employees with a softmax that has one output per person?",
        choices=(
            "A softmax cannot have more than 100 outputs",
            "Softmax outputs cannot be differentiated",
            "With one photo per person it cannot learn well, and each new employee would need a new "
            "output and retraining; a learned distance d(img1, img2) avoids both",
            "A softmax needs colour images",
        ),
        key=("eNoljEEOAjEMA79i9bzwgL3yAN4QqEsrVskqqVStEH+nwG1sy/NKojHoaUW6pAVp1OPLV+UpqnVsFNemjxW9Eso+z"
             "J//NlBtILdS6NSOOaHInQFxLgiDzMPATg9TmG7HzMwxkdin3dD0583S5SbBc3p/ADYDMrw="),
    ),
    Question("w4-q03", "number",
        "The triplet loss of one triplet is max(d(A, P) - d(A, N) + alpha, 0), with d the squared "
        "distance between encodings. Two triplets have (d(A, P), d(A, N)) = {t1} and {t2}, and alpha = "
        "{alpha}. What is the total loss J, the sum over both triplets?",
        params=dict(t1=(0.5, 0.6), t2=(0.2, 0.9), alpha=0.2),
        form="a number",
        tol=0.001,
        key=("eNqrVkrMKy5PLVKyUjDQM9RRUCrPqASyldwyi4pLFEqKMgtyUktAcqYKukDSTEEbSBop2IJUWysUpybn56VYgYVA0"
             "pZQ6cxihbzU9MSSzLJUHYXifAUDawUviB49pVoACMQd6Q=="),
    ),
    Question("w4-q04", "choice",
        "What is the margin alpha in the triplet loss for?",
        choices=(
            "It is the verification threshold tau",
            "It rules out the trivial solution where all encodings are equal (for example all zero) and"
            " pushes d(A, N) clearly above d(A, P)",
            "It is the learning rate",
            "It scales the encodings to unit length",
        ),
        key=("eNodizsOwjAUBK+ycgVShKhBNFyC+oE3tqX4Iz+TEBB3J7gbzex+jCRdWM0J5moGmMWvf76F5vOzQabiZcC4e+1xw"
             "RFjruDMuiJEcYQLMxVv1owpq57RPBGlupBgGSVZhcBJwZ1tIVMflKyhbU9svYtEJ13YoE3Sgwfz/QGACTUW"),
    ),
    Question("w4-q05", "select",
        "Which statements about training a face encoder with the triplet loss are true? Select all that"
        " apply.",
        choices=(
            "The network must be retrained each time a person joins the database",
            "Once trained, adding a new person needs only one picture of them in the database",
            "'Hard' triplets, with d(A, P) close to d(A, N), teach more than random ones",
            "The training set needs several pictures of (at least some of) the same persons, to form "
            "anchor-positive pairs",
            "Random triplets are the best choice because they are the hardest",
        ),
        key=("eNoljUsOAjEMQ69idY04ALPic5Gqk6GVpknVBKoKcXcCLG0/268QWQf1cEK4XG/hgDDy/KozpywdkVc00WLlSagPN"
             "WiWAcsEjZXQqKvwgu6gVFgvbSdTxO64qO0TFHUuiJtR9zwWLnz/DRAnWd1MUpvzXuIJpoEtJsIoliHsPyad1j/t1W"
             "N4fwCKnkDR"),
    ),
    Question("w4-q06", "number",
        "Style is measured at a layer whose activation for one image has shape (1, {h}, {w}, {c}). What"
        " is the shape of its Gram (style) matrix?",
        params=dict(h=14, w=14, c=256),
        form="a tuple (rows, columns)",
        key=("eNo1zbEKwjAURuFX+cmkEoRKdSg4OfgCbqVIqBcSMPeWm2haxHc3iC5n+JbzMo5TITUd+t3+YFEzWJjil0rm4glnd"
             "RHRZQ0zRomTU0qgJ+mC0TtmuqOE7H8k2ZNCmCzSI0a6QaqjKpp207SYJIUchFMHvp4wf3vE6n9fb837A2jGL9U="),
    ),
    Question("w4-q07", "number",
        "A layer with 2 channels at 3 positions is unrolled into A = {A} (one row per channel). Its "
        "Gram matrix is G = A A^T. What is G[0][1]?",
        params=dict(A=((1, 3, 0), (2, 1, -1))),
        form="a number",
        key=("eNpFjM0KwjAQhF9lyEnrD4nSS8WzD1F6CLJtFtpENluDiO9u8OJlmPmGmbfxMRcS06Hdw5Twqs7cejv0bkBel4x78"
             "DHSDAvlhf7ZIT1JoIHwSJmVU8wdXHPCDufGVbXN5uC2uKK9gBWcMXuZCCVQ/O20JIzkdZX6O7JUkiaqjRzN5wueAT"
             "ED"),
    ),
    Question("w4-q08", "number",
        "The content cost is J = 1 / (4 n_H n_W n_C) * sum((a(C) - a(G))^2). The content layer's "
        "activations are {h}x{w}x{c}, and a(G) differs from a(C) by exactly {d} at every entry. What is"
        " J?",
        params=dict(h=4, w=4, c=8, d=0.5),
        form="a number",
        tol=0.001,
        key=("eNqrVkrMKy5PLVKyUjDQMzAzMtVRUCrPqARylVwTkzMUigtLE4tSUxRSMtPSUotS85JTFTKLgUpBCovzFUoyUhWKS"
             "3NBYiZaJloWClpgOQVbBWMjhcS8FAUvCFNfQcMEKGdoZKEJFIDYpKdUCwD6TiD9"),
    ),
    Question("w4-q09", "number",
        "With alpha = {alpha}, beta = {beta}, J_content = {J_content} and J_style = {J_style}, what is "
        "the total cost J(G) = alpha * J_content + beta * J_style?",
        params=dict(alpha=10, beta=40, J_content=0.5, J_style=0.02),
        form="a number",
        tol=0.001,
        key=("eNqrVkrMKy5PLVKyUjDVs9BRUCrPqASylQwNFLQUDPRMFbQVTCBMAyMFWwUQ30DPAsTSs9BTqgUA4ywNmA=="),
    ),
    Question("w4-q10", "choice",
        "In neural style transfer, what does gradient descent change?",
        choices=(
            "The pixels of the generated image G",
            "The weights alpha and beta",
            "The style image S",
            "The weights of the pretrained network",
        ),
        key=("eNodyUEOgkAMBdCr/HQlifEAumI1iWsvMIESGqE102FGNN5dYPeS96WoXjnRFdTSGVTHdfdjZCjnaukJz3F1DMk+r"
             "DfkbTrzjPspNBDHLCqzOPewwun4l7x5QonTwg4bEC70+wNBfCOQ"),
    ),
    Question("w4-q11", "choice",
        "Which layer should the content cost compare?",
        choices=(
            "Any layer: the choice makes no difference",
            "The final softmax layer",
            "The input layer",
            "A layer in the middle of the network: not so shallow that it compares pixels, not so deep "
            "that it keeps only which objects are there",
        ),
        key=("eNodil0KwyAQBq/ysc8lB8hbodBzSFzjUuOKbrBSevf8vM0w8yOXW+dKM+hFD1CP4+InNvE+MZIbXPFhLg0Wb9fdo"
             "OG2RbNxNsjmVkYXi1cMWhfJK94wPZcyINZQ5MupTfQ/AMnEKAE="),
    ),
    Question("w4-q12", "number",
        "A {n}x{n}x{n} volume with one channel (a CT scan, say) is convolved with {k} filters of size "
        "{f}x{f}x{f}, stride 1, no padding. What is the output shape (n_1, n_2, n_3, n_C)?",
        params=dict(n=20, k=8, f=3),
        form="a tuple (n_1, n_2, n_3, n_C)",
        key=("eNpVjbEKwkAQRH9l2EoxitHmCFjmK8RiiRv38NjI7WEU8d+NAQuLV8zAm3kRm4+SqcGxDhV+hFMFGvU59dRypxh6F"
             "JWJLAK/cYmcwA9xuOZoV0cZsNtijT1WqHGYZ9jOsxbQx1QkOy7x/o2dspkkb7D4u11u6P0Blksqcw=="),
    ),
    Question("w4-q13", "number",
        "A 1D signal of length {n} with one channel (an ECG) goes through a Conv1D with {k1} filters of"
        " width {f1}, then a Conv1D with {k2} filters of width {f2}. How many parameters does the "
        "second layer have?",
        params=dict(n=100, k1=8, f1=5, k2=16, f2=5),
        form="a whole number",
        key=("eNotjdEKwjAQBH9luUctQsCEUvDRDznTKzmIqfQCoRT/3Si+LcMycxAXa7LRhODDAGpp75vuHBMWzVU2rAtqEpjEt"
             "czIvHemBo+ms4A7s1e3/E4jYuJSJNsEfxpxhsND2XDD1Q2o+hSDC3/1F/fshd4fgo0p8w=="),
    ),
    Question("w4-q14", "select",
        "Looking at the image patches that excite units of a trained ConvNet the most, which statements"
        " hold? Select all that apply.",
        choices=(
            "First-layer units see the whole image",
            "Deeper units see a larger part of the image and respond to more complex patterns: "
            "textures, object parts, whole objects",
            "Units in the first layer respond to simple features such as an edge of one orientation or "
            "a colour",
            "Units of every layer respond to whole objects",
        ),
        key=("eNolykEOgkAQRNGrVGbjhngAlxoP0g7FgEGadDciId7dUTeVvPzak0y+0tIJ6XxJDdLab19cJfcYZaMdHMbMOYYn0"
             "Q0cWwxekxUaopepDqs9Griio8RidBTTFZ3pA2xLtUwtso66mCMUwdfv12AWi3/W2505/JjeH0wJNQw="),
    ),
    Question("w4-q15", "choice",
        "To learn face verification as a binary classification, a Siamese network feeds a logistic unit"
        " with...",
        choices=(
            "the two raw images side by side",
            "the sum of the two encodings' lengths",
            "the element-wise differences |f(x_i)_k - f(x_j)_k| of the two encodings, weighted and "
            "summed over k",
            "the triplet loss of the pair",
        ),
        key=("eNoVxk0OwiAQBtCrfJlVG38OoHHlQcgA0xYNgxEqNrZ3ly5e8n7Emqu86QK60xFUp2X/YiYuuCGHMabguzxH80Rt1"
             "qH7mtC3nbD30briANtf4bmw5SwQdckHHTMcK6zApfiai3gkdYKgYP/h1jNtf9KaK1g="),
    ),
]}
