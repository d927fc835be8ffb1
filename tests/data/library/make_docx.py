"""Write tests/data/library/field_report.docx, the Word fixture for tests/test_reader_html_docx.py.

Run from the repository root: `.venv/bin/python tests/data/library/make_docx.py`. The text is
written for this fixture (no third-party content). It exercises what the reader must recover:
a Title and Heading 1-3 styles, a list, a table between two paragraphs, a page break, a header
and a footer (which must not be read), and core properties (title, two authors, created date).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx

OUT = Path(__file__).with_name("field_report.docx")


def build(out: Path = OUT) -> None:
    document = docx.Document()
    props = document.core_properties
    props.title = "Field Report on River Sampling"
    props.author = "Ada Lovelace; Grace Hopper"
    props.created = dt.datetime(2024, 3, 5, 9, 30, tzinfo=dt.UTC)
    props.modified = dt.datetime(2024, 4, 1, 12, 0, tzinfo=dt.UTC)

    section = document.sections[0]
    section.header.paragraphs[0].text = "CONFIDENTIAL DRAFT HEADER"
    section.footer.paragraphs[0].text = "Page footer: Hydrology Unit"

    document.add_heading("Field Report on River Sampling", level=0)  # the "Title" style
    document.add_heading("Methods", level=1)
    document.add_paragraph(
        "Water samples were taken at three stations along the river every morning in March."
    )
    document.add_heading("Stations", level=2)
    document.add_paragraph("Upper weir, above the mill.", style="List Bullet")
    document.add_paragraph("Town bridge, below the outfall.", style="List Bullet")
    document.add_paragraph("The table below lists the mean nitrate readings.")
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(
        table.rows,
        [("Station", "Nitrate (mg/L)", "Samples"), ("Upper weir", "1.8", "31"),
         ("Town bridge", "4.6", "29")],
        strict=True,
    ):  # fmt: skip
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("Readings below the outfall were more than twice those above it.")
    document.add_page_break()
    document.add_heading("Results", level=1)
    document.add_paragraph("Nitrate levels fell after the outfall was repaired on 20 March.")
    document.add_heading("Caveats", level=3)
    document.add_paragraph("Two samples from the town bridge were lost in transit.")
    document.save(str(out))


if __name__ == "__main__":
    build()
