"""Where the bundled data live (package data, read-only)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def bundled_data_dir() -> Path:
    return Path(str(resources.files("corridor") / "data"))


def read_package_csv(name: str) -> pd.DataFrame:
    """A bundled table (a pandas DataFrame), read as the package ships it."""
    import pandas as pd

    return pd.read_csv(bundled_data_dir() / name, keep_default_na=False, na_values=[""])
