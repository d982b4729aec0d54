"""Tests of the README's commands and snippets and of the generated docs pages."""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def test_readme_sample_file_snippet_writes_a_kaggle_train_file(tmp_path, monkeypatch):
    from skmlp.datasets import load_digits_sample, load_kaggle_train

    readme = (ROOT / "README.md").read_text()
    snippet = readme.split("```python\n")[-1].split("```")[0]
    assert "sample_train.csv" in snippet
    monkeypatch.chdir(tmp_path)
    exec(snippet, {})
    X, y = load_kaggle_train(tmp_path / "sample_train.csv")
    X_ref, y_ref = load_digits_sample()
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_readme_commands_use_separate_environments_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    commands = [
        line for line in readme.splitlines() if line.startswith("python3 -m venv")
    ]
    assert len(commands) == 2
    venvs = [line.split()[3] for line in commands]
    assert len(set(venvs)) == 2  # the second does not reuse the first
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci  # verbatim
    assert f"rm -rf {venvs[1]}" in ci  # fresh


def test_cli_page_is_generated_from_the_parser_and_up_to_date():
    import argparse
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_cli_page", ROOT / "docs" / "make_cli_page.py"
    )
    page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(page)
    text = page.render()
    assert (ROOT / "docs" / "cli.rst").read_text() == text, (
        "docs/cli.rst is out of date: run python docs/make_cli_page.py"
    )
    from skmlp._cli_parser import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        assert f"skmlp {name}\n====" in text
        for action in command._actions:
            for option in action.option_strings or [action.metavar]:
                assert f"``{option}" in text or f", {option}" in text, option
