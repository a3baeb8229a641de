//! The metric catalogue: every figure covsim reports per trial and design, defined once.
//! Layout of a design's row: the global metrics `G`, then 3 per tier, then 4 per role.

use serde::{Deserialize, Serialize};

use crate::model::Model;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Currency over the horizon.
    Currency,
    Count,
    Ratio,
    /// Currency over the horizon per head.
    CurrencyPerHead,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
    Neither,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricDef {
    pub key: String,
    pub label: String,
    pub unit: Unit,
    pub better: Better,
}

/// Indices of the global metrics in a design's row.
pub mod g {
    pub const POTENTIAL: usize = 0;
    pub const REVENUE: usize = 1;
    pub const GROSS_MARGIN: usize = 2;
    pub const CONTRIBUTION: usize = 3;
    pub const COST_OF_SALES: usize = 4;
    pub const MARGIN_ERODED_BY_CONFLICT: usize = 5;
    pub const LOST_TO_HANDOFFS: usize = 6;
    pub const LOST_TO_CONFLICT: usize = 7;
    pub const NOT_WON: usize = 8;
    pub const DEFERRED: usize = 9;
    pub const WON_LIST_VALUE: usize = 10;
    pub const CHANNEL_DISCOUNTS: usize = 11;
    pub const COST_OF_GOODS: usize = 12;
    pub const COST_HEADS: usize = 13;
    pub const COST_SPECIALISTS: usize = 14;
    pub const COST_CHANNEL_FIXED: usize = 15;
    pub const VARIABLE_PAY: usize = 16;
    pub const PARTNER_MARGIN: usize = 17;
    pub const DUPLICATED_EFFORT: usize = 18;
    pub const REVENUE_PER_COST_OF_SALES: usize = 19;
    pub const REVENUE_PER_HEAD_YEAR: usize = 20;
    pub const OPPORTUNITIES: usize = 21;
    pub const WINS: usize = 22;
    pub const CONFLICTS: usize = 23;
    pub const FAILED_HANDOFFS: usize = 24;
    pub const WIN_RATE: usize = 25;
    pub const PIPELINE: usize = 26;
    pub const NOT_SURFACED: usize = 27;
    pub const POST_SALE_FAILURES: usize = 28;
    pub const REVENUE_AT_RISK_POST_SALE: usize = 29;
    pub const IN_FLIGHT_BOOKED: usize = 30;
    pub const IN_FLIGHT_LOST_AT_HANDOVER: usize = 31;
    pub const CUSTOMERS_LOST: usize = 32;
    pub const CUSTOMERS_LOST_TO_CONFLICT: usize = 33;
    pub const COUNT: usize = 34;
}

/// A global metric: its identity. Its key, label, unit and direction come from the one table
/// (`GLOBAL`), so no key string is written anywhere else (tests/architecture.rs checks `src/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(usize)]
pub enum Metric {
    PotentialRevenue = g::POTENTIAL,
    Revenue = g::REVENUE,
    GrossMargin = g::GROSS_MARGIN,
    Contribution = g::CONTRIBUTION,
    CostOfSales = g::COST_OF_SALES,
    MarginErodedByConflict = g::MARGIN_ERODED_BY_CONFLICT,
    RevenueLostToFailedHandoffs = g::LOST_TO_HANDOFFS,
    RevenueLostToConflict = g::LOST_TO_CONFLICT,
    RevenueNotWon = g::NOT_WON,
    RevenueDeferred = g::DEFERRED,
    WonListValue = g::WON_LIST_VALUE,
    ChannelDiscounts = g::CHANNEL_DISCOUNTS,
    CostOfGoods = g::COST_OF_GOODS,
    CostHeads = g::COST_HEADS,
    CostSpecialists = g::COST_SPECIALISTS,
    CostChannelFixed = g::COST_CHANNEL_FIXED,
    VariablePay = g::VARIABLE_PAY,
    PartnerMargin = g::PARTNER_MARGIN,
    DuplicatedEffort = g::DUPLICATED_EFFORT,
    RevenuePerCostOfSales = g::REVENUE_PER_COST_OF_SALES,
    RevenuePerHeadYear = g::REVENUE_PER_HEAD_YEAR,
    Opportunities = g::OPPORTUNITIES,
    Wins = g::WINS,
    Conflicts = g::CONFLICTS,
    FailedHandoffs = g::FAILED_HANDOFFS,
    WinRate = g::WIN_RATE,
    Pipeline = g::PIPELINE,
    PotentialNotSurfaced = g::NOT_SURFACED,
    PostSaleFailures = g::POST_SALE_FAILURES,
    RevenueAtRiskPostSale = g::REVENUE_AT_RISK_POST_SALE,
    InFlightBooked = g::IN_FLIGHT_BOOKED,
    InFlightLostAtHandover = g::IN_FLIGHT_LOST_AT_HANDOVER,
    CustomersLost = g::CUSTOMERS_LOST,
    CustomersLostToConflict = g::CUSTOMERS_LOST_TO_CONFLICT,
}

impl Metric {
    /// Every global metric, in row order.
    pub const ALL: [Metric; g::COUNT] = [
        Metric::PotentialRevenue,
        Metric::Revenue,
        Metric::GrossMargin,
        Metric::Contribution,
        Metric::CostOfSales,
        Metric::MarginErodedByConflict,
        Metric::RevenueLostToFailedHandoffs,
        Metric::RevenueLostToConflict,
        Metric::RevenueNotWon,
        Metric::RevenueDeferred,
        Metric::WonListValue,
        Metric::ChannelDiscounts,
        Metric::CostOfGoods,
        Metric::CostHeads,
        Metric::CostSpecialists,
        Metric::CostChannelFixed,
        Metric::VariablePay,
        Metric::PartnerMargin,
        Metric::DuplicatedEffort,
        Metric::RevenuePerCostOfSales,
        Metric::RevenuePerHeadYear,
        Metric::Opportunities,
        Metric::Wins,
        Metric::Conflicts,
        Metric::FailedHandoffs,
        Metric::WinRate,
        Metric::Pipeline,
        Metric::PotentialNotSurfaced,
        Metric::PostSaleFailures,
        Metric::RevenueAtRiskPostSale,
        Metric::InFlightBooked,
        Metric::InFlightLostAtHandover,
        Metric::CustomersLost,
        Metric::CustomersLostToConflict,
    ];

    /// The metric's key in summary.json and summary.csv, e.g. `contribution`.
    pub const fn key(self) -> &'static str {
        GLOBAL[self as usize].0
    }

    /// Its place in a design's row (`g::*`).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The metric with this key, if it is a global one.
    pub fn from_key(key: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.key() == key)
    }
}

use Better::{Higher, Lower, Neither};
use Unit::{Count, Currency, CurrencyPerHead, Ratio};

const GLOBAL: [(&str, &str, Unit, Better); g::COUNT] = [
    (
        "potential_revenue",
        "Potential revenue of the accounts over the horizon",
        Currency,
        Neither,
    ),
    ("revenue", "Revenue", Currency, Higher),
    ("gross_margin", "Gross margin", Currency, Higher),
    (
        "contribution",
        "Contribution (gross margin − cost of sales)",
        Currency,
        Higher,
    ),
    ("cost_of_sales", "Cost of sales", Currency, Lower),
    (
        "margin_eroded_by_conflict",
        "Margin eroded by conflict discounts",
        Currency,
        Lower,
    ),
    (
        "revenue_lost_to_failed_handoffs",
        "Revenue lost to failed hand-offs",
        Currency,
        Lower,
    ),
    (
        "revenue_lost_to_conflict",
        "Revenue lost to conflict",
        Currency,
        Lower,
    ),
    (
        "revenue_not_won",
        "Pipeline not won at a stage",
        Currency,
        Lower,
    ),
    (
        "revenue_deferred",
        "Won, closing after the horizon",
        Currency,
        Neither,
    ),
    (
        "won_list_value",
        "Won deals at list price",
        Currency,
        Higher,
    ),
    (
        "channel_discounts",
        "Channel price discounts",
        Currency,
        Lower,
    ),
    ("cost_of_goods", "Cost of goods", Currency, Neither),
    (
        "cost_heads",
        "Cost of heads (non-specialist)",
        Currency,
        Lower,
    ),
    ("cost_specialists", "Cost of specialists", Currency, Lower),
    ("cost_channel_fixed", "Fixed channel costs", Currency, Lower),
    ("variable_pay", "Variable pay", Currency, Lower),
    ("partner_margin", "Partner margin", Currency, Lower),
    (
        "duplicated_effort",
        "Duplicated effort in conflicts",
        Currency,
        Lower,
    ),
    (
        "revenue_per_cost_of_sales",
        "Revenue per unit of cost of sales",
        Ratio,
        Higher,
    ),
    (
        "revenue_per_head_year",
        "Revenue per productive head-year (annualised; heads in seat, ramped)",
        CurrencyPerHead,
        Higher,
    ),
    ("opportunities", "Opportunities", Count, Neither),
    ("wins", "Deals won and booked", Count, Higher),
    ("conflicts", "Channel conflicts", Count, Lower),
    ("failed_handoffs", "Failed hand-offs", Count, Lower),
    (
        "win_rate",
        "Win rate (booked wins per opportunity)",
        Ratio,
        Higher,
    ),
    (
        "pipeline",
        "Pipeline surfaced (opportunities at list price)",
        Currency,
        Higher,
    ),
    (
        "potential_not_surfaced",
        "Potential not surfaced by the coverage",
        Currency,
        Lower,
    ),
    (
        "post_sale_failures",
        "Booked deals whose post-sale work or hand-off failed",
        Count,
        Lower,
    ),
    (
        "revenue_at_risk_post_sale",
        "Booked revenue whose post-sale work or hand-off failed (customer at risk)",
        Currency,
        Lower,
    ),
    (
        "in_flight_booked",
        "Deals in flight at the start, booked in the horizon (list value)",
        Currency,
        Neither,
    ),
    (
        "in_flight_lost_at_handover",
        "Deals in flight at the start, lost when moved accounts changed hands (list value)",
        Currency,
        Lower,
    ),
    (
        "customers_lost",
        "Customers lost (churn, conflict, failed post-sale)",
        Count,
        Lower,
    ),
    (
        "customers_lost_to_conflict",
        "Customers lost to channel conflict",
        Count,
        Lower,
    ),
];

pub const PER_TIER: usize = 3;
pub const TIER_OPPORTUNITIES: usize = 0;
pub const TIER_WINS: usize = 1;
pub const TIER_REVENUE: usize = 2;

pub const PER_ROLE: usize = 4;
/// Revenue of the deals the role closes (closer credit).
pub const ROLE_REVENUE: usize = 0;
pub const ROLE_WINS: usize = 1;
pub const ROLE_COST: usize = 2;
/// Revenue of won deals the role worked up to the close without closing them (assist credit).
pub const ROLE_ASSIST_REVENUE: usize = 3;

/// Month-by-month metrics, after the catalogue in each row: `COUNT` per month of the horizon.
/// Money is booked in the month a deal closes; conflicts, failed hand-offs and duplicated effort
/// in the month the opportunity arises; fixed costs evenly by month as heads are in their seats.
pub mod monthly {
    pub const REVENUE: usize = 0;
    pub const CONTRIBUTION: usize = 1;
    pub const COST_OF_SALES: usize = 2;
    pub const CONFLICTS: usize = 3;
    pub const FAILED_HANDOFFS: usize = 4;
    pub const PRODUCTIVE_HEADS: usize = 5;
    pub const CUSTOMERS: usize = 6;
    pub const OPPORTUNITIES: usize = 7;
    pub const WINS: usize = 8;
    pub const COUNT: usize = 9;
    /// Key and meaning of each, in this order.
    pub const KEYS: [(&str, &str); COUNT] = [
        ("revenue", "Revenue booked in the month"),
        ("contribution", "Contribution of the month"),
        ("cost_of_sales", "Cost of sales of the month"),
        (
            "conflicts",
            "Channel conflicts on the month's opportunities",
        ),
        (
            "failed_handoffs",
            "Failed hand-offs on the month's opportunities",
        ),
        (
            "productive_heads",
            "Heads at full productivity (full-time equivalents)",
        ),
        (
            "customers",
            "Accounts still customers at the end of the month",
        ),
        (
            "opportunities",
            "Opportunities that arose in the month (seen by the design)",
        ),
        ("wins", "Won deals booked in the month"),
    ];
}

/// Where each metric sits in a design's row, for a given model.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub tiers: usize,
    pub roles: usize,
    pub months: usize,
}

impl Layout {
    pub fn of(model: &Model) -> Layout {
        Layout {
            tiers: model.tiers.len(),
            roles: model.channels.len(),
            months: model.months as usize,
        }
    }
    /// Values per design: the catalogue's metrics, then the monthly ones.
    pub fn width(&self) -> usize {
        self.metrics() + monthly::COUNT * self.months
    }
    /// Metrics of the catalogue per design.
    pub fn metrics(&self) -> usize {
        g::COUNT + PER_TIER * self.tiers + PER_ROLE * self.roles
    }
    pub fn month(&self, m: usize, which: usize) -> usize {
        self.metrics() + monthly::COUNT * m + which
    }
    pub fn tier(&self, t: usize, which: usize) -> usize {
        g::COUNT + PER_TIER * t + which
    }
    pub fn role(&self, r: usize, which: usize) -> usize {
        g::COUNT + PER_TIER * self.tiers + PER_ROLE * r + which
    }
}

/// All metric definitions for a model, in row order.
pub fn catalogue(model: &Model) -> Vec<MetricDef> {
    let mut out: Vec<MetricDef> = GLOBAL
        .iter()
        .map(|(k, l, u, b)| MetricDef {
            key: k.to_string(),
            label: l.to_string(),
            unit: *u,
            better: *b,
        })
        .collect();
    for t in &model.tiers {
        let n = &t.name;
        out.push(MetricDef {
            key: format!("tier.{n}.opportunities"),
            label: format!("Opportunities, tier {n}"),
            unit: Count,
            better: Neither,
        });
        out.push(MetricDef {
            key: format!("tier.{n}.wins"),
            label: format!("Wins, tier {n}"),
            unit: Count,
            better: Higher,
        });
        out.push(MetricDef {
            key: format!("tier.{n}.revenue"),
            label: format!("Revenue, tier {n}"),
            unit: Currency,
            better: Higher,
        });
    }
    for c in &model.channels {
        let n = &c.name;
        out.push(MetricDef {
            key: format!("role.{n}.revenue"),
            label: format!("Revenue closed by {n}"),
            unit: Currency,
            better: Higher,
        });
        out.push(MetricDef {
            key: format!("role.{n}.wins"),
            label: format!("Wins closed by {n}"),
            unit: Count,
            better: Higher,
        });
        out.push(MetricDef {
            key: format!("role.{n}.cost"),
            label: format!(
                "Cost of {n} (heads, fixed, variable pay, partner margin, duplicated effort)"
            ),
            unit: Currency,
            better: Lower,
        });
        out.push(MetricDef {
            key: format!("role.{n}.assist_revenue"),
            label: format!("Revenue of won deals {n} worked without closing them"),
            unit: Currency,
            better: Higher,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_identity_is_the_table_row() {
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(m.index(), i);
            assert_eq!(Metric::from_key(m.key()), Some(m));
        }
        assert_eq!(Metric::Contribution.index(), g::CONTRIBUTION);
    }
}
