"""The scenario library in the app: save the explorer's plan by name, compare saved ones.

A :class:`ScenarioLibrary` sits under a :class:`kamopt.present.widgets.ScenarioExplorer`
(notebook 03 and the Voila app show both). *Save* writes the explorer's
current plan and scenario with :func:`kamopt.analysis.store.save_scenario` (a folder that
survives a kernel restart); *Compare* runs :func:`kamopt.analysis.store.compare` on the
scenarios chosen in the list and shows the headline figures side by side,
who enters or leaves key-account status and who changes manager.

Testable state lives in attributes: ``library.comparison`` (the last
:class:`kamopt.analysis.store.Comparison`), ``library.message.value``, and
``library.choose.options`` (the saved names).

>>> import tempfile
>>> from kamopt.case.sample import make_case
>>> from kamopt.present.widgets import ScenarioExplorer
>>> explorer = ScenarioExplorer(make_case(customers=30, managers=3, seed=1))
>>> library = ScenarioLibrary(explorer, root=tempfile.mkdtemp())
>>> library.name.value = "base"
>>> library.save_button.click()
>>> library.choose.options
('base',)
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as W

from kamopt.analysis.store import DEFAULT_ROOT, compare, list_scenarios, save_scenario


class ScenarioLibrary:
    """Save the explorer's plans under names and compare them side by side."""

    def __init__(self, explorer, root: str | Path = DEFAULT_ROOT):
        self.explorer = explorer
        self.root = Path(root)
        self.comparison = None
        self.name = W.Text(description="Name", placeholder="e.g. m11_leaves")
        self.name.add_class("kamopt-save-name")
        self.save_button = W.Button(description="Save plan", icon="save")
        self.save_button.add_class("kamopt-save")
        self.choose = W.SelectMultiple(description="Saved", rows=6)
        self.choose.add_class("kamopt-compare-choice")
        self.compare_button = W.Button(description="Compare", icon="columns")
        self.compare_button.add_class("kamopt-compare")
        self.message = W.HTML()
        self.message.add_class("kamopt-library-message")
        self.result = W.HTML()
        self.result.add_class("kamopt-comparison")
        self.save_button.on_click(lambda _: self._guard(self.save))
        self.compare_button.on_click(lambda _: self._guard(self.compare))
        self.refresh()
        self.widget = W.VBox([
            W.HTML("<h3>Saved scenarios</h3>"),
            W.HBox([self.name, self.save_button]),
            W.HBox([self.choose, self.compare_button]),
            self.message, self.result])

    def _ipython_display_(self):  # pragma: no cover - shown by Jupyter / Voila
        from IPython.display import display

        display(self.widget)

    def _guard(self, action) -> None:
        """Run a button's action; show any error in the library, never lose it."""
        try:
            action()
        except Exception as exc:  # shown to the user, not swallowed
            self.message.value = (f"<span style='color:#b00'>{html.escape(type(exc).__name__)}: "
                                  f"{html.escape(str(exc))}</span>")

    def refresh(self) -> None:
        """Re-read the saved scenarios into the list (keeping the selection that still exists)."""
        names = tuple(list_scenarios(self.root).index)
        kept = tuple(n for n in self.choose.value if n in names)
        self.choose.options = names
        self.choose.value = kept

    def save(self) -> Path:
        """Save the explorer's current plan under the name in the text field."""
        plan = self.explorer.wait()  # a provisional plan is saved once refined
        if plan is None:
            raise ValueError("There is no plan to save: the last solve did not give one.")
        name = self.name.value.strip()
        folder = save_scenario(plan, name or None, root=self.root)
        self.refresh()
        self.choose.value = tuple(dict.fromkeys((*self.choose.value, folder.name)))
        k = plan.kpis
        self.message.value = (f"Saved <b>{html.escape(folder.name)}</b>: {k['key_accounts']} key "
                              f"accounts, {k['objective']:,.0f} EUR a year ({plan.status}).")
        return folder

    def compare(self):
        """Compare the chosen saved scenarios; changes are against the first chosen."""
        chosen = list(self.choose.value)
        if len(chosen) < 2:
            raise ValueError("Choose at least two saved scenarios to compare.")
        self.comparison = c = compare([self.root / n for n in chosen])
        kpis = _readable(c.kpis.loc[[i for i in ("status", "objective", "key_accounts",
                                                 "accounts_changing_hands", "hours_used", "cost",
                                                 "mip_gap")
                                     if i in c.kpis.index]])
        changes = c.key_account_changes
        moves = c.manager_changes
        self.result.value = (
            "<h4>Side by side</h4>" + _table(kpis)
            + f"<h4>Key-account status changes against {html.escape(c.names[0])} "
              f"({len(changes)})</h4>" + _table(changes.head(40), index=False)
            + f"<h4>Manager changes ({len(moves)})</h4>" + _table(moves.head(40), index=False))
        self.message.value = f"Compared {', '.join(html.escape(n) for n in c.names)}."
        return c


#: the headline rows of a comparison in words and units
KPI_ROWS = {"status": "status", "objective": "net contribution (EUR a year)",
            "key_accounts": "key accounts", "hours_used": "KAM hours used",
            "cost": "cost (EUR a year)", "mip_gap": "proven gap",
            "accounts_changing_hands": "key accounts changing hands (vs today)"}


def _readable(kpis):
    """The comparison's headline rows in words, the gap as a percentage."""
    out = kpis.astype(object).copy()
    if "mip_gap" in out.index:
        out.loc["mip_gap"] = [f"{float(v):.2%}" for v in out.loc["mip_gap"]]
    return out.rename(index=KPI_ROWS)


def _table(df, index: bool = True) -> str:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:,.4f}" if abs(v) < 1 else f"{v:,.0f}"
        return v

    return df.map(fmt).to_html(index=index, border=0, classes="kamopt-table")
