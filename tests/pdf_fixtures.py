"""PDFs for the PDF reader's tests, drawn with reportlab (Helvetica, US letter: 612 × 792 pt)."""

from __future__ import annotations

from pathlib import Path

BODY = 11  # body font size
LEADING = 14  # body line spacing


def _canvas(path: Path, title: str | None = None, encrypt=None):
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(612, 792), encrypt=encrypt)
    if title is not None:
        c.setTitle(title)
    c.setAuthor("Test Author")
    return c


def _lines(c, x: float, y: float, lines: list[str], size: float = BODY, font: str = "Helvetica") -> float:
    c.setFont(font, size)
    for line in lines:
        c.drawString(x, y, line)
        y -= LEADING if size == BODY else size * 1.3
    return y


def _superscript(c, x: float, y: float, before: str, mark: str, after: str, size: float = BODY) -> None:
    """`before`, then `mark` smaller and raised, then `after`, on one baseline."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    c.setFont("Helvetica", size)
    c.drawString(x, y, before)
    x += stringWidth(before, "Helvetica", size)
    c.setFont("Helvetica", size * 0.6)
    c.drawString(x, y + size * 0.35, mark)
    x += stringWidth(mark, "Helvetica", size * 0.6)
    c.setFont("Helvetica", size)
    c.drawString(x, y, after)


def _furniture(c, page: int, section: str) -> None:
    c.setFont("Helvetica", 9)
    c.drawString(72, 760, f"Mining Review 2024 — {section}")
    c.drawString(300, 30, str(page))


SECTIONS = ("Introduction", "Introduction", "Water Stewardship", "Water Stewardship", "Closure and Reclamation")


def report_pdf(path: Path) -> Path:
    """Five pages: contents page, headings, footnotes, hyphens, bullets, two columns, end notes;
    running headers that vary by section, page numbers in the footer."""
    c = _canvas(path, title="Mining Governance Review")
    # page 1: a contents page
    _furniture(c, 1, SECTIONS[0])
    c.setFont("Helvetica-Bold", 20)
    c.drawString(72, 700, "Contents")
    entries = [("Introduction", 2), ("Water Stewardship", 3), ("Closure and Reclamation", 5), ("Notes", 5)]
    _lines(c, 72, 660, [f"{name} " + "." * (60 - len(name)) + f" {n}" for name, n in entries])
    c.showPage()
    # page 2: a heading, a footnote marker and its footnote, hyphenated line ends, bullets
    _furniture(c, 2, SECTIONS[1])
    c.setFont("Helvetica-Bold", 18)
    c.drawString(72, 700, "Introduction to Mine Permits")
    _superscript(c, 72, 660, "Permits are granted under the Surface Mining Act of 1947", "16", " and later rules.")
    y = _lines(c, 72, 660 - LEADING, [
        "The review of tailings storage covers the develop-",
        "ment of each facility from design to closure, and",
        "every report is checked by independent third-",
        "party auditors before the regulator accepts it.",
    ])
    y = _lines(c, 72, y - LEADING, [
        "• Operators file an annual water balance",
        "• Regulators publish inspection results",
    ])
    c.setFont("Helvetica", 6)
    c.drawString(72, 84, "16")
    c.setFont("Helvetica", 8)
    c.drawString(80, 80, "Surface Mining Act of 1947, as amended in 1977 by the reclamation statute.")
    c.showPage()
    # page 3: two columns under a full-width heading
    _furniture(c, 3, SECTIONS[2])
    c.setFont("Helvetica-Bold", 18)
    c.drawString(72, 700, "Water Stewardship Duties")
    left = [f"Left column sentence number {n} on water." for n in range(1, 9)]
    right = [f"Right column sentence {n} on closure." for n in range(1, 9)]
    _lines(c, 72, 660, left)
    _lines(c, 330, 660, right)
    c.showPage()
    # page 4: roman-numeral end-note markers in running text
    _furniture(c, 4, SECTIONS[3])
    from reportlab.pdfbase.pdfmetrics import stringWidth

    c.setFont("Helvetica", BODY)
    x = 72
    for word, mark in (("Companies follow the laws", "i"), (" and regulations", "ii"), (" of each state.", "")):
        c.setFont("Helvetica", BODY)
        c.drawString(x, 660, word)
        x += stringWidth(word, "Helvetica", BODY)
        if mark:
            c.setFont("Helvetica", 7)
            c.drawString(x + 1, 664, mark)
            x += stringWidth(mark, "Helvetica", 7) + 2
    _lines(c, 72, 640, ["Water permits are renewed every five years by the state agency."])
    c.showPage()
    # page 5
    _furniture(c, 5, SECTIONS[4])
    c.setFont("Helvetica-Bold", 18)
    c.drawString(72, 700, "Closure and Reclamation")
    _lines(c, 72, 660, ["Closure plans are funded in advance through a financial bond."])
    c.save()
    return path


def titled_pdf(path: Path, meta_title: str | None, page_title: str = "Tailings Dam Safety") -> Path:
    c = _canvas(path, title=meta_title)
    c.setFont("Helvetica-Bold", 26)
    c.drawString(72, 700, page_title)
    _lines(c, 72, 650, ["Dams holding mine tailings are inspected every year by engineers."])
    c.save()
    return path


def encrypted_pdf(path: Path, user_password: str = "") -> Path:
    from reportlab.lib.pdfencrypt import StandardEncryption

    c = _canvas(path, encrypt=StandardEncryption(user_password, ownerPassword="owner-secret"))
    _lines(c, 72, 700, ["Encrypted text about cobalt supply chains."])
    c.save()
    return path


def textless_pdf(path: Path, pages: int = 1, text_on_last: bool = False) -> Path:
    """Pages with a drawn rectangle only (like a scan); optionally text on the last page."""
    c = _canvas(path)
    for n in range(pages):
        c.rect(72, 72, 400, 600, fill=1)
        if text_on_last and n == pages - 1:
            c.setFillColorRGB(1, 1, 1)
            _lines(c, 72, 740, ["Only this page has a text layer."])
        c.showPage()
    c.save()
    return path
