"""``python manage.py make_demo_certificate``: a self-signed signing certificate for the demo school (issue 6, point 2).

Writes a PKCS#12 file (RSA 3072 key + certificate, encrypted with ``ARCHIVE_SIGNING_PASSWORD``, mode 0600)
to ``ARCHIVE_SIGNING_P12`` or ``--out``, and the certificate alone as PEM next to it (same name, ``.pem``)
so that anyone can check an archived copy's signature against it. Running it again changes nothing while
the existing file loads with the configured password; ``--force`` replaces it.

A real school would put the certificate issued to it by a certification authority in the same place.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from archive.signing import SigningNotConfigured, pem_path, signer_from_certificate, signer_info

DEFAULT_SCHOOL_NAME = "Демонстрационная школа"
KEY_SIZE = 3072  # RSA rather than EC: every PDF reader (poppler, Adobe, CryptoPro-less Windows) verifies it
VALIDITY_DAYS = 3 * 365 + 1
CN_MAX_BYTES = 64  # the bound cryptography enforces on a common name, in UTF-8 bytes


class Command(BaseCommand):
    help = "Create the school's self-signed certificate for signing archived PDFs (PKCS#12 + PEM)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Replace an existing certificate.")
        parser.add_argument("--name", help="The school's name (default: the first school in the database).")
        parser.add_argument("--out", type=Path, help="Where to write the PKCS#12 file (default: ARCHIVE_SIGNING_P12).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["out"] or Path(settings.ARCHIVE_SIGNING_P12)
        password: str = settings.ARCHIVE_SIGNING_PASSWORD
        if not password:
            raise CommandError("ARCHIVE_SIGNING_PASSWORD is empty: set it before creating a private key.")
        if path.exists() and not options["force"]:
            try:
                existing = signer_info(path=path)
            except SigningNotConfigured as exc:
                raise CommandError(
                    f"{path} exists but cannot be used ({exc}); run with --force to replace it."
                ) from exc
            self.stdout.write(f"Certificate already exists at {path}; nothing done (use --force to replace it).")
            self._write_summary(path, existing.subject, existing.sha256, existing.not_after)
            return

        name, short_name = (options["name"], "") if options["name"] else school_names()
        key, certificate = make_certificate(name, short_name=short_name)
        write_pkcs12(path, key, certificate, password)
        signer = signer_from_certificate(certificate)
        self.stdout.write(self.style.SUCCESS(f"Created a self-signed certificate at {path}"))
        self._write_summary(path, signer.subject, signer.sha256, signer.not_after)

    def _write_summary(self, path: Path, subject: str, fingerprint: str, not_after: dt.datetime) -> None:
        self.stdout.write(f"certificate (PEM): {pem_path(path)}")
        self.stdout.write(f"subject: {subject}")
        self.stdout.write(f"sha256 fingerprint: {fingerprint}")
        self.stdout.write(f"valid until: {not_after:%Y-%m-%d %H:%M} UTC")


def school_names() -> tuple[str, str]:
    """The full and short names of the first school created in the database, or the demo school's name."""
    from journal.models import School

    try:
        school = School.objects.order_by("pk").first()
    except DatabaseError:
        school = None
    return (school.name, school.short_name) if school is not None else (DEFAULT_SCHOOL_NAME, "")


def common_name(name: str, short_name: str = "") -> str:
    """The certificate's CN: ``name`` if it fits X.509's 64 bytes, else ``short_name``, else ``name`` cut short.

    (The organisation name, O, has no such limit and always carries the full name.)
    """
    for candidate in (name, short_name):
        if candidate and len(candidate.encode()) <= CN_MAX_BYTES:
            return candidate
    return name.encode()[: CN_MAX_BYTES - len("…".encode())].decode(errors="ignore") + "…"


def make_certificate(name: str, *, short_name: str = "") -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A fresh RSA key and a certificate for it, self-signed, valid for three years from now.

    Subject and issuer are ``C=RU, O=<name>, CN=<name or short name>`` (see :func:`common_name`); the key
    may sign documents (digitalSignature, nonRepudiation) and nothing else — it is no CA, yet a verifier
    given this certificate as its trust root accepts the signatures it makes.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "RU"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name(name, short_name)),
        ]
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))  # a little slack for clocks that run behind
        .not_valid_after(now + dt.timedelta(days=VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def write_pkcs12(path: Path, key: rsa.RSAPrivateKey, certificate: x509.Certificate, password: str) -> None:
    """Write the key and certificate as PKCS#12 to ``path`` (mode 0600) and the certificate as PEM beside it.

    Each file is written to a temporary name and renamed into place, so a process signing at the same
    moment reads either the old pair or the new one, never half a file.
    """
    friendly_name = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    data = pkcs12.serialize_key_and_certificates(
        name=str(friendly_name).encode(),
        key=key,
        cert=certificate,
        cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, data, mode=0o600)
    _write_atomically(pem_path(path), certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
