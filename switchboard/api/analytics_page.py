"""HTML of the analytics page and its login form: server-rendered, one inline stylesheet,
inline SVG charts, no script. Every value from the database is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

from graph.language import language_name
from switchboard.api.charts import bar_chart, line_chart

STYLE = """
:root{--ink:#1d2433;--muted:#5b6577;--line:#e3e7ee;--bg:#f6f7fb;--card:#fff;
--workflow:#2f6fde;--agent:#8a4fd8;--human:#e2892b;--other:#9aa3b2;--accent:#2f6fde}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:12px;align-items:center;justify-content:space-between;
padding:14px 24px;background:var(--card);border-bottom:1px solid var(--line)}
h1{font-size:19px;margin:0}h2{font-size:15px;margin:0 0 8px}
main{padding:20px 24px;max-width:1240px;margin:0 auto}
form.window{display:flex;gap:8px;flex-wrap:wrap;align-items:center}
select,input,button{font:inherit;padding:6px 10px;border:1px solid var(--line);
border-radius:6px;background:#fff}button{background:var(--accent);color:#fff;border:0;cursor:pointer}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px;margin-bottom:20px}
.kpi,.panel{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.kpi .label{color:var(--muted);font-size:13px}.kpi .value{font-size:22px;font-weight:600}
.kpi .sub{color:var(--muted);font-size:12px}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px;margin-bottom:20px}
.tables{display:grid;grid-template-columns:2fr 1fr;gap:16px}
.tables .panel{overflow-x:auto;min-width:0}
svg.chart{width:100%;height:200px;display:block}
.axis{stroke:var(--line)}.tick{font-size:11px;fill:var(--muted)}
.workflow{fill:var(--workflow)}.agent{fill:var(--agent)}.human{fill:var(--human)}
.other{fill:var(--other)}.cost{fill:#1f9d6b}.line{fill:none;stroke:var(--accent);stroke-width:2}
.dot{fill:var(--accent)}.legend{display:flex;gap:12px;font-size:12px;color:var(--muted);flex-wrap:wrap}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
table{width:100%;border-collapse:collapse;font-size:14px}
th,td{text-align:left;padding:6px 4px;border-bottom:1px solid var(--line)}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.empty{color:var(--muted)}a{color:var(--accent)}
@media (max-width:720px){header,main{padding:12px}.charts,.tables{grid-template-columns:1fr}
.kpis{grid-template-columns:repeat(2,minmax(0,1fr))}}
"""


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


def login_page(error: str = "", *, next_path: str = "/admin") -> str:
    """The sign-in form (a staff account's e-mail and password, or the admin token);
    `next_path` (an admin page, checked on post) is where it returns."""
    message = f'<p role="alert" style="color:#b3261e">{escape(error)}</p>' if error else ""
    hidden = f'<input type="hidden" name="next" value="{escape(next_path)}">'
    return _document(
        "Switchboard admin: sign in",
        '<main style="max-width:420px;margin-top:10vh"><div class="panel">'
        f"<h1>Switchboard admin</h1>{message}"
        '<form method="post" action="/admin/login" id="staff-login" '
        'style="display:grid;gap:8px;margin-bottom:16px">'
        f'{hidden}<label for="email">E-mail</label>'
        '<input id="email" name="email" type="email" autocomplete="username" required>'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        '<button type="submit">Sign in</button></form>'
        "<p>Or with the admin token (SWITCHBOARD_ADMIN_TOKEN):</p>"
        f'<form method="post" action="/admin/login" id="token-login" class="window">{hidden}'
        '<label for="token" hidden>Admin token</label>'
        '<input id="token" name="token" type="password" autocomplete="off" '
        'required style="flex:1"><button type="submit">Sign in</button></form>'
        "</div></main>",
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


def _confidence(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _kpi(label: str, value: str, sub: str = "") -> str:
    sub_html = f'<div class="sub">{escape(sub)}</div>' if sub else ""
    return (
        f'<div class="kpi" data-kpi="{escape(label)}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div>{sub_html}</div>'
    )


def _kpis(f: dict[str, Any]) -> str:
    bot, staff = f["first_response_ms"]["bot"], f["first_response_ms"]["staff"]
    csat, approvals = f["csat"], f["approvals"]
    resolution = f["resolution_minutes_p50"]
    return "".join(
        [
            _kpi("Conversations", f"{f['conversations']:,}", f"{f['turns']:,} turns"),
            _kpi("Contained", _pct(f["containment_rate"]), "no person needed"),
            _kpi("Handed off", _pct(f["handoff_rate"])),
            _kpi("Bot first response", _ms(bot["p50"]), f"p90 {_ms(bot['p90'])}"),
            _kpi("Staff first response", _ms(staff["p50"]), f"p90 {_ms(staff['p90'])}"),
            _kpi("Resolution p50", "–" if resolution is None else f"{resolution:.1f} min"),
            _kpi(
                "CSAT",
                "–" if csat["average"] is None else f"{csat['average']:.2f} / 5",
                f"{csat['responses']} answers, {_pct(csat['response_rate'])}",
            ),
            _kpi("Low confidence", _pct(f["low_confidence_share"]), "of turns"),
            _kpi(
                "LLM cost",
                f"${f['cost_usd']:.4f}",
                f"{f['llm_calls_per_turn'] or 0:.2f} calls/turn",
            ),
            _kpi(
                "Approvals",
                str(approvals["count"]),
                f"{_pct(approvals['approve_rate'])} approved, median wait "
                + (
                    "–"
                    if approvals["median_wait_s"] is None
                    else f"{approvals['median_wait_s']:.0f} s"
                ),
            ),
            _kpi("Delivery failures", str(f["delivery_failures"])),
        ]
    )


def _charts(days: list[dict[str, Any]]) -> str:
    labels = [d["day"] for d in days]
    routes = [
        (name, name, [float(d["routes"][name]) for d in days])
        for name in ("workflow", "agent", "human", "other")
    ]
    legend = "".join(
        f'<span><i class="{name}" style="background:var(--{name})"></i>{name}</span>'
        for name, _, _ in routes
    )
    panels = [
        (
            "Turns per day by route",
            bar_chart("Turns per day by route", labels, routes)
            + f'<div class="legend">{legend}</div>',
        ),
        (
            "Containment per day",
            line_chart("Containment per day", labels, [d["containment_rate"] for d in days], "%"),
        ),
        (
            "Bot first response p50",
            line_chart("Bot first response p50", labels, [d["bot_p50_ms"] for d in days], "ms"),
        ),
        (
            "LLM cost per day",
            bar_chart(
                "LLM cost per day", labels, [("cost", "cost", [d["cost_usd"] for d in days])], "$"
            ),
        ),
    ]
    return "".join(
        f'<section class="panel" data-chart="{escape(title)}"><h2>{escape(title)}</h2>{svg}</section>'
        for title, svg in panels
    )


def _tables(f: dict[str, Any]) -> str:
    intents = (
        "".join(
            f"<tr><td>{escape(str(i['intent']))}</td><td class=n>{i['turns']}</td>"
            f"<td class=n>{_pct(i['containment_rate'])}</td>"
            f"<td class=n>{_confidence(i['avg_confidence'])}</td></tr>"
            for i in f["intents"]
        )
        or '<tr><td colspan=4 class="empty">No turns in this window.</td></tr>'
    )
    reasons = (
        "".join(
            f"<tr><td>{escape(reason)}</td><td class=n>{n}</td></tr>"
            for reason, n in f["handoff_reasons"].items()
        )
        or '<tr><td colspan=2 class="empty">No handoffs.</td></tr>'
    )
    languages = (
        "".join(
            f"<tr><td>{escape(_language(row['language']))}</td>"
            f"<td class=n>{row['conversations']}</td>"
            f"<td class=n>{_pct(row['containment_rate'])}</td>"
            f"<td class=n>{_pct(row['handoff_rate'])}</td>"
            f"<td class=n>{row['csat_average'] if row['csat_average'] is not None else '–'}</td></tr>"
            for row in f["languages"]
        )
        or '<tr><td colspan=5 class="empty">No conversations in this window.</td></tr>'
    )
    versions = (
        "".join(
            f"<tr><td><code>{escape(row['policy_version'] or 'not recorded')}</code></td>"
            f"<td>{escape((row['first_conversation_at'] or '')[:16].replace('T', ' '))}</td>"
            f"<td class=n>{row['conversations']}</td>"
            f"<td class=n>{_pct(row['containment_rate'])}</td>"
            f"<td class=n>{_pct(row['handoff_rate'])}</td>"
            f"<td class=n>{row['csat_average'] if row['csat_average'] is not None else '–'}</td></tr>"
            for row in f["policy_versions"]
        )
        or '<tr><td colspan=6 class="empty">No conversations in this window.</td></tr>'
    )
    return (
        '<div class="tables"><section class="panel"><h2>Intents</h2><table id="intents">'
        "<tr><th>Intent</th><th class=n>Turns</th><th class=n>Contained</th>"
        f"<th class=n>Confidence</th></tr>{intents}</table></section>"
        '<section class="panel"><h2>Handoff reasons</h2><table id="reasons">'
        f"<tr><th>Reason</th><th class=n>Handoffs</th></tr>{reasons}</table></section>"
        '<section class="panel"><h2>Languages</h2><table id="languages">'
        "<tr><th>Language</th><th class=n>Conversations</th><th class=n>Contained</th>"
        f"<th class=n>Handed off</th><th class=n>CSAT</th></tr>{languages}</table></section>"
        '<section class="panel"><h2>Policy versions</h2><table id="policy-versions">'
        "<tr><th>Version</th><th>Since</th><th class=n>Conversations</th>"
        "<th class=n>Contained</th><th class=n>Handed off</th><th class=n>CSAT</th></tr>"
        f"{versions}</table></section>{_shadow(f)}</div>"
    )


def _shadow(f: dict[str, Any]) -> str:
    """The shadow policy's agreement with the live one; nothing when it decided no turn."""
    shadow = f.get("shadow") or {}
    if not shadow.get("decisions"):
        return ""
    rows = (
        "".join(
            f"<tr><td>{escape(str(d['live_intent']))} → {escape(str(d['live_route']))}</td>"
            f"<td>{escape(str(d['shadow_intent']))} → {escape(str(d['shadow_route']))}</td>"
            f"<td class=n>{d['turns']}</td></tr>"
            for d in shadow["disagreements"]
        )
        or '<tr><td colspan=3 class="empty">No disagreements.</td></tr>'
    )
    return (
        '<section class="panel"><h2>Shadow policy</h2>'
        f"<p>{shadow['decisions']} turns decided again, "
        f"{_pct(shadow['agreement_rate'])} agreed (same intent and route).</p>"
        '<table id="shadow"><tr><th>Live</th><th>Shadow</th><th class=n>Turns</th></tr>'
        f"{rows}</table></section>"
    )


def _language(code: str | None) -> str:
    return f"{language_name(code)} ({code})" if code else "not recorded"


def analytics_page(
    figures: dict[str, Any], per_day: list[dict[str, Any]], *, window_days: int, channel: str | None
) -> str:
    options = "".join(
        f'<option value="{n}"{" selected" if n == window_days else ""}>Last {n} days</option>'
        for n in sorted({7, 30, 90, window_days})
    )
    header = (
        "<header><h1>Switchboard analytics</h1>"
        '<form class="window" method="get" action="/admin/analytics">'
        f'<select name="days" aria-label="Window">{options}</select>'
        f'<input name="channel" placeholder="all channels" aria-label="Channel" '
        f'value="{escape(channel or "")}" size="12"><button type="submit">Show</button>'
        f'<a href="/api/admin/export/conversations">Export NDJSON</a></form>'
        '<form method="post" action="/admin/logout"><button type="submit" '
        'style="background:#5b6577">Sign out</button></form></header>'
    )
    body = (
        f'{header}<main><div class="kpis">{_kpis(figures)}</div>'
        f'<div class="charts">{_charts(per_day)}</div>{_tables(figures)}</main>'
    )
    return _document("Switchboard analytics", body)
