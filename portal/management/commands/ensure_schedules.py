from django.core.management.base import BaseCommand

from portal.schedules import schedules_ensure


class Command(BaseCommand):
    help = "Creates the recurring background tasks that are missing (safe to run any number of times)."

    def handle(self, *args, **options):
        created = schedules_ensure()
        self.stdout.write(f"Schedules created: {', '.join(created)}" if created else "Schedules are in place.")
