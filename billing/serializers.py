"""`GET /api/billing`: the billing page's data as JSON (money and hours as decimal strings)."""


def _line(line):
    return {
        "cpu_hours": str(line["cpu_hours"]), "gpu_hours": str(line["gpu_hours"]),
        "cpu_cost": str(line["cpu_cost"]), "gpu_cost": str(line["gpu_cost"]), "cost": str(line["cost"]),
    }


def overview_json(overview):
    usage, credits, account = overview["usage"], overview["credits"], overview["account"]
    return {
        "currency": "usd",
        "month": usage["month"].isoformat(),
        "month_to_date": {**_line(usage["total"]), "postpaid_cost": str(usage["postpaid_cost"]),
                          "credits_cost": str(usage["credits_cost"])},
        "prices": {p.resource: str(p.unit_amount) for p in usage["prices"]},
        "by_day": [{"day": d["day"].isoformat(), **_line(d)} for d in usage["by_day"]],
        "by_user": [{"user_id": u["user_id"], "name": u["name"], "role": u["role"], **_line(u)}
                    for u in usage["by_user"]],
        "by_project": [{"project": p["project"], **_line(p)} for p in usage["by_project"]],
        "credits": {
            "balance": str(credits["balance"]),
            "ledger": [{"amount": str(e.amount), "reason": e.reason, "reference": e.reference,
                        "created_at": e.created_at.isoformat()} for e in credits["entries"]],
        },
        "billing_mode": account["billing_mode"],
        "card": {"on_file": account["card_on_file"], "brand": account["card_brand"], "last4": account["card_last4"]},
        "payment_failed": account["payment_failed_at"] is not None,
        "credits_ran_out_at": account["credits_exhausted_at"].isoformat() if account["credits_exhausted_at"] else None,
        "invoices": [{**{k: inv[k] for k in ("id", "number", "status", "currency", "url")},
                      "total": str(inv["total"]), "amount_paid": str(inv["amount_paid"]),
                      "period_start": inv["period_start"].isoformat() if inv["period_start"] else None,
                      "period_end": inv["period_end"].isoformat() if inv["period_end"] else None}
                     for inv in overview["invoices"]],
        "invoices_error": overview["invoices_error"] or None,
    }
