"""The PDFs of the papers (:mod:`govflow.applications.papers`): the acceptance receipt and the
electronic certificates, drawn with reportlab.

Drawing sits in the applications domain, below every interface, because the portal and the API
both serve the same documents and what a certificate looks like is part of what it certifies.
It only draws what it is given (the facts of a receipt, a certificate's frozen text) and the QR
code of the verification address it is handed.

Chinese text uses reportlab's built-in CID font STSong-Light (the reader supplies the glyphs: no
font file ships). A certificate is drawn with ``invariant`` on (no creation time, a fixed document
id) and without page compression, so that the same certificate gives the same bytes every time it
is downloaded from the same address (and its serial and address are plain in the file). The QR code
is drawn module by module from segno's matrix (vector, no image) and is also a link.
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime

import segno
from django.utils import formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from .models import Certificate
from .papers import Receipt

FONT = "STSong-Light"
LATIN = "Helvetica"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

WIDTH, HEIGHT = A4
MARGIN = 22 * mm


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of ``text`` that fit ``width``: Chinese breaks between any two characters, other text
    at spaces where it can."""
    lines: list[str] = []
    for paragraph in (text or "").splitlines() or [""]:
        line = ""
        for char in paragraph:
            if pdfmetrics.stringWidth(line + char, font, size) <= width:
                line += char
                continue
            cut = line.rfind(" ")
            if char != " " and cut > 0 and line[cut + 1:].isascii():
                lines.append(line[:cut])
                line = line[cut + 1:] + char
            else:
                lines.append(line)
                line = char.lstrip()
        lines.append(line)
    return lines


def _qr(pdf: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code of ``url``, ``size`` wide, its lower left corner at (x, y), and a link over it."""
    qr = segno.make(url, error="m")
    matrix = [list(row) for row in qr.matrix]
    border = 2
    modules = len(matrix) + 2 * border
    unit = size / modules
    pdf.setFillColorRGB(1, 1, 1)
    pdf.rect(x, y, size, size, stroke=0, fill=1)
    pdf.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                pdf.rect(x + (col_index + border) * unit, y + size - (row_index + border + 1) * unit, unit, unit,
                         stroke=0, fill=1)
    pdf.linkURL(url, (x, y, x + size, y + size), relative=0)


def _joined(names: list[str]) -> str:
    return ("、" if (get_language() or "").startswith("zh") else ", ").join(names)


def _new(title: str) -> tuple[io.BytesIO, canvas.Canvas]:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=0)
    pdf.setTitle(title)
    pdf.setAuthor("govflow")
    pdf.setCreator("govflow")
    return buffer, pdf


def _lines(pdf: canvas.Canvas, lines: Iterable[str], x: float, y: float, size: float, leading: float, *,
           bottom: float) -> float:
    """Draw ``lines`` downwards from ``y``, going on on a new page below ``bottom``."""
    pdf.setFont(FONT, size)
    for line in lines:
        if y < bottom:
            pdf.showPage()
            pdf.setFont(FONT, size)
            y = HEIGHT - MARGIN
        pdf.drawString(x, y, line)
        y -= leading
    return y


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """The certificate: its title, its frozen text, the authority, the issue date, the serial and
    the QR code of its verification page."""
    values = certificate.values or {}
    buffer, pdf = _new(certificate.title)
    pdf.setLineWidth(1.5)
    pdf.rect(MARGIN / 2, MARGIN / 2, WIDTH - MARGIN, HEIGHT - MARGIN)
    pdf.setFont(FONT, 26)
    pdf.drawCentredString(WIDTH / 2, HEIGHT - MARGIN - 20 * mm, certificate.title)
    width = WIDTH - 2 * MARGIN - 10 * mm
    _lines(pdf, _wrap(certificate.body, FONT, 13, width), MARGIN + 5 * mm, HEIGHT - MARGIN - 45 * mm, 13, 22,
           bottom=MARGIN + 60 * mm)
    pdf.setFont(FONT, 13)
    pdf.drawRightString(WIDTH - MARGIN - 5 * mm, MARGIN + 50 * mm, values.get("authority", ""))
    pdf.drawRightString(WIDTH - MARGIN - 5 * mm, MARGIN + 42 * mm, values.get("issue_date", ""))
    _qr(pdf, verify_url, MARGIN + 5 * mm, MARGIN + 5 * mm, 36 * mm)
    pdf.setFont(FONT, 9)
    pdf.drawString(MARGIN + 45 * mm, MARGIN + 22 * mm, "扫码核验真伪 · Scan to verify")
    pdf.setFont(LATIN, 10)
    pdf.drawString(MARGIN + 45 * mm, MARGIN + 15 * mm, certificate.serial)
    pdf.setFont(LATIN, 7)
    pdf.drawString(MARGIN + 45 * mm, MARGIN + 9 * mm, verify_url[:110])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def receipt_pdf(receipt: Receipt, verify_url: str) -> bytes:
    """The acceptance receipt, in the language active now."""
    title = _("Acceptance receipt")
    buffer, pdf = _new(f"{title} {receipt.number}")
    pdf.setFont(FONT, 22)
    pdf.drawCentredString(WIDTH / 2, HEIGHT - MARGIN - 8 * mm, title)
    pdf.setFont(FONT, 11)
    pdf.drawCentredString(WIDTH / 2, HEIGHT - MARGIN - 16 * mm, receipt.authority)
    width = WIDTH - 2 * MARGIN
    day = lambda value: formats.date_format(value, "Y-m-d") if value else "—"  # noqa: E731
    rows = [
        (_("Application number"), receipt.number),
        (_("Service"), receipt.one_thing),
        (_("Applicant"), receipt.applicant),
        (_("Received"), formats.date_format(timezone.localtime(receipt.submitted_at), "Y-m-d H:i")
         if receipt.submitted_at else "—"),
        (_("Issued by"), receipt.authority),
        (_("Handled by"), _joined(receipt.offices) if receipt.offices else "—"),
        (_("Committed finish date"), day(receipt.committed_finish)),
    ]
    lines: list[str] = []
    for label, value in rows:
        lines += _wrap(f"{label}: {value}", FONT, 11, width)
    lines.append("")
    lines.append(_("Procedures received"))
    for procedure in receipt.procedures:
        lines += _wrap(f"· {procedure.name} — {procedure.office}", FONT, 11, width)
    lines.append("")
    lines.append(ngettext("Materials received (%(count)s file)", "Materials received (%(count)s files)",
                          receipt.material_files) % {"count": receipt.material_files})
    for material in receipt.materials:
        lines += _wrap(f"· {material.label} × {material.files}", FONT, 11, width)
    lines.append("")
    lines += _wrap(_("Questions? Call %(help_line)s and give the application number.")
                   % {"help_line": receipt.help_line}, FONT, 11, width)
    _lines(pdf, lines, MARGIN, HEIGHT - MARGIN - 30 * mm, 11, 18, bottom=MARGIN + 40 * mm)
    _qr(pdf, verify_url, MARGIN, MARGIN, 32 * mm)
    pdf.setFont(FONT, 9)
    pdf.drawString(MARGIN + 36 * mm, MARGIN + 18 * mm, _("Scan the code to check that this receipt is genuine."))
    pdf.setFont(LATIN, 7)
    pdf.drawString(MARGIN + 36 * mm, MARGIN + 10 * mm, verify_url[:120])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def commitment_pdf(*, number: str, one_thing: str, material: str, applicant: str, signer: str, signer_id: str,
                   text: dict, signed_at: datetime) -> bytes:
    """A signed commitment (告知承诺书, docs/commitments.md): the application number (or the
    draft's reference before submission), the service, the material it replaces, the applicant,
    the signatory with their ID number, the text signed in Chinese and in English, and the time
    of signing. Both languages on one page, like the paper forms: a commitment is read by the
    office and, if it comes to that, by a court, whatever the signer's interface language was."""
    buffer, pdf = _new(f"告知承诺书 Commitment {number}")
    pdf.setFont(FONT, 22)
    pdf.drawCentredString(WIDTH / 2, HEIGHT - MARGIN - 8 * mm, "告知承诺书")
    pdf.setFont(FONT, 12)
    pdf.drawCentredString(WIDTH / 2, HEIGHT - MARGIN - 16 * mm, "Commitment in place of a certificate")
    width = WIDTH - 2 * MARGIN
    rows = [
        ("申请编号 Application number", number),
        ("事项 Service", one_thing),
        ("以承诺代替的材料 Material replaced", material),
        ("申请人 Applicant", applicant),
        ("承诺人 Signatory", signer),
        ("证件号码 ID number", signer_id or "—"),
    ]
    lines: list[str] = []
    for label, value in rows:
        lines += _wrap(f"{label}: {value}", FONT, 11, width)
    lines.append("")
    for language in ("zh-hans", "en"):
        if (text.get(language) or "").strip():
            lines += _wrap(text[language].strip(), FONT, 11, width)
            lines.append("")
    signed = timezone.localtime(signed_at).strftime("%Y-%m-%d %H:%M:%S %z")
    lines += _wrap(f"承诺人已阅读并确认以上内容，于 {signed} 在线签署。", FONT, 11, width)
    lines += _wrap(f"Read, confirmed and signed online by the signatory at {signed}.", FONT, 11, width)
    _lines(pdf, lines, MARGIN, HEIGHT - MARGIN - 30 * mm, 11, 18, bottom=MARGIN)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
