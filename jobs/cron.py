"""RQ cron configuration: `rq cron jobs.cron --url $REDIS_URL` runs these on time."""
from rq import cron

from jobs.billing import close_previous_month
from jobs.evidence import checkpoint_chains
from jobs.maintenance import nightly_expiry, send_reminders, sweep_outbox, sweep_webhooks

cron.register(nightly_expiry, queue_name="default", cron="0 2 * * *", job_timeout=3600)
cron.register(send_reminders, queue_name="default", cron="15 * * * *", job_timeout=900)
cron.register(sweep_outbox, queue_name="default", interval=60, job_timeout=300)
cron.register(sweep_webhooks, queue_name="default", interval=60, job_timeout=300)
cron.register(checkpoint_chains, queue_name="default", cron="30 3 * * *", job_timeout=1800)
# Early on the 1st (UTC), once the French month is over: a run that fails or repeats is harmless.
cron.register(close_previous_month, queue_name="default", cron="0 4 1 * *", job_timeout=3600)
