//! GitHub Copilot premium-request usage report CSV (docs/FORMATS.md §5.2), three variants: the
//! premium request usage report (`date,username,product,sku,model,quantity,...,net_amount`,
//! newer files add `aic_*` columns), the generic enhanced-billing usage report (the same
//! without `model`, for every GitHub product: only `copilot` rows are read, the others are
//! skipped), and the legacy export (`"Timestamp","User","Model","Requests Used",...`).
//!
//! There are no tokens: `quantity` is premium requests weighted by the model multiplier and
//! FRACTIONAL (`3.6`); it is rounded half-to-even to whole requests. Dates are
//! `YYYY-MM-DD` or US `M/D/YY`; each row covers its UTC day. `net_amount` (dollars) is
//! billed; a row whose net is 0 but gross is not was covered by the plan's monthly quota,
//! so its gross is *included* value, not spend. Legacy rows state no money: within quota
//! they are included, over quota estimated (unpriced unless the price book knows it).
//! Copilot rows in other units (seats, `user-months`) are the plan's fee. `model` is a
//! display name ("Claude Sonnet 4") normalised to an id.

use std::io::BufRead;

use super::csv_rows::{self, rounded_count, Header, Opts, Row};
use super::lines::deliver;
use super::names::{id_of_display_name, provider_of};
use super::vendor::{flag, model_or_all, place, Occurrences};
use super::{ParseCtx, Sink, Sniff, Source};
use crate::error::Result;
use crate::model::{Authority, CostKind, Tokens, UsageEvent};
use crate::money::{parse_scaled, Usd};

pub struct CopilotCsv;

struct Cols {
    date: usize,
    model: Option<usize>,
    quantity: usize,
    product: Option<usize>,
    unit: Option<usize>,
    gross: Option<usize>,
    net: Option<usize>,
    exceeds: Option<usize>,
    dims: Vec<usize>,
    occ: Occurrences,
}

const DIMS: [&str; 9] = [
    "username",
    "user",
    "product",
    "sku",
    "organization",
    "cost_center_name",
    "repository",
    "workflow_path",
    "unit_type",
];

fn bind(h: &Header) -> std::result::Result<Cols, String> {
    Ok(Cols {
        date: h.find("date").or_else(|| h.find("Timestamp")).ok_or("the header has no \"date\" column")?,
        model: h.find("model"),
        quantity: h
            .find("quantity")
            .or_else(|| h.find("Requests Used"))
            .ok_or("the header has no \"quantity\" column")?,
        product: h.find("product"),
        unit: h.find("unit_type"),
        gross: h.find("gross_amount"),
        net: h.find("net_amount"),
        exceeds: h.find("exceeds_quota").or_else(|| h.find("Exceeds Monthly Quota")),
        dims: DIMS.iter().filter_map(|d| h.find(d)).collect(),
        occ: Occurrences::default(),
    })
}

fn money(row: &Row, col: Option<usize>, name: &str) -> std::result::Result<Option<Usd>, String> {
    match row.opt(col) {
        "" => Ok(None),
        t => Usd::parse(t).map(Some).map_err(|e| format!("{name}: {e}")),
    }
}

fn row_event(c: &mut Cols, row: &Row) -> std::result::Result<Option<UsageEvent>, String> {
    let product = row.opt(c.product);
    if !product.is_empty() && !product.eq_ignore_ascii_case("copilot") {
        return Ok(None);
    }
    let quantity = row.get(c.quantity);
    let unit = row.opt(c.unit);
    let per_request = unit.is_empty() || unit.eq_ignore_ascii_case("requests");
    let requests = if per_request { rounded_count(quantity).map_err(|e| format!("quantity: {e}"))? } else { 0 };
    let date = row.get(c.date);
    let display = row.opt(c.model);
    let mut key = format!("{date}|{display}");
    for &i in &c.dims {
        key.push('|');
        key.push_str(row.get(i));
    }
    let model = id_of_display_name(display);
    let mut ev = UsageEvent::new(c.occ.key(key), provider_of(&model), model_or_all(&model), 0, row.line);
    place(&mut ev, date)?;
    ev.tokens = Tokens { requests, ..Tokens::default() };
    let net = money(row, c.net, "net_amount")?;
    let gross = money(row, c.gross, "gross_amount")?;
    (ev.cost_kind, ev.cost) = match (net, gross) {
        // Seats (`user-months`) are the plan's fee, not usage.
        (Some(n), _) if !per_request => (CostKind::Fee, Some(n)),
        (Some(n), Some(g)) if n.nanos() == 0 && g.nanos() != 0 => (CostKind::Included, Some(g)),
        (Some(n), _) => (CostKind::Billed, Some(n)),
        // Billed at a price the file does not state: the price book may know it.
        (None, _) if flag(row.opt(c.exceeds)) == "true" => (CostKind::Estimated, None),
        (None, _) => (CostKind::Included, None),
    };
    ev.rank = parse_scaled(quantity, 3).unwrap_or(0);
    Ok(Some(ev))
}

impl Source for CopilotCsv {
    fn name(&self) -> &'static str {
        "copilot-csv"
    }

    fn describe(&self) -> &'static str {
        "GitHub Copilot premium-request usage report CSV (requests and billed dollars)"
    }

    fn authority(&self) -> Authority {
        Authority::Vendor
    }

    fn detect(&self, sniff: &Sniff) -> bool {
        Header::sniff(sniff.head).is_some_and(|h| {
            h.has_all(&["date", "product", "sku", "quantity", "net_amount"])
                || h.has_all(&["Timestamp", "User", "Model", "Requests Used"])
        })
    }

    fn parse(&self, input: &mut dyn BufRead, ctx: &mut ParseCtx, sink: &mut Sink) -> Result<()> {
        csv_rows::read(input, ctx, &Opts::default(), bind, |c, row| deliver(sink, row_event(c, row)))
    }
}
