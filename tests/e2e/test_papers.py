"""The papers in a browser: the acceptance receipt and the application's certificate on a phone
and a desktop, fitting the screen and accessible, and the public verification pages their QR codes
open (signed out). Screenshots: test-artifacts/screenshots/papers-*.png."""
from __future__ import annotations

import pytest

from govflow.applications import papers
from govflow.applications.models import Certificate, CertificateTemplate
from govflow.catalog.models import Output
from tests.factories import CitizenFactory
from tests.stories import approve, submitted

from .test_portal import PASSWORD, assert_accessible, assert_fits_the_screen, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def certified(demo_catalog, clerks):
    CertificateTemplate.objects.create(output=Output.objects.get(code="uscc"), title="营业执照",
                                       body="名称：{{ holder_name }}\n{{ output_label }}：{{ output_value }}")
    citizen = CitizenFactory(username="papers-citizen", name="周小川", password=PASSWORD)
    application = submitted(citizen, "business-startup")
    approve(application, "amr-licence", clerks["amr"])
    return citizen, application, Certificate.objects.get()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_receipt_and_the_certificate_fit_and_are_accessible(page, phone_page, certified, run_axe, screenshot,
                                                                size):
    citizen, application, certificate = certified
    tab = phone_page if size == "phone" else page
    sign_in(tab, citizen.username)

    tab.goto(f"/applications/{application.pk}/receipt/")
    assert tab.locator("[data-receipt] img[src^='data:image/svg+xml']").count() == 1
    assert_fits_the_screen(tab)
    assert_accessible(tab, run_axe)
    screenshot(tab, f"papers-receipt-{size}")

    tab.goto(f"/applications/{application.pk}/#results")
    row = tab.locator(f"[data-certificate='{certificate.serial}']")
    assert row.count() == 1 and row.locator("a[download]").count() == 1
    assert_fits_the_screen(tab)
    assert_accessible(tab, run_axe)
    screenshot(tab, f"papers-results-{size}")


@pytest.mark.locale("en")
def test_the_verification_pages_signed_out(phone_page, certified, run_axe, screenshot):
    _citizen, application, certificate = certified

    phone_page.goto(f"/verify/{papers.receipt_token(application)}/")
    assert "This receipt is genuine" in phone_page.inner_text("main")
    assert_fits_the_screen(phone_page)
    assert_accessible(phone_page, run_axe)
    screenshot(phone_page, "papers-verify-receipt-phone")

    phone_page.goto(f"/verify/certificates/{certificate.token}/")
    text = phone_page.inner_text("main")
    assert "genuine and valid" in text and "周**" in text and "周小川" not in text
    assert_fits_the_screen(phone_page)
    assert_accessible(phone_page, run_axe)
    screenshot(phone_page, "papers-verify-certificate-phone")
