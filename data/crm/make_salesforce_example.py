"""Write data/crm/salesforce/: the sample company's customers as a Salesforce account report.

    .venv/bin/python data/crm/make_salesforce_example.py

``Accounts.csv`` has the headers of a Salesforce account report (standard fields:
Account Owner, Account Name, Account ID, Account Number, Type, Industry, Billing
Country, Annual Revenue; custom fields: Sales Region, Gross Margin, Cross-Sell
Potential, KAM Hours, KAM Tier, KAM Decision), UTF-8 with a byte-order mark, CRLF
line ends and amounts grouped (``"1,287,000.00"``), as such a report writes them. ``columns.yml`` maps them to kamopt's columns (the
owners' names to manager ids, the KAM decision to ``status``); the other tables
are the sample's own files, copied. Loading the folder gives the sample's customers
exactly (tests/test_column_map.py checks it). Running the script again writes the
same files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "sample"
OUT = HERE / "salesforce"
#: the owner of accounts without a key account manager: the inside-sales queue
QUEUE = "Vertrieb Innendienst"
DECISIONS = {"must": "Keep as key account", "exclude": "Not a key account", "": ""}
#: kamopt's column: the Salesforce header (in the report's order below)
HEADERS = {
    "current_manager": "Account Owner",
    "name": "Account Name",
    "customer_id": "Account Number",
    "industry": "Industry",
    "region": "Sales Region",
    "revenue": "Annual Revenue",
    "margin": "Gross Margin",
    "potential": "Cross-Sell Potential",
    "kam_hours": "KAM Hours",
    "tier": "KAM Tier",
    "status": "KAM Decision",
}
COUNTRIES = ("Austria", "Switzerland")


def _amount(text: str) -> str:
    return f"{float(text):,.2f}"


def accounts(customers: pd.DataFrame, owners: dict[str, str]) -> pd.DataFrame:
    """The customers as a Salesforce account report."""
    c = customers
    dach = (c["region"] == "DACH-Export").cumsum()
    return pd.DataFrame({
        "Account Owner": [owners[m] if m else QUEUE for m in c["current_manager"]],
        "Account Name": c["name"],
        "Account ID": [f"0015g00000{i:05d}AAQ" for i in range(1, len(c) + 1)],
        "Account Number": c["customer_id"],
        "Type": "Customer - Direct",
        "Industry": c["industry"],
        "Billing Country": [COUNTRIES[n % 2] if r == "DACH-Export" else "Germany"
                            for r, n in zip(c["region"], dach, strict=True)],
        "Sales Region": c["region"],
        "Annual Revenue": c["revenue"].map(_amount),
        "Gross Margin": c["margin"],
        "Cross-Sell Potential": c["potential"].map(_amount),
        "KAM Hours": c["kam_hours"],
        "KAM Tier": c["tier"],
        "KAM Decision": c["status"].map(DECISIONS),
    })


def column_map(owners: dict[str, str]) -> str:
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        "# columns.yml: a Salesforce account report (Accounts.csv) read as it comes.",
        "# Written by data/crm/make_salesforce_example.py from data/sample; the other",
        "# files of this folder are in kamopt's own format. See docs/data-sources.md.",
        "customers:",
        "  file: Accounts.csv",
        "  columns:                       # the report's header: kamopt's column",
        *(f"    {q(head)}: {col}" for col, head in HEADERS.items()),
        "  values:",
        "    current_manager:             # Salesforce names the owner; managers.csv has ids",
        *(f"      {q(name)}: {mid}" for mid, name in owners.items()),
        f'      {q(QUEUE)}: ""   # the inside-sales queue: no key account manager today',
        "    status:",
        *(f"      {q(text)}: {status}" for status, text in DECISIONS.items() if status),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    read = dict(dtype=str, keep_default_na=False, encoding="utf-8")
    customers = pd.read_csv(SAMPLE / "customers.csv", **read)
    managers = pd.read_csv(SAMPLE / "managers.csv", **read)
    owners = dict(zip(managers["manager_id"], managers["name"], strict=True))
    assert len(set(owners.values())) == len(owners) and QUEUE not in owners.values()
    OUT.mkdir(parents=True, exist_ok=True)
    accounts(customers, owners).to_csv(OUT / "Accounts.csv", index=False, encoding="utf-8-sig",
                                       lineterminator="\r\n")
    for name in ("managers", "activities", "departments", "responses"):
        shutil.copyfile(SAMPLE / f"{name}.csv", OUT / f"{name}.csv")
    (OUT / "columns.yml").write_text(column_map(owners), encoding="utf-8")
    print(f"Wrote {OUT}")


if __name__ == "__main__":
    main()
