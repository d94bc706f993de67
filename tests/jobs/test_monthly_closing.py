"""The monthly closing job: scheduled on the 1st, run by a real worker or by hand, idempotent."""
from __future__ import annotations

import importlib
from datetime import date, datetime
from decimal import Decimal

from conftest import accept_one
from consents.billing_models import Statement
from jobs.queue import enqueue, get_queue


def _at(frozen_now, at: datetime) -> None:
    frozen_now.advance(seconds=(at - frozen_now.now).total_seconds())


def test_the_closing_is_scheduled_on_the_first_of_each_month():
    from rq import cron

    cron._job_data_registry.clear()
    import jobs.cron
    importlib.reload(jobs.cron)
    registered = {d["func"].__name__: d for d in cron._job_data_registry}
    cron._job_data_registry.clear()
    assert registered["close_previous_month"]["cron"] == "0 4 1 * *"


def test_a_worker_closes_the_previous_month_once(app, logged_in, frozen_now, run_jobs):
    _at(frozen_now, datetime(2026, 2, 27, 9, 0))
    for n in range(3):
        accept_one(logged_in, email=f"r{n}@example.fr")
    _at(frozen_now, datetime(2026, 3, 1, 4, 0))
    accept_one(logged_in, email="mars@example.fr")  # March is still open: not on February's statement
    enqueue("jobs.billing.close_previous_month")
    enqueue("jobs.billing.close_previous_month")  # a retried or repeated run
    run_jobs()
    assert get_queue().failed_job_registry.count == 0
    statement = Statement.query.one()
    assert (statement.number, statement.month, statement.consents) == ("REL-000001", date(2026, 2, 1), 3)
    assert (statement.total_ht, statement.vat, statement.total_ttc) == (Decimal("2.97"), Decimal("0.59"),
                                                                         Decimal("3.56"))


def test_flask_jobs_run_billing_closes_by_hand(app, logged_in, frozen_now):
    _at(frozen_now, datetime(2026, 2, 27, 9, 0))
    accept_one(logged_in)
    _at(frozen_now, datetime(2026, 3, 3, 9, 0))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "run", "billing"])
    assert first.exit_code == 0 and "2026-02: 1 relevé(s) émis" in first.output
    again = runner.invoke(args=["jobs", "run", "billing"])
    assert again.exit_code == 0 and "2026-02: 0 relevé(s) émis" in again.output
    assert Statement.query.count() == 1
