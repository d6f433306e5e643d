"""A branded fpdf2 document and the formatting every PDF shares: money, times, labels."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.image_parsing import preload_image

from graphql_api.pdf import typefaces
from graphql_api.pdf.documents import BrandingDoc
from models.validation import minor_units

DEFAULT_ACCENT = (10, 125, 90)
HEX_COLOR = re.compile(r"^#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


def text(value: str | None) -> str:
    """Text as printed: NFC-normalized, so decomposed accents use the precomposed glyphs."""
    return unicodedata.normalize("NFC", value or "")


def money(amount: Decimal | None, currency_code: str) -> str:
    """`1,234.50 EUR`: exact Decimal arithmetic, quantized to the currency's minor unit."""
    if amount is None:
        return "—"
    places = minor_units(currency_code)
    quantized = amount.quantize(Decimal(1).scaleb(-places))
    return f"{quantized:,f} {currency_code}"


def when(moment: datetime | None) -> str:
    """`2026-03-01 14:05 UTC`; a naive datetime is taken as UTC."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def label(name: str) -> str:
    """An enum name as words: `LIKE_NEW` becomes `Like new`."""
    return name.replace("_", " ").capitalize()


def accent_rgb(accent_color: str | None) -> tuple[int, int, int]:
    """The branding's accent colour, or the default when absent or not a hex colour."""
    if not accent_color or not HEX_COLOR.match(accent_color.strip()):
        return DEFAULT_ACCENT
    digits = accent_color.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    red, green, blue = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return red, green, blue


class BrandedPdf(FPDF):
    """A document with the shipped Unicode fonts, the organization's header on every page,
    and its footer text with page numbers at the bottom of every page."""

    def __init__(
        self,
        branding: BrandingDoc,
        title: str,
        *,
        page_format: str | tuple[float, float] = "A4",
        margin: float = 15,
        compact_header: bool = False,
    ) -> None:
        super().__init__(unit="mm", format=page_format)
        self.branding = branding
        self.accent = accent_rgb(branding.accent_color)
        self.compact_header = compact_header
        self._footer_page = 0
        typefaces.install(self)
        self.set_margins(margin, margin, margin)
        self.set_auto_page_break(True, margin=margin + 8)
        self.set_title(text(title))
        self.set_author(text(branding.organization_name))
        self.set_creator("Tradequote")
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)
        self.alias_nb_pages()

    def style(self, size: float, *, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        """Set font size, weight and colour in one call."""
        self.set_font(typefaces.FAMILY, "B" if bold else "", size)
        self.set_text_color(*color)

    def header(self) -> None:
        logo_height = 9 if self.compact_header else 16
        top = self.t_margin
        logo_width = self._draw_logo(self.l_margin, top, logo_height)
        name_x = self.l_margin + (logo_width + 4 if logo_width else 0)
        self.set_xy(name_x, top)
        self.style(11 if self.compact_header else 15, bold=True, color=self.accent)
        width = self.w - self.r_margin - name_x
        self.cell(width, 6 if self.compact_header else 8, text(self.branding.organization_name))
        if self.branding.headline and not self.compact_header:
            self.set_xy(name_x, top + 8)
            self.style(9, color=MUTED)
            self.cell(width, 5, text(self.branding.headline))
        rule_y = top + logo_height + 2
        self.set_draw_color(*self.accent)
        self.set_line_width(0.6)
        self.line(self.l_margin, rule_y, self.w - self.r_margin, rule_y)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.set_xy(self.l_margin, rule_y + 4)
        self.style(10)

    def footer(self) -> None:
        if self._footer_page == self.page:
            return  # the last page's footer, drawn by finish() before output
        self._footer_page = self.page
        self.set_y(-(self.b_margin - 2))
        self.style(7, color=MUTED)
        footer = text(self.branding.footer_text)
        page = f"{self.page_no()}/{{nb}}"
        page_width = self.get_string_width(page.replace("{nb}", "99")) + 2
        self.cell(self.epw - page_width, 4, footer)
        self.cell(page_width, 4, page, align="R")

    def heading(self, value: str, size: float = 12) -> None:
        """A section heading in the accent colour, on its own line."""
        self.style(size, bold=True, color=self.accent)
        self.cell(0, size * 0.55, text(value), new_x="LMARGIN", new_y="NEXT")
        self.style(10)

    def field(self, name: str, value: str, *, name_width: float = 38) -> None:
        """A `name: value` line, the value wrapping under itself."""
        self.style(9, color=MUTED)
        self.cell(name_width, 5.5, text(name))
        self.style(10)
        self.multi_cell(0, 5.5, text(value), new_x="LMARGIN", new_y="NEXT")

    def keep_together(self, height: float) -> None:
        """Start a new page unless `height` mm still fit on this one."""
        if self.will_page_break(height):
            self.add_page()

    def rule(self, gap: float = 3) -> None:
        """A thin horizontal line across the text width, with `gap` mm around it."""
        self.ln(gap)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(gap)

    def measure(self, value: str) -> float:
        """The width of `value` in the current font and size, fallback glyphs included.

        Same result as `get_string_width` for plain text, without its per-call parsing.
        """
        primary, fallback = self._fonts_for_text()
        units = 0.0
        for char in value:
            code = ord(char)
            font = fallback if code not in primary.cmap and code in fallback.cmap else primary
            units += font.cw.get(code, font.desc.missing_width)
        return units * self.font_size_pt / 1000 / self.k

    def wrap(self, value: str, width: float) -> list[str]:
        """`value` broken into lines no wider than `width`: at newlines, between words, and
        inside a word only when the word alone is too wide."""
        lines: list[str] = []
        for paragraph in value.split("\n"):
            if self.measure(paragraph) <= width:
                lines.append(paragraph)
                continue
            line = ""
            for word in paragraph.split(" "):
                candidate = f"{line} {word}" if line else word
                if self.measure(candidate) <= width:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                line = ""
                for char in word:
                    if line and self.measure(line + char) > width:
                        lines.append(line)
                        line = ""
                    line += char
            lines.append(line)
        return lines

    def draw_text(
        self, x: float, y: float, width: float, height: float, value: str, align: str = "L"
    ) -> None:
        """One line of text in a `width` × `height` box at (x, y), aligned "L", "R" or "C".

        Much cheaper than `cell` for many small texts; runs of characters the current font
        lacks are drawn in the fallback font, as `cell` would.
        """
        primary, fallback = self._fonts_for_text()
        runs: list[tuple[bool, str]] = []
        for char in value:
            code = ord(char)
            use_fallback = code not in primary.cmap and code in fallback.cmap
            if runs and runs[-1][0] == use_fallback:
                runs[-1] = (use_fallback, runs[-1][1] + char)
            else:
                runs.append((use_fallback, char))
        cursor = x
        if align in ("R", "C"):
            free = max(width - self.measure(value), 0.0)
            cursor += free if align == "R" else free / 2
        baseline = y + height / 2 + 0.3 * self.font_size
        family, style, size = self.font_family, self.font_style, self.font_size_pt
        for use_fallback, run in runs:
            if use_fallback:
                self.set_font(typefaces.FALLBACK_FAMILY, "", size)
            self.text(cursor, baseline, run)
            cursor += self.measure(run)
            if use_fallback:
                self.set_font(family, style, size)

    def finish(self) -> bytes:
        """The finished document's bytes."""
        self.in_footer = True
        self.footer()
        self.in_footer = False
        typefaces.prepare_for_output(self)
        return bytes(self.output())

    def _fonts_for_text(self) -> tuple[TTFFont, TTFFont]:
        primary = self.current_font
        fallback = self.fonts[typefaces.FALLBACK_FAMILY]
        assert isinstance(primary, TTFFont) and isinstance(fallback, TTFFont)
        return primary, fallback

    def _draw_logo(self, x: float, y: float, height: float) -> float:
        """Draw the logo at most `height` tall and three times as wide; return its width."""
        logo = self.branding.logo
        if not logo or not logo.startswith((PNG_MAGIC, JPEG_MAGIC)):
            return 0
        try:
            _, _, info = preload_image(self.image_cache, BytesIO(logo))
            width = min(height * info.width / info.height, height * 3)
            drawn_height = width * info.height / info.width
            self.image(BytesIO(logo), x=x, y=y + (height - drawn_height) / 2, w=width)
        except (OSError, ValueError, SyntaxError, EOFError, ZeroDivisionError):
            return 0  # a damaged logo must not keep a receipt from printing
        return width
