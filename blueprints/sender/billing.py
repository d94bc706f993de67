"""The sender's «Facturation» page: the month so far, past months, and each closed month's statement."""
from __future__ import annotations

from flask import Response, abort, render_template
from flask_login import current_user, login_required

from blueprints.sender.routes import bp, own
from consents import clock
from consents.billing import PRICE_HT, find_statement, month_of, month_totals, previous_month, statements, totals_for
from consents.billing_models import Statement
from consents.statements import statement_csv, statement_pdf

STATEMENT_FILES = {"pdf": (statement_pdf, "application/pdf"), "csv": (statement_csv, "text/csv; charset=utf-8")}


@bp.route("/gestionnaire/facturation")
@login_required
def billing():
    """The current month's consents obtained and amounts so far, then every closed month with its statement."""
    sender_id = current_user.sender_id
    month = month_of(clock.now())
    previous = previous_month(month)
    # Between the month's end and the closing job, the month just ended shows its totals, marked as not closed.
    unclosed = month_totals(sender_id, previous) if find_statement(sender_id, previous) is None else None
    return render_template("sender/billing.html", month=month, current=month_totals(sender_id, month),
                           previous=previous, unclosed=unclosed if unclosed and unclosed.consents else None,
                           statements=statements(sender_id), price=PRICE_HT, example=totals_for(10))


@bp.route("/gestionnaire/facturation/releves/<id:statement_id>.<fmt>")
@login_required
def statement_file(statement_id: int, fmt: str):
    """A closed month's statement as PDF or CSV (one line per charge); 404 for anyone else's."""
    if fmt not in STATEMENT_FILES:
        abort(404)
    statement = own(Statement, statement_id)
    render, mimetype = STATEMENT_FILES[fmt]
    return Response(render(statement), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="releve-{statement.number}.{fmt}"'})
