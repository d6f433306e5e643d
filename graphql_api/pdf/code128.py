"""Code 128 barcodes (code set B: printable ASCII), drawn as filled rectangles on a page."""

from __future__ import annotations

from fpdf import FPDF

# Bar and space widths, in modules, of each symbol value 0-105; STOP is the stop pattern.
PATTERNS = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312",
    "132212", "221213", "221312", "231212", "112232", "122132", "122231", "113222",
    "123122", "123221", "223211", "221132", "221231", "213212", "223112", "312131",
    "311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321",
    "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121",
    "313121", "211331", "231131", "213113", "213311", "213131", "311123", "311321",
    "331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224",
    "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112",
    "421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113",
    "114311", "411113", "411311", "113141", "114131", "311141", "411131", "211412",
    "211214", "211232",
)  # fmt: skip
START_B = 104
STOP = "2331112"
QUIET_ZONE = 10  # modules of white on each side


def symbol_values(text: str) -> list[int]:
    """The symbol values of `text` in code set B: start, data, check symbol (no stop)."""
    if not text or any(not 32 <= ord(char) <= 126 for char in text):
        raise ValueError("Code 128 set B encodes printable ASCII only")
    data = [ord(char) - 32 for char in text]
    check = (START_B + sum(position * value for position, value in enumerate(data, 1))) % 103
    return [START_B, *data, check]


def modules(text: str) -> str:
    """The barcode as a string of bar/space widths in modules, stop pattern included."""
    return "".join(PATTERNS[value] for value in symbol_values(text)) + STOP


def width_in_modules(text: str) -> int:
    """The barcode's width in modules, quiet zones included."""
    return sum(int(width) for width in modules(text)) + 2 * QUIET_ZONE


def draw(pdf: FPDF, text: str, x: float, y: float, module: float, height: float) -> float:
    """Draw the barcode of `text` with its left quiet zone starting at `x`; return its width.

    `module` is the narrowest bar's width in the page's unit; black bars on the page's
    background, which must be white around it.
    """
    pdf.set_fill_color(0, 0, 0)
    cursor = x + QUIET_ZONE * module
    for index, width in enumerate(modules(text)):
        span = int(width) * module
        if index % 2 == 0:
            pdf.rect(cursor, y, span, height, style="F")
        cursor += span
    return cursor + QUIET_ZONE * module - x
