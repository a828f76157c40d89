"""The scenario file format: pydantic models of every lever, and their JSON Schema."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, Self, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticError
from pydantic.fields import FieldInfo

from ..bounds import BOUNDS
from ..network.policy import BORDER_STATUSES
from ..vocabulary import MODES, NODE_KINDS, PASSAGES

SCENARIO_DIR_NAME = "scenarios"

GRADES = ("A", "B", "C", "D")


def split_sources(v: str) -> list[str]:
    """The ids of a source written `src_a` or `src_a;src_b`."""
    return [s.strip() for s in v.split(";") if s.strip()]


def source_list(v: object) -> object:
    """A source may be written `src_a`, `src_a;src_b` or `[src_a, src_b]` (anything else is left to
    pydantic to refuse)."""
    if v is None:
        return []
    return split_sources(v) if isinstance(v, str) else v

SourceRef = Annotated[list[str], BeforeValidator(source_list)]

if TYPE_CHECKING:
    # A Literal of the vocabulary's tuples exists only at run time (pydantic checks it); a type
    # checker cannot unpack a tuple variable into a Literal, so to it they are the strings they hold.
    Mode = str
    Passage = str
    Kind = str
    BorderStatus = str
    Grade = str
else:
    Mode = Literal[MODES]
    Passage = Literal[PASSAGES]
    Kind = Literal[NODE_KINDS]
    BorderStatus = Literal[BORDER_STATUSES]
    Grade = Literal[GRADES]

Status = Literal["open", "closed", "planned"]


def _in(name: str) -> FieldInfo:
    """The plausible range of a number (`corridor.bounds`): the same range the CLI and web check."""
    info: FieldInfo = Field(**BOUNDS[name].field())
    return info


Year = Annotated[int, _in("year")]
Hours = Annotated[float, _in("hours")]
UsdTeu = Annotated[float, _in("usd_per_teu")]
TeuYr = Annotated[float, _in("capacity_teu_yr")]
TYr = Annotated[float, _in("capacity_t_yr")]
Factor = Annotated[float, _in("cost_factor")]

NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def _numbers_set(self) -> list[str]:
        return [k for k, v in self if isinstance(v, int | float) and not isinstance(v, bool) and v is not None
                and k not in ("opening_year",)]


def _need_source(model: _Strict, numbers: list[str]) -> None:
    if numbers and not getattr(model, "source", None):
        raise ValueError(f"sets {', '.join(numbers)}: every number needs a 'source' (a source id)")


class BorderSpec(_Strict):
    """Status of one border: a crossing node, or every crossing between two countries."""

    countries: Annotated[list[str], Field(min_length=2, max_length=2)] | None = Field(
        None, description="Two ISO3 codes, e.g. [ARM, TUR]")
    node: str | None = Field(None, description="A node id or name, e.g. dostyk")
    status: BorderStatus = Field(description="open, closed or restricted")
    extra_hours: Hours = Field(0.0, description="Added at each crossing when restricted")
    extra_usd: Annotated[float, _in("extra_usd")] = Field(
        0.0, description="USD per TEU added at each crossing when restricted")
    modes: list[Mode] = Field(default_factory=list, description="Default: rail, road, ferry, transfer")
    source: SourceRef = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.countries is None) == (self.node is None):
            raise ValueError("give either 'countries' (two ISO3 codes) or 'node', not both or neither")
        _need_source(self, [k for k in ("extra_hours", "extra_usd") if getattr(self, k)])
        return self


class Policies(_Strict):
    avoid: list[str] = Field(default_factory=list,
                             description="ISO3 codes, blocs (EU, EAEU, CSTO, OTS, SCO, TITR), "
                                         "'sanctioned' or regions (central-asia, ...)")
    avoid_modes: list[Mode] = Field(default_factory=list)
    avoid_passages: list[Passage] = Field(default_factory=list)
    borders: list[BorderSpec] = Field(default_factory=list)
    source: SourceRef = Field(default_factory=list, description="Why: the sources behind the policy")


class LinkChange(_Strict):
    """A new link (give from, to, mode, rate_class, length_km) or changes to an existing one (by id)."""

    id: str
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    mode: Mode | None = None
    name: str | None = None
    rate_class: str | None = None
    gauge: Literal[1435, 1520] | None = None
    length_km: Annotated[float, Field(gt=0, le=BOUNDS["length_km"].hi, allow_inf_nan=False)] | None = None
    speed_kmh: Annotated[float, _in("speed_kmh")] | None = None
    wait_hours: Hours | None = None
    usd_per_teu: UsdTeu | None = None
    capacity_teu_yr: TeuYr | None = None
    capacity_t_yr: TYr | None = None
    status: Status | None = None
    opening_year: Year | None = None
    sea_area: str | None = None
    passages: list[Passage] | None = None
    notes: str | None = None
    source: SourceRef = Field(description="Source ids for every number and the link's status")

    @model_validator(mode="after")
    def _sourced(self) -> Self:
        _need_source(self, self._numbers_set() + (["status"] if self.status else []))
        return self

    def status_if_new(self) -> str:
        """The status of a new link: as given, else `planned` when it has an opening_year, else `open`."""
        return self.status or ("planned" if self.opening_year is not None else "open")

    def missing_for_new(self) -> list[str]:
        """Fields a new link must have and this one lacks (a planned one needs its opening year)."""
        need = {"from": self.from_, "to": self.to, "mode": self.mode, "rate_class": self.rate_class,
                "length_km": self.length_km}
        missing = [k for k, v in need.items() if v is None]
        if self.mode == "rail" and self.gauge is None:
            missing.append("gauge")
        if self.status_if_new() == "planned" and self.opening_year is None:
            missing.append("opening_year")
        return missing

# LinkChange field -> link.csv column (GMNS names)
LINK_FIELD_COLUMNS = {"from_": "from_node_id", "to": "to_node_id"}


class NodeChange(_Strict):
    """A new node (give name, kind, country, lon, lat) or changes to an existing one (by id)."""

    id: str
    name: str | None = None
    kind: Kind | None = None
    country: str | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    dwell_hours: Hours | None = None
    dwell_usd: UsdTeu | None = None
    transship_hours: Hours | None = None
    transship_usd: UsdTeu | None = None
    capacity_teu_yr: TeuYr | None = None
    capacity_t_yr: TYr | None = None
    notes: str | None = None
    source: SourceRef = Field(description="Source ids for every number (and coordinates of a new node)")

    @model_validator(mode="after")
    def _sourced(self) -> Self:
        _need_source(self, self._numbers_set())
        return self


class Infrastructure(_Strict):
    nodes: list[NodeChange] = Field(default_factory=list)
    links: list[LinkChange] = Field(default_factory=list)


class CaspianSpec(_Strict):
    """The Caspian crossing: its sea level, fleet and ports set the lines' capacity and waits (see
    docs/SCENARIOS.md)."""

    level_m: Annotated[float, _in("sea_level_m")] | None = Field(
        None, description="Sea level, metres on the Baltic datum as hydromet services give it, e.g. -30.35")
    sea_level_m: Annotated[float, _in("sea_level_change_m")] | None = Field(
        None, description="Or: metres relative to the data's 2025 level (-29.35 m BS), e.g. -1.0")
    vessels_add: dict[str, Annotated[int, _in("vessels_change")]] = Field(default_factory=dict,
                                        description="Per vessel class or kind, e.g. {container: 6}")
    deepen_m: dict[str, Annotated[float, _in("deepen_m")]] = Field(
        default_factory=dict, description="Per port, e.g. {Aktau: 1.0}")
    berths_add: dict[str, dict[str, Annotated[int, _in("berths_change")]]] = Field(
        default_factory=dict, description="Per port and vessel kind, e.g. {Aktau: {container: 1}}")
    source: SourceRef = Field(default_factory=list)

    @model_validator(mode="after")
    def _sourced(self) -> Self:
        if self.level_m is not None and self.sea_level_m is not None:
            raise ValueError("give the sea level once: level_m (Baltic datum) or sea_level_m (a change)")
        nums = [k for k in ("level_m", "sea_level_m", "vessels_add", "deepen_m", "berths_add")
                if getattr(self, k) is not None and getattr(self, k) != {}]
        _need_source(self, nums)
        return self


class Growth(_Strict):
    """Demand from one group of countries to another multiplied by `factor`."""

    from_: str = Field(alias="from", description="Region, bloc or ISO3 list, e.g. china or KAZ,UZB")
    to: str
    factor: Annotated[float, _in("growth_factor")]
    commodity: str | None = None
    both_directions: bool = False
    source: SourceRef = Field(description="Source ids for the factor")

    @model_validator(mode="after")
    def _sourced(self) -> Self:
        _need_source(self, ["factor"])
        return self


class DemandSpec(_Strict):
    year: Year = Field(2024, description="Bundled demand table of this year")
    file: str | None = Field(None, description="A demand CSV/Parquet (relative to the scenario file)")
    growth: list[Growth] = Field(default_factory=list)


class TermsSpec(_Strict):
    """Named USD-per-TEU terms of the world's generalized cost (see `corridor.costs.CostTerms`)."""

    entry_usd: dict[str, Annotated[float, Field(ge=-20000, le=20000, allow_inf_nan=False)]] = Field(
        default_factory=dict, description="Per country (ISO3), on entering it: e.g. a transit-risk premium "
                                          "{RUS: 900, BLR: 900}")
    passage_usd: dict[Passage, Annotated[float, Field(ge=-20000, le=20000, allow_inf_nan=False)]] = Field(
        default_factory=dict, description="Per sea passage, on every lane through it: {babalmandab: 300}")
    carbon_usd_per_t: Annotated[float, Field(ge=0, le=2000, allow_inf_nan=False)] = Field(
        0.0, description="A carbon price, USD per tonne CO2e well-to-wheel")
    risk_premiums: bool = Field(True, description="Charge the transit-risk premiums in force in the "
                                "scenario's year (risk_premiums.csv); false: none")
    source: SourceRef = Field(default_factory=list)

    @model_validator(mode="after")
    def _sourced(self) -> Self:
        _need_source(self, [k for k in ("entry_usd", "passage_usd", "carbon_usd_per_t") if getattr(self, k)])
        return self


class TariffChange(_Strict):
    """USD per TEU of the selected links multiplied by `factor` (all selectors must match)."""

    links: list[str] = Field(default_factory=list)
    modes: list[Mode] = Field(default_factory=list)
    rate_classes: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list,
                                 description="Links touching these (ISO3, blocs, regions)")
    factor: Factor
    source: SourceRef

    @model_validator(mode="after")
    def _sourced(self) -> Self:
        _need_source(self, ["factor"])
        return self


class BorderTimeChange(_Strict):
    """Times at nodes (dwell: border clearance; transship: handling) and waits on links, scaled."""

    nodes: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list,
                                 description="Nodes in these countries (ISO3, blocs, regions)")
    kinds: list[Kind] = Field(default_factory=list, description="Nodes of these kinds")
    dwell_factor: Factor | None = None
    transship_factor: Factor | None = None
    links: list[str] = Field(default_factory=list)
    sea_areas: list[str] = Field(default_factory=list,
                                 description="Ferry/sea links of these areas, e.g. caspian")
    wait_factor: Factor | None = Field(None, description="Scales wait_hours of the selected links")
    source: SourceRef

    @model_validator(mode="after")
    def _sourced(self) -> Self:
        nums = [k for k in ("dwell_factor", "transship_factor", "wait_factor")
                if getattr(self, k) is not None]
        if not nums:
            raise ValueError("set at least one of dwell_factor, transship_factor, wait_factor")
        _need_source(self, nums)
        return self


class SourceEntry(_Strict):
    id: str
    title: str
    url: str
    publisher: str = ""
    date: str = ""
    grade: Grade = "C"
    notes: str = ""


class Scenario(_Strict):
    """One scenario file (or, after `load_scenario`, a file merged with its bases)."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=60)]
    description: str = ""
    year: Year | None = Field(
        None, description="Infrastructure year: planned links open from their opening_year")
    month: Annotated[int, _in("month")] | None = Field(
        None, description="One month's flows and weather (1-12); none: the year, its months weighted by flow")
    base: str | None = Field(None, description="Scenario to inherit from: a bundled name or a path")
    policies: Policies = Field(default_factory=Policies)
    infrastructure: Infrastructure = Field(default_factory=Infrastructure)
    caspian: CaspianSpec | None = None
    terms: TermsSpec | None = Field(None, description="Named cost terms: transit-risk premiums, war risk, "
                                    "a carbon price")
    demand: DemandSpec = Field(default_factory=DemandSpec)
    tariffs: list[TariffChange] = Field(default_factory=list)
    border_times: list[BorderTimeChange] = Field(default_factory=list)
    sources: list[SourceEntry] = Field(default_factory=list)
    # filled by load_scenario: the files merged, base first (not part of the file format)
    chain: list[str] = Field(default_factory=list, exclude=True, json_schema_extra={"readOnly": True})

    def to_yaml(self) -> str:
        """The scenario as a file; after `load_scenario`, merged with its bases, so it names no `base`
        (the files it was merged from are listed in a comment)."""
        d = self.model_dump(by_alias=True, exclude_defaults=True, exclude={"chain"})
        head = ""
        if self.chain:
            head = ("# merged from " + " <- ".join(Path(c).name for c in reversed(self.chain))
                    + ": the bases are already applied, so this file names none\n")
        return head + yaml.safe_dump(d, sort_keys=False, allow_unicode=True)


def scenario_schema() -> dict:
    """JSON Schema of a scenario file."""
    s = Scenario.model_json_schema(by_alias=True)
    s.get("properties", {}).pop("chain", None)
    s["$id"] = "https://github.com/corridor/corridor/schemas/scenario.json"
    s["title"] = "corridor scenario"
    return s


M = TypeVar("M", bound=BaseModel)


def model_in(tp: object) -> type[BaseModel] | None:
    """The model class (if any) inside list[...], X | None or Annotated[...] annotations."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    for a in typing.get_args(tp):
        m = model_in(a)
        if m is not None:
            return m
    return None


def _is_list(tp: object) -> bool:
    return typing.get_origin(tp) is list or any(_is_list(a) for a in typing.get_args(tp))


def partial_model(model: type[M], value: object) -> M | None:
    """`value` as a `model`; if it does not validate, as much of it as can be read, so that the
    references of a file with format errors (countries, nodes, sources) are checked too.

    Fields keep the values given (of any type: the reference checks look at strings and lists
    of them only); a required field not given is None; sub-models are read the same way (in a
    list, an item that is not a mapping is None; a sub-model that is not a mapping keeps its
    default). None if `value` is not a mapping.
    """
    if not isinstance(value, dict):
        return None
    try:
        return model.model_validate(value)
    except PydanticError:
        pass
    names = {(fi.alias or n): n for n, fi in model.model_fields.items()}
    vals = {n: None for n, fi in model.model_fields.items() if fi.is_required()}
    for key, v in value.items():
        if key not in names:
            continue
        fi = model.model_fields[names[key]]
        sub = model_in(fi.annotation)
        if sub is not None and _is_list(fi.annotation):
            v = [partial_model(sub, x) for x in v] if isinstance(v, list) else []
        elif sub is not None and not isinstance(v, dict):
            v = None if fi.is_required() else fi.get_default(call_default_factory=True)
        elif sub is not None:
            v = partial_model(sub, v)
        vals[names[key]] = v
    return model.model_construct(**vals)
