"""`kamopt fit-response`: ADBUDG curves through a manager's judgements, as responses.csv.

``kamopt fit-response CASE --judgements FILE --out responses.csv [--scenario FILE]
[--chart PNG] [--method auto|calibrate|least_squares] [--only-judged] [--fits CSV]``
fits one curve a key of the judgements (:mod:`kamopt.analysis.response_fit`), prints
each fit's quality and writes the rows of responses.csv: the judged accounts' levels,
with the case's own responses.csv rows for the other accounts (unless
``--only-judged``). Every output is written whole or not at all; bad input exits 2.
docs/response.md explains the method.
"""

from __future__ import annotations

from pathlib import Path

from kamopt.analysis.response_fit import (
    METHODS,
    fit_judgements,
    fit_table,
    merged_responses,
    read_judgements,
    response_details,
)
from kamopt.cli.args import CASE_HELP, add_lang_argument, lang_of, path_text
from kamopt.errors import InputError, Problem


def add_fit_response_command(subparsers) -> None:
    """Register ``kamopt fit-response CASE --judgements FILE --out responses.csv``."""
    sp = subparsers.add_parser(
        "fit-response", help="Fit response curves to judged order intake; write responses.csv.",
        description="Fit Little's ADBUDG response curve to each account's (or industry's) judged "
                    "order intake at several efforts and write the coverage levels it gives as "
                    "rows of responses.csv (see docs/response.md).")
    sp.add_argument("case", help=CASE_HELP)
    sp.add_argument("--judgements", required=True, type=path_text,
                    help="judgements CSV: customer_id or industry, effort (0, 0.5, 1, 1.5, "
                         "saturation), order_intake (EUR a year)")
    sp.add_argument("--out", required=True, type=path_text,
                    help="the responses CSV to write (not into a case folder: copy it there)")
    sp.add_argument("--scenario", help="scenario file (YAML) whose levels and retention apply; "
                                       "defaults without it")
    sp.add_argument("--method", choices=METHODS, default="auto",
                    help="calibrate: exactly through the judgements at 0, 1 and saturation "
                         "(Little); least_squares: all four parameters; auto (default): "
                         "calibrate where the judgements allow it")
    sp.add_argument("--only-judged", action="store_true",
                    help="write only the judged accounts' rows (default: also the case's own "
                         "responses.csv rows of the other accounts)")
    sp.add_argument("--chart", metavar="PNG", help="also draw the fitted curves to this PNG file")
    sp.add_argument("--fits", metavar="CSV", help="also write each fit's parameters and quality")
    add_lang_argument(sp)
    sp.set_defaults(func=_cmd_fit_response)


def _check_out(path: str) -> None:
    """Refuse an output into a case folder (it would replace the case's own responses.csv)."""
    folder = Path(path).parent
    if (folder / "customers.csv").is_file():
        raise InputError(Problem(f"--out {path}", "is in a case folder (it holds "
                                 "customers.csv); outputs are never written into a case folder, "
                                 "so that no input file is replaced: write it elsewhere and copy "
                                 "it into the case"), title="The output cannot be written")


def _cmd_fit_response(args) -> int:
    from contextlib import ExitStack

    from kamopt.case.io import load_case
    from kamopt.case.scenario import Scenario
    from kamopt.case.staging import check_output_file, staged_file, write_csv
    from kamopt.i18n import language

    outputs = [("--out", args.out, ".csv"), ("--chart", args.chart, ".png"),
               ("--fits", args.fits, ".csv")]
    outputs = [o for o in outputs if o[1] is not None]
    for flag, path, suffix in outputs:  # before any work
        check_output_file(path, flag, (suffix,), title="The outputs cannot be written")
        _check_out(path)
    case = load_case(args.case)
    scenario = Scenario.from_yaml(args.scenario) if args.scenario else Scenario()
    judgements = read_judgements(args.judgements, case)
    try:
        fits = fit_judgements(judgements, args.method)
    except ValueError as exc:  # --method calibrate on judgements that do not allow it
        raise InputError(Problem(args.judgements, f"{exc} (--method {args.method}); use "
                                 "--method auto or least_squares"),
                         title="The judgements cannot be fitted") from None
    details = response_details(case, scenario, fits)
    rows = details[["customer_id", "level", "hours", "realization"]]
    out = rows if args.only_judged else merged_responses(case, rows)
    table = fit_table(fits)
    print(_summary(table, details, scenario))
    with ExitStack() as stack:  # every output or none
        write_csv(out, stack.enter_context(staged_file(args.out)), float_format="%.6g")
        if args.fits:
            write_csv(table, stack.enter_context(staged_file(args.fits)), float_format="%.6g")
        if args.chart:
            from kamopt.present.response_chart import response_chart

            levels = [(lv.name, lv.hours_factor) for lv in scenario.levels]
            with language(lang_of(args, scenario)):
                fig = response_chart(fits, judgements, levels=levels)
                fig.savefig(stack.enter_context(staged_file(args.chart)), format="png")
    n = details["customer_id"].nunique()
    print(f"responses written to {args.out}: {len(out)} rows, {n} judged account"
          f"{'s' if n != 1 else ''}" + ("" if args.only_judged else
                                        f", {out['customer_id'].nunique() - n} kept from the case"))
    for flag, path, _ in outputs[1:]:
        print(f"{'chart' if flag == '--chart' else 'fits'} written to {path}")
    return 0


def _summary(table, details, scenario) -> str:
    """The fits and what they give, for the terminal."""
    lines = [f"{'key':<24} {'method':<14} {'a':>12} {'b':>12} {'c':>6} {'d':>8} "
             f"{'RMSE':>10} {'R²':>6}  flags"]
    for _, r in table.iterrows():
        key = r["key"] if r["kind"] == "customer_id" else f"{r['kind']} {r['key']}"
        lines.append(f"{key[:24]:<24} {r['method']:<14} {r['a']:>12,.0f} {r['b']:>12,.0f} "
                     f"{r['c']:>6.3f} {r['d']:>8.4g} {r['rmse']:>10,.0f} {r['r2']:>6.3f}  "
                     f"{r['flags']}")
    levels = ", ".join(f"{lv.name} {lv.hours_factor:g}" for lv in scenario.levels)
    lines.append(f"levels of scenario '{scenario.name}' (hours factor = effort): {levels}; "
                 f"realization = (r(f) - r(0) - {scenario.retention:g} x revenue) / potential")
    clipped = details[details["note"] != ""]
    if len(clipped):
        shown = ", ".join(f"{r.customer_id} {r.level} ({r.note})"
                          for r in clipped.head(6).itertuples())
        more = f" and {len(clipped) - 6} more" if len(clipped) > 6 else ""
        lines.append(f"clipped to [0, 1]: {shown}{more}")
    return "\n".join(lines)
