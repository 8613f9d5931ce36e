"""What a file really is, from its first bytes (the client's content type is only a claim)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from app.attachments.models import AttachmentKind

PHOTO, VIDEO, DOCUMENT = AttachmentKind.PHOTO, AttachmentKind.VIDEO, AttachmentKind.DOCUMENT


@dataclass(frozen=True, slots=True)
class FileType:
    content_type: str
    kind: AttachmentKind


_PREFIXES: list[tuple[bytes, FileType]] = [
    (b"\xff\xd8\xff", FileType("image/jpeg", PHOTO)),
    (b"\x89PNG\r\n\x1a\n", FileType("image/png", PHOTO)),
    (b"GIF87a", FileType("image/gif", PHOTO)),
    (b"GIF89a", FileType("image/gif", PHOTO)),
    (b"\x1a\x45\xdf\xa3", FileType("video/webm", VIDEO)),
    (b"%PDF-", FileType("application/pdf", DOCUMENT)),
]

_ISO_BRANDS: dict[bytes, FileType] = {
    **dict.fromkeys(
        (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"), FileType("image/heic", PHOTO)
    ),
    **dict.fromkeys(
        (b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash"),
        FileType("video/mp4", VIDEO),
    ),
    b"M4V ": FileType("video/x-m4v", VIDEO),
    b"qt  ": FileType("video/quicktime", VIDEO),
    **dict.fromkeys((b"3gp4", b"3gp5", b"3gp6", b"3g2a"), FileType("video/3gpp", VIDEO)),
}

_OOXML = {
    "word/": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", DOCUMENT
    ),
    "xl/": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", DOCUMENT),
    "ppt/": FileType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", DOCUMENT
    ),
}

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LEGACY_OFFICE = {
    ".doc": FileType("application/msword", DOCUMENT),
    ".xls": FileType("application/vnd.ms-excel", DOCUMENT),
    ".ppt": FileType("application/vnd.ms-powerpoint", DOCUMENT),
}


def sniff(content: bytes, filename: str = "") -> FileType | None:
    """The allowed type of `content`, or None (unknown, or not on the allow-list)."""
    for prefix, found in _PREFIXES:
        if content.startswith(prefix):
            return found
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return FileType("image/webp", PHOTO)
    if content[4:8] == b"ftyp":
        return _ISO_BRANDS.get(content[8:12])
    if content.startswith(b"PK\x03\x04"):
        return _office_open_xml(content)
    if content.startswith(_OLE):
        # Legacy Office files share one container format; the extension tells them apart.
        return (
            _LEGACY_OFFICE.get(filename[filename.rfind(".") :].lower()) if "." in filename else None
        )
    return None


def _office_open_xml(content: bytes) -> FileType | None:
    try:
        names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for folder, found in _OOXML.items():
        if any(name.startswith(folder) for name in names):
            return found
    return None


GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def contradicts(declared: str | None, actual: FileType) -> bool:
    """A declared type that names a different kind of file than the content is."""
    claim = (declared or "").split(";")[0].strip().lower()
    if claim in GENERIC_TYPES:
        return False
    major = claim.split("/")[0]
    if actual.kind is PHOTO:
        return major != "image"
    if actual.kind is VIDEO:
        return major != "video"
    return major in {"image", "video", "audio", "text"}
