from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.models import User
from portal.services import organization_create


class Command(BaseCommand):
    help = "Creates the demo organization and user the first time (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo login is for development only; it is not created when DEBUG is off.")
        email, password = settings.DEMO_EMAIL, settings.DEMO_PASSWORD
        if User.objects.filter(email=email).exists():
            self.stdout.write(f"Demo login: {email} / {password}")
            return
        user = User.objects.create_user(email=email, password=password, first_name="Demo", last_name="User")
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        organization_create(name="Demo Company", owner=user)
        self.stdout.write(self.style.SUCCESS(f"Created the demo organization. Demo login: {email} / {password}"))
