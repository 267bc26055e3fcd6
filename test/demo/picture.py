#!/usr/bin/python3
"""The demo portrait as one self-contained HTML page: every chart inline SVG drawn here from
the BI views and functions of the demo database (no script, no network, the system's CJK
fonts by name). Usage: picture.py DATABASE OUTPUT.html (libpq's PGHOST/PGPORT/PGUSER).

Charts: segment sizes and revenue (view <profile>_segments), the migration between the last
two refreshes as flows (<profile>_migration), lifecycle stages (the profile table), monthly
cohort retention (cohort_matrix), the December funnel (window_funnel, funnel_table) and the
Champions' TGI profile (tgi, tgi_table). Each chart is an <svg data-chart="NAME">."""
import html
import sys

import psycopg2

PROFILE = "demo.customer_profile"
FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'WenQuanYi Micro Hei', 'Source Han Sans SC', sans-serif"
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac", "#86bcb6", "#d37295"]
STAGES = [("new", "新客 new", "#59a14f"), ("active", "活跃 active", "#4e79a7"),
          ("reactivated", "回流 reactivated", "#76b7b2"), ("at_risk", "预警 at risk", "#edc948"),
          ("dormant", "沉睡 dormant", "#f28e2b"), ("churned", "流失 churned", "#e15759")]
STEPS = ["浏览 view", "加购 cart", "结算 checkout", "支付 pay"]


def esc(s):
    return html.escape(str(s), quote=True)


def num(v):
    return f"{v:,.0f}"


def pct(v):
    return f"{100 * v:.1f}%"


def text(x, y, s, size=12, anchor="start", weight="normal", fill="#333"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}">{esc(s)}</text>')


def rect(x, y, w, h, fill, title=None, opacity=1):
    t = f"<title>{esc(title)}</title>" if title else ""
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.5):.1f}" height="{h:.1f}" fill="{fill}" '
            f'fill-opacity="{opacity}">{t}</rect>')


def svg(name, width, height, body):
    return (f'<svg data-chart="{name}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img">{"".join(body)}</svg>')


def segments_chart(rows, colors):
    """Customers and revenue per segment, side by side, largest revenue first."""
    width, row_h, left = 560, 34, 130
    height = 40 + row_h * len(rows)
    half = (width - left - 20) / 2
    max_c = max(r["customers"] for r in rows)
    max_r = max(r["revenue"] for r in rows)
    total_r = sum(r["revenue"] for r in rows)
    body = [text(left, 16, "客户数 customers", 12, weight="bold"),
            text(left + half + 20, 16, "收入 revenue", 12, weight="bold")]
    for i, r in enumerate(rows):
        y = 30 + i * row_h
        c = colors[r["segment"]]
        body.append(text(left - 8, y + 17, r["segment"], 12, "end"))
        wc = (half - 60) * r["customers"] / max_c
        wr = (half - 60) * r["revenue"] / max_r
        body.append(rect(left, y + 4, wc, 20, c, f'{r["segment"]}: {num(r["customers"])} customers'))
        body.append(text(left + wc + 4, y + 18, f'{num(r["customers"])} ({pct(r["share"])})', 10))
        body.append(rect(left + half + 20, y + 4, wr, 20, c, f'{r["segment"]}: {num(r["revenue"])}', 0.75))
        body.append(text(left + half + 24 + wr, y + 18, pct(r["revenue"] / total_r), 10))
    return svg("segments", width, height, body)


def lifecycle_chart(rows):
    """Customers per lifecycle stage, in the order of the customer's life."""
    width, row_h, left = 560, 40, 150
    counts = {r[0]: r[1] for r in rows}
    total = sum(counts.values())
    height = 20 + row_h * len(STAGES)
    top = max(counts.values())
    body = []
    for i, (stage, label, color) in enumerate(STAGES):
        y = 10 + i * row_h
        n = counts.get(stage, 0)
        w = (width - left - 110) * n / top
        body.append(text(left - 8, y + 21, label, 13, "end"))
        body.append(rect(left, y + 6, w, 24, color, f"{stage}: {num(n)}"))
        body.append(text(left + w + 6, y + 23, f"{num(n)}  {pct(n / total)}", 11))
    return svg("lifecycle", width, height, body)


def migration_chart(rows, order, colors):
    """Flows from each segment before the last refresh to each after it; staying is pale."""
    width, height, node_w, gap = 1140, 520, 16, 6
    left_x, right_x = 170, width - 170 - node_w
    label_new, label_gone = "(新客户 new)", "(已移除 removed)"
    flows = [((r[0] if r[0] is not None else label_new), (r[1] if r[1] is not None else label_gone), r[2])
             for r in rows]
    rank = {s: i for i, s in enumerate(order + [label_new, label_gone])}
    froms = sorted({f for f, _, _ in flows}, key=lambda s: rank.get(s, 99))
    tos = sorted({t for _, t, _ in flows}, key=lambda s: rank.get(s, 99))
    total = sum(n for _, _, n in flows)
    scale = (height - 30 - gap * max(len(froms), len(tos))) / total

    def nodes(names, key):
        pos, y = {}, 20
        for s in names:
            h = scale * sum(n for f, t, n in flows if (f if key == 0 else t) == s)
            pos[s] = [y, h]
            y += h + gap
        return pos

    lp, rp = nodes(froms, 0), nodes(tos, 1)
    body = [text(left_x, 12, "上次刷新 before (2024-12-31)", 12, weight="bold"),
            text(right_x + node_w, 12, "本次刷新 after (2025-01-31)", 12, "end", "bold")]
    lo = {s: p[0] for s, p in lp.items()}
    ro = {s: p[0] for s, p in rp.items()}
    # bands in a fixed order so they do not cross needlessly: by source, then target
    for f, t, n in sorted(flows, key=lambda x: (rank.get(x[0], 99), rank.get(x[1], 99))):
        h = n * scale
        y0, y1 = lo[f], ro[t]
        lo[f] += h
        ro[t] += h
        x0, x1 = left_x + node_w, right_x
        xm = (x0 + x1) / 2
        color = colors.get(f, "#999")
        stay = f == t
        d = (f"M{x0:.1f},{y0:.1f} C{xm:.1f},{y0:.1f} {xm:.1f},{y1:.1f} {x1:.1f},{y1:.1f} "
             f"L{x1:.1f},{y1 + h:.1f} C{xm:.1f},{y1 + h:.1f} {xm:.1f},{y0 + h:.1f} {x0:.1f},{y0 + h:.1f} Z")
        body.append(f'<path d="{d}" fill="{color}" fill-opacity="{0.18 if stay else 0.55}">'
                    f'<title>{esc(f)} → {esc(t)}: {num(n)}</title></path>')
    for pos, x, anchor, dx in ((lp, left_x, "end", -6), (rp, right_x, "start", node_w + 6)):
        for s, (y, h) in pos.items():
            body.append(rect(x, y, node_w, h, colors.get(s, "#999"), s))
            n = round(h / scale)
            body.append(text(x + dx, y + h / 2 + 4, f"{s}  {num(n)}", 11, anchor))
    return svg("migration", width, height, body)


def cohort_chart(rows, last_period):
    """Share of each monthly cohort ordering again k months later, as a heatmap."""
    cohorts = sorted({r[0] for r in rows})
    offsets = list(range(1, 13))
    cell_w, cell_h, left, top = 34, 16, 120, 36
    width = left + cell_w * len(offsets) + 20
    height = top + cell_h * len(cohorts) + 34
    cells = {(r[0], r[1]): (r[3], r[4]) for r in rows}
    sizes = {r[0]: r[2] for r in rows}
    hi = max((s for (c, k), (_, s) in cells.items() if k > 0 and s is not None), default=1) or 1
    body = [text(left, 14, "k 个月后再次购买的比例 share ordering again k months later", 12, weight="bold")]
    for j, k in enumerate(offsets):
        body.append(text(left + j * cell_w + cell_w / 2, top - 6, f"+{k}", 10, "middle"))
    for i, c in enumerate(cohorts):
        y = top + i * cell_h
        body.append(text(left - 6, y + 12, f"{c:%Y-%m}  {num(sizes[c])}", 10, "end"))
        for j, k in enumerate(offsets):
            # months after the end of the data have no value, not a zero
            if (c.year * 12 + c.month + k) > last_period:
                continue
            share = cells.get((c, k), (0, 0.0))[1] or 0.0
            t = share / hi
            r, g, b = (int(247 - t * (247 - 8)), int(251 - t * (251 - 69)), int(255 - t * (255 - 148)))
            body.append(rect(left + j * cell_w, y, cell_w - 1, cell_h - 1, f"rgb({r},{g},{b})",
                             f"{c:%Y-%m} +{k}: {pct(share)}"))
            if k in (1, 3, 6, 12):
                body.append(text(left + j * cell_w + cell_w / 2, y + 11.5, f"{100 * share:.0f}", 8, "middle",
                                 fill="#fff" if t > 0.55 else "#333"))
    body.append(text(left, height - 10, "行: 首购月份与客户数 rows: month of the first order, customers", 10, fill="#666"))
    return svg("cohort", width, height, body)


def funnel_chart(rows):
    """The December funnel: customers reaching each step, with the conversion from the step before."""
    width, row_h = 520, 64
    height = 20 + row_h * len(rows)
    top = rows[0][1]
    body = []
    for i, (step, users, from_prev, from_first) in enumerate(rows):
        y = 10 + i * row_h
        w = (width - 200) * users / top
        x = 100 + (width - 200 - w) / 2
        body.append(rect(x, y, w, row_h - 16, PALETTE[i], f"{STEPS[step - 1]}: {num(users)}"))
        body.append(text(width / 2, y + (row_h - 16) / 2 + 5, f"{STEPS[step - 1]}  {num(users)}", 13, "middle",
                         "bold", "#fff" if w > 180 else "#333"))
        if i > 0:
            body.append(text(width - 10, y + 10, f"↓ {pct(from_prev)}", 11, "end", fill="#555"))
            body.append(text(width - 10, y + 26, f"总 {pct(from_first)}", 10, "end", fill="#888"))
    return svg("funnel", width, height, body)


def tgi_chart(rows):
    """TGI of the Champions per attribute value: above 100 over-represented, below under."""
    width, row_h, left = 560, 20, 150
    axis_w = width - left - 130
    hi = max(200.0, max(r[2] for r in rows) * 1.05)
    height = 40 + row_h * len(rows)
    x100 = left + axis_w * 100 / hi
    body = [text(0, 14, "TGI = 冠军中的占比 / 全体中的占比 × 100 (share among Champions / among all × 100)",
                 11, weight="bold")]
    for i, (attr, value, tgi, g_share, p_share, count) in enumerate(rows):
        y = 26 + i * row_h
        body.append(text(left - 8, y + 13, f"{attr} · {value}", 11, "end"))
        x = left + axis_w * tgi / hi
        color = "#e15759" if tgi >= 100 else "#4e79a7"
        body.append(rect(min(x, x100), y + 3, abs(x - x100), row_h - 6, color,
                         f"{attr}={value}: TGI {tgi:.0f}, {pct(g_share)} vs {pct(p_share)}, {count} Champions"))
        body.append(text(max(x, x100) + 6, y + 13, f"{tgi:.0f}   {pct(g_share)} vs {pct(p_share)}", 10))
    body.append(f'<line x1="{x100:.1f}" y1="22" x2="{x100:.1f}" y2="{height - 4}" stroke="#333" stroke-width="1"/>')
    body.append(text(x100, height, "100", 9, "middle"))
    return svg("tgi", width, height, body)


def main():
    db, out = sys.argv[1], sys.argv[2]
    conn = psycopg2.connect(dbname=db)
    conn.set_session(readonly=True)
    cur = conn.cursor()

    cur.execute(f"SELECT segment, customers, share, revenue FROM {PROFILE}_segments ORDER BY revenue DESC")
    # money is numeric in the views: float is exact enough to draw
    segments = [dict(zip(("segment", "customers", "share", "revenue"), (r[0], r[1], r[2], float(r[3] or 0))))
                for r in cur.fetchall()]
    order = [r["segment"] for r in segments]
    cur.execute(f"SELECT DISTINCT segment FROM {PROFILE} ORDER BY 1")
    order += [r[0] for r in cur.fetchall() if r[0] not in order]
    colors = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(order)}

    cur.execute(f"SELECT from_segment, to_segment, customers FROM {PROFILE}_migration")
    migration = cur.fetchall()
    cur.execute(f"SELECT lifecycle, count(*) FROM {PROFILE} GROUP BY lifecycle")
    lifecycle = cur.fetchall()
    cur.execute("SELECT count(*), sum(monetary)::float8 FROM " + PROFILE)
    customers, revenue = cur.fetchone()
    cur.execute("SELECT count(*) FROM portrait.profile_run WHERE target_table = %s::regclass", (PROFILE,))
    runs = cur.fetchone()[0]

    cur.execute("SELECT max(ordered_at) FROM demo.orders")
    last = cur.fetchone()[0]
    cur.execute("""SELECT cohort::date, period_offset, cohort_users, active_users, share
                   FROM portrait.cohort_matrix('demo.orders', 'customer_id', 'ordered_at', 'month', 12)""")
    cohorts = cur.fetchall()

    cur.execute("""SELECT f.step, f.users, f.conversion_from_previous, f.conversion_from_first
                   FROM (SELECT portrait.funnel_counts(level, 4) AS users
                         FROM (SELECT customer_id, portrait.window_funnel('1 day', ts, name = 'view', name = 'cart',
                                                                          name = 'checkout', name = 'pay') AS level
                               FROM demo.events GROUP BY customer_id) per_customer) c,
                        portrait.funnel_table(c.users) f ORDER BY f.step""")
    funnel = cur.fetchall()

    cur.execute(f"""SELECT t.attribute, t.value, t.tgi, t.group_share, t.population_share, t.group_count
                    FROM (SELECT portrait.tgi(p.segment = 'Champions',
                                              jsonb_build_object('region', c.region, 'city_tier', c.city_tier,
                                                                 'age_band', c.age_band, 'gender', c.gender,
                                                                 'channel', c.channel)) AS pr
                          FROM {PROFILE} p JOIN demo.customers c USING (customer_id)) s,
                         portrait.tgi_table(s.pr, min_count => 30) t
                    WHERE t.value IS NOT NULL ORDER BY t.attribute, t.tgi DESC""")
    tgi = cur.fetchall()
    conn.close()

    cards = [
        ("wide", "客群分布与收入 · Segments: customers and revenue",
         f"view {PROFILE}_segments, last refresh", segments_chart(segments, colors)),
        ("", "生命周期 · Lifecycle stages", f"lifecycle_stage in {PROFILE}", lifecycle_chart(lifecycle)),
        ("", "漏斗 · Funnel, December 2024", "window_funnel within 1 day → funnel_table", funnel_chart(funnel)),
        ("full", "客群迁移 · Segment migration between the last two refreshes",
         f"view {PROFILE}_migration (moves in colour, customers who stayed pale)",
         migration_chart(migration, order, colors)),
        ("", "同期群留存 · Monthly cohort retention", "cohort_matrix over demo.orders",
         cohort_chart(cohorts, last.year * 12 + last.month)),
        ("", "冠军客户画像 · Who are the Champions? TGI against all customers",
         "tgi + tgi_table, values with at least 30 Champions", tgi_chart(tgi)),
    ]
    parts = []
    for cls, title, source, chart in cards:
        parts.append(f'<section class="card {cls}"><h2>{esc(title)}</h2><p class="src">{esc(source)}</p>{chart}</section>')

    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>客群画像 · pg_portrait demo portrait</title>
<style>
body {{ margin: 0; background: #f4f5f7; color: #222; font-family: {FONT}; }}
header {{ padding: 20px 28px 8px; }}
h1 {{ margin: 0 0 6px; font-size: 26px; }}
.kpis {{ display: flex; gap: 28px; font-size: 14px; color: #555; }}
.kpis b {{ display: block; font-size: 20px; color: #222; }}
main {{ display: grid; grid-template-columns: 590px 590px; gap: 16px; padding: 12px 28px 28px; }}
.card {{ background: #fff; border-radius: 8px; padding: 12px 14px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }}
.card.full {{ grid-column: 1 / span 2; }}
.card.wide {{ grid-row: span 2; }}
h2 {{ margin: 0; font-size: 16px; }}
.src {{ margin: 2px 0 8px; font-size: 11px; color: #888; }}
svg {{ display: block; font-family: {FONT}; }}
</style>
</head>
<body>
<header>
<h1>客群画像 · The portrait of {num(customers)} customers</h1>
<div class="kpis">
<div><b>{num(customers)}</b>客户 customers</div>
<div><b>{num(revenue)}</b>累计收入 revenue</div>
<div><b>{len(segments)}</b>RFM 客群 segments</div>
<div><b>{runs}</b>次刷新 refreshes of the profile</div>
</div>
</header>
<main>
{chr(10).join(parts)}
</main>
</body>
</html>
"""
    with open(out, "w", encoding="utf-8") as f:
        f.write(page)


if __name__ == "__main__":
    main()
