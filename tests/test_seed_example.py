"""The gallery example ``examples/plot_seed_notebook.py`` runs as a script.

It runs on the embedded sample (``SKMLP_EXAMPLE_DATA=sample``), which is
what it uses anyway in a fresh clone without ``../shared``; about 20 s of
CPU time with one BLAS thread.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plot_seed_notebook.py"


def test_seed_notebook_example_runs(tmp_path):
    # matplotlib comes with the "docs" extra; CI installs ".[test]".
    pytest.importorskip("matplotlib", reason="the example draws a figure")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    env.update(
        SKMLP_EXAMPLE_DATA="sample",
        SKMLP_EXAMPLE_SEEDS="0",
        MPLBACKEND="Agg",
        # Small matrices: a second BLAS thread only slows a busy machine down.
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
    )
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert out.startswith("embedded sample")

    # The repaired NumPy loop learns; each bug leaves it near chance.
    table = dict(re.findall(r"^(repaired|\d: [^\n]*?)\s+([\d.]+)%", out, re.M))
    assert len(table) == 5, out
    repaired = float(table.pop("repaired"))
    assert repaired > 70
    for name, accuracy in table.items():
        assert float(accuracy) < 25, (name, accuracy)
    # Bugs 2-4 end with a NaN loss.
    assert len(re.findall(r"^\d: .*\bnan\b", out, re.M)) == 3

    # The estimator learns with both solvers, and trains stably on raw pixels.
    for name in ("full-batch GD", "adam (default)"):
        match = re.search(re.escape(name) + r"\s+held-out accuracy ([\d.]+)%", out)
        assert match and float(match.group(1)) > 80, out
    assert "RuntimeWarnings: 0, all weights finite: True, finite losses: True" in out
    assert "Traceback" not in proc.stderr
