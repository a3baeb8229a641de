//! The tables of the report, as content: typed cells that each format renders its own way.
//! `summary.md` writes a cell as text (`12.35M`, `(8.35M – 8.53M)`), `summary.xlsx` as a
//! number with a number format. One table, one place.

use crate::metrics::Metric;
use crate::metrics::Unit;
use crate::results::Results;

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// An amount in the scenario's currency: `12.35M`.
    Money(f64),
    /// A signed amount: `+1.20M`.
    Signed(f64),
    /// A share: `12.3%`.
    Percent(f64),
    /// A whole count: `1,234`.
    Count(f64),
    /// A number with this many decimals: `0.123`.
    Fixed(f64, usize),
    /// A number as it is: `40`, `12.5`.
    Plain(f64),
    /// A mean with its 95% interval, an amount (signed when a difference).
    Interval {
        mean: f64,
        low: f64,
        high: f64,
        signed: bool,
    },
}

impl Cell {
    /// The cell as text; `(open, sep, close)` shape an interval.
    pub fn text(&self, (open, sep, close): (&str, &str, &str)) -> String {
        use super::{compact, percent, signed, thousands};
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Money(x) => compact(*x),
            Cell::Signed(x) => signed(*x),
            Cell::Percent(x) => percent(*x),
            Cell::Count(x) => thousands(*x),
            Cell::Fixed(x, n) => format!("{x:.n$}"),
            Cell::Plain(x) => format!("{x}"),
            Cell::Interval {
                mean,
                low,
                high,
                signed: s,
            } => {
                let f = if *s { signed } else { compact };
                format!("{} {open}{}{sep}{}{close}", f(*mean), f(*low), f(*high))
            }
        }
    }

    /// A metric's mean, as its unit is shown; a share (the win rate) as a percentage, as the
    /// terminal shows it.
    pub fn of_metric(key: &str, unit: Unit, x: f64) -> Cell {
        if key == Metric::WinRate.key() {
            return Cell::Percent(x);
        }
        match unit {
            Unit::Ratio => Cell::Fixed(x, 3),
            Unit::Count => Cell::Count(x),
            _ => Cell::Money(x),
        }
    }
}

/// How a column is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Names and labels, left-aligned.
    Text,
    /// Figures, right-aligned.
    Number,
    /// A mean with its 95% interval (a spreadsheet gives it three columns).
    Interval,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Short title, e.g. the sheet name: "Headline".
    pub title: &'static str,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

fn col(header: impl Into<String>, kind: Kind) -> Column {
    Column {
        header: header.into(),
        kind,
    }
}

/// The bridge from potential revenue to contribution, in `summary.md`'s order.
pub const BRIDGE: &[&str] = &[
    Metric::PotentialRevenue.key(),
    Metric::PotentialNotSurfaced.key(),
    Metric::Pipeline.key(),
    Metric::RevenueNotWon.key(),
    Metric::RevenueLostToFailedHandoffs.key(),
    Metric::RevenueLostToConflict.key(),
    Metric::RevenueDeferred.key(),
    Metric::InFlightBooked.key(),
    Metric::WonListValue.key(),
    Metric::ChannelDiscounts.key(),
    Metric::MarginErodedByConflict.key(),
    Metric::Revenue.key(),
    Metric::CostOfGoods.key(),
    Metric::GrossMargin.key(),
    Metric::CostHeads.key(),
    Metric::CostSpecialists.key(),
    Metric::CostChannelFixed.key(),
    Metric::VariablePay.key(),
    Metric::PartnerMargin.key(),
    Metric::DuplicatedEffort.key(),
    Metric::CostOfSales.key(),
    Metric::Contribution.key(),
];

pub const ACTIVITY: &[&str] = &[
    Metric::Opportunities.key(),
    Metric::Wins.key(),
    Metric::WinRate.key(),
    Metric::Conflicts.key(),
    Metric::FailedHandoffs.key(),
    Metric::RevenuePerCostOfSales.key(),
    Metric::RevenuePerHeadYear.key(),
    Metric::PostSaleFailures.key(),
    Metric::RevenueAtRiskPostSale.key(),
    Metric::InFlightLostAtHandover.key(),
    Metric::CustomersLost.key(),
    Metric::CustomersLostToConflict.key(),
];

/// Contribution with its interval, the paired difference against the baseline with its
/// interval, and the share of trials beating the baseline; `baseline` fills the baseline's row.
pub fn headline_cells(r: &Results, d: usize, baseline: (&str, &str)) -> [Cell; 3] {
    let contribution =
        r.stat(d, Metric::Contribution.key())
            .map_or(Cell::Text(String::new()), |c| Cell::Interval {
                mean: c.mean,
                low: c.ci95_low,
                high: c.ci95_high,
                signed: false,
            });
    if d == r.baseline_index() {
        return [
            contribution,
            Cell::Text(baseline.0.to_string()),
            Cell::Text(baseline.1.to_string()),
        ];
    }
    match r.diff(d, Metric::Contribution.key()) {
        Some(x) => [
            contribution,
            Cell::Interval {
                mean: x.diff.mean,
                low: x.diff.ci95_low,
                high: x.diff.ci95_high,
                signed: true,
            },
            Cell::Percent(x.share_better),
        ],
        None => [
            contribution,
            Cell::Text(String::new()),
            Cell::Text(String::new()),
        ],
    }
}

/// Revenue, gross margin, cost of sales, contribution and the paired difference per design.
pub fn headline(r: &Results) -> Table {
    let rows = (0..r.designs.len())
        .map(|d| {
            let st = |k: &str| r.stat(d, k).map_or(0.0, |x| x.mean);
            let [contribution, delta, share] = headline_cells(r, d, ("baseline", "–"));
            vec![
                Cell::Text(r.designs[d].name.clone()),
                Cell::Money(st(Metric::Revenue.key())),
                Cell::Money(st(Metric::GrossMargin.key())),
                Cell::Money(st(Metric::CostOfSales.key())),
                contribution,
                delta,
                share,
            ]
        })
        .collect();
    Table {
        title: "Headline",
        columns: vec![
            col("Design", Kind::Text),
            col("Revenue", Kind::Number),
            col("Gross margin", Kind::Number),
            col("Cost of sales", Kind::Number),
            col("Contribution", Kind::Interval),
            col("Δ contribution vs baseline", Kind::Interval),
            col("Trials beating baseline", Kind::Number),
        ],
        rows,
    }
}

/// One row per metric of `keys` (those the results have), one column per design: the means.
pub fn metrics(r: &Results, title: &'static str, keys: &[&str]) -> Table {
    let mut columns = vec![col("Metric", Kind::Text)];
    columns.extend(r.designs.iter().map(|d| col(d.name.clone(), Kind::Number)));
    let rows = keys
        .iter()
        .filter_map(|key| r.metric_index(key))
        .map(|k| {
            let def = &r.metrics[k];
            let mut row = vec![Cell::Text(def.label.clone())];
            row.extend(
                r.designs
                    .iter()
                    .map(|d| Cell::of_metric(&def.key, def.unit, d.metrics[k].stats.mean)),
            );
            row
        })
        .collect();
    Table {
        title,
        columns,
        rows,
    }
}

/// Per design and role (those with heads, work or money): heads, the hours the role has against
/// the hours its work needs, revenue, productivity per head-year and cost per unit of revenue
/// (ratios of means; "–" where a denominator is 0).
pub fn roles(r: &Results) -> Table {
    let dash = |x: Option<f64>, cell: fn(f64) -> Cell| x.map_or(Cell::Text("–".into()), cell);
    let mut rows = Vec::new();
    for (d, design) in r.designs.iter().enumerate() {
        for c in r.channels_at_work(d) {
            let ch = &r.scenario.channels[c];
            let st = |w: &str| {
                r.stat(d, &format!("role.{}.{w}", ch.name))
                    .map_or(0.0, |x| x.mean)
            };
            let (rev, cost) = (st(Metric::Revenue.key()), st("cost"));
            let heads = design.headcount.get(c).copied().unwrap_or(0.0);
            let needed = design.hours_needed.get(c).copied().unwrap_or(0.0);
            let available = design.hours_available.get(c).copied().flatten();
            let role = design.roles.get(c);
            rows.push(vec![
                Cell::Text(design.name.clone()),
                Cell::Text(ch.name.clone()),
                Cell::Plain(heads),
                available.map_or(Cell::Text("not limited".into()), Cell::Count),
                Cell::Count(needed),
                dash(
                    available.filter(|_| needed > 0.0).map(|h| h / needed),
                    Cell::Percent,
                ),
                Cell::Money(rev),
                dash(role.and_then(|x| x.revenue_per_head_year), Cell::Money),
                dash(
                    role.and_then(|x| x.worked_revenue_per_head_year),
                    Cell::Money,
                ),
                Cell::Money(cost),
                dash(role.and_then(|x| x.cost_per_revenue), |x| Cell::Fixed(x, 3)),
            ]);
        }
    }
    Table {
        title: "Productivity by role",
        columns: vec![
            col("Design", Kind::Text),
            col("Role", Kind::Text),
            col("Heads", Kind::Number),
            col("Hours available", Kind::Number),
            col("Hours needed", Kind::Number),
            col("Available / needed", Kind::Number),
            col("Revenue closed", Kind::Number),
            col("Closed per head-year", Kind::Number),
            col("Closed or worked per head-year", Kind::Number),
            col("Cost", Kind::Number),
            col("Cost per unit of revenue closed", Kind::Number),
        ],
        rows,
    }
}

/// Per design and tier: owners by stage and the chance-free probabilities behind the results.
pub fn tiers(r: &Results) -> Table {
    let mut rows = Vec::new();
    for (d, design) in r.designs.iter().enumerate() {
        for (t, tp) in design.tiers.iter().enumerate() {
            rows.push(vec![
                Cell::Text(design.name.clone()),
                Cell::Text(tp.tier.clone()),
                Cell::Count(r.scenario.tiers.get(t).map_or(0, |x| x.accounts) as f64),
                Cell::Text(tp.owners.join(" → ")),
                Cell::Percent(tp.response),
                Cell::Percent(tp.p_convert),
                Cell::Percent(tp.p_no_handoff_failure),
                Cell::Percent(tp.p_post_sale),
                Cell::Percent(tp.p_conflict),
                Cell::Fixed(tp.delay_months, 1),
                Cell::Money(
                    r.stat(d, &format!("tier.{}.revenue", tp.tier))
                        .map_or(0.0, |x| x.mean),
                ),
            ]);
        }
    }
    Table {
        title: "By tier",
        columns: vec![
            col("Design", Kind::Text),
            col("Tier", Kind::Text),
            col("Accounts", Kind::Number),
            col("Owners by stage", Kind::Text),
            col("Surfaced", Kind::Number),
            col("P(converts to close)", Kind::Number),
            col("P(no failed hand-off)", Kind::Number),
            col("P(post-sale holds)", Kind::Number),
            col("P(conflict)", Kind::Number),
            col("Delay to booking (months)", Kind::Number),
            col("Revenue", Kind::Number),
        ],
        rows,
    }
}

/// Mean contribution per design and month, then each other design's cumulative contribution
/// minus the baseline's. `None` when the results have no months.
pub fn months(r: &Results) -> Option<Table> {
    if r.monthly.is_empty() {
        return None;
    }
    let b = r.baseline_index();
    let others: Vec<usize> = (0..r.designs.len()).filter(|&d| d != b).collect();
    let mut columns = vec![col("Month", Kind::Number)];
    columns.extend(r.designs.iter().map(|d| col(d.name.clone(), Kind::Number)));
    columns.extend(
        others
            .iter()
            .map(|&d| col(format!("Σ Δ {}", r.designs[d].name), Kind::Number)),
    );
    let rows = (0..r.scenario.months as usize)
        .map(|m| {
            let mut row = vec![Cell::Plain((m + 1) as f64)];
            row.extend((0..r.designs.len()).map(|d| {
                Cell::Money(
                    r.monthly_of(d)
                        .and_then(|x| x.metrics.get(crate::metrics::monthly::CONTRIBUTION))
                        .and_then(|x| x.months.get(m))
                        .map_or(0.0, |b| b.mean),
                )
            }));
            row.extend(others.iter().map(|&d| {
                Cell::Signed(
                    r.monthly_of(d)
                        .and_then(|x| x.cumulative_vs_baseline.get(m))
                        .map_or(0.0, |b| b.mean),
                )
            }));
            row
        })
        .collect();
    Some(Table {
        title: "Months",
        columns,
        rows,
    })
}

/// The table as Markdown: a header row, an alignment rule, and the rows.
pub fn markdown(t: &Table) -> String {
    let mut o = String::from("|");
    let mut rule = String::from("|");
    for c in &t.columns {
        match c.kind {
            Kind::Interval => o.push_str(&format!(" {} (95% interval) |", c.header)),
            _ => o.push_str(&format!(" {} |", c.header)),
        }
        rule.push_str(if c.kind == Kind::Text {
            "---|"
        } else {
            "---:|"
        });
    }
    o.push('\n');
    o.push_str(&rule);
    o.push('\n');
    for row in &t.rows {
        o.push('|');
        for cell in row {
            o.push(' ');
            o.push_str(&cell.text(("(", " – ", ")")));
            o.push_str(" |");
        }
        o.push('\n');
    }
    o
}
