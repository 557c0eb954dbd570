"""`import mlrs` stays cheap: what it must not import until a feature needs it."""

from __future__ import annotations

import subprocess
import sys

# Each costs milliseconds to tens of milliseconds to import; mlrs imports them where first used.
LAZY = (
    "email",
    "inspect",
    "json",
    "lightgbm",
    "logging",
    "matplotlib",
    "mlrs.data",
    "mlrs.entities.model_registry",
    "numpy",
    "pandas",
    "PIL",
    "re",
    "sklearn",
    "typing",
    "typing_extensions",
    "urllib.parse",
    "xgboost",
    "yaml",
)


def test_import_mlrs_loads_none_of_the_heavy_modules() -> None:
    code = f"import sys, mlrs\nprint(sorted(set({LAZY!r}) & set(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_lazy_attributes_import_on_first_use() -> None:
    code = (
        "import sys, mlrs\n"
        "assert 'mlrs.data' not in sys.modules\n"
        "assert mlrs.data.from_numpy is not None and 'mlrs.data' in sys.modules\n"
        "assert mlrs.sklearn.autolog is not None\n"
        "try:\n"
        "    mlrs.no_such_thing\n"
        "except AttributeError as e:\n"
        "    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "module 'mlrs' has no attribute 'no_such_thing'"
