"""The school's digital signature on archived PDFs (issue 6, point 2).

:func:`sign_pdf` embeds the caller's manifest into a PDF as the attachment ``manifest.json`` and signs the
result with the school's certificate (``settings.ARCHIVE_SIGNING_P12``, a PKCS#12 file opened with
``settings.ARCHIVE_SIGNING_PASSWORD``): a PAdES baseline B-B signature (``ETSI.CAdES.detached``, SHA-256,
field ``ArchiveSignature``), written as an incremental update so that it covers every byte of the file
but its own value. There is no time-stamp server (the machine has no internet), so the signing time is the
one the school's clock reported.

:func:`verify_pdf` checks such a file with pyHanko alone — no network: the signature must be intact and
cover the whole file (``valid``), and the signer's certificate must chain to a trust root (``trusted``),
by default the configured school certificate. Any PDF reader (poppler's ``pdfsig``, Adobe Reader) can check
the same signature against the certificate's PEM copy, which ``make_demo_certificate`` writes beside the
PKCS#12 file.

The PKCS#12 file is opened once per process and kept while its path, size and mtime stay the same: the
archive signs hundreds of copies in a row. The space for the signature is reserved from the certificates'
size, so pyHanko does not make a trial signature to measure it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from .storage import ArchiveError

FIELD_NAME = "ArchiveSignature"
MANIFEST_NAME = "manifest.json"
MD_ALGORITHM = "sha256"
# Room for the CMS container beyond its certificates: signed attributes, algorithm identifiers and a
# signature value of up to 8192-bit RSA, with a generous margin.
CMS_OVERHEAD = 4096


class SigningNotConfigured(ArchiveError):
    """The school's signing certificate is missing, cannot be opened, or is not valid now."""


@dataclass(frozen=True)
class Signer:
    """Who signs: the school's certificate, as a person checking a signature sees it."""

    subject: str  # the certificate's common name (or organisation, or the whole RFC 4514 name)
    serial: str  # serial number, lowercase hex
    not_after: dt.datetime  # end of validity, aware (UTC)
    sha256: str  # SHA-256 fingerprint of the DER certificate, lowercase hex


@dataclass(frozen=True)
class SignedPdf:
    """A signed PDF and what to record about it."""

    pdf: bytes
    sha256: str  # of ``pdf``, the signed bytes
    signer: Signer
    signed_at: dt.datetime  # the signing time written into the signature, whole seconds, aware (UTC)


@dataclass
class Verification:
    """The verdict on one PDF's archive signature.

    ``valid``: the signature is cryptographically intact and covers the whole file (nothing was appended
    after signing). ``intact``: the signed bytes and the signature value check out, whatever came after.
    ``trusted``: the signer's certificate chains to one of the trust roots. ``problems`` says, in words,
    why any of them is false.
    """

    valid: bool
    intact: bool
    trusted: bool
    signer: str
    signed_at: dt.datetime | None
    manifest: dict[str, Any] | None
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Material:
    """What one PKCS#12 file yields, ready for signing."""

    signer: Signer
    certificate: x509.Certificate
    pyhanko_signer: signers.SimpleSigner
    bytes_reserved: int  # hex digits reserved in /Contents for the CMS container


# ---------------------------------------------------------------------------------------------- the certificate


def pem_path(p12_path: Path) -> Path:
    """Where the public PEM copy of the certificate in ``p12_path`` lives: the same name, ``.pem``."""
    return Path(p12_path).with_suffix(".pem")


def signer_from_certificate(certificate: x509.Certificate) -> Signer:
    """The :class:`Signer` description of ``certificate``."""
    return Signer(
        subject=_subject_name(certificate.subject),
        serial=format(certificate.serial_number, "x"),
        not_after=certificate.not_valid_after_utc,
        sha256=certificate.fingerprint(hashes.SHA256()).hex(),
    )


def signer_info(*, path: Path | None = None) -> Signer:
    """The configured signing certificate (or the PKCS#12 file at ``path``), checked to be usable now.

    Raises :class:`SigningNotConfigured`, naming the file and the command that makes a demo certificate,
    when the file is missing, cannot be opened with ``ARCHIVE_SIGNING_PASSWORD``, or the certificate is
    expired or not yet valid.
    """
    return _material(path).signer


def _material(path: Path | None = None) -> _Material:
    path = Path(path or settings.ARCHIVE_SIGNING_P12)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise SigningNotConfigured(
            gettext(
                "There is no signing certificate at %(path)s. Run “python manage.py make_demo_certificate” "
                "to create a demonstration certificate, or put the school's PKCS#12 file there "
                "(setting ARCHIVE_SIGNING_P12)."
            )
            % {"path": path}
        ) from None
    except OSError as exc:
        raise SigningNotConfigured(
            gettext("The signing certificate %(path)s cannot be read: %(error)s.") % {"path": path, "error": exc}
        ) from exc
    material = _load(str(path), stat.st_mtime_ns, stat.st_size, settings.ARCHIVE_SIGNING_PASSWORD)
    certificate = material.certificate
    now = timezone.now()
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise SigningNotConfigured(
            gettext(
                "The signing certificate %(path)s is not valid now: it is valid from %(start)s to %(end)s. "
                "Put a current certificate there, or run “python manage.py make_demo_certificate --force”."
            )
            % {
                "path": path,
                "start": f"{certificate.not_valid_before_utc:%Y-%m-%d}",
                "end": f"{certificate.not_valid_after_utc:%Y-%m-%d}",
            }
        )
    return material


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, size: int, password: str) -> _Material:
    """Open the PKCS#12 file; cached by path, mtime, size and password, so a replaced file is re-read.

    (A failure is raised, and so not cached: the next call tries again.)
    """
    try:
        key, certificate, others = pkcs12.load_key_and_certificates(Path(path).read_bytes(), password.encode() or None)
    except (ValueError, TypeError, OSError) as exc:
        raise SigningNotConfigured(
            gettext(
                "The signing certificate %(path)s cannot be opened with ARCHIVE_SIGNING_PASSWORD: the password "
                "is wrong or the file is damaged. Fix the password, or create a new certificate with "
                "“python manage.py make_demo_certificate --force”."
            )
            % {"path": path}
        ) from exc
    if key is None or certificate is None:
        raise SigningNotConfigured(
            gettext(
                "The file %(path)s holds no private key with its certificate. Put the school's PKCS#12 file "
                "there, or run “python manage.py make_demo_certificate --force”."
            )
            % {"path": path}
        )
    chain = [_to_asn1(cert) for cert in others]
    registry = SimpleCertificateStore()
    registry.register_multiple(chain)
    pyhanko_signer = _ParsedKeySigner(
        private_key=key,
        signing_cert=_to_asn1(certificate),
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=registry,
    )
    certs_size = len(certificate.public_bytes(serialization.Encoding.DER)) + sum(len(c.dump()) for c in chain)
    return _Material(
        signer=signer_from_certificate(certificate),
        certificate=certificate,
        pyhanko_signer=pyhanko_signer,
        bytes_reserved=2 * (certs_size + CMS_OVERHEAD),
    )


class _ParsedKeySigner(signers.SimpleSigner):
    """pyHanko's in-memory signer, keeping the parsed private key.

    ``SimpleSigner.sign_raw`` re-parses the key for every signature, and parsing an RSA key checks it (a
    primality test of both factors): tens of milliseconds for a 3072-bit key, more than the rest of the
    signing. RSA PKCS#1 v1.5 — what pyHanko chooses for an RSA key — is signed here with the parsed key;
    anything else goes to pyHanko.
    """

    def __init__(self, *, private_key: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algorithm = mechanism.signature_algo
        except ValueError:  # as in pyHanko: mechanisms like plain "rsassa_pss" have no digest in their name
            algorithm = mechanism["algorithm"].native
        if isinstance(self._private_key, RSAPrivateKey) and algorithm == "rsassa_pkcs1v15":
            return self._private_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        return super().sign_raw(data, digest_algorithm)


class _TimedPdfSigner(signers.PdfSigner):
    """A PdfSigner that writes the given signing time (pyHanko otherwise reads the clock itself)."""

    def __init__(self, *args: Any, signing_time: dt.datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.signing_time = signing_time

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self.signing_time
        return session


# ------------------------------------------------------------------------------------------------------ signing


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest as it is embedded: UTF-8 JSON, keys sorted, non-ASCII kept as is."""
    return json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2).encode()


def _outside_event_loop(function):  # noqa: ANN001, ANN202 -- a decorator keeping the signature
    """pyHanko's synchronous API runs ``asyncio.run`` inside, which fails in a thread whose event loop
    is running (an ASGI worker, Playwright's sync API in the tests): there, run in a helper thread."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return function(*args, **kwargs)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(function, *args, **kwargs).result()

    return wrapper


@_outside_event_loop
def sign_pdf(pdf: bytes, manifest: dict[str, Any], *, reason: str, location: str = "") -> SignedPdf:
    """Embed ``manifest`` as ``manifest.json`` into ``pdf`` and sign the result with the school's certificate.

    Guarantees: the original bytes are kept as they are (both additions are one incremental update); the
    signature (PAdES B-B, field ``ArchiveSignature``, ``reason`` and ``location`` in its dictionary) covers
    the whole returned file; :func:`read_manifest` on the result returns a dict equal to ``manifest`` when
    the manifest holds only JSON types with string keys; ``manifest`` itself is not changed. Raises
    :class:`SigningNotConfigured` when there is no usable certificate, :class:`ArchiveError` when ``pdf`` is
    not a PDF that can be signed, ``TypeError`` when the manifest is not JSON-serialisable.
    """
    material = _material()
    data = manifest_bytes(manifest)
    signed_at = timezone.now().astimezone(dt.UTC).replace(microsecond=0)  # a PDF date has whole seconds
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        if _manifest_from(writer.prev) is not None:
            raise ArchiveError(f"The PDF already holds a {MANIFEST_NAME}; archived copies are signed once.")
        _embed_manifest(writer, data, signed_at)
        metadata = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            md_algorithm=MD_ALGORITHM,
            reason=reason,
            location=location or None,
            subfilter=fields.SigSeedSubFilter.PADES,
        )
        pdf_signer = _TimedPdfSigner(metadata, material.pyhanko_signer, signing_time=signed_at)
        output = pdf_signer.sign_pdf(writer, bytes_reserved=material.bytes_reserved)
    except (PdfError, NotImplementedError) as exc:
        raise ArchiveError(f"Cannot sign the document: {exc}") from exc
    signed = output.getvalue()
    return SignedPdf(pdf=signed, sha256=hashlib.sha256(signed).hexdigest(), signer=material.signer, signed_at=signed_at)


def _embed_manifest(writer: IncrementalPdfFileWriter, data: bytes, created: dt.datetime) -> None:
    stream = embed.EmbeddedFileObject.from_file_data(
        writer,
        data=data,
        mime_type="application/json",
        params=embed.EmbeddedFileParams(creation_date=created, modification_date=created),
    )
    spec = embed.FileSpec(
        file_spec_string=MANIFEST_NAME,
        file_name=MANIFEST_NAME,
        embedded_data=stream,
        description="Archive manifest",
    )
    embed.embed_file(writer, spec)


# ------------------------------------------------------------------------------------------------- reading back


def read_manifest(pdf: bytes) -> dict[str, Any] | None:
    """The manifest embedded as ``manifest.json`` in ``pdf``; ``None`` if there is none or it cannot be read."""
    try:
        return _manifest_from(PdfFileReader(BytesIO(pdf), strict=False))
    except Exception:  # a damaged file can fail in the parser anywhere; "no readable manifest" is the answer
        return None


def _manifest_from(reader: PdfFileReader) -> dict[str, Any] | None:
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return None
    for i in range(0, len(names) - 1, 2):
        if str(names[i]) == MANIFEST_NAME:
            spec = names[i + 1].get_object()
            manifest = json.loads(spec["/EF"]["/F"].get_object().data.decode())
            return manifest if isinstance(manifest, dict) else None
    return None


@_outside_event_loop
def verify_pdf(pdf: bytes, *, trust_roots: Iterable[x509.Certificate | bytes] | None = None) -> Verification:
    """Check the archive signature of ``pdf``, offline; never raises on a damaged or foreign file.

    ``trust_roots`` are certificates (``cryptography`` objects, or PEM/DER bytes) to trust; by default the
    configured school certificate. A file that cannot be parsed, has no ``ArchiveSignature`` or fails any
    check gets ``valid=False`` (or ``trusted=False``) and a line in ``problems`` saying why.
    """
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signature = next((s for s in reader.embedded_regular_signatures if s.field_name == FIELD_NAME), None)
    except Exception as exc:  # the parser's errors on garbage are of many kinds
        return _refused(gettext("The file is not a readable PDF (%(error)s).") % {"error": exc})
    if signature is None:
        return _refused(gettext("The file has no archive signature."))

    problems: list[str] = []
    roots = _trust_roots(trust_roots, problems)
    # An archived copy is kept 5 or 25 years, longer than any certificate: the certificate is judged at the
    # signing time the signature states (also recorded in the registry), not today.
    context = ValidationContext(
        trust_roots=roots, allow_fetching=False, moment=signature.self_reported_timestamp or None
    )
    try:
        status = validate_pdf_signature(signature, signer_validation_context=context)
    except Exception as exc:  # a garbled CMS container or byte range raises from deep inside pyHanko
        return _refused(gettext("The signature cannot be checked (%(error)s).") % {"error": exc})

    intact = bool(status.intact and status.valid)
    whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    if not status.intact:
        problems.append(gettext("The document was changed after it was signed: its digest does not match."))
    elif not status.valid:
        problems.append(gettext("The signature value does not match the signer's certificate."))
    if not whole_file or status.modification_level != ModificationLevel.NONE:
        problems.append(gettext("Something was added to the file after it was signed."))
    if intact and not status.trusted:
        reason = status.trust_problem_indic.name if status.trust_problem_indic else "NO_TRUST_ROOT"
        problems.append(gettext("The signer's certificate is not trusted (%(reason)s).") % {"reason": reason})
    return Verification(
        valid=intact and whole_file and status.modification_level == ModificationLevel.NONE,
        intact=intact,
        trusted=bool(status.trusted),
        signer=_subject_name(x509.load_der_x509_certificate(status.signing_cert.dump()).subject),
        signed_at=signature.self_reported_timestamp,
        manifest=_manifest_or_none(reader),
        problems=problems,
    )


def _trust_roots(given: Iterable[x509.Certificate | bytes] | None, problems: list[str]) -> list[asn1_x509.Certificate]:
    if given is not None:
        return [_to_asn1(_load_certificate(item)) for item in given]
    pem = pem_path(Path(settings.ARCHIVE_SIGNING_P12))
    if pem.exists():  # the public certificate: it stays a trust root after it has expired
        return [_to_asn1(_load_certificate(pem.read_bytes()))]
    try:
        return [_to_asn1(_material().certificate)]
    except SigningNotConfigured as exc:
        problems.append(str(exc))
        return []


def _load_certificate(item: x509.Certificate | bytes) -> x509.Certificate:
    if isinstance(item, x509.Certificate):
        return item
    if item.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(item)
    return x509.load_der_x509_certificate(item)


def _manifest_or_none(reader: PdfFileReader) -> dict[str, Any] | None:
    try:
        return _manifest_from(reader)
    except Exception:  # see read_manifest
        return None


def _refused(problem: str) -> Verification:
    return Verification(
        valid=False, intact=False, trusted=False, signer="", signed_at=None, manifest=None, problems=[problem]
    )


def _to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _subject_name(name: x509.Name) -> str:
    for oid in (x509.NameOID.COMMON_NAME, x509.NameOID.ORGANIZATION_NAME):
        attributes = name.get_attributes_for_oid(oid)
        if attributes:
            return str(attributes[0].value)
    return name.rfc4514_string()
