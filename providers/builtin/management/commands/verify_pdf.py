"""`manage.py verify_pdf FILE`: did this Paraph seal the PDF, is it unchanged, and is it a file Paraph
stored? Exits with status 1 unless all three hold, so scripts can rely on it."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from providers.builtin.sealing import SealVerdict, sealed_request_titles, verify_sealed_pdf


class Command(BaseCommand):
    help = "Checks a PDF's seal: made by this Paraph, unchanged since, and matching a sealed file Paraph stored."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The PDF to check.")

    def handle(self, *args, file: str, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"{file} cannot be read ({exc.strerror}).") from exc
        verdict = verify_sealed_pdf(data)
        titles = sealed_request_titles(sha256=verdict.sha256)
        self.stdout.write(_report(verdict, titles))
        if not (verdict.sealed and verdict.intact and titles):
            raise CommandError(verdict.problem or "The seal is intact, but Paraph stored no sealed file like this one.")


def _report(verdict: SealVerdict, titles: list[str]) -> str:
    signed_at = f"{verdict.signed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if verdict.signed_at else "—"
    lines = [
        f"Carries a seal:        {_yes(verdict.sealed)}",
        f"Sealed by this Paraph: {_yes(verdict.sealed and verdict.by_this_instance)}",
        f"Unchanged since:       {_yes(verdict.intact)}",
        f"Certificate subject:   {verdict.signer_subject or '—'}",
        f"Signed at:             {signed_at}",
        f"SHA-256:               {verdict.sha256}",
        f"Stored sealed file:    {'yes — ' + ', '.join(titles) if titles else 'no'}",
    ]
    if verdict.problem:
        lines.append(verdict.problem)
    return "\n".join(lines)


def _yes(value: bool) -> str:
    return "yes" if value else "no"
