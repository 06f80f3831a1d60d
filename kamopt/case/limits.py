"""The limits on what kamopt reads: file sizes, rows, values, YAML aliases, workbook parts.

Files that consultants pass around (a customer list from a client, a
scenario from a colleague, a CRM export) are untrusted input. An input beyond
these limits is refused before it is read in full (exit status 2, the file and
the limit named), so that a small file that unpacks or expands to gigabytes
(a "zip bomb" workbook, a "billion laughs" YAML file) costs a second and a few
MB, not the machine. docs/limits.md has them as a table.

The limits leave room above the largest case ``kamopt sample`` writes
(100,000 customers, 5,000 managers: a 9.5 MB ``customers.csv``, a 6.8 MB
workbook whose customers sheet unpacks to 51 MB) and above the largest
benchmark (20,000 x 400).

>>> MAX_TABLE_ROWS, MAX_TABLE_VALUES, f"{MAX_CSV_BYTES:,}"
(1000000, 5000000, '50,000,000')
>>> size_text(1_234_567), size_text(2_000_000), size_text(2_000_001), size_text(512)
('1.2 MB', '2 MB', '2,000,001 bytes', '512 bytes')
"""

from __future__ import annotations

MB = 1_000_000
#: where the limits are explained (named in every refusal)
LIMITS_DOC = "docs/limits.md"

# ----------------------------------------------------------------- tables
#: data rows of one table (a CSV file or a workbook sheet), the header not counted
MAX_TABLE_ROWS = 1_000_000
#: values of one table: rows x columns, the header included
MAX_TABLE_VALUES = 5_000_000
#: bytes of one CSV file
MAX_CSV_BYTES = 50 * MB

# ----------------------------------------------------------------- workbooks (.xlsx)
#: bytes of one workbook file (compressed, as it lies on disk)
MAX_WORKBOOK_BYTES = 100 * MB
#: bytes all parts of a workbook unpack to together
MAX_WORKBOOK_UNPACKED = 500 * MB
#: bytes one sheet's XML, or the shared strings, unpack to (read as a stream)
MAX_SHEET_UNPACKED = 250 * MB
#: bytes any other part unpacks to (styles, the workbook's own XML: read whole)
MAX_PART_UNPACKED = 20 * MB
#: how many times smaller than its content a part larger than RATIO_FROM may be stored
MAX_COMPRESSION_RATIO = 100
#: parts from this unpacked size on must keep to MAX_COMPRESSION_RATIO
RATIO_FROM = 1 * MB
#: parts (files inside the zip archive) of one workbook
MAX_WORKBOOK_PARTS = 1_000
#: cells the rows of one sheet span, empty ones included (openpyxl builds each row up to
#: its last cell, so one formatted cell in column XFD makes a row of 16,384)
MAX_SHEET_CELLS = 10_000_000
#: the last row of an Excel sheet; a sheet whose rows go on beyond it is no Excel sheet
EXCEL_MAX_ROWS = 1_048_576

# ----------------------------------------------------------------- YAML (scenarios, assumptions)
#: bytes of one scenario or mid-term assumptions file
MAX_YAML_BYTES = 2 * MB
#: aliases (``*name``) in one YAML file
MAX_YAML_ALIASES = 10_000
#: how deep values may nest (mappings in lists in mappings ...)
MAX_YAML_DEPTH = 50
#: values (mappings, lists and single values) a YAML file holds once its aliases are expanded
MAX_YAML_VALUES = 1_000_000


def size_text(n: int) -> str:
    """Bytes in words: ``512 bytes``, ``1.2 MB``; exact where rounding would hide a byte
    over a limit."""
    text = f"{n / MB:,.1f} MB"
    if n < MB or (text.endswith(".0 MB") and n % MB):
        return f"{n:,} bytes"
    return text.replace(".0 MB", " MB")
