"""Everything the run asks of the fake Formify server, in one place: start and stop it, the
settings that point Paraph at it, consent to a connection, signees signing, and a spell of 5xx
and 429 answers. Only the fake's public controls are used."""

from __future__ import annotations

from tests.fakes.formify import FakeFormify

CLIENT_ID = "paraph-scaleout-client"
CLIENT_SECRET = "paraph-scaleout-secret"  # noqa: S105 (the fake's, on loopback)


class Formify:
    def __init__(self) -> None:
        self.fake = FakeFormify(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)

    def start(self) -> Formify:
        self.fake.start()
        return self

    def stop(self) -> None:
        self.fake.stop()

    def settings(self) -> dict[str, str]:
        """Environment for every Paraph process."""
        return {
            "FORMIFY_API_URL": self.fake.api_url,
            "FORMIFY_AUTHORIZE_URL": self.fake.authorize_url,
            "FORMIFY_CLIENT_ID": CLIENT_ID,
            "FORMIFY_CLIENT_SECRET": CLIENT_SECRET,
            # The fake speaks plain HTTP on loopback.
            "OAUTHLIB_INSECURE_TRANSPORT": "1",
        }

    def consent(self, authorize_url: str) -> str:
        return self.fake.consent(authorize_url)

    def sign_all(self, document_id: str, emails: list[str]) -> None:
        """Every signee signs (Formify then sends document.signed and document.completed)."""
        for email in emails:
            self.fake.sign(document_id, self.fake.signee_id(document_id, email))

    def outage(self, *, requests: int) -> None:
        """The next `requests` API calls answer 503."""
        self.fake.fail_next("*", r"^/v1/(?!oauth)", status=503, times=requests)

    def rate_limited(self, *, requests: int, retry_after: int) -> None:
        """The next `requests` API calls answer 429 with Retry-After."""
        self.fake.fail_next(
            "*", r"^/v1/(?!oauth)", status=429, headers={"Retry-After": str(retry_after)}, times=requests
        )
