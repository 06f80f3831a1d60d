"""Errors live here, and they carry data.

Every error a user can meet is a :class:`KamoptError`. Each says what was
expected, what was given and where (file, row as seen in Excel with the header
as row 1, column); an infeasible scenario says which requirement cannot be met
and by how much. The command line prints ``str(error)`` and exits with
``error.exit_code``; it never shows a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as the user sees it.

    Examples
    --------
    >>> str(Problem("customers.csv", "must be a number in [0, 1]", row=7, column="margin", value="1.7"))
    "customers.csv, row 7, column 'margin': got '1.7'; must be a number in [0, 1]"
    >>> str(Problem("managers.csv", "file is missing; it is required"))
    'managers.csv: file is missing; it is required'
    """

    file: str
    expected: str
    row: int | None = None
    column: str | None = None
    value: object = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        got = "" if self.value is None else f"got {_show(self.value)}; "
        return f"{', '.join(where)}: {got}{self.expected}"


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def one_line(text: str) -> str:
    r"""A diagnosis of several lines ("...:", "  - a", "  - b") as one: "...: a; b".

    >>> one_line("The scenario cannot be met:\n  - the budget\n  - the hours")
    'The scenario cannot be met: the budget; the hours'
    """
    lines = [ln.strip().removeprefix("- ").strip() for ln in str(text).splitlines() if ln.strip()]
    return " ".join(lines[:1] + ["; ".join(lines[1:])]).strip()


class KamoptError(Exception):
    """Base class of every error kamopt reports to a user.

    An error pickles as it is (its ``args`` and attributes, not its constructor's
    arguments rebuilt from the message), so one raised in a worker of a batch
    (:mod:`kamopt.planning.batch`) reaches the caller unchanged.
    """

    exit_code = 1

    def __reduce__(self):
        return _restore_error, (type(self), self.args, dict(self.__dict__))


def _restore_error(cls: type, args: tuple, state: dict) -> KamoptError:
    """The error ``cls`` with ``args`` and the attributes ``state``, without calling its
    ``__init__`` (whose parameters are not its ``args``)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class InputError(KamoptError):
    """Bad input: a case or scenario with one or more problems (exit status 2).

    All problems found are kept in :attr:`problems`, not only the first.
    """

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem, title: str = "The input has problems"):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.title = title
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{self.title} ({n} problem{'s' if n != 1 else ''}):"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


class CaseError(InputError):
    """A case folder or workbook that cannot be used as it is."""


class ScenarioError(InputError):
    """A scenario file or value that cannot be used as it is."""


@dataclass(frozen=True)
class Shortfall:
    """A requirement that cannot be met, and by how much.

    Examples
    --------
    >>> print(Shortfall("the 3 'must' accounts of tier 3", "KAM hours", 2310, 1600,
    ...       "managers of seniority 3 have 1,600 h"))
    the 3 'must' accounts of tier 3 need at least 2,310 KAM hours; managers of seniority 3 have 1,600 h (short by 710)
    """

    requirement: str
    unit: str
    needed: float
    available: float
    detail: str = ""
    singular: bool = False  # the requirement is one thing: "needs", not "need"

    @property
    def short_by(self) -> float:
        return self.needed - self.available

    def __str__(self) -> str:
        """The three figures at one precision, so that the shortfall is their difference as
        shown (1,322 h against 1,270 h: short by 52, not 52.50).

        >>> print(Shortfall("K1", "h", 1322.5, 1270, singular=True))
        K1 needs at least 1,322 h; only 1,270 h are available (short by 52)
        >>> print(Shortfall("K1", "h", 12.5, 10, singular=True))
        K1 needs at least 12.50 h; only 10.00 h are available (short by 2.50)
        """
        whole = max(abs(self.needed), abs(self.available)) >= 100 or all(
            abs(x - round(x)) < 1e-6 for x in (self.needed, self.available))
        needed, available = ((round(self.needed), round(self.available)) if whole
                             else (self.needed, self.available))
        num = (lambda x: f"{x:,.0f}") if whole else (lambda x: f"{x:,.2f}")  # noqa: E731
        have = self.detail or f"only {num(available)} {self.unit} are available"
        return (
            f"{self.requirement} {'needs' if self.singular else 'need'} at least "
            f"{num(needed)} {self.unit}; "
            f"{have} (short by {num(needed - available)})"
        )


class InfeasibleError(KamoptError):
    """A scenario that cannot be met (exit status 3), with its diagnosis."""

    exit_code = 3

    def __init__(
        self,
        shortfalls: list[Shortfall] | None = None,
        conflicts: list[str] | None = None,
        reasons: list[str] | None = None,
    ):
        self.shortfalls = list(shortfalls or [])
        self.conflicts = list(conflicts or [])
        self.reasons = list(reasons or [])
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = ["The scenario cannot be met:"]
        lines += [f"  - {s}" for s in self.shortfalls]
        lines += [f"  - {r}" for r in self.reasons]
        if self.conflicts:
            lines.append("  These groups of requirements conflict: " + ", ".join(self.conflicts))
        if len(lines) == 1:
            lines.append("  the solver proved that no plan meets all requirements.")
        return "\n".join(lines)


class SolverError(KamoptError):
    """The solver failed or stopped without a plan (exit status 4)."""

    exit_code = 4


class VerificationError(KamoptError):
    """A plan that breaks a constraint or misstates its objective."""

    exit_code = 1

    def __init__(self, violations: list[str]):
        self.violations = violations
        super().__init__("The plan does not verify:\n" + "\n".join(f"  - {v}" for v in violations))


class ReportError(KamoptError):
    """The report could not be made (a missing notebook, or the notebook failed)."""

    exit_code = 1


class BaselineError(KamoptError):
    """A rule of thumb that cannot be filled (e.g. a 'must' customer fits nowhere)."""

    exit_code = 3


class NotASavedScenario(KamoptError):
    """A folder that is not a saved scenario (exit status 2 on the command line)."""

    exit_code = 2


class RunnerError(KamoptError):
    """Where a batch should run cannot be used: a Dask scheduler that does not answer or
    has no workers, a bad ``KAMOPT_WORKERS`` (exit status 2; the message is one line)."""

    exit_code = 2
