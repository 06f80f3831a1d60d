"""`kamopt uncertainty`: the core and the bets, and a plan that holds up
(:mod:`kamopt.analysis.uncertainty`)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from kamopt.cli.args import add_batch_arguments, gap, number_in, path_text, runner_from_args

#: what the command writes (an earlier run's are replaced as a set)
OUTPUTS = frozenset({"selection.csv", "draws.csv", "summary.json", "uncertainty.png"})
#: the folder under --out where results wait until the batch is done (to resume)
PARTIAL = ".kamopt-partial"
#: the most draws one command makes
MAX_DRAWS = 100_000


def add_uncertainty_command(subparsers) -> None:
    """Register ``kamopt uncertainty CASE --draws N --out DIR ...`` on the subparsers."""
    from kamopt.analysis.uncertainty import DECISION_DRAWS, DEFAULT_GAP

    sp = subparsers.add_parser(
        "uncertainty", help="Which key accounts are safe choices when the estimates are "
                            "uncertain, and a plan that holds up.",
        description="Draw the uncertain estimates (the scenario's 'uncertainty:' and the case's "
                    "potential_low/potential_high) N times; plan each draw and value the "
                    "deterministic plan (and with --two-stage a plan decided for the uncertainty) "
                    "under each. Writes selection.csv, draws.csv, summary.json and "
                    "uncertainty.png.")
    sp.add_argument("case", help="case folder of CSVs or .xlsx workbook")
    sp.add_argument("--scenario", help="scenario file (YAML) with an 'uncertainty:' key; "
                                       "without one: potential +-25%%")
    sp.add_argument("--draws", type=number_in(1, MAX_DRAWS, whole=True), required=True,
                    help="Monte Carlo draws of the estimates")
    sp.add_argument("--seed", type=number_in(0, 2**32 - 1, whole=True), default=0,
                    help="the draws' seed (default 0): the same seed, the same draws and results")
    sp.add_argument("--two-stage", action="store_true",
                    help="also decide a two-stage plan (key accounts and leads now, coverage and "
                         "activities per outcome) and report VSS and EVPI")
    sp.add_argument("--decision-draws", type=number_in(1, 200, whole=True),
                    default=DECISION_DRAWS,
                    help=f"draws the two-stage plan is decided on (default {DECISION_DRAWS}; "
                         "separate from the Monte Carlo draws it is valued on)")
    sp.add_argument("--mip-gap", type=gap, default=None,
                    help=f"relative gap of every plan (default: the scenario's if it sets "
                         f"mip_gap, else {DEFAULT_GAP})")
    sp.add_argument("--out", type=path_text, required=True, help="output folder")
    add_batch_arguments(sp)
    sp.set_defaults(func=_cmd_uncertainty)


def _cmd_uncertainty(args) -> int:
    from kamopt.analysis.uncertainty import DEFAULT_GAP, analyse
    from kamopt.case.io import load_case
    from kamopt.case.scenario import Scenario, read_yaml
    from kamopt.case.staging import check_output_folder

    runner = runner_from_args(args)
    out = Path(args.out)
    check_output_folder(out)
    case = load_case(args.case)
    if args.scenario:
        scenario = Scenario.from_yaml(args.scenario)
        has_gap = "mip_gap" in read_yaml(Path(args.scenario))
    else:
        scenario, has_gap = Scenario(name="base"), False
    if scenario.uncertainty is None:
        scenario = scenario.replace(uncertainty=_default_uncertainty())
        print("The scenario gives no 'uncertainty:'; potential is taken as +-25% "
              "(uncertainty: {potential_spread: 0.25}).", file=sys.stderr)
    if args.mip_gap is not None or not has_gap:
        scenario = scenario.replace(mip_gap=args.mip_gap if args.mip_gap is not None
                                    else DEFAULT_GAP)
    out.mkdir(parents=True, exist_ok=True)
    partial = out / PARTIAL
    with runner:
        result = analyse(case, scenario, draws=args.draws, seed=args.seed,
                         two_stage=args.two_stage, decision_draws=args.decision_draws,
                         runner=runner, resume_dir=partial, quiet=args.quiet)
    write_outputs(result, out)
    shutil.rmtree(partial, ignore_errors=True)
    print(result.text(), file=sys.stdout)
    print(f"  written to {out}: selection.csv, draws.csv, summary.json, uncertainty.png "
          f"({runner.where})", file=sys.stdout)
    return 0


def _default_uncertainty():
    from kamopt.case.uncertainty import Uncertainty

    return Uncertainty(potential_spread=0.25)


def write_outputs(result, out: Path) -> None:
    """Write the result's files into ``out`` as a set (none half-written)."""
    from kamopt.case.staging import staged_folder, write_csv
    from kamopt.present.uncertainty_charts import uncertainty_chart

    with staged_folder(out, replaces=OUTPUTS) as tmp:
        write_csv(result.selection, tmp / "selection.csv", float_format="%.4f")
        write_csv(result.draws, tmp / "draws.csv", float_format="%.2f")
        (tmp / "summary.json").write_text(
            json.dumps(result.summary, indent=2, allow_nan=False, default=float) + "\n",
            encoding="utf-8")
        uncertainty_chart(result).savefig(tmp / "uncertainty.png", dpi=110)
