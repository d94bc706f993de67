"""RQ cron configuration: `rq cron jobs.cron --url $REDIS_URL` runs these on time."""
from rq import cron

from jobs.counts import merge_consent_counts
from jobs.evidence import checkpoint_chains
from jobs.maintenance import nightly_expiry, send_reminders, sweep_outbox
from jobs.visits import flush_link_visits

cron.register(nightly_expiry, queue_name="default", cron="0 2 * * *", job_timeout=3600)
cron.register(send_reminders, queue_name="default", cron="15 * * * *", job_timeout=900)
cron.register(sweep_outbox, queue_name="default", interval=60, job_timeout=300)
cron.register(checkpoint_chains, queue_name="default", cron="30 3 * * *", job_timeout=1800)
cron.register(flush_link_visits, queue_name="default", interval=60, job_timeout=300)
cron.register(merge_consent_counts, queue_name="default", interval=300, job_timeout=300)
