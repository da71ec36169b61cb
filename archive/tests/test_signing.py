"""The school's PAdES signature on archived PDFs (issue 6, point 2).

Everything here is real: the certificate comes from ``make_demo_certificate``, the PDF from WeasyPrint, and
poppler's ``pdfsig`` checks the signatures independently of pyHanko.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint import HTML

from archive import signing
from archive.signing import SigningNotConfigured, read_manifest, sign_pdf, signer_info, verify_pdf
from archive.storage import ArchiveError

pytestmark = pytest.mark.django_db

PASSWORD = "test-password-5A"
SCHOOL = "МБОУ «Гимназия № 7»"
MANIFEST: dict[str, Any] = {
    "kind": "journal_copy",
    "class": "5А",
    "period": "1 четверть 2026/2027",
    "teacher": "Иванова Мария Петровна",
    "chain_heads": {"12": [5, "ab" * 32], "13": [0, None]},
    "files": [{"name": "5а-q1.pdf", "pages": 1}],
}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are checked by their English msgids, whatever the translation says."""
    with translation.override("en"):
        yield


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("make_demo_certificate", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def p12(settings, tmp_path: Path) -> Path:
    """The school's certificate, made by the real command into a private directory."""
    path = tmp_path / "signing" / "school.p12"
    settings.ARCHIVE_SIGNING_P12 = path
    settings.ARCHIVE_SIGNING_PASSWORD = PASSWORD
    run_command("--name", SCHOOL)
    return path


@pytest.fixture(scope="module")
def journal_pdf() -> bytes:
    return HTML(string="<h1>Журнал 5А</h1><p>Русский язык: Иванов — 5, Петрова — 4, Сидоров — н.</p>").write_pdf()


@pytest.fixture
def signed(p12: Path, journal_pdf: bytes) -> signing.SignedPdf:
    return sign_pdf(journal_pdf, MANIFEST, reason="Архивная копия журнала 5А", location="г. Тверь")


def pdfsig(pdf: bytes, tmp_path: Path) -> str:
    """poppler's report on the signatures of ``pdf`` (the certificate's trust is not its business here)."""
    exe = shutil.which("pdfsig")
    if exe is None:
        pytest.fail("poppler's pdfsig is not installed: apt-get install poppler-utils")
    path = tmp_path / f"checked-{hashlib.sha256(pdf).hexdigest()[:12]}.pdf"
    path.write_bytes(pdf)
    done = subprocess.run([exe, "-nocert", str(path)], capture_output=True, text=True, timeout=60, check=False)
    return done.stdout + done.stderr


def flip_a_content_byte(pdf: bytes) -> bytes:
    """``pdf`` with one bit changed in the middle of its largest stream inside the signed byte range."""
    signed_until = int(re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", pdf).group(1))
    streams = [
        (m.end(), pdf.index(b"endstream", m.end()))
        for m in re.finditer(rb"(?<!end)stream\r?\n", pdf)
        if m.end() < signed_until
    ]
    start, end = max(streams, key=lambda span: span[1] - span[0])
    assert end - start > 100, "the test PDF should have a real content stream"
    damaged = bytearray(pdf)
    damaged[(start + end) // 2] ^= 0x01
    return bytes(damaged)


# ------------------------------------------------------------------------------------------ signing and reading


def test_a_signed_copy_verifies_and_carries_its_manifest(signed, journal_pdf):
    result = verify_pdf(signed.pdf)

    assert (result.valid, result.intact, result.trusted) == (True, True, True), result.problems
    assert result.problems == []
    assert result.signer == SCHOOL == signed.signer.subject
    assert result.signed_at == signed.signed_at
    assert result.manifest == MANIFEST
    assert read_manifest(signed.pdf) == MANIFEST
    assert signed.sha256 == hashlib.sha256(signed.pdf).hexdigest()
    assert signed.signer == signer_info()
    assert signed.pdf.startswith(journal_pdf), "the original bytes stay as they are (an incremental update)"


def test_the_signature_dictionary_says_why_where_and_how(signed):
    reader = PdfFileReader(BytesIO(signed.pdf))
    (signature,) = reader.embedded_regular_signatures
    assert signature.field_name == "ArchiveSignature"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.sig_object["/Reason"] == "Архивная копия журнала 5А"
    assert signature.sig_object["/Location"] == "г. Тверь"


def test_the_manifest_is_stored_as_sorted_utf8_json_and_left_unchanged(p12, journal_pdf):
    manifest = copy.deepcopy(MANIFEST)
    result = sign_pdf(journal_pdf, manifest, reason="Архивная копия")
    assert manifest == MANIFEST
    assert "Иванова Мария Петровна".encode() in signing.manifest_bytes(manifest)
    assert signing.manifest_bytes(manifest).index(b'"chain_heads"') < signing.manifest_bytes(manifest).index(b'"class"')
    assert read_manifest(result.pdf) == MANIFEST


def test_a_signed_copy_is_not_signed_again(signed):
    with pytest.raises(ArchiveError, match="already holds a manifest.json"):
        sign_pdf(signed.pdf, {"again": True}, reason="Архивная копия")


def test_a_pdf_without_a_manifest_has_none(journal_pdf):
    assert read_manifest(journal_pdf) is None
    assert read_manifest(b"not a pdf at all") is None


def test_signing_in_a_row_opens_the_certificate_once(p12, journal_pdf):
    with mock.patch.object(signing.pkcs12, "load_key_and_certificates", wraps=pkcs12.load_key_and_certificates) as load:
        for number in range(5):
            sign_pdf(journal_pdf, {"number": number}, reason="Архивная копия")
    assert load.call_count == 1


# ------------------------------------------------------------------------------------------ independent verifier


def test_poppler_finds_the_signature_valid(signed, tmp_path):
    report = pdfsig(signed.pdf, tmp_path)
    assert "Signature Field Name: ArchiveSignature" in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report
    assert "Signature Validation: Signature is Valid." in report


# ------------------------------------------------------------------------------------------------------ tampering


def test_a_single_changed_byte_breaks_the_signature_for_both_verifiers(signed, tmp_path):
    damaged = flip_a_content_byte(signed.pdf)

    result = verify_pdf(damaged)
    assert not result.valid
    assert not result.intact
    assert result.problems

    report = pdfsig(damaged, tmp_path)
    assert "Signature Validation: Digest Mismatch." in report
    assert "Signature is Valid" not in report


def test_anything_appended_after_signing_makes_it_invalid(signed):
    result = verify_pdf(signed.pdf + b"\n% a note added later\n")
    assert result.intact
    assert not result.valid
    assert result.problems


@pytest.mark.parametrize(
    "mangle",
    [
        lambda pdf: pdf[: len(pdf) // 2],
        lambda pdf: pdf[:-200],
        lambda pdf: b"garbage" * 100,
        lambda pdf: b"",
        lambda pdf: pdf.replace(b"/ByteRange", b"/ByteRangX"),
    ],
    ids=["half", "tail-cut", "garbage", "empty", "no-byte-range"],
)
def test_a_garbled_file_is_reported_not_raised(signed, mangle):
    result = verify_pdf(mangle(signed.pdf))
    assert not result.valid
    assert result.problems


def test_an_unsigned_pdf_is_not_valid(p12, journal_pdf):
    result = verify_pdf(journal_pdf)
    assert (result.valid, result.trusted) == (False, False)
    assert result.problems == ["The file has no archive signature."]


# ---------------------------------------------------------------------------------------------------------- trust


def test_another_certificate_is_not_a_trust_root(signed, tmp_path):
    other = tmp_path / "other" / "other.p12"
    run_command("--name", "Чужая школа", "--out", str(other))

    result = verify_pdf(signed.pdf, trust_roots=[other.with_suffix(".pem").read_bytes()])

    assert result.intact
    assert result.valid, "the file itself is undamaged"
    assert not result.trusted
    assert any("not trusted" in problem for problem in result.problems)


def test_the_public_pem_copy_is_enough_to_trust_a_signature(signed, p12):
    certificate = x509.load_pem_x509_certificate(p12.with_suffix(".pem").read_bytes())
    assert verify_pdf(signed.pdf, trust_roots=[certificate]).trusted


# ------------------------------------------------------------------------------------------------- configuration


def test_a_missing_certificate_names_the_command_that_makes_one(settings, tmp_path, journal_pdf):
    settings.ARCHIVE_SIGNING_P12 = tmp_path / "nowhere" / "school.p12"
    with pytest.raises(SigningNotConfigured, match="make_demo_certificate") as raised:
        signer_info()
    assert str(tmp_path / "nowhere" / "school.p12") in str(raised.value)
    with pytest.raises(SigningNotConfigured, match="make_demo_certificate"):
        sign_pdf(journal_pdf, MANIFEST, reason="Архивная копия")


def test_a_wrong_password_is_refused_even_after_a_good_one(settings, p12):
    signer_info()  # loaded and cached with the right password
    settings.ARCHIVE_SIGNING_PASSWORD = "not-the-password"
    with pytest.raises(SigningNotConfigured, match="make_demo_certificate") as raised:
        signer_info()
    assert "password" in str(raised.value)


def test_an_expired_certificate_is_refused(p12):
    not_after = signer_info().not_after
    with time_machine.travel(not_after + dt.timedelta(days=1), tick=False):
        with pytest.raises(SigningNotConfigured, match="make_demo_certificate"):
            signer_info()


def test_a_copy_signed_in_time_still_verifies_after_the_certificate_expired(signed, p12):
    # R24: a journal copy is kept 5 years, a summary sheet 25 — longer than the certificate lives.
    pem = signing.pem_path(p12).read_bytes()
    with time_machine.travel(signer_info().not_after + dt.timedelta(days=400), tick=False):
        result = verify_pdf(signed.pdf, trust_roots=[pem])
        assert result.valid and result.trusted, result.problems
        assert verify_pdf(signed.pdf).trusted  # the configured (expired) certificate is still its root


def test_without_a_configured_certificate_a_signature_is_intact_but_untrusted(settings, signed, tmp_path):
    settings.ARCHIVE_SIGNING_P12 = tmp_path / "nowhere.p12"
    result = verify_pdf(signed.pdf)
    assert result.intact and result.valid
    assert not result.trusted
    assert any("make_demo_certificate" in problem for problem in result.problems)


# ------------------------------------------------------------------------------------------------------ the command


def test_the_command_writes_a_private_p12_and_a_public_pem(p12):
    assert stat.S_IMODE(p12.stat().st_mode) == 0o600
    key, certificate, _others = pkcs12.load_key_and_certificates(p12.read_bytes(), PASSWORD.encode())
    assert key is not None and certificate is not None
    assert x509.load_pem_x509_certificate(p12.with_suffix(".pem").read_bytes()) == certificate
    assert subject_of(p12) == {
        x509.NameOID.COUNTRY_NAME: "RU",
        x509.NameOID.ORGANIZATION_NAME: SCHOOL,
        x509.NameOID.COMMON_NAME: SCHOOL,
    }
    assert certificate.issuer == certificate.subject
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    years = (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days / 365
    assert 2.99 < years < 3.01


def test_the_command_is_idempotent_and_force_replaces(p12):
    before, fingerprint = p12.read_bytes(), signer_info().sha256

    output = run_command("--name", "Другое имя")
    assert "already exists" in output
    assert fingerprint in output
    assert p12.read_bytes() == before

    output = run_command("--force")
    assert p12.read_bytes() != before
    assert signer_info().sha256 != fingerprint, "a replaced file is re-read, not served from the cache"
    assert signer_info().sha256 in output


def test_the_command_refuses_to_overwrite_a_file_it_cannot_open(settings, p12):
    settings.ARCHIVE_SIGNING_PASSWORD = "another-password"
    before = p12.read_bytes()
    with pytest.raises(CommandError, match="--force"):
        run_command()
    assert p12.read_bytes() == before


def subject_of(p12: Path) -> dict[x509.ObjectIdentifier, str]:
    certificate = x509.load_pem_x509_certificate(p12.with_suffix(".pem").read_bytes())
    return {attribute.oid: str(attribute.value) for attribute in certificate.subject}


def test_the_command_names_the_certificate_after_the_first_school(settings, tmp_path, school):
    settings.ARCHIVE_SIGNING_P12 = tmp_path / "school.p12"
    settings.ARCHIVE_SIGNING_PASSWORD = PASSWORD
    run_command()
    # The full name is longer than the 64 bytes X.509 allows a common name: CN takes the short name.
    assert subject_of(tmp_path / "school.p12")[x509.NameOID.ORGANIZATION_NAME] == school.name
    assert signer_info().subject == school.short_name


def test_a_long_name_is_cut_to_fit_the_common_name(settings, tmp_path):
    name = "Муниципальное бюджетное общеобразовательное учреждение «Средняя школа № 11»"
    settings.ARCHIVE_SIGNING_P12 = tmp_path / "school.p12"
    settings.ARCHIVE_SIGNING_PASSWORD = PASSWORD
    run_command("--name", name)
    subject = subject_of(tmp_path / "school.p12")
    assert subject[x509.NameOID.ORGANIZATION_NAME] == name
    assert name.startswith(subject[x509.NameOID.COMMON_NAME].removesuffix("…"))
    assert len(subject[x509.NameOID.COMMON_NAME].encode()) <= 64


def test_without_a_school_the_certificate_is_the_demo_schools(settings, tmp_path):
    settings.ARCHIVE_SIGNING_P12 = tmp_path / "school.p12"
    settings.ARCHIVE_SIGNING_PASSWORD = PASSWORD
    run_command()
    assert signer_info().subject == "Демонстрационная школа"
