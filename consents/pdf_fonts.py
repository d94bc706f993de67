"""Fonts of the PDF certificate: the shipped DejaVu for Latin, Greek and Cyrillic, system Noto fonts for the rest."""
from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from functools import cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF

FONTS = Path(__file__).resolve().parents[1] / "static" / "fonts"
# Latin (with Vietnamese), Greek, Cyrillic, punctuation, currency, letterlike symbols, arrows, maths, ligatures:
# names and addresses print; the rest of DejaVu's 6,000 glyphs only slowed every certificate down by half.
FONT_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x2B0, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x1E00, 0x1EFF),
               (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F), (0x2190, 0x21FF), (0x2200, 0x22FF),
               (0x25A0, 0x25FF), (0xFB00, 0xFB06))
# Where Debian's fonts-noto-core, fonts-noto-cjk and fonts-symbola put them (.ci/run installs them).
FONT_DIRS = [Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"),
             Path("/usr/share/fonts/truetype/ancient-scripts")]
# Tried in this order for a character DejaVu lacks; Symbola is a monochrome emoji font (colour ones cannot embed).
FALLBACKS = ("NotoSansHebrew-Regular.ttf", "NotoSansArabic-Regular.ttf", "NotoSansArmenian-Regular.ttf",
             "NotoSansGeorgian-Regular.ttf", "NotoSansDevanagari-Regular.ttf", "NotoSansBengali-Regular.ttf",
             "NotoSansTamil-Regular.ttf", "NotoSansThai-Regular.ttf", "NotoSansEthiopic-Regular.ttf",
             "NotoSansKhmer-Regular.ttf", "NotoSansCJK-Regular.ttc", "NotoSans-Regular.ttf",
             "NotoSansSymbols-Regular.ttf", "NotoSansSymbols2-Regular.ttf", "Symbola_hint.ttf")
BASE = "DejaVu"


def _cut(source: Path, unicodes: tuple[int, ...], shaping: bool) -> str:
    """Path of `source` cut down to `unicodes`, made once per machine in the temp folder."""
    # Reading a whole font costs on every certificate (DejaVu's 6,000 glyphs slowed each by half, a CJK font's
    # 65,000 by more than a second); a cut one reads in milliseconds, and every later certificate of a name reuses it.
    stat = source.stat()
    key = f"{source}:{stat.st_mtime_ns}:{stat.st_size}:{unicodes}:{shaping}".encode()
    folder = Path(tempfile.gettempdir()) / "consentement-lre-fonts"
    target = folder / f"{source.stem}-{hashlib.sha256(key).hexdigest()[:16]}"
    for suffix in (".ttf", ".otf"):
        if target.with_suffix(suffix).exists():
            return str(target.with_suffix(suffix))
    options = subset.Options()
    options.notdef_outline = True
    if shaping:
        options.layout_features = ["*"]  # Arabic joining forms and Hebrew marks come from GSUB and GPOS
    else:
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "hdmx", "kern", "FFTM"]
    font = TTFont(source, fontNumber=0)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    target = target.with_suffix(".otf" if "CFF " in font else ".ttf")
    folder.mkdir(exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    font.save(partial)
    os.replace(partial, target)  # atomic: a concurrent process never reads half a font
    return str(target)


@cache
def _base_font(name: str) -> str:
    """The shipped DejaVu font cut down to FONT_RANGES."""
    return _cut(FONTS / f"{name}.ttf", tuple(c for low, high in FONT_RANGES for c in range(low, high + 1)), False)


@cache
def _coverage(path: str) -> frozenset[int]:
    """The code points a font file draws (the first font of a collection)."""
    font = TTFont(path, fontNumber=0, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def _fallback_paths() -> list[Path]:
    """The fallback fonts this machine has, in FALLBACKS order."""
    found = []
    for name in FALLBACKS:
        path = next((folder / name for folder in FONT_DIRS if (folder / name).is_file()), None)
        if path is not None:
            found.append(path)
    return found


def _invisible(char: str) -> bool:
    """True for what draws nothing by itself: spaces, controls, joiners and emoji variation selectors."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf") or 0xFE00 <= ord(char) <= 0xFE0F


def setup_fonts(pdf: FPDF, text: str) -> list[str]:
    """Give `pdf` the base font and only the fallbacks `text` needs; return the characters no font here can print."""
    pdf.add_font(BASE, "", _base_font("DejaVuSans"))
    pdf.add_font(BASE, "B", _base_font("DejaVuSans-Bold"))
    base = _coverage(_base_font("DejaVuSans"))
    wanted = sorted({c for c in text if ord(c) not in base and not _invisible(c)})
    if not wanted:
        return []
    families = []
    for path in _fallback_paths():
        if not wanted:
            break
        covered = _coverage(str(path))
        found = [ord(c) for c in wanted if ord(c) in covered]
        if found:
            families.append(path.stem.replace("-", ""))
            pdf.add_font(families[-1], "", _cut(path, tuple(found), True))
            wanted = [c for c in wanted if ord(c) not in covered]
    if families:
        pdf.set_fallback_fonts(families, exact_match=False)
        # Shaping orders right-to-left scripts and joins Arabic letters; Latin-only certificates skip its cost.
        pdf.set_text_shaping(True)
    return wanted


def describe(chars: list[str]) -> str:
    """The characters as code points with their Unicode names, for a reader who cannot see them."""
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '')}".strip() for c in chars)
