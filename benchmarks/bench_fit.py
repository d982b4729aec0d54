"""Time skmlp's fit against scikit-learn, PyTorch and a GEMM-only floor.

Run from the repository root::

    python benchmarks/bench_fit.py            # full run (10 epochs x 7 repeats)
    python benchmarks/bench_fit.py --quick    # 3 epochs x 2 repeats
    python benchmarks/bench_fit.py --epochs 5 --repeats 3 --markdown out.md
    python benchmarks/bench_fit.py --threads 1 2   # 1 thread, then 2 (default)

skmlp runs in both precisions and on both paths of :mod:`skmlp._kernels`
(``skmlp-f32`` the compiled kernels, ``skmlp-f32-numpy`` the NumPy-only
path; likewise ``f64``), each against ``MLPClassifier`` in the same
precision and the matrix-product-only bound of the same precision
(``bound-f32``, ``bound-f64``), and in float32 against PyTorch eager.  The
whole comparison runs once per thread count: BLAS (threadpoolctl), torch
and numba all get that many threads.

Every contender trains the same network on the same data with the same
configuration (Adam, lr 1e-3, batch 200, alpha 1e-4, shuffling on, same
``random_state``) for exactly ``--epochs`` epochs (``tol=0`` and a huge
``n_iter_no_change``).  The contenders run alternately (A B C ... A B C ...,
the order rotated every repeat) so that a drift of the machine's speed hits
them all alike; ratios are the median over repeats of the *paired* ratio
(the two runs of the same repeat), times are medians over repeats.

See ``benchmarks/README.md`` for what each column means.
"""

import argparse
import contextlib
import datetime
import gc
import json
import multiprocessing
import os
import platform
import re
import statistics
import sys
import time
import tracemalloc
import warnings
from itertools import pairwise
from pathlib import Path

import numpy as np
import threadpoolctl

REPO = Path(__file__).resolve().parents[1]
# SKMLP_BENCH_PATH=/some/checkout times another copy of skmlp (e.g. a
# patched one) with the same script; the default is this repository.
sys.path.insert(0, os.environ.get("SKMLP_BENCH_PATH", str(REPO)))

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

from skmlp import NumpyMLPClassifier  # noqa: E402
from skmlp._network import glorot_uniform  # noqa: E402

try:  # a copy of skmlp from before the compiled kernels has no switch
    from skmlp import _kernels  # noqa: E402
except ImportError:
    _kernels = None

DATA = REPO.parent / "shared" / "data" / "mnist-10k.csv.gz"
N_TRAIN, N_TEST = 8000, 2000
BATCH = 200
ALPHA = 1e-4
LR, BETA_1, BETA_2, EPS = 1e-3, 0.9, 0.999, 1e-8
SEED = 0
NETWORKS = {"784-256-128-10": (256, 128), "784-25-15-10": (25, 15)}
# Issue 13's targets for the compiled path, per network and precision:
# skmlp / bound at most, MLPClassifier (same precision) / skmlp and
# torch / skmlp at least.  Accuracy: at most 0.15 points below
# MLPClassifier in the same precision.
TARGETS = {
    ("784-256-128-10", "f32"): {"bound": 1.3, "sklearn": 2.3, "torch": 2.2},
    ("784-256-128-10", "f64"): {"bound": 1.4, "sklearn": 1.8},
    ("784-25-15-10", "f32"): {"bound": 1.6, "sklearn": 3.0, "torch": 4.0},
    ("784-25-15-10", "f64"): {"bound": 1.8, "sklearn": 3.0},
}
ACCURACY_GAP = 0.15


# ------------------------------------------------------------------ data
def load_data():
    """MNIST 8,000 train / 2,000 test rows, or synthetic data of that shape."""
    if DATA.exists():
        try:
            import pandas as pd

            raw = pd.read_csv(DATA).to_numpy(dtype=np.float64)
        except ImportError:
            raw = np.loadtxt(DATA, delimiter=",", skiprows=1)
        y = raw[:, 0].astype(np.int64)
        X = raw[:, 1:] / 255.0
        source = f"MNIST ({DATA.name}, first {N_TRAIN} rows train, last {N_TEST} test)"
        return X[:N_TRAIN], y[:N_TRAIN], X[-N_TEST:], y[-N_TEST:], source
    # Synthetic: 10 Gaussian blobs in [0, 1]^784, learnable but not trivial.
    rng = np.random.RandomState(SEED)
    centers = rng.rand(10, 784)
    y = rng.randint(0, 10, N_TRAIN + N_TEST)
    X = np.clip(centers[y] + 0.35 * rng.randn(len(y), 784), 0, 1)
    source = f"synthetic ({DATA} not found): 10 Gaussian blobs, 784 features"
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:], source


# --------------------------------------------------------------- runners
def _mlp_kwargs(hidden, epochs):
    return dict(
        hidden_layer_sizes=hidden,
        solver="adam",
        batch_size=BATCH,
        alpha=ALPHA,
        learning_rate_init=LR,
        beta_1=BETA_1,
        beta_2=BETA_2,
        epsilon=EPS,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=10**9,
        shuffle=True,
        random_state=SEED,
    )


def run_skmlp(dtype, backend):
    """skmlp in ``dtype`` (passed explicitly) on one backend of _kernels."""

    def run(hidden, epochs, data):
        X = data["X32"] if dtype == np.float32 else data["X64"]
        model = NumpyMLPClassifier(dtype=dtype, **_mlp_kwargs(hidden, epochs))
        with _kernels.use(backend) if _kernels else contextlib.nullcontext():
            start = time.perf_counter()
            model.fit(X, data["y"])
            return time.perf_counter() - start, model

    return run


def run_sklearn(dtype):
    def run(hidden, epochs, data):
        X = data["X32"] if dtype == np.float32 else data["X64"]
        model = MLPClassifier(**_mlp_kwargs(hidden, epochs))
        start = time.perf_counter()
        model.fit(X, data["y"])
        return time.perf_counter() - start, model

    return run


class TorchModel:
    """The fitted torch network, with ``score`` like an estimator."""

    def __init__(self, net, torch):
        self.net, self.torch = net, torch

    def score(self, X, y):
        with self.torch.no_grad():
            logits = self.net(self.torch.from_numpy(np.ascontiguousarray(X)))
        return float((logits.argmax(1).numpy() == y).mean())

    def predict_proba(self, X):
        with self.torch.no_grad():
            logits = self.net(self.torch.from_numpy(X))
            return self.torch.softmax(logits, 1).numpy()


def run_torch(hidden, epochs, data):
    """PyTorch eager on the CPU: Linear/ReLU, Adam, one shuffle per epoch.

    Starts from the same Glorot-uniform weights as the others and applies
    scikit-learn's L2 exactly: its gradient adds ``alpha * W / batch_size``
    to the weights only, which is Adam's ``weight_decay=alpha / batch_size``
    on a parameter group holding the weights.
    """
    import torch
    from torch import nn

    X, y = data["X32"], data["y"]
    units = [X.shape[1], *hidden, 10]
    torch.manual_seed(SEED)
    start = time.perf_counter()
    init = glorot_uniform(units, "relu", np.random.RandomState(SEED), np.float32)
    layers = []
    for fan_in, fan_out in pairwise(units):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    net = nn.Sequential(*layers[:-1])
    linears = [m for m in net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for lin, W, b in zip(linears, init.coefs, init.intercepts):
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b.copy()))
    optimizer = torch.optim.Adam(
        [
            {"params": [m.weight for m in linears], "weight_decay": ALPHA / BATCH},
            {"params": [m.bias for m in linears], "weight_decay": 0.0},
        ],
        lr=LR,
        betas=(BETA_1, BETA_2),
        eps=EPS,
    )
    loss_fn = nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    n = X.shape[0]
    generator = torch.Generator().manual_seed(SEED)
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        accumulated = 0.0
        for s in range(0, n, BATCH):
            rows = order[s : s + BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net(X_t[rows]), y_t[rows])
            loss.backward()
            optimizer.step()
            # Like the others, the epoch's loss is accumulated for reporting.
            accumulated += loss.item() * len(rows)
    return time.perf_counter() - start, TorchModel(net, torch)


def run_bound(dtype):
    return lambda hidden, epochs, data: _bound(hidden, epochs, data, dtype)


def _bound(hidden, epochs, data, dtype):
    """Only the matrix products of an epoch in ``dtype``, preallocated outputs.

    Per batch: ``A_l @ W_l`` for every layer, then ``A_l.T @ delta_{l+1}``
    for every layer and ``delta_{l+1} @ W_l.T`` for every layer but the
    first: exactly the GEMMs of a forward and backward pass, on batches
    that are contiguous slices of a copy shuffled before the clock starts
    (no gather, no elementwise work).
    """
    X = data["X32"] if dtype == np.float32 else data["X64"]
    units = [X.shape[1], *hidden, 10]
    params = glorot_uniform(units, "relu", np.random.RandomState(SEED), dtype)
    W = params.coefs
    acts = [np.empty((BATCH, u), dtype) for u in units[1:]]
    deltas = [np.empty((BATCH, u), dtype) for u in units[1:]]
    grads = [np.empty_like(w) for w in W]
    n = X.shape[0]
    # Shuffled once, outside the clock: the row order does not change the
    # cost of a product, and the floor should hold nothing but products.
    Xs = X[np.random.RandomState(SEED).permutation(n)]
    start = time.perf_counter()
    last = len(W) - 1
    for _ in range(epochs):
        for s in range(0, n - BATCH + 1, BATCH):
            A = Xs[s : s + BATCH]
            inputs = [A]
            for l in range(len(W)):
                np.matmul(inputs[l], W[l], out=acts[l])
                inputs.append(acts[l])
            deltas[last][...] = acts[last]
            for l in range(last, -1, -1):
                np.matmul(inputs[l].T, deltas[l], out=grads[l])
                if l > 0:
                    np.matmul(deltas[l], W[l].T, out=deltas[l - 1])
    return time.perf_counter() - start, None


RUNNERS = {
    "skmlp-f32": run_skmlp(np.float32, "numba"),
    "skmlp-f32-numpy": run_skmlp(np.float32, "numpy"),
    "sklearn-f32": run_sklearn(np.float32),
    "torch": run_torch,
    "bound-f32": run_bound(np.float32),
    "skmlp-f64": run_skmlp(np.float64, "numba"),
    "skmlp-f64-numpy": run_skmlp(np.float64, "numpy"),
    "sklearn-f64": run_sklearn(np.float64),
    "bound-f64": run_bound(np.float64),
}
NUMPY_RUNNERS = [n for n in RUNNERS if n != "torch"]


# ---------------------------------------------------------------- memory
def _rss_kib():
    status = Path("/proc/self/status").read_text()
    return {
        k: int(re.search(k + r":\s+(\d+)", status).group(1)) for k in ("VmRSS", "VmHWM")
    }


def _rss_child(name, hidden, epochs, data, threads, conn):
    """In a fresh process: peak RSS growth (MiB) during one fit."""
    warnings.simplefilter("ignore", ConvergenceWarning)
    _set_torch_threads(threads, name)
    gc.collect()
    try:  # reset the high-water mark (Linux >= 4.0)
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    before = _rss_kib()
    RUNNERS[name](hidden, epochs, data)
    after = _rss_kib()
    conn.send((after["VmHWM"] - before["VmRSS"]) / 1024)
    conn.close()


def rss_peak_mib(name, hidden, epochs, data, threads):
    """Peak RSS growth of one fit, measured in a spawned subprocess."""
    if not Path("/proc/self/status").exists():
        return None
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_rss_child, args=(name, hidden, epochs, data, threads, child)
    )
    proc.start()
    child.close()
    value = parent.recv() if parent.poll(600) else None
    proc.join()
    return value


def tracemalloc_peak_mib(func):
    gc.collect()
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------- helpers
def _set_torch_threads(threads, name="torch"):
    if name == "torch":
        import torch

        torch.set_num_threads(threads)


def _set_numba_threads(threads):
    """numba's parallel kernels (SKMLP_KERNELS=numba-parallel) get as many."""
    try:
        import numba
    except ImportError:
        return None
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    return numba.__version__


def have_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def machine_info():
    cpu = "unknown"
    if Path("/proc/cpuinfo").exists():
        match = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
        cpu = match.group(1).strip() if match else cpu
    blas = [
        {
            k: info.get(k)
            for k in (
                "internal_api",
                "version",
                "architecture",
                "num_threads",
                "filepath",
            )
        }
        for info in threadpoolctl.threadpool_info()
    ]
    import scipy
    import sklearn

    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "kernels": None if _kernels is None else _kernels.backend(),
        "blas": blas,
        "env": {
            k: os.environ.get(k)
            for k in (
                "OPENBLAS_CORETYPE",
                "OPENBLAS_L2_SIZE",
                "OPENBLAS_NUM_THREADS",
                "OMP_NUM_THREADS",
            )
        },
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "skmlp": str(Path(sys.modules["skmlp"].__file__).parent),
    }
    if have_torch():
        import torch

        info["torch"] = torch.__version__
    return info


def median_call_ms(func, calls):
    times = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        func()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1e6


# ------------------------------------------------------------ benchmark
def _reference(name, names):
    """The skmlp contender a runner's ratio is taken to: same precision,
    compiled path when it runs (torch: float32)."""
    precision = "f64" if name.endswith(("f64", "f64-numpy")) else "f32"
    compiled = f"skmlp-{precision}"
    return compiled if compiled in names else f"skmlp-{precision}-numpy"


def bench_network(label, hidden, data, names, epochs, repeats, threads, memory):
    print(f"\n=== {label}: {epochs} epochs x {repeats} repeats ===", flush=True)
    # Warm-up: imports, first-call costs, caches.
    for name in names:
        RUNNERS[name](hidden, 1, data)
    times = {name: [] for name in names}
    models = {}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            gc.collect()
            seconds, model = RUNNERS[name](hidden, epochs, data)
            times[name].append(seconds / epochs * 1000)
            models[name] = model
        print(
            f"  repeat {r + 1}/{repeats}: "
            + ", ".join(f"{n} {times[n][-1]:.1f}" for n in names)
            + " ms/epoch",
            flush=True,
        )

    result = {"hidden": hidden, "epochs": epochs, "repeats": repeats, "runners": {}}
    for name in names:
        base = times[_reference(name, names)]
        row = {
            "ms_epoch": statistics.median(times[name]),
            "ms_epoch_min": min(times[name]),
            "ms_epoch_all": times[name],
            "ratio": statistics.median(t / b for t, b in zip(times[name], base)),
        }
        model = models[name]
        if model is not None:
            X_test = data["Xt64" if name.endswith("f64") else "Xt32"]
            row["accuracy"] = model.score(X_test, data["yt"])
        result["runners"][name] = row

    if memory:
        for name in names:
            row = result["runners"][name]
            if name in NUMPY_RUNNERS:
                row["tracemalloc_mib"] = tracemalloc_peak_mib(
                    lambda name=name: RUNNERS[name](hidden, 2, data)
                )
            row["rss_mib"] = rss_peak_mib(name, hidden, 2, data, threads)

    result["predict"] = bench_predict(models, data)
    return result


def bench_predict(models, data):
    """predict_proba on one row (median of many calls); predict on 100k rows."""
    out = {}
    big = {
        np.float32: np.resize(data["Xt32"], (100_000, data["Xt32"].shape[1])),
        np.float64: np.resize(data["Xt64"], (100_000, data["Xt64"].shape[1])),
    }
    kinds = {
        "skmlp-f32": np.float32,
        "skmlp-f64": np.float64,
        "sklearn-f64": np.float64,
        "sklearn-f32": np.float32,
    }
    present = {name: models[name] for name in kinds if name in models}
    # One row first, the contenders interleaved call by call: timed one
    # after the other (and after the 100k-row predicts), whichever came last
    # was up to 2x slower on a shared machine, whatever its code.
    one_row = {name: [] for name in present}
    rows = {name: big[kinds[name]][:1] for name in present}
    for name, model in present.items():
        model.predict_proba(rows[name])
    for _ in range(2000):
        for name, model in present.items():
            start = time.perf_counter_ns()
            model.predict_proba(rows[name])
            one_row[name].append(time.perf_counter_ns() - start)
    for name, model in present.items():
        X = big[kinds[name]]
        one = statistics.median(one_row[name]) / 1e6
        model.predict(X)
        many = statistics.median(
            median_call_ms(lambda m=model, X=X: m.predict(X), 1) for _ in range(5)
        )
        peak = tracemalloc_peak_mib(lambda m=model, X=X: m.predict(X))
        out[name] = {
            "proba_1row_ms": one,
            "predict_100k_ms": many,
            "predict_100k_peak_mib": peak,
        }
    return out


# --------------------------------------------------------------- report
def _fmt(value, spec):
    return "n/a" if value is None else format(value, spec)


def _row(*cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _paired(runners, num, den):
    """Median over repeats of time(num) / time(den) in the same repeat."""
    pairs = zip(runners[num]["ms_epoch_all"], runners[den]["ms_epoch_all"])
    return statistics.median(a / b for a, b in pairs)


def _targets(label, runners):
    """(text, measured, goal, met) rows: issue 13's table for the compiled
    path; the NumPy path's same ratios with met None (no target)."""
    rows = []
    for prec in ("f32", "f64"):
        goals = TARGETS.get((label, prec), {})
        for me in (f"skmlp-{prec}", f"skmlp-{prec}-numpy"):
            if me not in runners:
                continue
            judged = not me.endswith("numpy")
            for peer, goal in goals.items():
                other = {"bound": f"bound-{prec}", "torch": "torch"}.get(
                    peer, f"sklearn-{prec}"
                )
                if other not in runners:
                    continue
                if peer == "bound":
                    value = _paired(runners, me, other)
                    rows.append(
                        (
                            f"{me} / {other}",
                            value,
                            f"<= {goal}",
                            judged and value <= goal,
                        )
                    )
                else:
                    value = _paired(runners, other, me)
                    rows.append(
                        (
                            f"{other} / {me}",
                            value,
                            f">= {goal}",
                            judged and value >= goal,
                        )
                    )
                if not judged:
                    rows[-1] = (*rows[-1][:3], None)
            peer = f"sklearn-{prec}"
            if "accuracy" in runners[me] and "accuracy" in runners.get(peer, {}):
                gap = 100 * (runners[me]["accuracy"] - runners[peer]["accuracy"])
                ok = gap >= -ACCURACY_GAP if judged else None
                rows.append(
                    (f"accuracy {me} - {peer} (points)", gap, f">= -{ACCURACY_GAP}", ok)
                )
        if {f"skmlp-{prec}", f"skmlp-{prec}-numpy"} <= set(runners):
            value = _paired(runners, f"skmlp-{prec}-numpy", f"skmlp-{prec}")
            rows.append((f"skmlp-{prec}-numpy / skmlp-{prec}", value, "-", None))
    return rows


def report(by_threads, info, data_source, names):
    """The results as Markdown tables, and one line per target."""
    lines, met_lines = [], []
    add = lines.append
    add(f"Data: {data_source}.")
    add(
        f"Configuration: solver adam (lr {LR}, betas {BETA_1}/{BETA_2}, eps {EPS}), "
        f"batch {BATCH}, alpha {ALPHA}, shuffle on, random_state {SEED}, "
        "tol=0 and n_iter_no_change=1e9 so every run does exactly the epochs asked."
    )
    for threads, results in by_threads.items():
        add("")
        add(f"## {threads} thread(s): BLAS, torch and numba")
        _report_threads(results, threads, names, add, met_lines)
    _report_machine(info, add)
    return "\n".join(lines), met_lines


def _report_threads(results, threads, names, add, met_lines):
    for label, res in results.items():
        runners = res["runners"]
        add(f"### {label} ({res['epochs']} epochs x {res['repeats']} repeats)")
        add("")
        add(
            _row(
                "contender",
                "ms/epoch (median)",
                "ms/epoch (min)",
                "ratio to skmlp, same precision",
                "test accuracy %",
                "tracemalloc peak MiB",
                "RSS peak MiB",
            )
        )
        add("|---|---:|---:|---:|---:|---:|---:|")
        for name in names:
            row = runners[name]
            acc = row.get("accuracy")
            add(
                _row(
                    name,
                    f"{row['ms_epoch']:.1f}",
                    f"{row['ms_epoch_min']:.1f}",
                    f"{row['ratio']:.2f}",
                    _fmt(None if acc is None else 100 * acc, ".2f"),
                    _fmt(row.get("tracemalloc_mib"), ".1f"),
                    _fmt(row.get("rss_mib"), ".1f"),
                )
            )
        add("")
        add(_row("target", "measured", "goal", "met"))
        add("|---|---:|---:|---|")
        for text, value, goal, ok in _targets(label, runners):
            add(
                _row(
                    text, f"{value:.2f}", goal, {True: "yes", False: "NO"}.get(ok, "-")
                )
            )
            if ok is not None:
                met_lines.append(
                    f"{label} ({threads} thread(s)): {text} = {value:.2f} "
                    f"({'met' if ok else 'MISSED'})"
                )
        add("")
        if res["predict"]:
            add(
                _row(
                    "predict",
                    "predict_proba, 1 row (ms, median of 2000 calls)",
                    "predict, 100k rows (ms)",
                    "predict, 100k rows: tracemalloc peak MiB",
                )
            )
            add("|---|---:|---:|---:|")
            for name, row in res["predict"].items():
                add(
                    _row(
                        name,
                        f"{row['proba_1row_ms']:.3f}",
                        f"{row['predict_100k_ms']:.0f}",
                        f"{row['predict_100k_peak_mib']:.1f}",
                    )
                )
            add("")


def _report_machine(info, add):
    versions = ", ".join(
        f"{k} {info[k]}"
        for k in ("python", "numpy", "scipy", "sklearn", "torch", "numba")
        if k in info
    )
    add(f"Machine: {info['cpu']}, {info['cores']} cores; {versions}.")
    for b in info["blas"]:
        add(
            f"Thread pool: {b['internal_api']} {b['version'] or ''} "
            f"kernel {b['architecture']}, {b['num_threads']} threads "
            f"({Path(b['filepath']).name})."
        )
    add("Environment: " + ", ".join(f"{k}={v}" for k, v in info["env"].items()) + ".")
    load = {
        k: ", ".join(f"{x:.2f}" for x in info["loadavg"][k]) for k in ("start", "end")
    }
    add(
        f"Load average (1, 5, 15 min) at start {load['start']}, at end {load['end']} "
        "(other processes on the machine: above ~0.5 per core, timings are disturbed)."
    )
    add(
        f"Date: {info['date']}. Command: `{info['command']}` "
        f"(skmlp imported from {info['skmlp']}, kernels {info['kernels']})."
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="3 epochs x 2 repeats, no memory runs"
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs per fit (default 10)"
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="alternated repeats (default 7)"
    )
    parser.add_argument(
        "--networks", nargs="+", choices=list(NETWORKS), default=list(NETWORKS)
    )
    parser.add_argument(
        "--runners", nargs="+", choices=list(RUNNERS), default=list(RUNNERS)
    )
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=[1, os.cpu_count()],
        help="thread counts to run the comparison at, in turn (default: 1 and "
        "the core count); each sets BLAS (threadpoolctl), torch and numba",
    )
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the peak-memory runs"
    )
    parser.add_argument(
        "--markdown", type=Path, help="also write the tables to this file"
    )
    parser.add_argument(
        "--json", type=Path, help="also write the raw numbers to this file"
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    epochs = args.epochs or (3 if args.quick else 10)
    repeats = args.repeats or (2 if args.quick else 7)
    memory = not (args.no_memory or args.quick)

    warnings.simplefilter("ignore", ConvergenceWarning)
    names = [n for n in args.runners if n != "torch" or have_torch()]
    if "torch" in args.runners and "torch" not in names:
        print("torch is not importable: skipping the PyTorch contender")
    if _kernels is None or _kernels.backend() == "numpy":
        print("numba kernels unavailable (or SKMLP_KERNELS=numpy): NumPy path only")
        names = [n for n in names if n not in ("skmlp-f32", "skmlp-f64")]
    info = machine_info()
    info["numba"] = _set_numba_threads(os.cpu_count())
    print(json.dumps(info["blas"]))

    X, y, Xt, yt, source = load_data()
    data = {
        "X64": np.ascontiguousarray(X, dtype=np.float64),
        "X32": np.ascontiguousarray(X, dtype=np.float32),
        "Xt64": np.ascontiguousarray(Xt, dtype=np.float64),
        "Xt32": np.ascontiguousarray(Xt, dtype=np.float32),
        "y": y,
        "yt": yt,
    }
    print(source)
    load_before = os.getloadavg()
    results = {}
    for threads in args.threads:
        with threadpoolctl.threadpool_limits(threads):
            _set_torch_threads(threads, "torch" if "torch" in names else None)
            _set_numba_threads(threads)
            print(f"\n##### {threads} thread(s) #####")
            results[threads] = {
                label: bench_network(
                    label,
                    NETWORKS[label],
                    data,
                    names,
                    epochs,
                    repeats,
                    threads,
                    memory and threads == args.threads[0],
                )
                for label in args.networks
            }
    info["loadavg"] = {"start": load_before, "end": os.getloadavg()}
    text, met = report(results, info, source, names)
    print("\n" + text + "\n")
    print("\n".join(met))
    if args.markdown:
        args.markdown.write_text(text + "\n")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"machine": info, "data": source, "results": results},
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
