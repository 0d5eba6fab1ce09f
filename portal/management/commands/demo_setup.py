from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from portal.models import User
from portal.services import organization_create

# The operators' admin is a different door from the portal: its own account, so trying the admin
# never gives the demo user powers the portal's roles do not.
DEMO_OPERATOR_EMAIL = "operator@paraph.test"
DEMO_OPERATOR_PASSWORD = "paraph-operator-2026"


class Command(BaseCommand):
    help = "Creates the demo organization, user and operator the first time (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo login is for development only; it is not created when DEBUG is off.")
        self._demo_user()
        self._demo_operator()

    def _demo_user(self) -> None:
        email, password = settings.DEMO_EMAIL, settings.DEMO_PASSWORD
        if User.objects.filter(email=email).exists():
            self.stdout.write(f"Demo login: {email} / {password}")
            return
        user = User.objects.create_user(email=email, password=password, first_name="Demo", last_name="User")
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        organization_create(name="Demo Company", owner=user)
        self.stdout.write(self.style.SUCCESS(f"Created the demo organization. Demo login: {email} / {password}"))

    def _demo_operator(self) -> None:
        email, password = DEMO_OPERATOR_EMAIL, DEMO_OPERATOR_PASSWORD
        admin_url = settings.SITE_URL + reverse("admin:index")
        if not User.objects.filter(email=email).exists():
            operator = User.objects.create_superuser(email=email, password=password, first_name="Demo operator")
            EmailAddress.objects.create(user=operator, email=email, verified=True, primary=True)
        self.stdout.write(f"Demo operator for {admin_url}: {email} / {password}")
