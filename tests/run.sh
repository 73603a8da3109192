#!/usr/bin/env bash
# The whole test suite: the package equals what nbdev_export makes of the notebooks, the notebooks are clean,
# every notebook runs (nbdev_test), and pytest passes.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r settings.ini setup.py pyproject.toml README.md nbs "$scratch"/
mkdir "$scratch/segatp" && cp segatp/__init__.py "$scratch/segatp/"  # every other module must come from a notebook
(cd "$scratch" && nbdev_export && nbdev_clean --fname nbs >/dev/null)
if ! diff -r -x __pycache__ segatp "$scratch/segatp"; then
  echo "FAIL: segatp/ differs from what nbdev_export produces from nbs/ (run nbdev_export and commit both)"; exit 1
fi
if ! diff -r -x .ipynb_checkpoints nbs "$scratch/nbs"; then
  echo "FAIL: notebooks are not clean (run nbdev_clean and commit)"; exit 1
fi
echo "ok: segatp/ matches nbdev_export, notebooks are clean"

# cells flagged `#| shared` need the real public data (../shared/data): run them wherever it is present (CI)
flags=()
if python -c "from segatp.core import shared_data_dir; raise SystemExit(shared_data_dir() is None)"; then
  flags=(shared)
else
  echo "note: ../shared/data is absent: notebook cells flagged 'shared' are skipped"
fi
# cells flagged `ray` start a local Ray cluster: run them wherever Ray is installed (the cluster extra; CI)
if python -c "import ray" 2>/dev/null; then
  flags+=(ray)
else
  echo "note: Ray is not installed (pip install -e \".[cluster]\"): notebook cells flagged 'ray' are skipped"
fi
nbdev_test --path nbs --n_workers 2 --flags "${flags[*]}"
python -m pytest tests -q -p no:cacheprovider "$@"
