"""The scenario library in the app: save the explorer's plan by name, compare saved ones.

A :class:`ScenarioLibrary` sits under a :class:`kamopt.present.widgets.ScenarioExplorer`
(notebook 03 and the Voila app show both). *Save* writes the explorer's
current plan and scenario with :func:`kamopt.analysis.store.save_scenario` (a folder that
survives a kernel restart); a name that is already saved is not replaced until the user
confirms (*Replace* / *Cancel*). *Compare* runs :func:`kamopt.analysis.store.compare`
on the scenarios chosen (a searchable :class:`~kamopt.present.inputs.Picker`: the
columns come in the order they were chosen) against the one chosen as the base
(*against*): the headline figures with their change against the base, a bar chart of
the net contribution, and who enters or leaves key-account status and who changes
manager, with the customers' and managers' names, counted by kind and the first
:data:`CHANGE_ROWS` rows listed.

Where scenarios are saved: the app's library defaults to :data:`APP_ROOT`
(``results/app_scenarios``; ``KAMOPT_SCENARIOS`` in notebooks/app.ipynb names another),
notebook 03 saves into ``results/notebook_scenarios`` and ``kamopt compare`` /
:func:`~kamopt.analysis.store.save_scenario` into ``results/scenarios``: what one saves
never replaces what another saved.

It writes in the explorer's language and follows its switch (``explorer.on_language``):
the labels, the last message and the last comparison are written again, from what the
library holds.

Testable state lives in attributes: ``library.comparison`` (the last
:class:`kamopt.analysis.store.Comparison`), ``library.message.value``,
``library.choose.value`` (the chosen names, in order), ``library.against.value``
(the base), ``library.names`` (the saved names) and ``library.confirm`` (the question
before replacing, shown while ``library.pending`` names the scenario).

>>> import tempfile
>>> from kamopt.case.sample import make_case
>>> from kamopt.present.widgets import ScenarioExplorer
>>> explorer = ScenarioExplorer(make_case(customers=30, managers=3, seed=1))
>>> library = ScenarioLibrary(explorer, root=tempfile.mkdtemp())
>>> library.name.value = "base"
>>> library.save_button.click()
>>> library.names, library.choose.value
(('base',), ('base',))
>>> library.save_button.click()  # again: it asks first
>>> library.pending, "replace it?" in library.message.value
('base', True)
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as W
import pandas as pd

from kamopt.analysis.store import compare, list_scenarios, save_scenario
from kamopt.i18n import N_, number, percent, tr
from kamopt.present.explorer_view import Texts, _png
from kamopt.present.inputs import Picker
from kamopt.present.plan_charts import comparison_chart
from kamopt.units import eur

#: where the app saves scenarios unless told otherwise (not the notebooks' folder)
APP_ROOT = Path("results") / "app_scenarios"

#: the rows of each change list shown (the rest are counted)
CHANGE_ROWS = 20


class ScenarioLibrary:
    """Save the explorer's plans under names and compare them side by side."""

    def __init__(self, explorer, root: str | Path = APP_ROOT):
        self.explorer = explorer
        self.root = Path(root)
        self.comparison = None
        self.pending: str | None = None  # a name that exists, waiting for Replace / Cancel
        self.names: tuple[str, ...] = ()
        self._said = None  # the last message: (msgid, fields), written again on a switch
        self._compared = None  # the last comparison shown: (comparison, chosen, base)
        self.texts = t = Texts()
        self.name = t.add(t.add(W.Text(), N_("Name")), N_("e.g. m11_leaves"), "placeholder")
        self.name.add_class("kamopt-save-name")
        self.save_button = t.add(W.Button(icon="save"), N_("Save plan"))
        self.save_button.add_class("kamopt-save")
        self.replace_button = t.add(W.Button(button_style="warning"), N_("Replace"))
        self.replace_button.add_class("kamopt-replace")
        self.cancel_button = t.add(W.Button(), N_("Cancel"))
        self.cancel_button.add_class("kamopt-cancel-replace")
        self.confirm = W.HBox([self.replace_button, self.cancel_button],
                              layout=W.Layout(display="none"))
        self.choose = t.add(Picker(hint=N_("type a saved name…")), N_("Compare"))
        self.choose.add_class("kamopt-compare-choice")
        self.against = t.add(W.Dropdown(layout=W.Layout(width="260px")), N_("against"))
        self.against.add_class("kamopt-compare-base")
        self.compare_button = t.add(W.Button(icon="columns"), N_("Compare"))
        self.compare_button.add_class("kamopt-compare")
        self.message = W.HTML()
        self.message.add_class("kamopt-library-message")
        self.result = W.HTML()
        self.result.add_class("kamopt-comparison")
        self.chart = W.Image(format="png", layout=W.Layout(max_width="760px", display="none"))
        self.chart.add_class("kamopt-compare-chart")
        self.save_button.on_click(lambda _: self._guard(self.save))
        self.replace_button.on_click(lambda _: self._guard(lambda: self.save(replace=True)))
        self.cancel_button.on_click(lambda _: self._guard(self.cancel))
        self.compare_button.on_click(lambda _: self._guard(self.compare))
        self.choose.observe(self._bases, names="value")
        self.refresh()
        explorer_hooks = getattr(explorer, "on_language", None)
        if explorer_hooks is not None:
            explorer_hooks.append(self.relabel)
        self.widget = W.VBox([
            t.html(N_("<h3>Saved scenarios</h3>")),
            W.HBox([self.name, self.save_button]), self.confirm,
            self.choose, W.HBox([self.against, self.compare_button]),
            self.message, self.result, self.chart])

    def _ipython_display_(self):  # pragma: no cover - shown by Jupyter / Voila
        from IPython.display import display

        display(self.widget)

    def _guard(self, action) -> None:
        """Run a button's action; show any error in the library, never lose it."""
        try:
            action()
        except Exception as exc:  # shown to the user, not swallowed
            self._say(None, error=exc)

    def _say(self, msgid: str | None, plan=None, **fields) -> None:
        """The message under the buttons: ``msgid`` (HTML) with ``fields`` (escaped) and the
        figures of ``plan``, or the error ``error``; kept, to be written again in another
        language."""
        self._said = (msgid, plan, fields)
        if plan is not None:
            fields = {**fields, **self._figures(plan)}
        if msgid is None:
            exc = fields["error"]
            self.message.value = (f"<span style='color:#b00'>{html.escape(type(exc).__name__)}: "
                                  f"{html.escape(str(exc))}</span>")
        else:
            self.message.value = tr(msgid, **{k: html.escape(str(v)) for k, v in fields.items()})

    def relabel(self) -> None:
        """The library in the current language (the explorer's switch): its labels, its last
        message and its last comparison, from what it holds."""
        self.texts.apply()
        self.choose.relabel()
        if self._said is not None:
            msgid, plan, fields = self._said
            self._say(msgid, plan, **fields)
        if self._compared is not None:
            self._show_comparison(*self._compared)

    def _bases(self, _=None) -> None:
        chosen = self.choose.value
        keep = self.against.value if self.against.value in chosen else None
        self.against.options = chosen
        self.against.value = keep or (chosen[0] if chosen else None)

    def refresh(self) -> None:
        """Re-read the saved scenarios into the picker (keeping the choices that still exist)."""
        self.names = tuple(list_scenarios(self.root).index)
        self.choose.options = self.names

    def save(self, replace: bool = False) -> Path | None:
        """Save the explorer's current plan under the name in the text field; a name already
        saved is replaced only with ``replace`` (the *Replace* button): otherwise it asks."""
        name = self.name.value.strip() or None
        if not replace and name is not None and (self.root / name).is_dir():
            self.pending = name
            self.confirm.layout.display = ""
            self._say(N_("<b>{name}</b> exists; replace it? (<i>Replace</i> or <i>Cancel</i>)"),
                      name=name)
            return None
        self.pending = None
        self.confirm.layout.display = "none"
        plan = self.explorer.wait()  # a provisional plan is saved once refined
        if plan is None:
            raise ValueError(tr("There is no plan to save: the last solve did not give one."))
        folder = save_scenario(plan, name, root=self.root)
        self.refresh()
        self.choose.value = (*self.choose.value, folder.name)
        self._say(N_("Saved <b>{name}</b>: {n} key accounts, {amount} EUR a year ({status})."),
                  plan, name=folder.name)
        return folder

    @staticmethod
    def _figures(plan) -> dict:
        k = plan.kpis
        return {"n": number(k["key_accounts"]), "amount": number(k["objective"]),
                "status": tr(plan.status)}

    def cancel(self) -> None:
        """Do not replace the saved scenario of that name."""
        self.confirm.layout.display = "none"
        if self.pending is not None:
            self._say(N_("Not saved: <b>{name}</b> kept as it was."), name=self.pending)
        self.pending = None

    def compare(self):
        """Compare the chosen saved scenarios, in the order chosen; changes are against the
        base (*against*, by default the first chosen)."""
        chosen = list(self.choose.value)
        if len(chosen) < 2:
            raise ValueError(tr("Choose at least two saved scenarios to compare."))
        base = self.against.value if self.against.value in chosen else chosen[0]
        ordered = [base, *(n for n in chosen if n != base)]
        self.comparison = c = compare([self.root / n for n in ordered])
        self._show_comparison(c, chosen, base)
        self._say(N_("Compared {names}."), names=", ".join(chosen))
        return c

    def _show_comparison(self, c, chosen: list[str], base: str) -> None:
        self._compared = (c, chosen, base)
        kpis = c.kpis[chosen]
        self.result.value = (
            "<h4>" + html.escape(tr("Side by side (changes against {base})", base=base))
            + "</h4>" + side_by_side(kpis, base) + self._changes(c, chosen))
        table = pd.DataFrame({"net": pd.to_numeric(kpis.loc["objective"]),
                              "key_accounts": pd.to_numeric(kpis.loc["key_accounts"])})
        self.chart.value = _png(comparison_chart(table, title=tr("Net contribution by scenario")))
        self.chart.layout.display = ""

    def _changes(self, c, chosen) -> str:
        case = self.explorer.case
        customers, managers = case.customers["name"], case.managers["name"]

        def named(ids, names):
            return [f"{i} {names[i]}" if i in names.index else str(i) for i in ids]

        ka, mc = c.key_account_changes.copy(), c.manager_changes.copy()
        if len(ka):
            ka["customer_id"] = named(ka["customer_id"], customers)
            ka["change"] = ka["change"].map(lambda v: tr(CHANGE_WORDS.get(v, v)))
        if len(mc):
            mc["customer_id"] = named(mc["customer_id"], customers)
            for col in ("manager_before", "manager_after"):
                mc[col] = named(mc[col], managers)
        enters, leaves = tr(CHANGE_WORDS["enters"]), tr(CHANGE_WORDS["leaves"])
        counts = pd.DataFrame({
            tr("enter key-account status"): ka[ka["change"] == enters].groupby("scenario").size(),
            tr("leave key-account status"): ka[ka["change"] == leaves].groupby("scenario").size(),
            tr("change lead manager"): mc.groupby("scenario").size()},
        ).reindex([n for n in chosen if n != c.names[0]]).fillna(0).astype(int)
        counts.index.name = tr("against {base}", base=c.names[0])
        return ("<h4>" + html.escape(tr("What changes, by kind")) + "</h4>"
                + _html(counts.reset_index(), [1, 2, 3], "counts")
                + _listed(tr("Key-account status changes against {base}", base=c.names[0]),
                          _headed(ka), [3], "status")
                + _listed(tr("Manager changes against {base}", base=c.names[0]),
                          _headed(mc), [], "managers"))


#: the change lists' headers and words (messages)
CHANGE_COLUMNS = {"scenario": N_("scenario"), "customer_id": N_("customer"),
                  "change": N_("change"), "net": N_("net"),
                  "manager_before": N_("manager_before"), "manager_after": N_("manager_after")}
CHANGE_WORDS = {"enters": N_("enters"), "leaves": N_("leaves")}


def _headed(df: pd.DataFrame) -> pd.DataFrame:
    return df.rename(columns={k: tr(v) for k, v in CHANGE_COLUMNS.items()})


#: the headline rows of a comparison in words and units
KPI_ROWS = {"status": N_("status"), "objective": N_("net contribution (EUR a year)"),
            "key_accounts": N_("key accounts"), "hours_used": N_("KAM hours used"),
            "cost": N_("cost (EUR a year)"), "mip_gap": N_("proven gap"),
            "accounts_changing_hands": N_("key accounts changing hands (vs today)")}


def side_by_side(kpis: pd.DataFrame, base: str) -> str:
    """The headline rows in words, one column per scenario, and under each money or count
    row its change against ``base`` (signed); numbers right-aligned."""
    rows = {}
    for key, msgid in KPI_ROWS.items():
        if key not in kpis.index:
            continue
        label = tr(msgid)
        v = kpis.loc[key]
        if key == "status":
            rows[label] = v.astype(str).map(tr)
            continue
        x = pd.to_numeric(v)
        money = key in ("objective", "cost")
        fmt = ((lambda a: eur(a, "EUR", whole=True, minus="−")) if money
               else (lambda a: percent(a, 2)) if key == "mip_gap" else number)
        rows[label] = x.map(fmt)
        if key != "mip_gap":  # its change against the base, signed; blank under the base
            d = x - x[base]
            rows[tr("{label}: change", label=label)] = [
                "" if n == base else "±0" if a == 0 else ("+" if a > 0 else "") + fmt(a)
                for n, a in d.items()]
    table = pd.DataFrame(rows, index=kpis.columns).T
    return _html(table.reset_index(names=""), list(range(1, len(kpis.columns) + 1)), "kpis")


def _listed(title: str, df: pd.DataFrame, right: list[int], name: str) -> str:
    """A change list: its first :data:`CHANGE_ROWS` rows and how many more there are."""
    more = len(df) - CHANGE_ROWS
    df = df.head(CHANGE_ROWS).copy()
    net = tr(CHANGE_COLUMNS["net"])
    if net in df:
        df[net] = df[net].map(lambda a: eur(a, "EUR", whole=True))
    return (f"<h4>{html.escape(title)} ({len(df) + max(more, 0)})</h4>" + _html(df, right, name)
            + ("<p>" + html.escape(tr("… and {n} more.", n=more)) + "</p>" if more > 0 else ""))


def _html(df: pd.DataFrame, right: list[int], name: str) -> str:
    """A table (escaped cells), the columns at positions ``right`` (0-based) right-aligned;
    ``name`` tells its style from the other tables' on the page."""
    t = f"table.kamopt-compare-{name}"
    cells = ", ".join(f"{t} td:nth-child({i + 1}), {t} th:nth-child({i + 1})" for i in right)
    style = (f"<style>{t} td, {t} th {{padding:2px 10px;text-align:left}}"
             + (f" {cells} {{text-align:right}}" if right else "") + "</style>")
    return style + df.to_html(index=False, border=0, escape=True,
                              classes=f"kamopt-table kamopt-compare-table kamopt-compare-{name}")
