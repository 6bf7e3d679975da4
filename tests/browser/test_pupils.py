"""Browser journey: importing the MIS export with a bad row, then the corrected file."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import check_accessibility, sign_in

DATA = Path(__file__).resolve().parents[1] / "data"


def test_csv_import_with_a_bad_row_then_the_fixed_file(page, school):
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto("/pupils/import")
    check_accessibility(page)
    page.get_by_label("The CSV file exported from your MIS").set_input_files(str(DATA / "pupils_bad_row.csv"))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported: 1 row needs correcting")
    expect(page.get_by_role("table")).to_contain_text("31/02/2015")
    expect(page.get_by_role("rowheader", name="3")).to_be_visible()
    check_accessibility(page)
    page.goto("/pupils/?show=all")
    expect(page.get_by_text("No pupils match.")).to_be_visible()

    page.goto("/pupils/import")
    page.get_by_label("The CSV file exported from your MIS").set_input_files(str(DATA / "pupils_good.csv"))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("pupils will be added")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Import these pupils").click()
    expect(page.get_by_text("Import complete: 3 added")).to_be_visible()
    expect(page.get_by_role("link", name="Zoë Kowalczyk")).to_be_visible()
    check_accessibility(page)
