"""The free parameters of the freight assignment (queue scale, steepness, logit dispersion, corridor
terms) and where they came from: read from `assignment_params.json`, written by `corridor calibrate`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..costs import CostTerms
from ..datafiles import bundled_data_dir
from ..errors import CorridorError
from ..network.families import FAMILIES
from ..output import write_text_file
from ..readers import read_input_text

PARAMS_FILE = "assignment_params.json"


@dataclass(frozen=True)
class AssignmentParams:
    """The free parameters of the freight assignment, and where they came from."""

    dispersion: dict[str, float] = field(default_factory=lambda: {"container": 8.0})  # logit scale
    corridor_constants_usd: dict[str, float] = field(default_factory=dict)  # per family, USD/TEU
    note: str = "uncalibrated defaults"
    fit: dict = field(default_factory=dict)  # targets, modelled values and the date of the fit

    def __post_init__(self):
        problems = _param_problems(self)
        if problems:
            raise CorridorError("bad assignment parameters: " + "; ".join(problems))

    def dispersion_for(self, commodity: str) -> float:
        """Logit scale μ: a route dearer by a share s of the OD's cheapest is e^(μ s) times less likely."""
        return float(self.dispersion.get(commodity, self.dispersion.get("container", 8.0)))

    @property
    def terms(self) -> CostTerms:
        """The cost terms this calibration adds to every world it assigns in."""
        return CostTerms(self.corridor_constants_usd)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d, *, where: str = "assignment parameters") -> AssignmentParams:
        """Parameters from parsed JSON, every problem named at once (field and reason)."""
        if not isinstance(d, dict):
            raise CorridorError(f"{where}: expected a JSON object with fields "
                                f"{', '.join(cls.__dataclass_fields__)}, got {type(d).__name__}")
        known = list(cls.__dataclass_fields__)
        problems = [f"unknown field '{k}' (known: {', '.join(known)})" for k in d if k not in known]
        for k in ("dispersion", "corridor_constants_usd", "fit"):
            if k in d and not isinstance(d[k], dict):
                problems.append(f"{k} must be an object (name: value), got {json.dumps(d[k])[:40]}")
            elif k in d and k != "fit":
                problems += [f"{k}.{name} must be a number, got {json.dumps(v)[:40]}"
                             for name, v in d[k].items()
                             if isinstance(v, bool) or not isinstance(v, int | float)]
        if "note" in d and not isinstance(d["note"], str):
            problems.append("note must be text")
        if problems:
            raise CorridorError(f"{where}: " + "; ".join(problems))
        try:
            return cls(**d)
        except CorridorError as exc:
            raise CorridorError(f"{where}: " + str(exc).removeprefix("bad assignment parameters: ")) from None

    @classmethod
    def load(cls, path: str | Path | None = None) -> AssignmentParams:
        """The parameters in `path` (a JSON file), else the bundled calibrated ones."""
        p = Path(path) if path is not None else bundled_data_dir() / PARAMS_FILE
        if not p.exists():
            if path is not None:
                raise CorridorError(f"{p}: no such parameter file")
            return cls()
        try:
            d = json.loads(read_input_text(p, max_bytes=1_000_000))
        except json.JSONDecodeError as exc:
            raise CorridorError(f"{p}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        except (OSError, UnicodeDecodeError, RecursionError) as exc:
            why = ("nested too deeply" if isinstance(exc, RecursionError)
                   else getattr(exc, "strerror", None) or exc)
            raise CorridorError(f"{p}: cannot be read: {why}") from None
        if not isinstance(d, dict):
            raise CorridorError(f"{p}: an assignment parameter file is a JSON object")
        return cls.from_dict(d, where=str(p))

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        return write_text_file(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n",
                               overwrite=overwrite)


def _param_problems(p: AssignmentParams) -> list[str]:
    problems = []
    for k, v in p.dispersion.items():
        if not (np.isfinite(v) and v > 0):
            problems.append(f"dispersion.{k} must be a finite number > 0, got {v}")
    for k, v in p.corridor_constants_usd.items():
        if k not in FAMILIES:
            problems.append(f"unknown corridor '{k}' in corridor_constants_usd; known: {', '.join(FAMILIES)}")
        elif not np.isfinite(v):
            problems.append(f"corridor_constants_usd.{k} must be a finite number, got {v}")
    return problems
