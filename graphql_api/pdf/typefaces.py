"""The fonts shipped in `fonts/`, parsed once per process and shared by every document.

DejaVu Sans (regular and bold) covers Latin, Greek, Cyrillic and Vietnamese; WenQuanYi Micro
Hei covers Chinese, Japanese kana and Korean Hangul and is registered as the fallback font, so
a name such as `王伟` inside a Latin line renders with real glyphs and extracts as text.

fpdf2 parses a font file on every `add_font` and subsets the whole font on every `output`;
with a 49,000-glyph CJK font that is most of a second per document. Instead each typeface is
parsed once (`typefaces()`), every document gets a cheap copy of the parsed font (`install`),
and just before output each copy is handed a small font holding only the glyphs the document
used (`prepare_for_output`), which fpdf2 then subsets in a few milliseconds. This relies on
fpdf2 internals (`TTFFont`, `SubsetMap`, `FPDF.fonts`, page contents), hence the exact pin on
fpdf2; tests/test_pdf.py fails if an upgrade breaks it.
"""

from __future__ import annotations

import copy
import gc
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont, newTable  # type: ignore[import-untyped]
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable  # type: ignore[import-untyped]
from fontTools.ttLib.tables._g_l_y_f import Glyph  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "dejavu"
FALLBACK_FAMILY = "wqymicrohei"
# (family, style, file); a collection (.ttc) is read at its first face.
FONT_FILES = (
    (FAMILY, "", "DejaVuSans.ttf"),
    (FAMILY, "B", "DejaVuSans-Bold.ttf"),
    (FALLBACK_FAMILY, "", "wqy-microhei.ttc"),
)
# fpdf2's subsetter always keeps the first glyphs (.notdef, .null, CR, space).
RECOMMENDED_GLYPHS = 4
# Tables copied as they are into a reduced font: none of them refers to glyph ids. The
# others are rebuilt (glyf, loca, hmtx, vmtx, cmap, post) or left out: layout and kerning
# tables, which fpdf2 drops or a PDF viewer never reads, since a PDF positions every glyph.
KEPT_TABLES = frozenset(
    {"head", "hhea", "vhea", "maxp", "OS/2", "name", "cvt ", "fpgm", "prep", "gasp"}
)
ASCII = range(0x20, 0x7F)
POST_FIELDS = (
    "italicAngle",
    "underlinePosition",
    "underlineThickness",
    "isFixedPitch",
    "minMemType42",
    "maxMemType42",
    "minMemType1",
    "maxMemType1",
)


@dataclass(frozen=True)
class Typeface:
    """One parsed font file: fpdf2's metrics plus the raw tables needed to cut subsets."""

    fontkey: str
    data: bytes
    template: TTFFont
    glyph_order: tuple[str, ...]
    glyph_ids: dict[str, int]
    names_by_id: Any  # a glyf table with the full glyph order, for resolving components
    offsets: tuple[int, ...]
    outlines: bytes
    horizontal: dict[str, tuple[int, int]]
    vertical: dict[str, tuple[int, int]] | None
    codepoints: dict[str, tuple[int, ...]]
    post: dict[str, int | float]


_lock = threading.Lock()
_typefaces: tuple[Typeface, ...] | None = None


def typefaces() -> tuple[Typeface, ...]:
    """The shipped typefaces, parsed on first use and kept for the life of the process."""
    global _typefaces
    with _lock:
        if _typefaces is None:
            _typefaces = tuple(_parse(family, style, name) for family, style, name in FONT_FILES)
            # The parsed fonts live as long as the process: out of the collector's sight, as
            # what the server built at start-up is. Left tracked, their tables (a 49,000-glyph
            # font's among them) made every full collection ~80 ms longer, a pause for every
            # request in flight. (What else is alive at this moment is exempted with them.)
            gc.freeze()
        return _typefaces


def install(pdf: FPDF) -> None:
    """Register the shipped fonts on `pdf`, with the CJK font as fallback for any style."""
    for face in typefaces():
        pdf.fonts[face.fontkey] = _copy_for(pdf, face)
    pdf.set_fallback_fonts([FALLBACK_FAMILY], exact_match=False)


def prepare_for_output(pdf: FPDF) -> None:
    """Give each shared font of `pdf` a small font file holding the glyphs it used, and
    unregister those no page uses (fpdf2 would embed them all the same).

    Call it once all content is on the pages, the last page's footer included. Printable
    ASCII is added: `output` itself encodes the page count of `alias_nb_pages`. fpdf2 then
    embeds only the glyphs actually used.
    """
    contents = [page.contents for page in pdf.pages.values()]
    streams = [content for content in contents if isinstance(content, bytearray)]
    for face in typefaces():
        font = pdf.fonts.get(face.fontkey)
        if not isinstance(font, TTFFont):
            continue
        selected = f"/F{font.i} ".encode()
        if len(streams) == len(contents) and not any(selected in s for s in streams):
            del pdf.fonts[face.fontkey]
            continue
        ascii_names = (face.template.cmap[c] for c in ASCII if c in face.template.cmap)
        names = {*font.subset.get_all_glyph_names(), *ascii_names}
        font.ttfont = reduced_font(face, names)


def reduced_font(face: Typeface, glyph_names: Iterable[str]) -> TTFont:
    """A complete font file with just `glyph_names`, the glyphs they are built from, and the
    glyphs every subset keeps; glyph names, metrics and codepoints are the original ones."""
    # Bounds stay those of the whole font, as fontTools' own subsetter leaves them: still
    # true, and recomputing them would decode every outline.
    font = TTFont(
        BytesIO(face.data), fontNumber=0, lazy=True, recalcTimestamp=False, recalcBBoxes=False
    )
    for tag in list(font.reader.keys()):
        if tag not in KEPT_TABLES:
            del font[tag]
    glyphs = _glyphs_with_components(face, glyph_names)
    order = sorted(glyphs, key=face.glyph_ids.__getitem__)
    font.setGlyphOrder(order)
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    font["hmtx"] = _metrics_table("hmtx", face.horizontal, order)
    if face.vertical is not None:
        font["vmtx"] = _metrics_table("vmtx", face.vertical, order)
    font["cmap"] = _cmap_table(face, order)
    font["post"] = _post_table(face)
    return font


def _parse(family: str, style: str, file_name: str) -> Typeface:
    path = FONT_DIR / file_name
    fontkey = f"{family}{style}"
    template = TTFFont(FPDF(), path, fontkey, style)
    ttfont = template.ttfont
    order = tuple(ttfont.getGlyphOrder())
    names_by_id = newTable("glyf")
    names_by_id.glyphOrder = order
    codepoints: dict[str, list[int]] = {}
    for codepoint, name in template.cmap.items():
        codepoints.setdefault(name, []).append(codepoint)
    face = Typeface(
        fontkey=fontkey,
        data=path.read_bytes(),
        template=template,
        glyph_order=order,
        glyph_ids={name: gid for gid, name in enumerate(order)},
        names_by_id=names_by_id,
        offsets=tuple(int(offset) for offset in ttfont["loca"]),
        outlines=ttfont.reader["glyf"],
        horizontal=dict(ttfont["hmtx"].metrics),
        vertical=dict(ttfont["vmtx"].metrics) if "vmtx" in ttfont else None,
        codepoints={name: tuple(points) for name, points in codepoints.items()},
        post={field: getattr(ttfont["post"], field) for field in POST_FIELDS},
    )
    ttfont.close()
    return face


def _copy_for(pdf: FPDF, face: Typeface) -> TTFFont:
    """A per-document font sharing the parsed metrics and owning its own usage state."""
    font = copy.copy(face.template)
    font.i = len(pdf.fonts) + 1
    font.desc = copy.copy(face.template.desc)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    # Set by prepare_for_output; until then an output fails loudly instead of subsetting
    # (and so destroying) a shared font.
    font.ttfont = None
    return font


def _glyphs_with_components(face: Typeface, glyph_names: Iterable[str]) -> dict[str, Glyph]:
    """Fresh glyph objects for the names, their components, and the recommended glyphs.

    Composite glyphs are expanded so that their components are held by name, which lets
    them compile against the reduced glyph order.
    """
    glyphs: dict[str, Glyph] = {}
    pending = set(glyph_names) | set(face.glyph_order[:RECOMMENDED_GLYPHS])
    while pending:
        name = pending.pop()
        gid = face.glyph_ids[name]
        glyph = Glyph(face.outlines[face.offsets[gid] : face.offsets[gid + 1]])
        components = glyph.getComponentNames(face.names_by_id)
        if components:
            glyph.expand(face.names_by_id)
            pending.update(c for c in components if c not in glyphs and c != name)
        glyphs[name] = glyph
    return glyphs


def _metrics_table(tag: str, metrics: dict[str, tuple[int, int]], order: list[str]) -> Any:
    table = newTable(tag)
    table.metrics = {name: metrics[name] for name in order}
    return table


def _post_table(face: Typeface) -> Any:
    table = newTable("post")
    table.formatType = 3.0
    for field, value in face.post.items():
        setattr(table, field, value)
    return table


def _cmap_table(face: Typeface, order: list[str]) -> Any:
    mapping = {codepoint: name for name in order for codepoint in face.codepoints.get(name, ())}
    subtables = [_cmap_subtable(4, 1, {c: n for c, n in mapping.items() if c <= 0xFFFF})]
    if any(codepoint > 0xFFFF for codepoint in mapping):
        subtables.append(_cmap_subtable(12, 10, mapping))
    table = newTable("cmap")
    table.tableVersion = 0
    table.tables = subtables
    return table


def _cmap_subtable(format_: int, encoding: int, mapping: dict[int, str]) -> CmapSubtable:
    subtable = CmapSubtable.newSubtable(format_)
    subtable.platformID = 3
    subtable.platEncID = encoding
    subtable.language = 0
    subtable.cmap = mapping
    return subtable
