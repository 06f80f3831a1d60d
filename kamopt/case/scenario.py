"""Scenarios: the assumptions of a plan, as a frozen dataclass read from YAML.

Every key is optional (spec section 2). Unknown keys are rejected with the
closest known key suggested; values are range-checked and all problems are
reported together.

>>> s = Scenario.from_dict({"realization": 0.25, "budget": 2e6})
>>> s.realization, s.budget, s.level_names
(0.25, 2000000.0, ('light', 'standard', 'intensive'))
>>> Scenario.from_dict({"realisation": 0.25})
Traceback (most recent call last):
kamopt.errors.ScenarioError: The scenario has problems (1 problem):
  - scenario, column 'realisation': unknown key; did you mean 'realization'?
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kamopt.case.balance import Balance, balance_problems, normal_balance, parse_balance
from kamopt.case.disruption import (
    default_measure,
    disruption_problems,
    normal_caps,
    normal_tie_break,
    parse_caps,
)
from kamopt.case.limits import (
    LIMITS_DOC,
    MAX_YAML_ALIASES,
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_VALUES,
    size_text,
)
from kamopt.case.numbers import yaml_number
from kamopt.case.uncertainty import (
    Risk,
    Uncertainty,
    parse_risk,
    parse_uncertainty,
    uncertainty_problems,
)
from kamopt.errors import Problem, ScenarioError
from kamopt.i18n import LANGS


@dataclass(frozen=True)
class Level:
    """A coverage level: hours factor (phi) and realization factor (rho)."""

    name: str
    hours_factor: float
    realization_factor: float


DEFAULT_LEVELS = (
    Level("light", 0.5, 0.6),
    Level("standard", 1.0, 1.0),
    Level("intensive", 1.5, 1.2),
)


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping (PyYAML keeps the
    last silently, so ``leads: {K1: M1, K1: M2}`` would drop a decision unsaid)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                twice = key in seen
            except TypeError:  # an unhashable key: PyYAML's own error follows
                continue
            if twice:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice (first on line {seen[key]})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


class _BoundedLoader(_StrictLoader):
    """:class:`_StrictLoader` that counts the aliases (``*name``) while it composes, so a
    "billion laughs" file is refused before anything is expanded (kamopt's own files use no
    aliases; a few to repeat a value are fine)."""

    aliases = 0
    depth = 0
    refused: str | None = None

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_YAML_ALIASES:
                self._refuse(f"holds more than {MAX_YAML_ALIASES:,} aliases (*name)")
        if self.depth >= MAX_YAML_DEPTH:
            self._refuse(f"nests values more than {MAX_YAML_DEPTH} deep")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def _refuse(self, why: str):
        self.refused = f"{why} (see {LIMITS_DOC})"
        raise yaml.composer.ComposerError(None, None, self.refused, self.peek_event().start_mark)


def _expanded_values(root: yaml.Node, limit: int) -> int | None:
    """How many values (mappings, lists, single values) the YAML graph ``root`` holds with
    every alias expanded, counted without expanding (each node once), at most ``limit + 1``;
    None when an alias refers to a value that holds it (``&a [*a]``: no end).

    >>> _expanded_values(yaml.compose("a: &x [1, 2]\\nb: [*x, *x]"), 100)
    13
    >>> _expanded_values(yaml.compose("&a [*a]"), 100) is None
    True
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = []
        if done:
            open_.discard(key)
            sizes[key] = min(limit + 1, 1 + sum(sizes[id(c)] for c in children))
            continue
        if key in sizes:
            continue
        if key in open_:  # reached again from inside itself
            return None
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def read_yaml(path: str | Path, title: str = "The scenario has problems") -> dict:
    """The mapping of a YAML file, or :class:`ScenarioError` naming the file (and line).

    Refuses what is not UTF-8 text, not YAML, not a mapping, and a key given
    twice in one mapping. An empty file is an empty mapping. Only plain data
    is read (YAML's safe loader: a tag such as ``!!python/object`` is refused,
    nothing in the file runs). A file larger than ``MAX_YAML_BYTES``, with more
    than ``MAX_YAML_ALIASES`` aliases, values nested more than ``MAX_YAML_DEPTH``
    deep, more than ``MAX_YAML_VALUES`` values once the aliases are expanded, or
    an alias inside what it names, is refused before anything is expanded
    (:mod:`kamopt.case.limits`).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.yml"
    >>> _ = p.write_text("leads:\\n  K1: M1\\n  K1: M2\\n")
    >>> read_yaml(p)
    Traceback (most recent call last):
    ...
    kamopt.errors.ScenarioError: The scenario has problems (1 problem):
      - ...s.yml, row 3: is not valid YAML (the key 'K1' is given twice (first on line 2))
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_YAML_BYTES + 1)  # never more, whatever the file (or device) holds
        if len(raw) > MAX_YAML_BYTES:
            raise ScenarioError(Problem(str(path), f"is larger than {size_text(MAX_YAML_BYTES)}, "
                                        "the most a scenario or assumptions file may have (see "
                                        f"{LIMITS_DOC})"), title=title)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError(Problem(str(path), "file not found"), title=title) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(Problem(str(path), f"cannot be read as UTF-8 text ({exc})"),
                            title=title) from None
    loader = None
    try:
        loader = _BoundedLoader(text)  # which refuses characters YAML does not allow
        node = loader.get_single_node()
        if node is not None:
            values = _expanded_values(node, MAX_YAML_VALUES)
            if values is None:
                raise ScenarioError(Problem(str(path), "holds an alias (*name) inside the value "
                                            "it names, which never ends"), title=title)
            if values > MAX_YAML_VALUES:
                raise ScenarioError(Problem(str(path), "expands its aliases (*name) to more than "
                                            f"{MAX_YAML_VALUES:,} values, the most a scenario or "
                                            f"assumptions file may hold (see {LIMITS_DOC})"),
                                    title=title)
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        if loader is not None and loader.refused:
            raise ScenarioError(Problem(str(path), loader.refused, row=row), title=title) from None
        raise ScenarioError(Problem(str(path), f"is not valid YAML ({getattr(exc, 'problem', exc)})",
                                    row=row), title=title) from None
    except RecursionError:
        raise ScenarioError(Problem(str(path), "is nested too deeply to be a scenario or "
                                    "assumptions file"), title=title) from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ScenarioError(Problem(str(path), "must be a mapping of key: value lines",
                                    value=type(data).__name__), title=title)
    return data


@dataclass(frozen=True)
class Hire:
    """``count`` new key account managers of one profile (scenario ``hires``).

    ``pair_costs_from`` names a manager of the case whose pair costs
    (``pair_costs.csv``) the hires take, e.g. a successor in a leaver's
    office; without it a hire's pair with an account costs the average over
    the case's managers (0 when the case has no pair costs).
    """

    count: int = 1
    seniority: int = 2
    capacity_hours: float = 1400.0
    hourly_cost: float = 95.0
    industries: tuple[str, ...] = ()
    region: str = ""
    prefix: str = "NEW"
    pair_costs_from: str = ""


SOLVERS = ("highs", "cbc")


#: the fields of a scenario's ``report:`` block (the report's title block)
REPORT_FIELDS = ("title", "client", "author", "date")


@dataclass(frozen=True)
class Scenario:
    """The assumptions of one plan. Every field has the spec's default."""

    name: str = "base"
    description: str = ""
    realization: float = 0.30
    retention: float = 0.05
    levels: tuple[Level, ...] = DEFAULT_LEVELS
    industry_fit: float = 0.10
    continuity_bonus: float = 0.0
    capacity_scale: float = 1.0
    budget: float | None = None
    min_key_accounts: int | None = None
    max_key_accounts: int | None = None
    time_limit: float = 60.0
    mip_gap: float = 0.001
    #: the solver's work budget in branch-and-bound nodes (None: the strategy's default,
    #: :data:`kamopt.solve.strategy.NODE_LIMIT`); unlike ``time_limit``, a stop at this budget
    #: is the same on every machine, busy or quiet
    node_limit: int | None = None
    solver: str = "highs"
    #: managers who are not available in this scenario ("what if M03 leaves?")
    unavailable_managers: tuple[str, ...] = ()
    #: new key account managers added in this scenario
    hires: tuple[Hire, ...] = ()
    #: customers fixed in or out by this scenario, on top of the case's status
    must: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    #: lead managers fixed by this scenario, (customer_id, manager_id) pairs: the
    #: account is a key account and that manager leads it ("K0001 stays with M03")
    leads: tuple[tuple[str, str], ...] = ()
    #: (customer_id, manager_id) pairs ruled out by this scenario: that manager may not lead
    #: that account ("the customer asked for a new contact")
    excluded_leads: tuple[tuple[str, str], ...] = ()
    #: coverage levels fixed by this scenario, (customer_id, level) pairs: the account is a
    #: key account at that level ("K0051 gets intensive coverage")
    coverage: tuple[tuple[str, str], ...] = ()
    #: activities committed by this scenario, (customer_id, activity_id) pairs: the account is
    #: a key account and runs that activity ("the joint development with K0051 goes on")
    committed_activities: tuple[tuple[str, str], ...] = ()
    #: how uncertain potential, realisation and retention are (kamopt.case.uncertainty);
    #: None: the point estimates are taken as they are
    uncertainty: Uncertainty | None = None
    #: how much the two-stage plan weighs its worst outcomes (CVaR); None: risk-neutral
    risk: Risk | None = None
    #: the language the report, deck and workbook are written in ("en" or "de"); None: the
    #: command's --lang, else English (kamopt.i18n)
    lang: str | None = None
    #: the report's title block: (field, text) pairs of title, client, author, date
    report: tuple[tuple[str, str], ...] = ()
    #: caps on what changes hands, (measure, limit) pairs of :data:`kamopt.case.disruption.DISRUPTION_MEASURES`
    #: (``max_disruption: {accounts: 12, hours: 900}``); (): no cap
    max_disruption: tuple[tuple[str, float], ...] = ()
    #: a second objective among the plans within the gap of the best: None, or
    #: ("least_disruption", measure) (``tie_break: least_disruption`` is by accounts) or
    #: ("least_largest_workload", measure) (by utilisation; kamopt.solve.tiebreak)
    tie_break: tuple[str, str] | None = None
    #: balanced workloads: a band around the mean load, the least largest load first
    #: (kamopt.case.balance); None: neither
    balance: Balance | None = None
    extras: dict = field(default_factory=dict, compare=False, repr=False)

    # ------------------------------------------------------------------ checks
    def __post_init__(self) -> None:
        if isinstance(self.leads, dict):  # Scenario(leads={"K0001": "M03"}) from Python
            object.__setattr__(self, "leads", tuple(
                (str(k), str(v)) if _is_id(k) and _is_id(v) else (k, v)
                for k, v in self.leads.items()))
        if isinstance(self.coverage, dict):  # Scenario(coverage={"K0001": "intensive"})
            object.__setattr__(self, "coverage", tuple(
                (str(k), str(v)) if _is_id(k) and _is_id(v) else (k, v)
                for k, v in self.coverage.items()))
        for key in ("excluded_leads", "committed_activities"):  # {"K0001": ["M03", "M04"]}
            value = getattr(self, key)
            if isinstance(value, dict):
                object.__setattr__(self, key, tuple(dict.fromkeys(
                    (k, j) for k, js in value.items()
                    for j in (js if isinstance(js, list | tuple) else [js]))))
        object.__setattr__(self, "max_disruption", normal_caps(self.max_disruption))
        object.__setattr__(self, "tie_break", normal_tie_break(self.tie_break))
        object.__setattr__(self, "balance", normal_balance(self.balance))  # a dict from Python
        problems = self.problems()
        if problems:
            raise ScenarioError(problems, title="The scenario has problems")

    def problems(self, file: str = "scenario") -> list[Problem]:
        p: list[Problem] = []

        def bad(key: str, value: object, expected: str) -> None:
            p.append(Problem(file, expected, column=key, value=value))

        for key, lo, hi in (
            ("realization", 0, 1),
            ("retention", 0, 1),
            ("industry_fit", 0, 10),
            ("mip_gap", 0, 1),
        ):
            v = getattr(self, key)
            if not _is_num(v) or not lo <= v <= hi:
                bad(key, v, f"must be a number in [{lo}, {hi}]")
        for key in ("continuity_bonus", "capacity_scale"):
            v = getattr(self, key)
            if not _is_num(v) or v < 0:
                bad(key, v, "must be a number >= 0")
        if not _is_num(self.time_limit) or self.time_limit <= 0:
            bad("time_limit", self.time_limit, "must be a number of seconds > 0")
        if self.budget is not None and (not _is_num(self.budget) or self.budget < 0):
            bad("budget", self.budget, "must be a number >= 0 (EUR a year) or empty")
        for key in ("min_key_accounts", "max_key_accounts"):
            v = getattr(self, key)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                bad(key, v, "must be a whole number >= 0 or empty")
        v = self.node_limit
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
            bad("node_limit", v, "must be a whole number >= 1 (branch-and-bound nodes) or empty")
        lo, hi = self.min_key_accounts, self.max_key_accounts
        if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
            bad("min_key_accounts", lo, f"must not exceed max_key_accounts ({hi})")
        if self.solver not in SOLVERS:
            bad("solver", self.solver, "must be one of 'highs', 'cbc'")
        for key, value, expected in uncertainty_problems(self.uncertainty, self.risk,
                                                         self.realization, self.retention):
            bad(key, value, expected)
        if self.lang is not None and str(self.lang).lower() not in LANGS:
            bad("lang", self.lang, "must be one of: " + ", ".join(LANGS))
        if isinstance(self.report, dict):  # Scenario(report={"title": ...}) from Python
            object.__setattr__(self, "report", tuple((str(k), str(v)) for k, v in self.report.items()))
        for key, _text in self.report:
            if key not in REPORT_FIELDS:
                bad(f"report.{key}", key, "must be one of: " + ", ".join(REPORT_FIELDS))
        if not self.levels:
            bad("levels", "[]", "must name at least one coverage level")
        seen: set[str] = set()
        for lv in self.levels:
            if not isinstance(lv, Level):
                bad("levels", lv, "each level needs name, hours_factor, realization_factor")
                continue
            if lv.name in seen:
                bad("levels", lv.name, "level names must be unique")
            seen.add(lv.name)
            if not _is_num(lv.hours_factor) or lv.hours_factor <= 0:
                bad(f"levels.{lv.name}.hours_factor", lv.hours_factor, "must be a number > 0")
            if not _is_num(lv.realization_factor) or lv.realization_factor < 0:
                bad(
                    f"levels.{lv.name}.realization_factor",
                    lv.realization_factor,
                    "must be a number >= 0",
                )
        for h in self.hires:
            if not isinstance(h, Hire):
                bad("hires", h, "each hire needs count, seniority, capacity_hours, hourly_cost")
                continue
            if not isinstance(h.count, int) or h.count < 0:
                bad("hires.count", h.count, "must be a whole number >= 0")
            if h.seniority not in (1, 2, 3):
                bad("hires.seniority", h.seniority, "must be 1, 2 or 3")
            if not _is_num(h.capacity_hours) or h.capacity_hours < 0:
                bad("hires.capacity_hours", h.capacity_hours, "must be a number >= 0")
            if not _is_num(h.hourly_cost) or h.hourly_cost < 0:
                bad("hires.hourly_cost", h.hourly_cost, "must be a number >= 0")
            if not isinstance(h.pair_costs_from, str):
                bad("hires.pair_costs_from", h.pair_costs_from, "must be a manager_id of the case")
        both = set(self.must) & set(self.exclude)
        if both:
            bad("must", sorted(both)[0], "a customer cannot be both 'must' and 'exclude'")
        for key, one, whose in (("leads", "fixed lead manager", "lead manager"),
                                ("coverage", "fixed coverage level", "coverage")):
            what, example = _ONE_EACH[key]
            seen: set[str] = set()
            for item in getattr(self, key):
                if not _is_pair(item):
                    bad(key, item, f"must map customer ids to {what}, e.g. '{example}'")
                    continue
                cid, _ = item
                if cid in seen:
                    bad(f"{key}.{cid}", cid, f"a customer can have only one {one}")
                seen.add(cid)
                if cid in self.exclude:
                    bad(f"{key}.{cid}", cid, f"a customer whose {whose} is fixed is a key "
                        "account; it cannot be 'exclude' too")
        fixed = set(self.leads)
        for item in self.excluded_leads:
            if not _is_pair(item):
                bad("excluded_leads", item, "must map customer ids to manager ids, e.g. "
                    "'K0001: [M03, M04]'")
            elif item in fixed:
                bad(f"excluded_leads.{item[0]}", item[1], "is the account's fixed lead (leads:); "
                    "a manager cannot be both")
        for item in self.committed_activities:
            if not _is_pair(item):
                bad("committed_activities", item, "must map customer ids to activity ids, e.g. "
                    "'K0001: [A05]'")
            elif item[0] in self.exclude:
                bad(f"committed_activities.{item[0]}", item[0], "a customer with committed "
                    "activities is a key account; it cannot be 'exclude' too")
        p += disruption_problems(self.max_disruption, self.tie_break, file)
        p += [Problem(file, why, column=k, value=v) for k, v, why in balance_problems(self.balance)]
        return p

    # ------------------------------------------------------------- properties
    @property
    def level_names(self) -> tuple[str, ...]:
        return tuple(lv.name for lv in self.levels)

    @property
    def lead_of(self) -> dict[str, str]:
        """The fixed lead managers (``leads``) as ``{customer_id: manager_id}``.

        >>> Scenario.from_dict({"leads": {"K0001": "M03", 7: 12}}).lead_of
        {'K0001': 'M03', '7': '12'}
        """
        return dict(self.leads)

    @property
    def excluded_lead_of(self) -> dict[str, tuple[str, ...]]:
        """The ruled-out lead managers (``excluded_leads``) as ``{customer_id: (manager_id, ...)}``.

        >>> Scenario.from_dict({"excluded_leads": {"K1": ["M1", "M2"], "K2": "M1"}}).excluded_lead_of
        {'K1': ('M1', 'M2'), 'K2': ('M1',)}
        """
        out: dict[str, tuple[str, ...]] = {}
        for cid, j in self.excluded_leads:
            out[cid] = (*out.get(cid, ()), j)
        return out

    @property
    def coverage_of(self) -> dict[str, str]:
        """The fixed coverage levels (``coverage``) as ``{customer_id: level}``.

        >>> Scenario.from_dict({"coverage": {"K0001": "intensive"}}).coverage_of
        {'K0001': 'intensive'}
        """
        return dict(self.coverage)

    @property
    def committed_of(self) -> dict[str, tuple[str, ...]]:
        """The committed activities (``committed_activities``) as ``{customer_id: (activity_id,
        ...)}``.

        >>> Scenario.from_dict({"committed_activities": {"K1": ["A05", "A01"], "K2": "A03"}}
        ...                    ).committed_of
        {'K1': ('A05', 'A01'), 'K2': ('A03',)}
        """
        out: dict[str, tuple[str, ...]] = {}
        for cid, k in self.committed_activities:
            out[cid] = (*out.get(cid, ()), k)
        return out

    @property
    def fixed_accounts(self) -> tuple[str, ...]:
        """The accounts a decision of the scenario makes key accounts: ``leads``, ``coverage``
        and ``committed_activities`` (each once, in that order).

        >>> Scenario(leads={"K1": "M1"}, coverage={"K2": "light", "K1": "light"}).fixed_accounts
        ('K1', 'K2')
        """
        ids = [cid for cid, _ in (*self.leads, *self.coverage, *self.committed_activities)]
        return tuple(dict.fromkeys(ids))

    @property
    def disruption_caps(self) -> dict[str, float]:
        """The caps of ``max_disruption`` as ``{measure: limit}``.

        >>> Scenario.from_dict({"max_disruption": {"accounts": 12, "revenue": "5e6"}}
        ...                    ).disruption_caps
        {'accounts': 12.0, 'revenue': 5000000.0}
        """
        return dict(self.max_disruption)

    def replace(self, **changes) -> Scenario:
        """A copy with some fields changed (the scenario itself is frozen)."""
        return dataclasses.replace(self, **changes)

    # -------------------------------------------------------------------- I/O
    @classmethod
    def coerce(cls, value: Scenario | dict | str | Path | None) -> Scenario:
        """A scenario from what a user passes: a Scenario, None (the defaults), a dict
        (:meth:`from_dict`) or the path of a YAML file (:meth:`from_yaml`).

        >>> Scenario.coerce({"mip_gap": 0.01}).mip_gap
        0.01
        >>> Scenario.coerce(None) == Scenario()
        True
        """
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            return cls.from_dict(value)
        if isinstance(value, (str, Path)):
            return cls.from_yaml(value)
        raise TypeError(f"expected a Scenario, a dict of scenario keys or the path of a YAML "
                        f"file; got {type(value).__name__}")

    @classmethod
    def from_dict(cls, data: dict | None, file: str = "scenario") -> Scenario:
        """Build a scenario from plain data (as read from YAML)."""
        data = dict(data or {})
        known = [f.name for f in dataclasses.fields(cls) if f.name != "extras"]
        problems: list[Problem] = []
        kwargs: dict = {}
        for key, value in data.items():
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
                problems.append(Problem(file, "unknown key" + hint, column=str(key)))
                continue
            try:
                kwargs[key] = _convert(key, value)
            except (TypeError, ValueError) as exc:
                problems.append(Problem(file, str(exc), column=key, value=value))
        if problems:
            raise ScenarioError(problems, title="The scenario has problems")
        try:
            return cls(**kwargs)
        except ScenarioError as exc:
            raise ScenarioError(
                [dataclasses.replace(p, file=file) for p in exc.problems],
                title="The scenario has problems",
            ) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scenario:
        """Read a scenario file (:func:`read_yaml`); the name defaults to the file stem."""
        path = Path(path)
        data = read_yaml(path)
        data.setdefault("name", path.stem)
        return cls.from_dict(data, file=str(path))

    def to_dict(self) -> dict:
        """Plain data that :meth:`from_dict` reads back to an equal scenario."""
        out: dict = {}
        for f in dataclasses.fields(self):
            if f.name == "extras":
                continue
            v = getattr(self, f.name)
            if f.name == "levels":
                v = [dataclasses.asdict(lv) for lv in v]
            elif f.name == "hires":
                v = [{**dataclasses.asdict(h), "industries": list(h.industries)} for h in v]
            elif f.name == "leads":
                v = dict(v)
            elif f.name == "excluded_leads":
                v = {cid: list(js) for cid, js in self.excluded_lead_of.items()}
            elif f.name == "coverage":
                v = dict(v)
            elif f.name == "committed_activities":
                v = {cid: list(ks) for cid, ks in self.committed_of.items()}
            elif f.name in ("uncertainty", "risk", "balance"):
                v = None if v is None else v.to_dict()
            elif f.name == "report":
                v = dict(v)
            elif f.name == "max_disruption":
                v = dict(v)
            elif f.name == "tie_break":
                v = (None if v is None else v[0] if v[1] == default_measure(v[0])
                     else {v[0]: v[1]})
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The scenario as YAML text; written to ``path`` when given."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def hire_ids(scenario: Scenario) -> list[tuple[str, Hire]]:
    """The ids the scenario's hires get, each with its hire: the hire's ``prefix`` and a
    running number over all hires.

    >>> [mid for mid, _ in hire_ids(Scenario(hires=(Hire(count=2), Hire(prefix="SEN"))))]
    ['NEW1', 'NEW2', 'SEN3']
    """
    hires = [h for h in scenario.hires for _ in range(h.count)]
    return [(f"{h.prefix}{n}", h) for n, h in enumerate(hires, start=1)]


def _is_id(v: object) -> bool:
    """Text or a whole number (an id YAML read as a number), not empty, not a bool."""
    return isinstance(v, int | str) and not isinstance(v, bool) and bool(str(v).strip())


def _is_pair(item: object) -> bool:
    """A (customer id, other id) pair of non-empty texts."""
    return (isinstance(item, tuple) and len(item) == 2
            and all(isinstance(v, str) and v.strip() for v in item))


def _is_num(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


_FLOATS = {
    "realization",
    "retention",
    "industry_fit",
    "continuity_bonus",
    "capacity_scale",
    "budget",
    "time_limit",
    "mip_gap",
}


#: scenario keys that map a customer to one id, and to a list of ids: what, an example
_ONE_EACH = {"leads": ("manager ids", "K0001: M03"),
             "coverage": ("level names", "K0001: intensive")}
_LIST_EACH = {"excluded_leads": ("the managers who may not lead them", "K0001: [M03, M04]"),
              "committed_activities": ("activity ids", "K0001: [A05]")}


def _convert(key: str, value: object) -> object:
    if key in _FLOATS:
        value = yaml_number(value)
        if value is None and key == "budget":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("must be a number")
        return float(value)
    if key in ("min_key_accounts", "max_key_accounts", "node_limit"):
        value = yaml_number(value, whole=True)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if key == "levels":
        if not isinstance(value, list):
            raise ValueError("must be a list of {name, hours_factor, realization_factor}")
        levels = []
        for item in value:
            if not isinstance(item, dict) or set(item) != {"name", "hours_factor", "realization_factor"}:
                raise ValueError(
                    "each level must have exactly name, hours_factor, realization_factor"
                )
            levels.append(
                Level(
                    str(item["name"]),
                    yaml_number(item["hours_factor"]),
                    yaml_number(item["realization_factor"]),
                )
            )
        return tuple(levels)
    if key == "hires":
        if not isinstance(value, list):
            raise ValueError("must be a list of hires")
        hires = []
        allowed = {f.name for f in dataclasses.fields(Hire)}
        for item in value:
            if not isinstance(item, dict) or not set(item) <= allowed:
                raise ValueError(f"each hire may have only {', '.join(sorted(allowed))}")
            item = dict(item)
            if "industries" in item:
                ind = item["industries"]
                item["industries"] = tuple(ind.split(";") if isinstance(ind, str) else ind)
            for key in ("count", "seniority"):
                if key in item:
                    item[key] = yaml_number(item[key], whole=True)
            for key in ("capacity_hours", "hourly_cost"):
                if key in item:
                    item[key] = yaml_number(item[key])
                if isinstance(item.get(key), int) and not isinstance(item.get(key), bool):
                    item[key] = float(item[key])
            if isinstance(item.get("pair_costs_from"), int | str) and not isinstance(
                    item.get("pair_costs_from"), bool):  # an id YAML read as a number: 7 is "7"
                item["pair_costs_from"] = str(item["pair_costs_from"])
            hires.append(Hire(**item))
        return tuple(hires)
    if key in ("unavailable_managers", "must", "exclude"):
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list):
            raise ValueError("must be a list of ids")
        return tuple(str(v) for v in value)
    if key in _ONE_EACH:
        if value is None:
            return ()
        what, example = _ONE_EACH[key]
        if not isinstance(value, dict):
            raise ValueError(f"must map customer ids to {what}, one '{example}' a line")
        out = []
        for cid, mid in value.items():
            for v in (cid, mid):  # ids YAML reads as numbers (7: 12) are the ids '7' and '12'
                if not _is_id(v):
                    raise ValueError(f"must map customer ids to {what}; {cid!r}: {mid!r} "
                                     "is not a pair of ids")
            out.append((str(cid).strip(), str(mid).strip()))
        return tuple(out)
    if key in _LIST_EACH:
        if value is None:
            return ()
        what, example = _LIST_EACH[key]
        if not isinstance(value, dict):
            raise ValueError(f"must map customer ids to {what}, one '{example}' a line")
        pairs = []
        for cid, mids in value.items():
            for mid in (mids if isinstance(mids, list) else [mids]):
                for v in (cid, mid):
                    if not _is_id(v):
                        raise ValueError(f"must map customer ids to {what}; {cid!r}: "
                                         f"{mids!r} is not an id and a list of ids")
                pairs.append((str(cid).strip(), str(mid).strip()))
        return tuple(dict.fromkeys(pairs))
    if key == "uncertainty":
        return parse_uncertainty(value)
    if key == "risk":
        return parse_risk(value)
    if key == "lang":
        return None if value is None else str(value).strip().lower()
    if key == "report":
        if value is None:
            return ()
        if not isinstance(value, dict):
            raise ValueError("must map " + ", ".join(REPORT_FIELDS) + " to their text")
        return tuple((str(k), "" if v is None else str(v)) for k, v in value.items())
    if key in ("name", "description", "solver"):
        return "" if value is None else str(value)
    if key == "max_disruption":
        return parse_caps(value)
    if key == "tie_break":
        return normal_tie_break(value, strict=True)
    if key == "balance":
        return parse_balance(value)
    return value
