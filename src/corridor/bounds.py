"""The one table of plausible ranges: every number a user can give (on the command line, in the web
app, in a scenario, project, network or demand file) is checked against its row here, at
validation time, the same way everywhere; a value that passes never fails at run time.

The ranges are wide: they let through every value a study could mean and stop the ones that can
only be a mistake (a link of 1e300 km, a sea level of -1e308 m, a billion extra ships), which would
otherwise overflow, hang or exhaust memory deep inside a model. `WORK` states the budgets: work
that would exceed one is refused up front with what to ask for instead.

Light on purpose (imports nothing but the standard library): the CLI builds its options from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import CorridorError


@dataclass(frozen=True)
class Bound:
    """A plausible range: `lo` <= value <= `hi` (None: open), in `unit`; `integer` values are whole."""

    name: str
    lo: float | None
    hi: float | None
    unit: str
    what: str
    integer: bool = False
    why: str = ""

    def text(self) -> str:
        """The range in words: '-40 to -20 m on the Baltic datum'."""
        lo = "" if self.lo is None else _num(self.lo)
        hi = "" if self.hi is None else _num(self.hi)
        span = f"{lo} to {hi}" if lo and hi else f"at least {lo}" if lo else f"at most {hi}"
        return f"{span} {self.unit}".strip()

    def problem(self, value: object) -> str | None:
        """Why `value` is not plausible (None when it is)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:  # any input at all: a conversion that fails is the answer
                value = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return f"'{str(value)[:40]}' is not a number"
        v = float(value)
        if not math.isfinite(v):
            return f"{value} is not a finite number"
        if self.integer and v != int(v):
            return f"{_num(v)} is not a whole number"
        if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            return f"{_num(v)} is outside the plausible range for {self.what} ({self.text()})"
        return None

    def check(self, value: object, label: str | None = None) -> float:
        """`value` as a number, or CorridorError naming `label` (default: the bound's name)."""
        msg = self.problem(value)
        if msg:
            raise CorridorError(f"{label or self.name}: {msg}")
        # `problem` has found it a number (or a string of one)
        return float(value)  # type: ignore[arg-type]

    def field(self) -> dict:
        """Keyword arguments for a pydantic Field or FastAPI Query with this range."""
        out: dict = {}
        if self.lo is not None:
            out["ge"] = int(self.lo) if self.integer else self.lo
        if self.hi is not None:
            out["le"] = int(self.hi) if self.integer else self.hi
        if not self.integer:
            out["allow_inf_nan"] = False
        return out


def _num(v: float) -> str:
    """A number for a message: 10,000, 0.5, 1e6, 1e-10."""
    if abs(v) >= 1e6 or (v and abs(v) < 1e-3):
        return f"{v:.3g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
    return f"{int(v):,}" if v == int(v) else f"{v:g}"


_ROWS = (
    # --- the Caspian crossing
    Bound("sea_level_m", -40.0, -20.0, "m on the Baltic datum", "the Caspian sea level",
          why="observed -26 (1930s) to -29.4 (2025); projections to -40 by 2100 at worst"),
    Bound("sea_level_change_m", -10.0, 5.0, "m", "a change of the Caspian sea level from the 2025 level"),
    Bound("vessels_change", -100, 100, "vessels", "vessels added or removed per class or kind",
          integer=True, why="the 2024 fleet is a few dozen ships"),
    Bound("fleet", 0, 500, "vessels", "the ships of one class after a change", integer=True),
    Bound("berths_change", -20, 20, "berths", "berths added or removed per port and vessel kind",
          integer=True),
    Bound("deepen_m", 0.0, 15.0, "m", "dredging of a port"),
    Bound("replications", 1, 10_000, "simulated years", "replications", integer=True),
    Bound("days", 1, 3650, "days", "simulated days", integer=True),
    # --- time
    Bound("year", 2000, 2100, "", "a year", integer=True),
    Bound("opening_year", 1800, 2100, "", "an opening year", integer=True),
    Bound("month", 1, 12, "", "a month", integer=True),
    Bound("horizon", 2000, 2100, "", "the last year of benefits", integer=True),
    # --- the network's links and nodes
    Bound("length_km", 0.0, 40_075.0, "km", "a link's length", why="the equator"),
    Bound("speed_kmh", 0.1, 1000.0, "km/h", "a speed"),
    Bound("hours", 0.0, 8760.0, "h", "a wait, dwell or handling time", why="a year"),
    Bound("usd_per_teu", 0.0, 1e6, "USD/TEU", "a cost per TEU"),
    Bound("usd_per_teu_km", 0.0, 1000.0, "USD/TEU-km", "a tariff per km"),
    Bound("co2_kg_per_teu", 0.0, 1e6, "kg/TEU", "emissions per TEU"),
    Bound("co2_kg_per_teu_km", 0.0, 1000.0, "kg/TEU-km", "emissions per TEU-km"),
    Bound("capacity_teu_yr", 0.0, 1e9, "TEU/yr", "a capacity", why="world port throughput ~9e8 TEU/yr"),
    Bound("capacity_t_yr", 0.0, 1e10, "t/yr", "a capacity in tonnes"),
    Bound("value_of_time", 0.0, 10_000.0, "USD/TEU-h", "a value of time"),
    Bound("value_usd_per_teu", 0.0, 1e8, "USD/TEU", "a cargo value"),
    # --- demand and growth
    Bound("demand_teu", 0.0, 1e8, "TEU/yr", "one OD cell's demand", why="world container trade ~2e8 TEU/yr"),
    Bound("demand_t", 0.0, 1e10, "t/yr", "one OD cell's tonnes"),
    Bound("growth_factor", 0.0, 10.0, "x", "a demand growth factor"),
    Bound("growth_rate", -0.49, 0.99, "a year", "a demand growth rate"),
    Bound("cost_factor", 0.0, 100.0, "x", "a tariff or time factor"),
    Bound("extra_usd", 0.0, 1e5, "USD/TEU", "an added cost per crossing"),
    # --- money and appraisal
    Bound("budget_usd", 0.0, 1e13, "USD", "a budget"),
    Bound("cost_usd", 0.0, 1e12, "USD", "a project's cost"),
    Bound("discount", 0.0, 0.99, "a year", "a discount rate"),
    # --- questions
    Bound("samples", 100, 5_000_000, "shipments", "sampled shipments per corridor", integer=True),
    Bound("seed", 0, 2**32 - 1, "", "a random seed", integer=True),
    Bound("k", 1, 50, "routes", "routes asked for", integer=True),
    Bound("promise_days", 0.01, 365.0, "days", "a delivery promise"),
    Bound("share", 0.0, 1.0, "", "a share"),
    Bound("rgap", 1e-10, 0.5, "", "a relative gap"),
    Bound("max_iter", 1, 100_000, "iterations", "iterations", integer=True),
)

BOUNDS: dict[str, Bound] = {b.name: b for b in _ROWS}


def bound(name: str) -> Bound:
    return BOUNDS[name]


# the bound of each numeric column of the input tables (network files, demand, projects)
COLUMNS: dict[str, dict[str, str]] = {
    "nodes": {"dwell_hours": "hours", "dwell_usd": "usd_per_teu", "transship_hours": "hours",
              "transship_usd": "usd_per_teu", "capacity_teu_yr": "capacity_teu_yr",
              "capacity_t_yr": "capacity_t_yr"},
    "links": {"length_km": "length_km", "speed_kmh": "speed_kmh", "wait_hours": "hours",
              "usd_per_teu": "usd_per_teu", "co2_kg_per_teu": "co2_kg_per_teu",
              "capacity_teu_yr": "capacity_teu_yr", "capacity_t_yr": "capacity_t_yr",
              "opening_year": "opening_year"},
    "rates": {"speed_kmh": "speed_kmh", "usd_per_teu_km": "usd_per_teu_km",
              "co2_kg_per_teu_km": "co2_kg_per_teu_km"},
    "commodities": {"value_of_time_usd_per_teu_hour": "value_of_time",
                    "value_usd_per_teu": "value_usd_per_teu"},
    "demand": {"teu_per_year": "demand_teu", "t_per_year": "demand_t"},
}


# Work budgets: what one call may ask for before it is refused up front (with how to ask for less).
WORK = {
    # Caspian simulation: replications x (days + warm-up and tail days) x services, the engine's arrays
    "simulated_days": 600_000,
    # sampled shipments x corridor legs of a reliability question
    "reliability_draws": 200_000_000,
    # rows of an input table (a network's links, a demand table)
    "table_rows": 5_000_000,
}


# the largest input file read without being asked, in MB (YAML files: yamlio.MAX_YAML_BYTES); the CLI's
# --max-input-mb or $CORRIDOR_MAX_INPUT_MB raise it
MAX_INPUT_MB = 512

MAX_INPUT_ENV = "CORRIDOR_MAX_INPUT_MB"


def check_work(name: str, amount: float, ask: str) -> None:
    """Refuse work past its budget in `WORK`, saying how to ask for less (`ask`)."""
    limit = WORK[name]
    if amount > limit:
        raise CorridorError(f"that is {amount:,.0f} {name.replace('_', ' ')}, more than the {limit:,.0f} "
                            f"one run may take; {ask}")


def simulation_work(replications: int, days: int, *, extra_days: int = 30) -> None:
    """A Caspian simulation's size against its budget (replications x simulated days)."""
    check_work("simulated_days", replications * (days + extra_days),
               "ask for fewer replications or days (e.g. --replications 200 --days 365)")


# ISO 3166-1 alpha-3 (249 codes), plus the codes of Natural Earth's map units that have none
# (Kosovo KOS/XKX, Somaliland SOL, Northern Cyprus CYN): a country code must be one of these.
_ISO3 = """ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA BGD BGR
BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV CMR COD COG
COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH
FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY
HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM
KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL
MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR
NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU
SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA
TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB
VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE KOS XKX SOL CYN"""

COUNTRY_CODES = frozenset(_ISO3.split())


def country_problem(code: str) -> str | None:
    """Why `code` is not a country code that exists (None when it is one)."""
    if code in COUNTRY_CODES:
        return None
    if len(code) == 3 and code.isalpha() and code.isupper():
        return f"'{code}' is not an ISO 3166-1 country code"
    return f"'{code[:20]}' is not an ISO3 code"
