"""Time skmlp's fit against scikit-learn, PyTorch and a GEMM-only floor.

Run from the repository root::

    python benchmarks/bench_fit.py            # full run (10 epochs x 7 repeats)
    python benchmarks/bench_fit.py --quick    # 3 epochs x 2 repeats
    python benchmarks/bench_fit.py --epochs 5 --repeats 3 --markdown out.md

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

DATA = REPO.parent / "shared" / "data" / "mnist-10k.csv.gz"
N_TRAIN, N_TEST = 8000, 2000
BATCH = 200
ALPHA = 1e-4
LR, BETA_1, BETA_2, EPS = 1e-3, 0.9, 0.999, 1e-8
SEED = 0
NETWORKS = {"784-256-128-10": (256, 128), "784-25-15-10": (25, 15)}
PEERS = ["skmlp-f64", "sklearn-f64", "sklearn-f32", "torch"]

# (peer / skmlp-f32 at least, skmlp-f32 / bound at most) per network.
TARGETS = {
    "784-256-128-10": {
        "bound": 1.3,
        "sklearn-f32": 2.2,
        "sklearn-f64": 3.0,
        "torch": 1.3,
    },
    "784-25-15-10": {
        "bound": 2.0,
        "sklearn-f32": 3.0,
        "sklearn-f64": 3.0,
        "torch": 3.0,
    },
}


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


def run_skmlp(dtype):
    def run(hidden, epochs, data):
        X = data["X32"] if dtype == np.float32 else data["X64"]
        model = NumpyMLPClassifier(dtype=dtype, **_mlp_kwargs(hidden, epochs))
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


def run_bound(hidden, epochs, data):
    """Only the matrix products of an epoch, float32, preallocated outputs.

    Per batch: ``A_l @ W_l`` for every layer, then ``A_l.T @ delta_{l+1}``
    for every layer and ``delta_{l+1} @ W_l.T`` for every layer but the
    first: exactly the GEMMs of a forward and backward pass, on batches
    that are contiguous slices of a copy shuffled before the clock starts
    (no gather, no elementwise work).
    """
    X = data["X32"]
    units = [X.shape[1], *hidden, 10]
    params = glorot_uniform(units, "relu", np.random.RandomState(SEED), np.float32)
    W = params.coefs
    acts = [np.empty((BATCH, u), np.float32) for u in units[1:]]
    deltas = [np.empty((BATCH, u), np.float32) for u in units[1:]]
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
    "skmlp-f32": run_skmlp(np.float32),
    "skmlp-f64": run_skmlp(np.float64),
    "sklearn-f64": run_sklearn(np.float64),
    "sklearn-f32": run_sklearn(np.float32),
    "torch": run_torch,
    "bound": run_bound,
}
NUMPY_RUNNERS = ("skmlp-f32", "skmlp-f64", "sklearn-f64", "sklearn-f32", "bound")


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
def blas_threads():
    for info in threadpoolctl.threadpool_info():
        if info["user_api"] == "blas" and "numpy" in info["filepath"]:
            return info["num_threads"]
    return os.cpu_count()


def _set_torch_threads(threads, name="torch"):
    if name == "torch":
        import torch

        torch.set_num_threads(threads)


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
    base = times["skmlp-f32"]
    for name in names:
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


def _targets(label, runners):
    """(text, measured, goal, met) for each target of this network."""
    rows = []
    for peer, goal in TARGETS.get(label, {}).items():
        if peer not in runners:
            continue
        if peer == "bound":
            value = 1 / runners["bound"]["ratio"]
            rows.append(("skmlp-f32 / bound", value, f"<= {goal}", value <= goal))
        else:
            value = runners[peer]["ratio"]
            rows.append((f"{peer} / skmlp-f32", value, f">= {goal}", value >= goal))
    if "accuracy" in runners.get("sklearn-f64", {}):
        gap = 100 * (
            runners["skmlp-f32"]["accuracy"] - runners["sklearn-f64"]["accuracy"]
        )
        rows.append(
            ("accuracy skmlp-f32 - sklearn-f64 (points)", gap, ">= -0.3", gap >= -0.3)
        )
    return rows


def report(results, info, data_source, names):
    """The results as Markdown tables, and one line per target."""
    lines, met_lines = [], []
    add = lines.append
    add(f"Data: {data_source}.")
    add(
        f"Configuration: solver adam (lr {LR}, betas {BETA_1}/{BETA_2}, eps {EPS}), "
        f"batch {BATCH}, alpha {ALPHA}, shuffle on, random_state {SEED}, "
        "tol=0 and n_iter_no_change=1e9 so every run does exactly the epochs asked."
    )
    add("")
    for label, res in results.items():
        runners = res["runners"]
        add(f"### {label} ({res['epochs']} epochs x {res['repeats']} repeats)")
        add("")
        add(
            _row(
                "contender",
                "ms/epoch (median)",
                "ms/epoch (min)",
                "ratio to skmlp-f32",
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
            add(_row(text, f"{value:.2f}", goal, "yes" if ok else "NO"))
            met_lines.append(
                f"{label}: {text} = {value:.2f} ({'met' if ok else 'MISSED'})"
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
    versions = ", ".join(
        f"{k} {info[k]}"
        for k in ("python", "numpy", "scipy", "sklearn", "torch")
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
        f"(skmlp imported from {info['skmlp']})."
    )
    return "\n".join(lines), met_lines


def main(argv=None):
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
        default=None,
        help="BLAS/torch threads (default: numpy's BLAS default, the core count)",
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
    args = parser.parse_args(argv)
    epochs = args.epochs or (3 if args.quick else 10)
    repeats = args.repeats or (2 if args.quick else 7)
    memory = not (args.no_memory or args.quick)

    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.threads:
        # Every BLAS and OpenMP pool of the process, inherited by subprocesses.
        os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(
            args.threads
        )
        threadpoolctl.threadpool_limits(args.threads)
    threads = blas_threads()
    names = [n for n in args.runners if n != "torch" or have_torch()]
    if "skmlp-f32" not in names:
        names.insert(0, "skmlp-f32")
    if "torch" in args.runners and "torch" not in names:
        print("torch is not importable: skipping the PyTorch contender")
    if "torch" in names:
        _set_torch_threads(threads)
    info = machine_info()
    print(f"BLAS threads {threads}; " + json.dumps(info["blas"]))

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
    results = {
        label: bench_network(
            label, NETWORKS[label], data, names, epochs, repeats, threads, memory
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
