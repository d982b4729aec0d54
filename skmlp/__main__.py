"""``python -m skmlp``: the same as the ``skmlp`` command."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
