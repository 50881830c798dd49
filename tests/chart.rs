//! Charts: the SVG's structure (series, axes, the budget line's value, the fan's bounds),
//! labels that neither overlap nor cover data, PNG output, edge states, and
//! `tokenburn chart` end to end on a temp ledger.

mod common;

use std::collections::HashMap;

use ab_glyph::{Font, FontRef, ScaleFont};
use chrono::NaiveDate;
use common::*;
use tokenburn::chart::{
    self, sample, BreakdownData, BurnData, Chart, DailyData, DateLocale, FanPoint, MonthTokens, Options, RatioData,
    Reference, Theme, TokensData, Unit, WeekSpend,
};
use tokenburn::money::Usd;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn usd(dollars: i64) -> Usd {
    Usd(dollars * 1_000_000_000)
}

/// Day number, as the charts' x axis counts.
fn dn(s: &str) -> f64 {
    (d(s) - d("1970-01-01")).num_days() as f64
}

// ---------------------------------------------------------------------------------------
// A small reader for the SVG the charts write.

#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: HashMap<String, String>,
    text: String,
    children: Vec<Node>,
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

fn parse_tag(tag: &str) -> Node {
    let tag = tag.trim_end_matches('/').trim();
    let (name, mut rest) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
    let mut attrs = HashMap::new();
    while let Some(eq) = rest.find("=\"") {
        let key = rest[..eq].trim().to_string();
        let after = &rest[eq + 2..];
        let end = after.find('"').expect("closing quote");
        attrs.insert(key, unescape(&after[..end]));
        rest = &after[end + 1..];
    }
    Node { name: name.to_string(), attrs, ..Node::default() }
}

fn parse(svg: &str) -> Node {
    let mut stack = vec![Node::default()];
    let mut rest = svg;
    while let Some(lt) = rest.find('<') {
        let text = rest[..lt].trim();
        if !text.is_empty() {
            stack.last_mut().unwrap().text.push_str(&unescape(text));
        }
        let gt = rest[lt..].find('>').expect("tag end") + lt;
        let tag = &rest[lt + 1..gt];
        if let Some(name) = tag.strip_prefix('/') {
            let n = stack.pop().unwrap();
            assert_eq!(n.name, name.trim(), "mismatched tags");
            stack.last_mut().unwrap().children.push(n);
        } else if tag.ends_with('/') {
            let n = parse_tag(tag);
            stack.last_mut().unwrap().children.push(n);
        } else {
            stack.push(parse_tag(tag));
        }
        rest = &rest[gt + 1..];
    }
    assert_eq!(stack.len(), 1, "unclosed tags");
    stack.pop().unwrap().children.remove(0)
}

impl Node {
    fn attr(&self, k: &str) -> &str {
        self.attrs.get(k).map(String::as_str).unwrap_or_else(|| panic!("no {k} on <{}> {:?}", self.name, self.attrs))
    }
    fn f(&self, k: &str) -> f64 {
        self.attr(k).parse().unwrap_or_else(|_| panic!("{k}={} is not a number", self.attr(k)))
    }
    fn has_class(&self, c: &str) -> bool {
        self.attrs.get("class").is_some_and(|v| v.split_whitespace().any(|x| x == c))
    }
    fn all<'a>(&'a self, pred: &dyn Fn(&Node) -> bool, out: &mut Vec<&'a Node>) {
        if pred(self) {
            out.push(self);
        }
        for c in &self.children {
            c.all(pred, out);
        }
    }
    fn groups(&self, class: &str) -> Vec<&Node> {
        let mut out = Vec::new();
        self.all(&|n| n.name == "g" && n.has_class(class), &mut out);
        out
    }
    fn group(&self, class: &str) -> &Node {
        let g = self.groups(class);
        assert_eq!(g.len(), 1, "expected one group {class}, found {}", g.len());
        g[0]
    }
    fn named(&self, name: &str) -> Vec<&Node> {
        let mut out = Vec::new();
        self.all(&|n| n.name == name, &mut out);
        out
    }
    fn texts(&self) -> Vec<String> {
        self.named("text").iter().map(|t| t.text.clone()).collect()
    }
    fn series(&self, id: &str) -> &Node {
        let mut out = Vec::new();
        self.all(
            &|n| {
                n.name == "g" && n.has_class("tb-series") && n.attrs.get("data-series").map(String::as_str) == Some(id)
            },
            &mut out,
        );
        assert_eq!(out.len(), 1, "series {id}");
        out[0]
    }
    fn series_ids(&self) -> Vec<String> {
        self.groups("tb-series").iter().map(|g| g.attr("data-series").to_string()).collect()
    }
}

fn points(n: &Node) -> Vec<(f64, f64)> {
    n.attr("points")
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// The plot's geometry, from `<g class="tb-plot" data-...>`.
struct Plot {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
    xmin: f64,
    xmax: f64,
    ymin: f64,
    ymax: f64,
    log: bool,
}

impl Plot {
    fn of(svg: &Node) -> Plot {
        let g = svg.group("tb-plot");
        Plot {
            left: g.f("data-left"),
            top: g.f("data-top"),
            right: g.f("data-right"),
            bottom: g.f("data-bottom"),
            xmin: g.f("data-x-min"),
            xmax: g.f("data-x-max"),
            ymin: g.f("data-y-min"),
            ymax: g.f("data-y-max"),
            log: g.attr("data-y-scale") == "log",
        }
    }
    fn xp(&self, x: f64) -> f64 {
        self.left + (x - self.xmin) / (self.xmax - self.xmin) * (self.right - self.left)
    }
    fn yp(&self, v: f64) -> f64 {
        let t = if self.log {
            (v.log10() - self.ymin.log10()) / (self.ymax.log10() - self.ymin.log10())
        } else {
            (v - self.ymin) / (self.ymax - self.ymin)
        };
        self.bottom + t * (self.top - self.bottom)
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1.01
}

fn svg(c: &Chart) -> (String, Node) {
    let s = chart::render_svg(c, &opts(800, 500, Theme::Light)).unwrap();
    let n = parse(&s);
    (s, n)
}

fn opts(w: u32, h: u32, theme: Theme) -> Options {
    Options { width: w, height: h, theme, locale: DateLocale::parse("en_US").unwrap() }
}

// ---------------------------------------------------------------------------------------
// Hand-built data.

/// March 2026, $2,000, spent $100 a day through the 10th, a fan from the 11th to the 31st
/// that reaches the budget at P50 on the 20th.
fn burn() -> BurnData {
    let cumulative = (1..=10).map(|i| (d(&format!("2026-03-{i:02}")), usd(100 * i).nanos())).collect();
    let fan = (11..=31)
        .map(|i| {
            let k = (i - 10) as i64;
            FanPoint {
                date: d(&format!("2026-03-{i:02}")),
                p10: usd(1000 + 60 * k).nanos(),
                p50: usd(1000 + 100 * k).nanos(),
                p90: usd(1000 + 150 * k).nanos(),
            }
        })
        .collect();
    BurnData {
        name: "Team <AI> & co".into(),
        unit: Unit::Usd,
        period_start: d("2026-03-01"),
        period_end: d("2026-03-31"),
        today: d("2026-03-10"),
        budget: usd(2000).nanos(),
        cumulative,
        fan,
        thresholds: vec![50, 80],
        p50_runout: Some(d("2026-03-20")),
    }
}

fn ratio() -> RatioData {
    RatioData {
        year_start: d("2026-01-01"),
        year_end: d("2026-12-31"),
        today: d("2026-04-30"),
        compensation: usd(200_000),
        target_bp: Some(1500),
        references: Reference::defaults(),
        cumulative: (0..120).map(|i| (d("2026-01-01") + chrono::Days::new(i), usd(60 * (i as i64 + 1)))).collect(),
        projected_year_end: Some(usd(22_000)),
    }
}

fn tokens() -> TokensData {
    let mut months = Vec::new();
    for (i, m) in ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"].iter().enumerate() {
        let i = i as i64;
        months.push(MonthTokens { month: d(m), key: "anthropic".into(), tokens: 1_000_000_000 * (i + 1) });
        months.push(MonthTokens { month: d(m), key: "openai".into(), tokens: 10_000_000 * (i + 1) });
        months.push(MonthTokens { month: d(m), key: "google".into(), tokens: 500_000 });
        months.push(MonthTokens { month: d(m), key: "xai".into(), tokens: 200_000 });
    }
    TokensData { by: "provider".into(), months, top: 2, range: None, today: d("2025-04-30") }
}

fn breakdown() -> BreakdownData {
    let mut weeks = Vec::new();
    for (w, day) in ["2025-09-01", "2025-09-10", "2025-09-15"].iter().enumerate() {
        for (k, base) in [("a-model", 300), ("b-model", 200), ("c-model", 50), ("d-model", 20)] {
            weeks.push(WeekSpend { week: d(day), key: k.into(), spend: usd(base + 10 * w as i64) });
        }
    }
    BreakdownData { by: "model".into(), weeks, top: 2, range: None, unpriced_events: 3, today: d("2025-09-20") }
}

// ---------------------------------------------------------------------------------------

#[test]
fn burn_has_its_budget_line_thresholds_fan_and_markers() {
    let data = burn();
    let (raw, s) = svg(&Chart::Burn(data.clone()));
    assert_eq!(s.name, "svg");
    assert_eq!(s.attr("data-chart"), "burn");
    assert_eq!(s.attr("width"), "800");
    // User text is escaped, and read back intact.
    assert!(raw.contains("Team &lt;AI&gt; &amp; co"));
    assert_eq!(s.named("title")[0].text, "Budget: Team <AI> & co");
    let p = Plot::of(&s);

    // The budget line sits at $1,000 across the plot.
    let budget = s.group("tb-budget");
    assert_eq!(budget.attr("data-value"), "2000");
    let line = points(budget.named("polyline")[0]);
    assert!(close(line[0].0, p.left) && close(line[1].0, p.right), "{line:?}");
    assert!(line.iter().all(|&(_, y)| close(y, p.yp(2000.0))), "{line:?} vs {}", p.yp(2000.0));

    // Thresholds at 50% and 80% of it.
    let th = s.groups("tb-threshold");
    let at: Vec<(&str, &str)> = th.iter().map(|g| (g.attr("data-percent"), g.attr("data-value"))).collect();
    assert_eq!(at, vec![("50", "1000"), ("80", "1600")]);
    for g in th {
        let v: f64 = g.f("data-value");
        // A dashed line is one element that the viewer dashes, not one per dash.
        let lines = g.named("polyline");
        assert_eq!(lines.len(), 1, "threshold {v}");
        assert_eq!(lines[0].attr("stroke-dasharray"), "2 4");
        let line = points(lines[0]);
        assert!(close(line[0].0, p.left) && close(line[1].0, p.right), "{line:?}");
        assert!(line.iter().all(|&(_, y)| close(y, p.yp(v))));
    }

    // The fan: P90 along the top, P10 along the bottom, at each forecast day.
    let fan = s.group("tb-fan");
    assert_eq!(fan.attr("data-from"), "2026-03-11");
    assert_eq!(fan.attr("data-to"), "2026-03-31");
    assert_eq!(fan.attr("data-p90-end"), "4150");
    let poly = points(fan.named("polygon")[0]);
    for f in &data.fan {
        let x = p.xp(dn(&f.date.to_string()) + 0.5);
        let ys: Vec<f64> = poly.iter().filter(|(px, _)| close(*px, x)).map(|&(_, y)| y).collect();
        assert_eq!(ys.len(), 2, "fan points at {}: {ys:?}", f.date);
        let (top, bottom) = (ys.iter().cloned().fold(f64::MAX, f64::min), ys.iter().cloned().fold(f64::MIN, f64::max));
        assert!(close(top, p.yp(f.p90 as f64 / 1e9)), "p90 on {}: {top} vs {}", f.date, p.yp(f.p90 as f64 / 1e9));
        assert!(close(bottom, p.yp(f.p10 as f64 / 1e9)), "p10 on {}", f.date);
    }
    // It grows out of today's spend.
    assert!(poly.iter().any(|&(x, y)| close(x, p.xp(dn("2026-03-10") + 0.5)) && close(y, p.yp(1000.0))));
    assert!(p.ymax >= 4150.0);

    // Spend, P50, today and the run-out.
    assert_eq!(s.series_ids(), vec!["p50", "spend"]);
    assert_eq!(s.series("spend").attr("data-spent"), "1000");
    assert_eq!(s.group("tb-today").attr("data-date"), "2026-03-10");
    assert_eq!(s.group("tb-runout").attr("data-date"), "2026-03-20");
    let texts = s.texts();
    assert!(texts.iter().any(|t| t == "P50 run-out Mar 20"), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("Spent $1,000 of $2,000 (50%)")), "{texts:?}");
    // Axis labels with units and separators.
    assert!(texts.contains(&"Cumulative spend (USD)".to_string()));
    assert!(texts.contains(&"$2,000".to_string()), "{texts:?}");
    let legend: Vec<&str> = s.groups("tb-legend-item").iter().map(|g| g.attr("data-series")).collect();
    assert_eq!(legend, vec!["spend", "p50", "fan", "budget", "thresholds"]);
}

#[test]
fn burn_edge_states() {
    // Already over budget: said so, marked, and the axis covers the overspend.
    let mut over = burn();
    over.cumulative = (1..=10).map(|i| (d(&format!("2026-03-{i:02}")), usd(250 * i).nanos())).collect();
    over.fan.clear();
    over.p50_runout = None;
    let (_, s) = svg(&Chart::Burn(over));
    assert_eq!(s.group("tb-reached").attr("data-date"), "2026-03-08");
    assert!(Plot::of(&s).ymax >= 2500.0);
    assert!(s.texts().iter().any(|t| t.starts_with("Over budget by $500 since Mar 8, 2026")), "{:?}", s.texts());
    assert!(s.groups("tb-fan").is_empty());

    // A forecast that runs past the period: the axis goes on to the run-out, the time after
    // the period is shaded and its end marked.
    let mut past = burn();
    past.fan = (11..=50)
        .map(|k| {
            let date = d("2026-03-01") + chrono::Days::new(k - 1);
            let v = usd(40).nanos() * k as i64;
            FanPoint { date, p10: v * 8 / 10, p50: v, p90: v * 12 / 10 }
        })
        .collect();
    past.cumulative.truncate(10);
    past.p50_runout = Some(d("2026-04-19"));
    let (_, s) = svg(&Chart::Burn(past));
    let p = Plot::of(&s);
    assert!(p.xmax >= dn("2026-04-19") + 1.0);
    assert_eq!(s.group("tb-period-end").attr("data-date"), "2026-03-31");
    assert_eq!(s.groups("tb-after-period").len(), 1);
    assert_eq!(s.group("tb-runout").attr("data-date"), "2026-04-19");

    // Nothing spent yet: the budget and a message.
    let mut empty = burn();
    empty.cumulative.clear();
    empty.fan.clear();
    empty.p50_runout = None;
    let (_, s) = svg(&Chart::Burn(empty));
    assert_eq!(s.group("tb-budget").attr("data-value"), "2000");
    assert!(s.group("tb-empty").texts()[0].starts_with("No spend since"));

    // A token budget.
    let mut tok = burn();
    tok.unit = Unit::Tokens;
    tok.budget = 50_000_000;
    tok.cumulative = vec![(d("2026-03-01"), 1_000_000)];
    tok.fan.clear();
    tok.thresholds.clear();
    let (_, s) = svg(&Chart::Burn(tok));
    assert_eq!(s.group("tb-budget").attr("data-value"), "50000000");
    assert!(s.texts().contains(&"Cumulative tokens".to_string()));
    assert!(s.texts().iter().any(|t| t == "Budget 50M"), "{:?}", s.texts());
}

#[test]
fn ratio_has_prorated_lines_and_the_projection() {
    let (_, s) = svg(&Chart::Ratio(ratio()));
    let p = Plot::of(&s);
    let refs: Vec<(&str, &str, &str)> = s
        .groups("tb-reference")
        .iter()
        .map(|g| (g.attr("data-bp"), g.attr("data-label"), g.attr("data-year-end")))
        .collect();
    assert_eq!(refs, vec![("1000", "10%", "20000"), ("2500", "25%", "50000"), ("5000", "50% Huang's", "100000")]);
    let target = s.group("tb-target");
    assert_eq!(target.attr("data-bp"), "1500");
    // Prorated: zero at the year's start, the whole ratio at its end.
    let line = points(target.named("polyline")[0]);
    assert!(close(line[0].0, p.xp(dn("2026-01-01"))) && close(line[0].1, p.yp(0.0)));
    assert!(close(line[1].0, p.xp(dn("2027-01-01"))) && close(line[1].1, p.yp(30_000.0)), "{line:?}");
    assert_eq!(s.series("projection").attr("data-value"), "22000");
    assert_eq!(s.series("spend").attr("data-spent"), "7200");
    let texts = s.texts();
    assert!(texts.iter().any(|t| t == "50% Huang's $100k"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "Projected 11%"), "{texts:?}");
    // $7,200 over 120 of 365 days of $200,000: 10.95%, shown to a tenth.
    assert!(texts.iter().any(|t| t.contains("Year to date $7,200 = 11% of compensation to date")), "{texts:?}");
    assert_eq!(s.group("tb-today").attr("data-date"), "2026-04-30");
}

#[test]
fn tokens_is_log_scale_with_top_n_and_other() {
    let (_, s) = svg(&Chart::Tokens(tokens()));
    let p = Plot::of(&s);
    assert!(p.log);
    assert!(p.ymin <= 1e5 && p.ymax >= 1e11, "{} {}", p.ymin, p.ymax);
    assert_eq!(s.series_ids(), vec!["all", "other", "openai", "anthropic"]);
    let y_labels = s.group("tb-y").texts();
    for l in ["100k", "1M", "1B", "100B"] {
        assert!(y_labels.contains(&l.to_string()), "{y_labels:?}");
    }
    assert!(s.texts().contains(&"Tokens per month (log scale)".to_string()));
    // anthropic in March 2025: 3 billion, at the middle of the month.
    let a = s.series("anthropic");
    assert_eq!(a.attr("data-total"), "10000000000");
    let x = p.xp(dn("2025-03-01") + 15.5);
    let y = p.yp(3e9);
    assert!(a.named("circle").iter().any(|c| close(c.f("cx"), x) && close(c.f("cy"), y)), "no point at ({x}, {y})");
    // google and xai are gathered.
    assert_eq!(s.series("other").attr("data-total"), "2800000");
    assert!(s.texts().iter().any(|t| t.contains("busiest: Apr 2025 with 4,040,700,000")), "{:?}", s.texts());
}

#[test]
fn breakdown_stacks_top_n_plus_other_per_week() {
    let data = breakdown();
    let (_, s) = svg(&Chart::Breakdown(data));
    let p = Plot::of(&s);
    assert_eq!(s.series_ids(), vec!["a-model", "b-model", "other"]);
    assert_eq!(s.series("a-model").attr("data-total"), "930");
    assert_eq!(s.series("other").attr("data-total"), "270");
    // Week 2 (Sep 8): 310 + 210 + (60 + 30) stacked from zero to 610.
    let wx = p.xp(dn("2025-09-08") + 3.5);
    let mut spans = Vec::new();
    for id in ["a-model", "b-model", "other"] {
        for r in s.series(id).named("rect") {
            let (x, w) = (r.f("x"), r.f("width"));
            if x <= wx && wx <= x + w {
                spans.push((r.f("y"), r.f("y") + r.f("height")));
            }
        }
    }
    assert_eq!(spans.len(), 3);
    let top = spans.iter().map(|s| s.0).fold(f64::MAX, f64::min);
    let bottom = spans.iter().map(|s| s.1).fold(f64::MIN, f64::max);
    assert!(close(top, p.yp(610.0)) && close(bottom, p.yp(0.0)), "{spans:?}");
    let texts = s.texts();
    assert!(texts.iter().any(|t| t.contains("3 unpriced events not shown")));
    assert!(texts.contains(&"Spend per week (USD)".to_string()));
    assert!(texts.contains(&"Week (starting Monday)".to_string()));
}

#[test]
fn daily_bars_average_and_weekends() {
    let data = sample::daily(d("2026-06-14"), 28, 40.0);
    let total: Usd = data.days.iter().map(|x| x.1).sum();
    let (_, s) = svg(&Chart::Daily(data.clone()));
    let p = Plot::of(&s);
    let bars = s.series("spend");
    assert_eq!(bars.attr("data-total"), total.to_string());
    assert_eq!(bars.named("rect").len(), data.days.iter().filter(|x| x.1 != Usd::ZERO).count());
    let first = data.days.iter().find(|x| x.1 != Usd::ZERO).unwrap();
    let r = bars.named("rect")[0];
    assert!(close(r.f("x") + r.f("width") / 2.0, p.xp(dn(&first.0.to_string()) + 0.5)));
    assert!(close(r.f("y"), p.yp(first.1.nanos() as f64 / 1e9)));
    assert!(close(r.f("y") + r.f("height"), p.yp(0.0)));
    // 4 weekends in 28 days.
    assert_eq!(s.group("tb-weekends").named("rect").len(), 4);
    let avg = points(s.series("avg7").named("polyline")[1]);
    assert_eq!(avg.len(), 22);

    // One day: one bar, no average.
    let one =
        DailyData { days: vec![(d("2026-06-14"), usd(12))], range: None, unpriced_events: 0, today: d("2026-06-15") };
    let (_, s) = svg(&Chart::Daily(one));
    assert_eq!(s.series("spend").named("rect").len(), 1);
    assert!(s.groups("tb-series").iter().all(|g| g.attr("data-series") != "avg7"));
    assert!(
        s.texts().iter().any(|t| t.contains("Total $12.00 over 1 day ·")
            || t == "Total $12.00 over 1 day · average $12.00 a day · peak $12.00 on Jun 14, 2026"),
        "{:?}",
        s.texts()
    );
}

#[test]
fn empty_charts_say_so() {
    let no_days = DailyData {
        days: vec![],
        range: Some((d("2026-01-01"), d("2026-01-31"))),
        unpriced_events: 0,
        today: d("2026-02-01"),
    };
    let cases = [
        (Chart::Daily(no_days), "No spend from Jan 1, 2026 to Jan 31, 2026"),
        (Chart::Daily(DailyData::default()), "No spend recorded"),
        (Chart::Breakdown(BreakdownData::default()), "No spend from"),
        (Chart::Tokens(TokensData::default()), "No tokens from"),
        (Chart::Ratio(RatioData { cumulative: vec![], projected_year_end: None, ..ratio() }), "No spend this year yet"),
    ];
    for (c, msg) in cases {
        let (_, s) = svg(&c);
        let t = &s.group("tb-empty").texts()[0];
        assert!(t.starts_with(msg), "{}: {t}", c.kind());
        assert!(s.groups("tb-series").is_empty(), "{}", c.kind());
        // And a PNG draws too.
        chart::render_png(&c, &opts(400, 300, Theme::Dark)).unwrap();
    }
}

#[test]
fn empty_charts_without_a_range_show_the_day_they_are_given() {
    // The charts never read the clock: "today" comes with the data.
    let today = d("2026-03-11"); // a Wednesday
    let (_, s) = svg(&Chart::Breakdown(BreakdownData { today, ..BreakdownData::default() }));
    assert_eq!(s.group("tb-empty").texts()[0], "No spend from Mar 9, 2026 to Mar 15, 2026");
    let (_, s) = svg(&Chart::Tokens(TokensData { today, ..TokensData::default() }));
    assert_eq!(s.group("tb-empty").texts()[0], "No tokens from Mar 2026 to Mar 2026");
    let (_, s) = svg(&Chart::Daily(DailyData { today, ..DailyData::default() }));
    assert_eq!(s.group("tb-empty").texts()[0], "No spend recorded");
    let plot = s.group("tb-plot");
    assert_eq!((plot.f("data-x-min"), plot.f("data-x-max")), (dn("2026-03-11") - 3.5, dn("2026-03-11") + 3.5));
}

fn all_charts() -> Vec<Chart> {
    let end = d("2026-06-15");
    let mut v = vec![
        Chart::Burn(burn()),
        Chart::Ratio(ratio()),
        Chart::Tokens(tokens()),
        Chart::Breakdown(breakdown()),
        Chart::Burn(sample::burn("Monthly", d("2026-03-01"), d("2026-03-31"), d("2026-03-18"), usd(1000), 52.0)),
        Chart::Ratio(sample::ratio(2026, end, usd(180_000), Some(1500), 70.0)),
        Chart::Tokens(sample::tokens(end, 60, 7)),
        Chart::Breakdown(sample::breakdown(end, 260, 7)),
        Chart::Daily(sample::daily(end, 1826, 40.0)),
        Chart::Daily(sample::daily(end, 90, 40.0)),
        Chart::Daily(sample::daily(end, 14, 40.0)),
    ];
    let mut long = sample::breakdown(end, 8, 3);
    for w in &mut long.weeks {
        w.key = format!("/home/someone/work/a-very-long-project-path/{}", w.key);
    }
    v.push(Chart::Breakdown(long));
    v
}

struct TextBox {
    text: String,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

/// Boxes of the horizontal texts, measured with the embedded font.
fn text_boxes(s: &Node) -> Vec<TextBox> {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/src/chart/fonts/DejaVuSans.ttf")).unwrap();
    let font = FontRef::try_from_slice(&bytes).unwrap();
    let upem = font.units_per_em().unwrap();
    let mut out = Vec::new();
    for t in s.named("text") {
        if t.attrs.contains_key("transform") {
            continue;
        }
        let em = t.f("font-size") as f32;
        let sf = font.as_scaled(em * font.height_unscaled() / upem);
        let w: f32 = t.text.chars().map(|c| sf.h_advance(font.glyph_id(c))).sum();
        let (x, y, w, em) = (t.f("x"), t.f("y"), w as f64, em as f64);
        let x0 = match t.attr("text-anchor") {
            "start" => x,
            "middle" => x - w / 2.0,
            _ => x - w,
        };
        out.push(TextBox { text: t.text.clone(), x0, x1: x0 + w, y0: y - 0.73 * em, y1: y + 0.2 * em });
    }
    out
}

#[test]
fn labels_do_not_overlap_or_cover_data_at_both_sizes_and_themes() {
    for c in all_charts() {
        for (w, h) in [(800, 500), (1600, 1000), (480, 320)] {
            for theme in [Theme::Light, Theme::Dark] {
                let s = parse(&chart::render_svg(&c, &opts(w, h, theme)).unwrap());
                let p = Plot::of(&s);
                let boxes = text_boxes(&s);
                let empty: Vec<String> = s.groups("tb-empty").iter().flat_map(|g| g.texts()).collect();
                for (i, a) in boxes.iter().enumerate() {
                    let what = format!("{} {w}x{h}: {:?}", c.kind(), a.text);
                    assert!(
                        a.x0 >= -0.5 && a.x1 <= w as f64 + 0.5 && a.y0 >= 0.0 && a.y1 <= h as f64,
                        "{what} off the canvas"
                    );
                    if !empty.contains(&a.text) {
                        let inside =
                            a.x1 > p.left + 0.5 && a.x0 < p.right - 0.5 && a.y1 > p.top + 0.5 && a.y0 < p.bottom - 0.5;
                        assert!(!inside, "{what} is inside the plot {:?}", (p.left, p.top, p.right, p.bottom));
                    }
                    for b in &boxes[i + 1..] {
                        let overlap = a.x0 < b.x1 - 0.5 && b.x0 < a.x1 - 0.5 && a.y0 < b.y1 - 0.5 && b.y0 < a.y1 - 0.5;
                        assert!(!overlap, "{what} overlaps {:?}", b.text);
                    }
                }
            }
        }
    }
}

#[test]
fn png_has_the_size_and_is_not_blank() {
    for (c, theme) in
        [(Chart::Burn(burn()), Theme::Light), (Chart::Daily(sample::daily(d("2026-06-15"), 90, 40.0)), Theme::Dark)]
    {
        for (w, h) in [(800u32, 500u32), (1600, 1000)] {
            let png = chart::render_png(&c, &opts(w, h, theme)).unwrap();
            let dec = png::Decoder::new(std::io::Cursor::new(png));
            let mut r = dec.read_info().unwrap();
            let mut buf = vec![0; r.output_buffer_size().unwrap()];
            let info = r.next_frame(&mut buf).unwrap();
            assert_eq!((info.width, info.height), (w, h));
            assert_eq!(info.color_type, png::ColorType::Rgb);
            let px = |x: u32, y: u32| {
                let i = ((y * w + x) * 3) as usize;
                (buf[i], buf[i + 1], buf[i + 2])
            };
            let bg = px(0, 0);
            if theme == Theme::Dark {
                assert!(bg.0 < 60 && bg.1 < 60 && bg.2 < 60, "{bg:?}");
            } else {
                assert_eq!(bg, (255, 255, 255));
            }
            let pixels = buf[..(w * h * 3) as usize].chunks(3);
            let differ = pixels.clone().filter(|p| (p[0], p[1], p[2]) != bg).count();
            assert!(differ > (w * h / 20) as usize, "only {differ} pixels drawn");
            let colors: std::collections::HashSet<_> = pixels.map(|p| (p[0], p[1], p[2])).collect();
            assert!(colors.len() > 50, "{} colours", colors.len());
        }
    }
}

#[test]
fn sizes_are_checked() {
    let c = Chart::Burn(burn());
    assert!(matches!(chart::render_svg(&c, &opts(10, 10, Theme::Light)), Err(chart::ChartError::Size { .. })));
    assert!(chart::render_png(&c, &opts(100_000, 500, Theme::Light)).is_err());
}

#[test]
fn dates_follow_the_locale() {
    let o = Options { locale: DateLocale::parse("en_GB").unwrap(), ..opts(800, 500, Theme::Light) };
    let s = parse(&chart::render_svg(&Chart::Burn(burn()), &o).unwrap());
    assert!(s.texts().iter().any(|t| t == "P50 run-out 20 Mar"), "{:?}", s.texts());
    let o = Options { locale: DateLocale::parse("de_DE").unwrap(), ..opts(800, 500, Theme::Light) };
    let s = parse(&chart::render_svg(&Chart::Ratio(ratio()), &o).unwrap());
    assert!(s.group("tb-x").texts().contains(&"Mär".to_string()), "{:?}", s.group("tb-x").texts());
}

// ---------------------------------------------------------------------------------------
// `tokenburn chart` through the binary.

fn ledger() -> Env {
    let env = Env::new();
    env.ok(&["import", &fixture("codex"), &fixture("claude-code")]);
    env
}

fn chart_svg(env: &Env, args: &[&str]) -> Node {
    let out = env.dir.path().join("c.svg");
    let mut a = vec!["chart"];
    a.extend_from_slice(args);
    a.extend_from_slice(&[
        "--out",
        out.to_str().unwrap(),
        "--since",
        "2025-03-01",
        "--until",
        "2025-10-31",
        "--locale",
        "en_US",
    ]);
    env.ok(&a);
    parse(&std::fs::read_to_string(out).unwrap())
}

fn nanos(s: &str) -> i64 {
    Usd::parse(s).unwrap().nanos()
}

#[test]
fn cli_charts_count_what_reports_count() {
    let env = ledger();
    let rep = env.json(&["report", "--by", "model", "--since", "2025-03-01", "--until", "2025-10-31"]);
    let cost = nanos(rep["totals"]["cost_usd"].as_str().unwrap());
    let tokens = int(&rep["totals"], "total_tokens");
    assert!(cost > 0 && tokens > 0);

    let s = chart_svg(&env, &["daily"]);
    assert_eq!(s.attr("data-chart"), "daily");
    assert_eq!(nanos(s.series("spend").attr("data-total")), cost);

    let s = chart_svg(&env, &["breakdown"]);
    let ids = s.series_ids();
    let models: Vec<String> =
        rep["rows"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap().to_string()).collect();
    assert!(ids.iter().all(|i| models.contains(i) || i == "other"), "{ids:?} vs {models:?}");
    let sum: i64 = ids.iter().map(|i| nanos(s.series(i).attr("data-total"))).sum();
    assert_eq!(sum, cost);

    // Top 1 gathers the rest; by project includes events with no project.
    for by in ["model", "provider", "project"] {
        let s = chart_svg(&env, &["breakdown", "--by", by, "--top", "1"]);
        let sum: i64 = s.series_ids().iter().map(|i| nanos(s.series(i).attr("data-total"))).sum();
        assert_eq!(sum, cost, "by {by}");
        assert!(s.series_ids().len() <= 2);
    }

    let s = chart_svg(&env, &["tokens"]);
    let sum: i64 = s.series_ids().iter().filter(|i| *i != "all").map(|i| s.series(i).f("data-total") as i64).sum();
    assert_eq!(sum, tokens);
    assert!(s.series_ids().contains(&"anthropic".to_string()) && s.series_ids().contains(&"openai".to_string()));
}

#[test]
fn cli_writes_png_and_reports_errors() {
    let env = ledger();
    let out = env.dir.path().join("daily.png");
    let o = out.to_str().unwrap();
    let text = env.ok(&[
        "chart",
        "daily",
        "--out",
        o,
        "--size",
        "1600x1000",
        "--theme",
        "dark",
        "--since",
        "2025-03-01",
        "--until",
        "2025-10-31",
    ]);
    assert!(text.contains("wrote"), "{text}");
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let dec = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    assert_eq!((dec.info().width, dec.info().height), (1600, 1000));

    let json = env.json(&["chart", "tokens", "--out", o]);
    assert_eq!(json["kind"], "tokens");

    let err = |args: &[&str]| {
        let r = env.run(args);
        assert!(!r.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&r.stderr).into_owned()
    };
    assert!(err(&["chart", "burn", "--out", o]).contains("needs a budget (tokenburn budget add"));
    assert!(err(&["chart", "burn", "--budget", "monthly", "--out", o]).contains("no budget \"monthly\""));
    assert!(err(&["chart", "ratio", "--out", o]).contains("needs compensation (tokenburn comp set"));
    assert!(err(&["chart", "daily", "--out", "x.jpg"]).contains(".svg or .png"));
    assert!(err(&["chart", "daily", "--out", o, "--size", "9x9"]).contains("out of range"));
    assert!(err(&["chart", "daily", "--out", o, "--top", "9"]).contains("--top"));
    assert!(err(&["chart", "daily", "--out", o, "--by", "day"]).contains("expected model, provider or project"));
    assert!(err(&["chart", "daily", "--out", o, "--theme", "pink"]).contains("light or dark"));
    assert!(err(&["chart", "daily", "--out", o, "--since", "2025-10-01", "--until", "2025-09-01"]).contains("after"));

    // An empty ledger draws an empty chart, not an error.
    let empty = Env::new();
    let svg_out = empty.dir.path().join("e.svg");
    empty.ok(&["chart", "breakdown", "--out", svg_out.to_str().unwrap()]);
    let s = parse(&std::fs::read_to_string(svg_out).unwrap());
    assert_eq!(s.groups("tb-empty").len(), 1);
}

#[test]
fn cli_burn_draws_a_budget_and_its_forecast() {
    let env = ledger();
    env.ok(&[
        "budget",
        "add",
        "tiny",
        "--amount",
        "0.006",
        "--period",
        "custom",
        "--start",
        "2025-09-20",
        "--end",
        "2025-10-19",
    ]);
    let st = env.json(&["status", "--at", "2025-10-05"]);
    let st = &st["budgets"][0];
    let out = env.dir.path().join("b.svg");
    env.ok(&[
        "chart",
        "burn",
        "--budget",
        "tiny",
        "--until",
        "2025-10-05",
        "--out",
        out.to_str().unwrap(),
        "--locale",
        "en_US",
    ]);
    let s = parse(&std::fs::read_to_string(out).unwrap());
    let p = Plot::of(&s);
    assert_eq!(s.series("spend").attr("data-spent"), st["spent"].as_str().unwrap());
    assert_eq!(s.group("tb-today").attr("data-date"), "2025-10-05");
    assert_eq!(s.group("tb-budget").attr("data-value"), "0.006");
    assert_eq!(s.group("tb-runout").attr("data-date"), st["forecast"]["p50"].as_str().unwrap());
    // After a custom period there is nothing to draw.
    let r = env.run(&["chart", "burn", "--until", "2025-12-01", "--out", "x.svg"]);
    assert!(String::from_utf8_lossy(&r.stderr).contains("has no period on 2025-12-01"));
    // The fan's bounds at the period's end are the forecast's projected P10 and P90.
    let poly = points(s.group("tb-fan").named("polygon")[0]);
    let x = p.xp(dn("2025-10-19") + 0.5);
    let ys: Vec<f64> = poly.iter().filter(|(px, _)| close(*px, x)).map(|&(_, y)| y).collect();
    assert_eq!(ys.len(), 2, "{poly:?}");
    let dollars = |k: &str| st["forecast"][k].as_str().unwrap().parse::<f64>().unwrap();
    let (top, bottom) = (ys[0].min(ys[1]), ys[0].max(ys[1]));
    assert!(close(top, p.yp(dollars("projected_p90"))), "{top} vs {}", p.yp(dollars("projected_p90")));
    assert!(close(bottom, p.yp(dollars("projected_p10"))), "{bottom} vs {}", p.yp(dollars("projected_p10")));
}

#[test]
fn cli_ratio_draws_spend_against_compensation() {
    let env = ledger();
    env.ok(&["comp", "set", "--annual", "20", "--target-ratio", "0.15", "--from", "2025-01-01"]);
    let rep = env.json(&["report", "--since", "2025-01-01", "--until", "2025-10-05"]);
    let out = env.dir.path().join("r.svg");
    env.ok(&["chart", "ratio", "--until", "2025-10-05", "--out", out.to_str().unwrap(), "--locale", "en_US"]);
    let s = parse(&std::fs::read_to_string(out).unwrap());
    assert_eq!(nanos(s.series("spend").attr("data-spent")), nanos(rep["totals"]["cost_usd"].as_str().unwrap()));
    assert_eq!(s.group("tb-target").attr("data-bp"), "1500");
    assert_eq!(s.group("tb-target").attr("data-year-end"), "3");
    let bps: Vec<&str> = s.groups("tb-reference").iter().map(|g| g.attr("data-bp")).collect();
    assert_eq!(bps, vec!["1000", "2500", "5000"]);
    assert_eq!(s.group("tb-today").attr("data-date"), "2025-10-05");
    assert!(s.series_ids().contains(&"projection".to_string()));
}

// ---------------------------------------------------------------------------------------

/// Writes the README's pictures: `cargo test --release --test chart -- --ignored docs_pictures`
/// (to another folder with CHART_DOCS_DIR).
#[test]
#[ignore]
fn docs_pictures() {
    let dir =
        std::env::var("CHART_DOCS_DIR").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/docs/charts").into());
    std::fs::create_dir_all(&dir).unwrap();
    let end = d("2026-06-15");
    let samples = [
        (
            "burn",
            Chart::Burn(sample::burn("Monthly AI", d("2026-03-01"), d("2026-03-31"), d("2026-03-18"), usd(1000), 52.0)),
        ),
        ("ratio", Chart::Ratio(sample::ratio(2026, end, usd(180_000), Some(1500), 70.0))),
        ("tokens", Chart::Tokens(sample::tokens(end, 24, 5))),
        ("breakdown", Chart::Breakdown(sample::breakdown(end, 26, 5))),
        ("daily", Chart::Daily(sample::daily(end, 90, 40.0))),
    ];
    for (name, c) in samples {
        for (w, h) in [(800, 500), (1600, 1000)] {
            for theme in [Theme::Light, Theme::Dark] {
                let t = if theme == Theme::Light { "light" } else { "dark" };
                let png = chart::render_png(&c, &opts(w, h, theme)).unwrap();
                std::fs::write(format!("{dir}/{name}-{w}x{h}-{t}.png"), png).unwrap();
            }
        }
    }
}
