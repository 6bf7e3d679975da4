"""What an uploaded file must not be, whatever its first bytes say it is; and the name it is kept under.

An attachment's type is sniffed from its bytes (``filetype``), but a file can be two things at once: a PDF or an image
whose bytes also hold a web page (a polyglot), an image whose header declares more pixels than memory can hold, a Word
document (a zip) that expands a thousandfold. Each is refused here, before anything is stored; and the name a file
arrived with is cleaned before it is kept, since it reaches a ``Content-Disposition`` header and the pages.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
import zipfile

from PIL import Image, UnidentifiedImageError

# A phone's camera takes 12 to 50 megapixels; a scanned A4 page at 600 dpi is about 35. Decoded, a 60-megapixel image
# needs about 180 MB; an image that declares more is refused rather than opened.
MAX_IMAGE_PIXELS = 60_000_000
# A Word document of a few hundred pages expands to a few megabytes; a hundred is generous. A zip bomb declares (or
# truly holds) far more, or thousands of parts.
MAX_EXPANDED_BYTES = 100 * 1024 * 1024
MAX_ARCHIVE_PARTS = 5_000
_CHUNK = 1024 * 1024
_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Markup a browser would act on if it ever read the file as a page: nothing a photo, a scan or a letter needs. Searched
# in the whole file, without regard to case or the spaces a browser forgives.
_MARKUP = re.compile(
    rb"<\s*(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>/]|script[\s>/]|iframe[\s>/]|svg[\s>/]|object[\s>/]|"
    rb"embed[\s>/]|meta\s+http-equiv|a\s+href\s*=\s*[\"']?\s*javascript:)",
    re.IGNORECASE,
)
# Characters a file name must not carry into a header or a page: control characters, format characters (the
# bidirectional overrides that make "gpj.exe" read as "exe.jpg", zero-width spaces), surrogates, private and
# unassigned code points, and line or paragraph separators.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
MAX_NAME_LENGTH = 255


class UploadRefused(ValueError):
    """A file that cannot be kept; the message (without the file's name) is fit to show."""


def check_upload(data: bytes, content_type: str) -> None:
    """Refuse a file of the sniffed ``content_type`` that is also something else, or would exhaust memory when opened.

    :raises UploadRefused: with the reason, fit to show.
    """
    if _MARKUP.search(data):
        raise UploadRefused(
            "it also contains web page markup (HTML or script), which a safe file of this kind never does. Save or "
            "scan it again as a plain PDF or photo and attach that."
        )
    if content_type.startswith("image/") and content_type != "image/heic":
        _check_image(data)
    elif content_type == _WORD:
        _check_archive(data)


def _check_image(data: bytes) -> None:
    """Read the image's declared size from its header alone (nothing is decoded) and refuse what is too large."""
    try:
        with warnings.catch_warnings():
            # Pillow warns before it refuses; either way the image is far larger than any photo or scan.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        width = height = MAX_IMAGE_PIXELS  # refused below
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadRefused("it could not be read as an image: it may be damaged. Take or scan it again.") from None
    if width * height > MAX_IMAGE_PIXELS:
        raise UploadRefused(
            f"the image is too large to open safely (more than {MAX_IMAGE_PIXELS // 1_000_000} million pixels)."
        )


def _check_archive(data: bytes) -> None:
    """Refuse a Word document with too many parts, macros, or more than :data:`MAX_EXPANDED_BYTES` once expanded.

    The sizes the archive declares are checked first, then each part is expanded for real (in chunks, stopping at the
    limit): a zip bomb can declare small sizes and hold large ones.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_ARCHIVE_PARTS or sum(p.file_size for p in parts) > MAX_EXPANDED_BYTES:
                raise _too_large()
            if any(p.filename.lower().endswith("vbaproject.bin") for p in parts):
                raise UploadRefused("it contains macros. Save it as a plain Word document (.docx) and attach that.")
            expanded = 0
            for part in parts:
                with archive.open(part) as stream:
                    while chunk := stream.read(_CHUNK):
                        expanded += len(chunk)
                        if expanded > MAX_EXPANDED_BYTES:
                            raise _too_large()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, RuntimeError):
        raise UploadRefused("it could not be read as a Word document: it may be damaged or protected.") from None


def _too_large() -> UploadRefused:
    return UploadRefused(
        f"it expands to more than {MAX_EXPANDED_BYTES // (1024 * 1024)} MB when opened, far more than any document "
        "needs. Save it again as a PDF and attach that."
    )


def safe_filename(name: str | None, default: str = "attachment") -> str:
    """The name a file is kept and offered under: its last path part only, without control, format (bidirectional)
    or separator characters, spaces collapsed, at most :data:`MAX_NAME_LENGTH` characters with its extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(name.split())  # tabs and line breaks become one space first: they separated words
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _UNSAFE_CATEGORIES).strip(" .")
    if not name:
        return default
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 10:
            name = f"{stem[: MAX_NAME_LENGTH - len(extension) - 1]}.{extension}"
        else:
            name = name[:MAX_NAME_LENGTH]
    return name
