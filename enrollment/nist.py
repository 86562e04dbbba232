"""The ANSI/NIST-ITL 1-2011 transaction of an enrollment: Type-1, 2, 10 and 14 records.

Agencies that exchange biometric records expect this container, so the packet carries
one beside the ISO records: Type-1 (transaction), Type-2 (the application: number,
names, birth date), Type-10 (the face photo, JPEG) and one Type-14 per finger (the
fingerprint image, WSQ at 500 ppi as the standard's usual compression, or raw 8-bit).
Built and re-parsed with ``nistitl`` so that what we send is what a reader sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import nistitl


@dataclass(frozen=True)
class NistFinger:
    position: int
    width: int
    height: int
    ppi: int
    compression: str  # "WSQ20" | "NONE"
    data: bytes


def build_transaction(transaction_id: str, agency: str, application: dict, face_jpeg: bytes,
                      face_size: tuple[int, int], fingers: list[NistFinger]) -> bytes:
    msg = nistitl.Message()
    msg.TOT = "BIOE"  # biometric enrollment
    r1 = next(iter(msg.iter(1)))
    r1._8 = agency[:35] or "BIOSTATION"
    r1._9 = transaction_id
    r2 = nistitl.AsciiRecord(2)
    r2._2 = "1"
    r2 += nistitl.Field(2, 10, application.get("number", ""))
    r2 += nistitl.Field(2, 18, f"{application.get('surname', '')},{application.get('given_name', '')}")
    r2 += nistitl.Field(2, 22, application.get("birth_date", "").replace("-", ""))
    msg += r2
    r10 = nistitl.AsciiRecord(10)
    r10._2 = "2"
    r10 += nistitl.Field(10, 3, "FACE")
    r10 += nistitl.Field(10, 6, str(face_size[0]))
    r10 += nistitl.Field(10, 7, str(face_size[1]))
    r10 += nistitl.Field(10, 11, "JPEGB")
    r10 += nistitl.Field(10, 12, "SRGB")
    r10 += nistitl.BinaryField(10, 999, face_jpeg)
    msg += r10
    for i, f in enumerate(fingers, start=3):
        r14 = nistitl.AsciiRecord(14)
        r14._2 = str(i)
        r14 += nistitl.Field(14, 3, "0")  # impression type: live-scan plain
        r14 += nistitl.Field(14, 6, str(f.width))
        r14 += nistitl.Field(14, 7, str(f.height))
        r14 += nistitl.Field(14, 8, "1")  # pixels per inch
        r14 += nistitl.Field(14, 9, str(f.ppi))
        r14 += nistitl.Field(14, 10, str(f.ppi))
        r14 += nistitl.Field(14, 11, f.compression)
        r14 += nistitl.Field(14, 12, "8")
        r14 += nistitl.Field(14, 13, str(f.position))
        r14 += nistitl.BinaryField(14, 999, f.data)
        msg += r14
    return msg.NIST


def parse_transaction(data: bytes) -> dict:
    """The parts a receiver needs, re-read from the bytes (used to check what we built)."""
    msg = nistitl.Message()
    msg.parse(data)
    r2 = next(iter(msg.iter(2)))
    r10 = next(iter(msg.iter(10)))
    fingers = [{"position": int(r._13), "compression": r._11, "width": int(r._6), "height": int(r._7),
                "data": r._999} for r in msg.iter(14)]
    return {"tot": msg.TOT, "application": r2._10, "name": r2._18, "face_jpeg": r10._999,
            "fingers": fingers}
