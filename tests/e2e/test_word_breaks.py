"""Words stay whole on a 360 px phone: long English department names wrap between words, not in the
middle of one ("Administratio/n"), and the page still fits the screen.

A word counts as broken when the browser lays it out on more than one line (its ``Range`` has client
rectangles on different lines). Screenshots: ``test-artifacts/screenshots/misc-*.png``.
"""
from __future__ import annotations

import pytest

from tests.factories import CitizenFactory
from tests.stories import submitted

from .test_portal import PASSWORD, assert_accessible, assert_fits_the_screen, sign_in

pytestmark = pytest.mark.e2e

#: Latin words of at least four letters in ``main`` that the layout split across lines. A web address
#: (the receipt's verification link) is not a word: it may break anywhere, so it is left out.
BROKEN_WORDS_JS = r"""() => {
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    if (text.includes("://")) continue;
    for (const match of text.matchAll(/[A-Za-z]{4,}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


@pytest.mark.locale("en")
def test_the_phone_receipt_breaks_lines_between_words_not_inside_them(phone_page, demo_catalog, run_axe,
                                                                     screenshot):
    citizen = CitizenFactory(username="words-citizen", password=PASSWORD)
    application = submitted(citizen, "business-startup")
    page = phone_page
    sign_in(page, citizen.username)

    page.goto(f"/applications/{application.pk}/receipt/")
    assert "Administration" in page.inner_text("main")  # the long department names are there
    screenshot(page, "misc-receipt-words-phone-en")
    assert page.evaluate(BROKEN_WORDS_JS) == []
    assert_fits_the_screen(page)

    page.goto(f"/applications/{application.pk}/")
    assert page.evaluate(BROKEN_WORDS_JS) == []
    assert_fits_the_screen(page)

    # The profile: its verification state and notification settings fit the phone too.
    page.goto("/accounts/profile/")
    assert "Not verified" in page.inner_text("#identity-check")
    page.check("#id_language_1")  # English
    page.uncheck("#id_notify_by_sms")
    page.click("#main-form button[type=submit]")
    page.wait_for_selector(".notice--success")
    assert page.is_checked("#id_language_1") and not page.is_checked("#id_notify_by_sms")
    assert page.evaluate(BROKEN_WORDS_JS) == []
    assert_fits_the_screen(page)
    assert_accessible(page, run_axe)
    screenshot(page, "misc-profile-phone-en")
