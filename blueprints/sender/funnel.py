"""The manager's acceptance funnel per channel, loaded in a request of its own so the list never waits for it."""
from __future__ import annotations

from flask_login import current_user, login_required

from blueprints import render_page
from blueprints.sender.charts import daily_chart
from blueprints.sender.routes import bp
from consents.funnel import FUNNEL_DAYS, funnels


@bp.route("/gestionnaire/entonnoir")
@login_required
def funnel():
    """Email and share link funnels of the last 30 days: totals with their rates, a dated chart and its table."""
    rows = [(funnel, daily_chart(funnel.series)) for funnel in funnels(current_user.sender_id)]
    return render_page("sender/funnel.html", funnels=rows, days=FUNNEL_DAYS)
