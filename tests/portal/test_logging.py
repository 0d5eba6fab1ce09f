"""What the portal logs by default."""

from __future__ import annotations

import logging

from django_q.tasks import async_task


def test_queueing_a_task_writes_no_log_line_by_default(db, caplog):
    # django-q2 logs each task it queues at INFO; on the webhook path that was a line per delivery.
    with caplog.at_level(logging.INFO):
        async_task("portal.tasks.sessions_clear")

    assert logging.getLogger("django-q").getEffectiveLevel() == logging.WARNING
    assert not [record for record in caplog.records if record.name == "django-q"]
