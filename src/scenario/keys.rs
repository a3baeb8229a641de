//! Every key a scenario may write, declared once: its key pattern (indices written `[]`, a name
//! the user chooses written `*`), its meaning, unit, range and default, and for a real-valued
//! key the `Bound` and default the reader applies. The reader takes bounds and defaults from
//! here (`real`, `whole`, `choice`), the registry its fallbacks, and docs/SCENARIO.md its key
//! tables (`export::keys` renders them; `covsim keys --write-docs` writes them; tests/registry.rs
//! fails when the file differs). A key the reader accepts must be declared here, and the other
//! way round (tests/registry.rs).

use std::collections::HashMap;
use std::sync::LazyLock;

use super::raw::defaults;
use super::reader::Bound;
use crate::model::{ChannelKind, OnboardingPlan};

/// The default of a real-valued key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dflt {
    /// The key must be written.
    Required,
    /// The key may be left out; its absence means something of its own (see the key's doc).
    Optional,
    Const(f64),
    /// The value of another key (by its pattern); editing that one moves this one.
    Key(&'static str),
}

/// What a key holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A number (or a distribution: an uncertain input).
    Real(Bound, Dflt),
    /// A number, or a table of numbers by tier name with an optional `default`.
    PerTier(Bound, Dflt),
    /// A list of at most so many numbers.
    Numbers(Bound, usize),
    /// A table of numbers by channel name (`headcount = { field = 40 }`).
    Heads(Bound),
    /// A whole number from, to, and its default (`None`: required, or see the key's doc).
    Whole(u64, u64, Option<u64>),
    Text,
    /// A list of strings.
    Texts,
    /// One of these words, and the default (`None`: required).
    Choice(&'static [&'static str], Option<&'static str>),
    Bool,
    /// A table of keys declared below it.
    Table,
    /// A table keyed by names the user chose (tiers, stages).
    ByName,
    /// An array of tables (`[[key]]`).
    Tables,
}

/// One key of a scenario.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The table the key is written in, as a pattern (`channels[]`, `designs[].coverage.*`;
    /// empty for the top level). docs/SCENARIO.md has one key table per `table`.
    pub table: &'static str,
    /// The key within its table (`cost_per_head_per_year`, `response.shape`).
    pub name: &'static str,
    /// One line of doc.
    pub meaning: &'static str,
    pub unit: &'static str,
    pub kind: Kind,
    /// The range cell: for numbers, whole numbers, choices and booleans, words around the
    /// range made from `kind` (`{}` stands for it; without `{}` the words follow it); for the
    /// other kinds, the whole cell.
    pub range: &'static str,
    /// The default cell, in the same way (made from `kind` where it has a default).
    pub default: &'static str,
}

impl Key {
    /// The key's pattern: `channels[].cost_per_head_per_year`.
    pub fn path(&self) -> String {
        if self.table.is_empty() {
            self.name.to_string()
        } else {
            format!("{}.{}", self.table, self.name)
        }
    }

    /// The bound of a number the key holds (its entries' for per-tier values, lists and heads).
    pub fn bound(&self) -> Option<Bound> {
        match self.kind {
            Kind::Real(b, _) | Kind::PerTier(b, _) | Kind::Numbers(b, _) | Kind::Heads(b) => {
                Some(b)
            }
            _ => None,
        }
    }

    /// The default of a real-valued key.
    pub fn dflt(&self) -> Option<Dflt> {
        match self.kind {
            Kind::Real(_, d) | Kind::PerTier(_, d) => Some(d),
            _ => None,
        }
    }
}

use Dflt::{Const, Optional, Required};
use Kind::*;

/// The tables whose keys generate the account base (`[[accounts.segments]]`, with their
/// distributions): a variant that edits one of their values builds the account base again
/// (its accounts, tiers and hash); a variant that edits any other key reuses it. The run's
/// seed, which also generates it, is a run setting, not a key edit.
pub const SHAPES_ACCOUNTS: &[&str] = &["accounts.segments[]"];

/// Whether the key at `path` (positional or a pattern) shapes the account base.
pub fn shapes_accounts(path: &str) -> bool {
    let pattern = pattern_of(path);
    SHAPES_ACCOUNTS.iter().any(|t| {
        pattern
            .strip_prefix(t)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    })
}

/// Every key, in the order of docs/SCENARIO.md.
pub static KEYS: &[Key] = &[
    Key {
        table: "",
        name: "simulation",
        meaning: "Run settings and labels: name, trials, seed, horizon, currency, baseline, sampling",
        unit: "table",
        kind: Table,
        range: "",
        default: "none",
    },
    Key {
        table: "",
        name: "economics",
        meaning: "Product economics",
        unit: "table",
        kind: Table,
        range: "",
        default: "none",
    },
    Key {
        table: "",
        name: "accounts",
        meaning: "The account base: a CRM export (`csv`) or generated segments",
        unit: "table",
        kind: Table,
        range: "",
        default: "required",
    },
    Key {
        table: "",
        name: "tiers",
        meaning: "Tiers of accounts by potential and fit, most demanding first, the last a catch-all",
        unit: "list of tables",
        kind: Tables,
        range: "",
        default: "required",
    },
    Key {
        table: "",
        name: "response",
        meaning: "How effort turns into yield, for every channel",
        unit: "table",
        kind: Table,
        range: "",
        default: "ADBUDG defaults",
    },
    Key {
        table: "",
        name: "channels",
        meaning: "Channels and roles, with their costs, capacity and staffing",
        unit: "list of tables",
        kind: Tables,
        range: "",
        default: "required",
    },
    Key {
        table: "",
        name: "stages",
        meaning: "Stages of the sales process, in selling order",
        unit: "list of tables",
        kind: Tables,
        range: "",
        default: "required",
    },
    Key {
        table: "",
        name: "handoffs",
        meaning: "Hand-offs between stage owners",
        unit: "table",
        kind: Table,
        range: "",
        default: "defaults",
    },
    Key {
        table: "",
        name: "conflict",
        meaning: "Channel conflict",
        unit: "table",
        kind: Table,
        range: "",
        default: "defaults",
    },
    Key {
        table: "",
        name: "transition",
        meaning: "How moved accounts settle after a transition",
        unit: "table",
        kind: Table,
        range: "",
        default: "defaults",
    },
    Key {
        table: "",
        name: "behaviour",
        meaning: "Coasting and churn behaviour",
        unit: "table",
        kind: Table,
        range: "",
        default: "defaults",
    },
    Key {
        table: "",
        name: "designs",
        meaning: "Coverage designs to compare",
        unit: "list of tables",
        kind: Tables,
        range: "",
        default: "required (two or more)",
    },
    Key {
        table: "",
        name: "correlations",
        meaning: "Rank correlations between uncertain inputs",
        unit: "list of tables",
        kind: Tables,
        range: "",
        default: "none",
    },
    Key {
        table: "simulation",
        name: "name",
        meaning: "Scenario name, used for the output folder `outputs/<name>/` and report titles",
        unit: "text",
        kind: Text,
        range: "any",
        default: "file name without `.toml`",
    },
    Key {
        table: "simulation",
        name: "trials",
        meaning: "Monte Carlo trials (`--trials` overrides). A run, a sweep, a tornado and a `--precision` run hold one batch of trials at a time and at most a batch of kept trials (a sweep or a tornado one point's at a time; a `--precision` sweep or tornado one per point): at most about 0.7 GiB for a run, a sweep or a tornado of the built-in example whatever the number of trials and points (667 MiB at two batches, the most kept trials) (their shards and their merge too); a trial's rows are about designs × (metrics + 9 × months) × 8 bytes (4.0 KB for the example at 12 months), and a run whose batches would not fit is refused before simulating, saying how many trials would (docs/PERFORMANCE.md)",
        unit: "count",
        kind: Whole(2, 100_000_000, Some(defaults::TRIALS)),
        range: "",
        default: "",
    },
    Key {
        table: "simulation",
        name: "seed",
        meaning: "Random seed: generates the account base from the segments and every trial's random events; the same seed gives byte-identical results. `--seed N` is the same setting (it replaces this one, for the account base too), so `--seed 7` and `seed = 7` give identical results",
        unit: "integer",
        kind: Whole(0, u64::MAX, Some(defaults::SEED)),
        range: "",
        default: "",
    },
    Key {
        table: "simulation",
        name: "months",
        meaning: "Horizon simulated",
        unit: "months",
        kind: Whole(1, 120, Some(defaults::MONTHS)),
        range: "",
        default: "",
    },
    Key {
        table: "simulation",
        name: "currency",
        meaning: "Currency label on every amount",
        unit: "text",
        kind: Text,
        range: "any",
        default: "`\"EUR\"`",
    },
    Key {
        table: "simulation",
        name: "baseline",
        meaning: "Design that differences are reported against",
        unit: "a design name",
        kind: Text,
        range: "a `[[designs]]` name",
        default: "the first design",
    },
    Key {
        table: "simulation",
        name: "sampling",
        meaning: "How uncertain inputs are drawn across trials: `random` (independent per trial) or `lhs` (Latin hypercube: each input visits each of *n* equal-probability strata once per *n* trials; with `--precision`, per batch)",
        unit: "–",
        kind: Choice(&["random", "lhs"], Some("random")),
        range: "",
        default: "",
    },
    Key {
        table: "economics",
        name: "gross_margin",
        meaning: "Product gross margin at list price, before any cost of sales",
        unit: "share",
        kind: Real(Bound::Probability, Const(defaults::GROSS_MARGIN)),
        range: "",
        default: "",
    },
    Key {
        table: "accounts",
        name: "csv",
        meaning: "Account file exported from a CRM, relative to the scenario file (columns below)",
        unit: "path",
        kind: Text,
        range: "readable file",
        default: "none",
    },
    Key {
        table: "accounts",
        name: "potential_volatility",
        meaning: "How far an account's realised potential strays from its estimate in a trial: the standard deviation of the log of a mean-one multiplier drawn per account and trial",
        unit: "log-sd",
        kind: Real(Bound::Between(0.0, 3.0), Const(0.0)),
        range: "",
        default: "{} (potential known exactly)",
    },
    Key {
        table: "accounts",
        name: "segments",
        meaning: "Generated accounts, one table per segment (below); not with `csv`",
        unit: "list of tables",
        kind: Tables,
        range: "",
        default: "none",
    },
    Key {
        table: "accounts.segments[]",
        name: "name",
        meaning: "Segment name; accounts get ids `<name>-1`, `<name>-2`, …",
        unit: "text",
        kind: Text,
        range: "non-empty",
        default: "required",
    },
    Key {
        table: "accounts.segments[]",
        name: "count",
        meaning: "Accounts in the segment",
        unit: "count",
        kind: Whole(0, 10_000_000, None),
        range: "",
        default: "required",
    },
    Key {
        table: "accounts.segments[]",
        name: "potential",
        meaning: "Annual potential of an account: the revenue per year if every deal were won",
        unit: "currency / year",
        kind: Real(Bound::NonNegative, Required),
        range: "number {} or a distribution (values below 0 are set to 0)",
        default: "",
    },
    Key {
        table: "accounts.segments[]",
        name: "fit",
        meaning: "Strategic fit with the ideal client profile",
        unit: "0 – 1",
        kind: Real(Bound::Probability, Optional),
        range: "number in {} or a distribution (clipped to [0, 1])",
        default: "1.0",
    },
    Key {
        table: "tiers[]",
        name: "name",
        meaning: "Tier name",
        unit: "text",
        kind: Text,
        range: "non-empty, unique",
        default: "required",
    },
    Key {
        table: "tiers[]",
        name: "min_potential",
        meaning: "Lowest potential in the tier",
        unit: "currency / year",
        kind: Real(Bound::NonNegative, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "tiers[]",
        name: "min_fit",
        meaning: "Lowest fit in the tier",
        unit: "0 – 1",
        kind: Real(Bound::Probability, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "tiers[]",
        name: "opportunities_per_year",
        meaning: "Opportunities prospecting surfaces per account per year when the account gets its coverage hours (more hours surface no more); a Poisson number a month, any rate; each opportunity is worth potential ÷ (this + `inbound_per_year`)",
        unit: "count / year",
        kind: Real(
            Bound::Between(0.0, 10_000.0),
            Const(defaults::OPPORTUNITIES_PER_YEAR),
        ),
        range: "{}; with `inbound_per_year` above 0",
        default: "",
    },
    Key {
        table: "tiers[]",
        name: "inbound_per_year",
        meaning: "Opportunities per account per year that arrive without prospecting (marketing, web); they still need selling hours to be converted",
        unit: "count / year",
        kind: Real(Bound::Between(0.0, 10_000.0), Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "tiers[]",
        name: "churn_per_year",
        meaning: "Share of the tier's customers who leave per year when covered with the hours they need (raised by poor coverage, `[behaviour] churn_uncovered_multiplier`); a lost customer brings no further opportunity. No new accounts arrive, so churn shrinks the account base over the horizon",
        unit: "share / year",
        kind: Real(Bound::Probability, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "tiers[]",
        name: "coverage_hours_per_account_per_year",
        meaning: "Hours of coverage (account planning, calls, relationship) an account needs per year to surface its opportunities; done by the owners of the demand-generation stages (docs/MODEL.md §2)",
        unit: "hours / account / year",
        kind: Real(Bound::Between(0.0, 100_000.0), Const(0.0)),
        range: "",
        default: "{} (coverage needs no hours)",
    },
    Key {
        table: "response",
        name: "shape",
        meaning: "Curvature: 1 = diminishing returns from the first hour; > 1 = S-shaped (a threshold of effort before it pays)",
        unit: "—",
        kind: Real(Bound::Between(0.05, 20.0), Const(defaults::RESPONSE_SHAPE)),
        range: "",
        default: "",
    },
    Key {
        table: "response",
        name: "half_saturation",
        meaning: "Effort ratio at which the curve reaches half of its maximum; sets the most that extra hours can add (`h^shape`: 0.3 → +30%) and how fast yield falls when hours are short",
        unit: "ratio",
        kind: Real(
            Bound::Between(0.01, 10.0),
            Const(defaults::RESPONSE_HALF_SATURATION),
        ),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "name",
        meaning: "Channel or role name, e.g. `field`, `inside`, `solutions`",
        unit: "text",
        kind: Text,
        range: "non-empty, unique",
        default: "required",
    },
    Key {
        table: "channels[]",
        name: "kind",
        meaning: "What it is",
        unit: "—",
        kind: Choice(ChannelKind::NAMES, None),
        range: "",
        default: "required",
    },
    Key {
        table: "channels[]",
        name: "cost_per_head_per_year",
        meaning: "Fully loaded cost of one head, without variable pay",
        unit: "currency / head / year",
        kind: Real(Bound::NonNegative, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "capacity_hours_per_head_per_year",
        meaning: "Selling hours one head has per year",
        unit: "hours / head / year",
        kind: Real(Bound::Between(0.0, 8760.0), Optional),
        range: "",
        default: "required, except for `digital` (effort not limited: yield multiplier 1)",
    },
    Key {
        table: "channels[]",
        name: "fixed_cost_per_year",
        meaning: "Cost of running the channel at all (platform, partner programme), charged when a design uses it",
        unit: "currency / year",
        kind: Real(Bound::NonNegative, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "effectiveness",
        meaning: "Multiplier on a deal's win probability when this channel works it, by tier: a number for all tiers, or `{ key = 1.0, core = 0.9, default = 0.8 }` (a table names every tier or has a `default`). It enters a deal once, shared among the stages up to the close by their weight (docs/MODEL.md §4), never once per stage",
        unit: "ratio",
        kind: PerTier(Bound::Between(0.0, 10.0), Const(1.0)),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "price_discount",
        meaning: "Share of list price given away on deals this channel closes",
        unit: "share",
        kind: Real(Bound::Probability, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "partner_margin",
        meaning: "Share of revenue kept by the partner on deals this channel closes (cost of sales)",
        unit: "share",
        kind: Real(Bound::Probability, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "variable_pay_rate",
        meaning: "Variable pay as a share of the revenue credited to this channel",
        unit: "share",
        kind: Real(Bound::Probability, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "response",
        meaning: "Overrides of `[response]` for this channel, e.g. `{ half_saturation = 0.5 }`",
        unit: "table",
        kind: Table,
        range: "as `[response]`",
        default: "`[response]`",
    },
    Key {
        table: "channels[]",
        name: "response.shape",
        meaning: "This channel's `shape` of the response curve",
        unit: "—",
        kind: Real(Bound::Between(0.05, 20.0), Dflt::Key("response.shape")),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "response.half_saturation",
        meaning: "This channel's `half_saturation` of the response curve",
        unit: "ratio",
        kind: Real(
            Bound::Between(0.01, 10.0),
            Dflt::Key("response.half_saturation"),
        ),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "lift",
        meaning: "Specialists: relative lift of a deal's conversion where deployed, at the hours the work needs (0.25 = +25%); enters a deal once, at the first stage it works",
        unit: "ratio",
        kind: Real(Bound::Between(0.0, 10.0), Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "ramp_months",
        meaning: "Months a new head takes to reach full productivity, rising linearly from 0 (month *k* averages min(1, t/n) over [k, k+1]; a head loses exactly n/2 productive months). Not with `ramp`",
        unit: "months",
        kind: Real(Bound::Between(0.0, 60.0), Optional),
        range: "",
        default: "0 (productive at once)",
    },
    Key {
        table: "channels[]",
        name: "ramp",
        meaning: "A new head's productivity in its months 0, 1, 2, …, e.g. `[0.2, 0.45, 0.7, 0.9]`; full from the end of the list on. Not with `ramp_months`",
        unit: "shares",
        kind: Numbers(Bound::Probability, 60),
        range: "",
        default: "`[]`",
    },
    Key {
        table: "channels[]",
        name: "attrition_per_month",
        meaning: "Share of heads in seat who leave at the end of each month (in every design, baseline included)",
        unit: "share / month",
        kind: Real(Bound::Probability, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "replacement_delay_months",
        meaning: "Months a leaver's seat stays empty (unpaid, unproductive) before the replacement joins and starts its ramp",
        unit: "months (whole)",
        kind: Whole(0, 60, Some(defaults::REPLACEMENT_DELAY_MONTHS)),
        range: "",
        default: "`hiring_lead_months` where it is above 0, else {}",
    },
    Key {
        table: "channels[]",
        name: "hiring_lead_months",
        meaning: "Months from the start of a transition (or from the step that adds them, `[[designs.steps]]`) until the heads it adds join (paid and productive only from then)",
        unit: "months (whole)",
        kind: Whole(0, 60, Some(0)),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "recruiting_fee_per_hire",
        meaning: "One-off cost of each head that joins (transition hires and replacements of leavers), in the month it joins; part of the cost of heads",
        unit: "currency / hire",
        kind: Real(Bound::Between(0.0, 1e9), Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "off_profile_share",
        meaning: "Share of selling capacity spent on accounts below the ideal-client fit threshold: hours lost to the intended accounts; what they earn is not counted",
        unit: "share",
        kind: Real(Bound::Between(0.0, 0.95), Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "channels[]",
        name: "exit_cost_per_head",
        meaning: "One-off cost per head that a transition removes (severance, redeployment), charged in month 1, or in the month of the step that removes them",
        unit: "currency / head",
        kind: Real(Bound::NonNegative, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "stages[]",
        name: "name",
        meaning: "Stage name, e.g. `prospect`, `qualify`, `propose`, `close`, `post_sale`",
        unit: "text",
        kind: Text,
        range: "non-empty, unique",
        default: "required",
    },
    Key {
        table: "stages[]",
        name: "conversion",
        meaning: "Probability an opportunity passes the stage when its owner has the hours the work needs: a number, or a table by tier (naming every tier, or with a `default`)",
        unit: "probability",
        kind: PerTier(Bound::Probability, Required),
        range: "",
        default: "",
    },
    Key {
        table: "stages[]",
        name: "months",
        meaning: "Typical time spent in the stage; the months of the stages up to the close delay booking and push late deals past the horizon",
        unit: "months",
        kind: Real(Bound::Between(0.0, 60.0), Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "stages[]",
        name: "close",
        meaning: "This stage's owner is credited with the sale (revenue, variable pay, discount, partner margin); later stages are post-sale",
        unit: "boolean",
        kind: Bool,
        range: "{}; one stage at most",
        default: "the last stage",
    },
    Key {
        table: "stages[]",
        name: "hours_per_opportunity",
        meaning: "Selling hours an opportunity needs at this stage, from its owner (and from each specialist deployed at it): a number, or a table by tier. Charged on the standard flow of opportunities entering the stage (docs/MODEL.md §2)",
        unit: "hours / opportunity",
        kind: PerTier(Bound::Between(0.0, 10_000.0), Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "stages[]",
        name: "demand_generation",
        meaning: "The stage's owner surfaces demand: it does the tier's `coverage_hours_per_account_per_year` (shared evenly among such stages) and its response decides how many opportunities are surfaced",
        unit: "boolean",
        kind: Bool,
        range: "",
        default: "`true` for the first stage only, unless some stage sets it",
    },
    Key {
        table: "handoffs",
        name: "default_failure",
        meaning: "Failure probability of any hand-off not listed in `pairs`",
        unit: "probability",
        kind: Real(Bound::Probability, Const(defaults::HANDOFF_FAILURE)),
        range: "",
        default: "",
    },
    Key {
        table: "handoffs",
        name: "default_delay_months",
        meaning: "Delay of any hand-off not listed",
        unit: "months",
        kind: Real(
            Bound::Between(0.0, 60.0),
            Const(defaults::HANDOFF_DELAY_MONTHS),
        ),
        range: "",
        default: "",
    },
    Key {
        table: "handoffs",
        name: "pairs",
        meaning: "Hand-offs with their own values, one table per ordered pair of channels (below)",
        unit: "list of tables",
        kind: Tables,
        range: "",
        default: "none",
    },
    Key {
        table: "handoffs.pairs[]",
        name: "from",
        meaning: "Channel handing over",
        unit: "channel name",
        kind: Text,
        range: "a defined channel",
        default: "required",
    },
    Key {
        table: "handoffs.pairs[]",
        name: "to",
        meaning: "Channel receiving",
        unit: "channel name",
        kind: Text,
        range: "a defined channel",
        default: "required",
    },
    Key {
        table: "handoffs.pairs[]",
        name: "failure",
        meaning: "Failure probability of this hand-off",
        unit: "probability",
        kind: Real(Bound::Probability, Dflt::Key("handoffs.default_failure")),
        range: "",
        default: "",
    },
    Key {
        table: "handoffs.pairs[]",
        name: "delay_months",
        meaning: "Delay of this hand-off",
        unit: "months",
        kind: Real(
            Bound::Between(0.0, 60.0),
            Dflt::Key("handoffs.default_delay_months"),
        ),
        range: "",
        default: "",
    },
    Key {
        table: "conflict",
        name: "default_overlap",
        meaning: "Base probability that a non-owner channel pursues an opportunity, for pairs not listed",
        unit: "probability",
        kind: Real(Bound::Probability, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "conflict",
        name: "discount",
        meaning: "Price given away when two channels chase one deal (margin erosion)",
        unit: "share",
        kind: Real(Bound::Probability, Const(defaults::CONFLICT_DISCOUNT)),
        range: "",
        default: "",
    },
    Key {
        table: "conflict",
        name: "loss_probability",
        meaning: "Chance the conflict loses the deal",
        unit: "probability",
        kind: Real(Bound::Probability, Const(defaults::CONFLICT_LOSS)),
        range: "",
        default: "",
    },
    Key {
        table: "conflict",
        name: "customer_loss_probability",
        meaning: "Chance the conflict loses the customer for good, whatever becomes of the deal: the account brings this design no further opportunity in the trial",
        unit: "probability",
        kind: Real(Bound::Probability, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "conflict",
        name: "duplicate_cost",
        meaning: "Extra cost per conflict: duplicate quotes, escalations, management time",
        unit: "currency / conflict",
        kind: Real(Bound::NonNegative, Const(defaults::CONFLICT_DUPLICATE_COST)),
        range: "",
        default: "",
    },
    Key {
        table: "conflict",
        name: "clarity_effect",
        meaning: "How much full clarity of rules of engagement cuts conflict likelihood",
        unit: "share",
        kind: Real(Bound::Probability, Const(defaults::CLARITY_EFFECT)),
        range: "",
        default: "",
    },
    Key {
        table: "conflict",
        name: "double_credit_factor",
        meaning: "Multiplier on conflict likelihood under double (channel-neutral) credit",
        unit: "ratio",
        kind: Real(
            Bound::Between(0.0, 10.0),
            Const(defaults::DOUBLE_CREDIT_FACTOR),
        ),
        range: "",
        default: "",
    },
    Key {
        table: "conflict",
        name: "double_credit_share",
        meaning: "Under double credit, the share of won deals in the tiers a channel overlaps on which it is credited and paid its variable pay rate (1 = every deal, as channel-neutral pay works)",
        unit: "share",
        kind: Real(Bound::Probability, Const(defaults::DOUBLE_CREDIT_SHARE)),
        range: "",
        default: "",
    },
    Key {
        table: "conflict",
        name: "pressure_half_hours",
        meaning: "An intruder's selling hours per account it can reach, per year, at which its pursuit reaches half of `overlap`; pursuit is `overlap · a/(a + this)` and saturates as the intruder grows; zero heads, zero pursuit",
        unit: "hours / account / year",
        kind: Real(
            Bound::Between(0.0, 100_000.0),
            Const(defaults::PRESSURE_HALF_HOURS),
        ),
        range: "",
        default: "",
    },
    Key {
        table: "conflict",
        name: "chase_hours",
        meaning: "Hours of the intruder's time one conflict (one opportunity chased) takes, out of its capacity",
        unit: "hours / conflict",
        kind: Real(Bound::Between(0.0, 10_000.0), Const(defaults::CHASE_HOURS)),
        range: "",
        default: "",
    },
    Key {
        table: "conflict",
        name: "pairs",
        meaning: "Overrides for ordered pairs of channels, one table per pair (below)",
        unit: "list of tables",
        kind: Tables,
        range: "",
        default: "none",
    },
    Key {
        table: "conflict.pairs[]",
        name: "owner",
        meaning: "Channel that closes the deal",
        unit: "channel name",
        kind: Text,
        range: "defined, ≠ intruder",
        default: "required",
    },
    Key {
        table: "conflict.pairs[]",
        name: "intruder",
        meaning: "Channel that also pursues it",
        unit: "channel name",
        kind: Text,
        range: "defined",
        default: "required",
    },
    Key {
        table: "conflict.pairs[]",
        name: "overlap",
        meaning: "Probability of pursuit per opportunity by an intruder with unlimited hours (before clarity and credit)",
        unit: "probability",
        kind: Real(Bound::Probability, Dflt::Key("conflict.default_overlap")),
        range: "",
        default: "",
    },
    Key {
        table: "conflict.pairs[]",
        name: "discount",
        meaning: "`[conflict]` `discount` for this pair",
        unit: "share",
        kind: Real(Bound::Probability, Dflt::Key("conflict.discount")),
        range: "",
        default: "",
    },
    Key {
        table: "conflict.pairs[]",
        name: "loss_probability",
        meaning: "`[conflict]` `loss_probability` for this pair",
        unit: "probability",
        kind: Real(Bound::Probability, Dflt::Key("conflict.loss_probability")),
        range: "",
        default: "",
    },
    Key {
        table: "conflict.pairs[]",
        name: "duplicate_cost",
        meaning: "`[conflict]` `duplicate_cost` for this pair",
        unit: "currency / conflict",
        kind: Real(Bound::NonNegative, Dflt::Key("conflict.duplicate_cost")),
        range: "",
        default: "",
    },
    Key {
        table: "conflict.pairs[]",
        name: "customer_loss_probability",
        meaning: "`[conflict]` `customer_loss_probability` for this pair",
        unit: "probability",
        kind: Real(
            Bound::Probability,
            Dflt::Key("conflict.customer_loss_probability"),
        ),
        range: "",
        default: "",
    },
    Key {
        table: "designs[]",
        name: "name",
        meaning: "Design name",
        unit: "text",
        kind: Text,
        range: "non-empty, unique",
        default: "required",
    },
    Key {
        table: "designs[]",
        name: "clarity",
        meaning: "Clarity of rules of engagement (\"clear goals, clear roles, clear rules\")",
        unit: "0 – 1",
        kind: Real(Bound::Probability, Const(0.5)),
        range: "",
        default: "",
    },
    Key {
        table: "designs[]",
        name: "credit",
        meaning: "Compensation credit rule: `single` (only the owner is credited) or `double` (channel-neutral: every channel that overlaps a tier is credited and paid on `double_credit_share` of its won deals, and intrudes less)",
        unit: "—",
        kind: Choice(&["single", "double"], Some("single")),
        range: "",
        default: "",
    },
    Key {
        table: "designs[]",
        name: "territory_overlap",
        meaning: "Multiplier on every pair's base overlap, for designs whose territories overlap more or less",
        unit: "ratio",
        kind: Real(Bound::Between(0.0, 10.0), Const(1.0)),
        range: "",
        default: "",
    },
    Key {
        table: "designs[]",
        name: "headcount",
        meaning: "Heads per channel, e.g. `{ field = 40, inside = 20 }`; channels left out have 0",
        unit: "heads",
        kind: Heads(Bound::ZeroOr(0.01, 1e6)),
        range: "",
        default: "required",
    },
    Key {
        table: "designs[]",
        name: "coverage",
        meaning: "Who covers each tier: one `[designs.coverage.<tier>]` section per tier (below)",
        unit: "tables by tier",
        kind: ByName,
        range: "one table per tier",
        default: "required",
    },
    Key {
        table: "designs[]",
        name: "transition_from",
        meaning: "The design this one is reached from, usually today's coverage (the baseline). It starts with that design's deals in flight; on tiers whose stage owners differ (*moved accounts*: settling, `[transition]`) the deals in flight change hands at the start, and some are fumbled. Heads above that design's join after `hiring_lead_months` and ramp; heads below it leave in month 1 at `exit_cost_per_head`. Only a transition is reported with a payback month",
        unit: "a design name",
        kind: Text,
        range: "another design",
        default: "none: the design is in its steady state from month 1, its pipeline in flight",
    },
    Key {
        table: "designs[]",
        name: "quarterback",
        meaning: "A quarterback with shared goals leads shared accounts: no coasting (`[behaviour]`) and a shorter settling half-life",
        unit: "boolean",
        kind: Bool,
        range: "",
        default: "`false`",
    },
    Key {
        table: "designs[]",
        name: "off_profile_cap",
        meaning: "Upper limit on every channel's `off_profile_share` in this design (ideal-client-profile discipline)",
        unit: "share",
        kind: Real(Bound::Probability, Const(1.0)),
        range: "",
        default: "{} (no limit)",
    },
    Key {
        table: "designs[]",
        name: "onboarding",
        meaning: "How new heads (hires of a transition and replacements of leavers) are paid while they start, see below",
        unit: "table",
        kind: Table,
        range: "—",
        default: "usual pay",
    },
    Key {
        table: "designs[]",
        name: "steps",
        meaning: "Later steps of a transition: `[[designs.steps]]` sections, each changing heads and coverage from its month on, see below",
        unit: "list of tables",
        kind: Tables,
        range: "only with `transition_from`",
        default: "none",
    },
    Key {
        table: "designs[].onboarding",
        name: "plan",
        meaning: "`none`; `guarantee` (a fixed, non-recoverable payment per month *instead of* variable pay); `full_commission` (no base pay; commission on the revenue the head brings); `reduced_target` (targets cut, so each unit of revenue pays more)",
        unit: "—",
        kind: Choice(OnboardingPlan::NAMES, Some("none")),
        range: "",
        default: "",
    },
    Key {
        table: "designs[].onboarding",
        name: "months",
        meaning: "How long the plan lasts for each new head, from the month it joins",
        unit: "months (whole)",
        kind: Whole(0, 60, Some(defaults::ONBOARDING_MONTHS)),
        range: "",
        default: "",
    },
    Key {
        table: "designs[].onboarding",
        name: "effort",
        meaning: "Multiplier on a new head's productivity while the plan lasts (e.g. 1.1 for a hungrier rep on full commission); 1 unless you have evidence",
        unit: "ratio",
        kind: Real(Bound::Between(0.0, 2.0), Const(1.0)),
        range: "",
        default: "",
    },
    Key {
        table: "designs[].onboarding",
        name: "guarantee_per_month",
        meaning: "`guarantee` only: payment per new head per month",
        unit: "currency / head / month",
        kind: Real(Bound::NonNegative, Required),
        range: "",
        default: "{} with `guarantee`",
    },
    Key {
        table: "designs[].onboarding",
        name: "commission_rate",
        meaning: "`full_commission` only: variable pay as a share of the revenue the head brings",
        unit: "share",
        kind: Real(Bound::Probability, Required),
        range: "",
        default: "{} with `full_commission`",
    },
    Key {
        table: "designs[].onboarding",
        name: "base_pay_saved",
        meaning: "`full_commission` only: share of `cost_per_head_per_year` not paid while the plan lasts (the base salary's part of the loaded cost)",
        unit: "share",
        kind: Real(Bound::Probability, Const(defaults::BASE_PAY_SAVED)),
        range: "",
        default: "",
    },
    Key {
        table: "designs[].onboarding",
        name: "target_share",
        meaning: "`reduced_target` only: the reduced target as a share of the full one; variable pay per unit of revenue is divided by it",
        unit: "share",
        kind: Real(Bound::Between(0.05, 1.0), Required),
        range: "",
        default: "{} with `reduced_target`",
    },
    Key {
        table: "designs[].coverage.*",
        name: "owner",
        meaning: "Channel owning every stage of the tier not named in `owners`",
        unit: "–",
        kind: Text,
        range: "a channel name",
        default: "none",
    },
    Key {
        table: "designs[].coverage.*",
        name: "owners",
        meaning: "Owner by stage, e.g. `{ prospect = \"inside\", close = \"field\" }`",
        unit: "–",
        kind: ByName,
        range: "stage names → channel names",
        default: "none",
    },
    Key {
        table: "designs[].coverage.*",
        name: "specialists",
        meaning: "Specialists deployed at a stage, e.g. `{ propose = \"solutions\" }` or `{ propose = [\"a\", \"b\"] }`",
        unit: "–",
        kind: ByName,
        range: "stage names → channel(s) of kind `specialist`",
        default: "none",
    },
    Key {
        table: "designs[].steps[]",
        name: "month",
        meaning: "First month of the step (month 1 is the start of the horizon)",
        unit: "month (whole)",
        kind: Whole(2, 10_000, None),
        range: "{}, at most `simulation.months`; each step later than the one before",
        default: "required",
    },
    Key {
        table: "designs[].steps[]",
        name: "headcount",
        meaning: "Heads per channel from this month on, e.g. `{ inside = 55 }`; more heads than before are hired and join `hiring_lead_months` later at `recruiting_fee_per_hire`; fewer leave at this month (not paid from it) at `exit_cost_per_head`",
        unit: "heads",
        kind: Heads(Bound::ZeroOr(0.01, 1e6)),
        range: "",
        default: "the heads before the step",
    },
    Key {
        table: "designs[].steps[]",
        name: "coverage",
        meaning: "The tier's new coverage, with the same keys as `[designs.coverage.<tier>]`; its accounts are moved accounts from this month if their stage owners change, and settle again (`[transition]`)",
        unit: "tables by tier",
        kind: ByName,
        range: "tier names",
        default: "the coverage before the step",
    },
    Key {
        table: "designs[].steps[].coverage.*",
        name: "owner",
        meaning: "As `owner` of `[designs.coverage.<tier>]`, from the step on",
        unit: "channel name",
        kind: Text,
        range: "a channel name",
        default: "none",
    },
    Key {
        table: "designs[].steps[].coverage.*",
        name: "owners",
        meaning: "As `owners` of `[designs.coverage.<tier>]`, from the step on",
        unit: "table",
        kind: ByName,
        range: "stage names → channel names",
        default: "none",
    },
    Key {
        table: "designs[].steps[].coverage.*",
        name: "specialists",
        meaning: "As `specialists` of `[designs.coverage.<tier>]`, from the step on",
        unit: "table",
        kind: ByName,
        range: "stage names → channel(s) of kind `specialist`",
        default: "none",
    },
    Key {
        table: "transition",
        name: "settling_half_life_months",
        meaning: "Months for the raised conflict likelihood and hand-off failure to lose half their excess, before clarity and quarterback",
        unit: "months",
        kind: Real(Bound::Between(0.0, 120.0), Const(3.0)),
        range: "",
        default: "",
    },
    Key {
        table: "transition",
        name: "conflict_multiplier_at_start",
        meaning: "Conflict likelihood on moved accounts in month 1, as a multiple of the steady value",
        unit: "ratio",
        kind: Real(Bound::Between(1.0, 20.0), Const(2.0)),
        range: "",
        default: "",
    },
    Key {
        table: "transition",
        name: "handoff_failure_multiplier_at_start",
        meaning: "Hand-off failure on moved accounts in month 1, as a multiple of the steady value (capped at 1)",
        unit: "ratio",
        kind: Real(Bound::Between(1.0, 20.0), Const(2.0)),
        range: "",
        default: "",
    },
    Key {
        table: "transition",
        name: "clarity_shortens_half_life_by",
        meaning: "Share of the half-life that full clarity of rules of engagement removes: h = half-life · (1 − this · clarity) · …",
        unit: "share",
        kind: Real(Bound::Probability, Const(0.5)),
        range: "",
        default: "",
    },
    Key {
        table: "transition",
        name: "quarterback_shortens_half_life_by",
        meaning: "Share of the half-life a quarterback removes: … · (1 − this)",
        unit: "share",
        kind: Real(Bound::Probability, Const(0.4)),
        range: "",
        default: "",
    },
    Key {
        table: "behaviour",
        name: "coasting",
        meaning: "Share of effort each role withholds on an account it shares with another role (owners of different stages, or a specialist beside the owner), unless the design has a `quarterback`",
        unit: "share",
        kind: Real(Bound::Probability, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "behaviour",
        name: "churn_uncovered_multiplier",
        meaning: "Churn of an account that gets no coverage at all, as a multiple of its tier's `churn_per_year`; in between `1 + (this − 1)·(1 − share surfaced)`",
        unit: "ratio",
        kind: Real(Bound::Between(1.0, 100.0), Const(1.0)),
        range: "",
        default: "",
    },
    Key {
        table: "behaviour",
        name: "churn_after_failed_post_sale",
        meaning: "Chance that a booked deal whose post-sale work or hand-off failed loses the customer at the end of its booking month",
        unit: "probability",
        kind: Real(Bound::Probability, Const(0.0)),
        range: "",
        default: "",
    },
    Key {
        table: "correlations[]",
        name: "a",
        meaning: "One uncertain input, by key path (by name or by position, as below)",
        unit: "key path",
        kind: Text,
        range: "an input given as a distribution",
        default: "required",
    },
    Key {
        table: "correlations[]",
        name: "b",
        meaning: "The other uncertain input, by key path",
        unit: "key path",
        kind: Text,
        range: "another input given as a distribution",
        default: "required",
    },
    Key {
        table: "correlations[]",
        name: "rank",
        meaning: "Their rank (Spearman) correlation across trials: the draws' own, on average over each block of trials (imposed on normal scores as 2·sin(π·rank/6), docs/MODEL.md §11)",
        unit: "–",
        kind: Real(Bound::Between(-1.0, 1.0), Required),
        range: "",
        default: "",
    },
    // `[optimize]`: read by `covsim optimize` (the same settings as its flags; docs/MODEL.md §17).
    Key {
        table: "",
        name: "optimize",
        meaning: "Settings of `covsim optimize`, the same as its flags (a flag wins over the file)",
        unit: "table",
        kind: Table,
        range: "as below",
        default: "none",
    },
    Key {
        table: "optimize",
        name: "from",
        meaning: "The design the candidates are made from (`--from`); key paths of `vary` are relative to it",
        unit: "design name",
        kind: Text,
        range: "a design of the scenario",
        default: "the baseline",
    },
    Key {
        table: "optimize",
        name: "vary",
        meaning: "The decision variables, one `key=levels` text each (`--vary`), e.g. `[\"headcount.inside=0..120\", \"coverage.core.owner=field|inside\"]`",
        unit: "—",
        kind: Texts,
        range: "list of texts in the syntax of the table of flags above; each variable once; at most 256 combinations of the categorical ones",
        default: "none (then `--vary` is required)",
    },
    Key {
        table: "optimize",
        name: "constraints",
        meaning: "What must hold at the confidence, one `measure <= limit` or `measure >= limit` text each (`--constraint`), e.g. `[\"p5(contribution) >= 8M\"]`",
        unit: "the measure's unit",
        kind: Texts,
        range: "list of texts as in the table of flags above",
        default: "none",
    },
    Key {
        table: "optimize",
        name: "objective",
        meaning: "What to maximise (minimised for metrics where lower is better) (`--objective`)",
        unit: "—",
        kind: Text,
        range: "a measure: `contribution`, `mean(revenue)`, `p5(contribution)`",
        default: "`contribution`",
    },
    Key {
        table: "optimize",
        name: "delta",
        meaning: "Indifference zone of the selection (`--delta`)",
        unit: "the objective's unit",
        kind: Text,
        range: "a number > 0, or a text with `k`, `M`, `B` (`\"100k\"`)",
        default: "100,000",
    },
    Key {
        table: "optimize",
        name: "confidence",
        meaning: "Probability of the guarantee and of every constraint check (`--confidence`)",
        unit: "probability",
        kind: Text,
        range: "more than 0.5 and less than 1",
        default: "0.95",
    },
    Key {
        table: "optimize",
        name: "max_trials",
        meaning: "Design-trials budget (`--max-trials`): every design-trial simulated so far (search, report, selection) is compared with it before each pattern-search step, halving round and selection block, so it can be exceeded (docs/MODEL.md §17)",
        unit: "design-trials",
        kind: Whole(1_000, 1_000_000_000_000, Some(300_000)),
        range: "",
        default: "",
    },
    Key {
        table: "optimize",
        name: "budget_seconds",
        meaning: "Wall-clock budget, checked between stages; results then depend on the machine (`--budget-seconds`)",
        unit: "seconds",
        kind: Text,
        range: "> 0",
        default: "none",
    },
];

/// The declarations by pattern.
static BY_PATH: LazyLock<HashMap<String, &'static Key>> =
    LazyLock::new(|| KEYS.iter().map(|k| (k.path(), k)).collect());

/// The declaration of a key pattern (`channels[].ramp`), if any.
pub fn declared(pattern: &str) -> Option<&'static Key> {
    BY_PATH.get(pattern).copied()
}

/// The tables of keys, in order (each `Key::table` once).
pub fn tables() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for k in KEYS {
        if !out.contains(&k.table) {
            out.push(k.table);
        }
    }
    out
}

/// `designs[1].coverage.core.owners.close` → `designs[].coverage.*.owners.*`: indices dropped,
/// and a name the user chose (the key of a table keyed by names) written `*`.
pub fn pattern_of(path: &str) -> String {
    let plain = super::registry::pattern(path);
    let mut out = String::with_capacity(plain.len());
    let mut keyed_by_names = false;
    for part in plain.split('.') {
        if !out.is_empty() {
            out.push('.');
        }
        if keyed_by_names {
            out.push('*');
        } else {
            out.push_str(part);
        }
        keyed_by_names =
            declared(&out).is_some_and(|k| matches!(k.kind, ByName | Heads(_) | PerTier(..)));
    }
    out
}

/// The bound and default a real-valued key (by its path in a file) is read with: declared
/// keys, the entries of per-tier tables, lists and heads, and the parameters of a
/// distribution (any finite number; the distribution is checked as a whole).
pub fn real_of(path: &str) -> Option<(Bound, Dflt)> {
    // Every variant of a scenario (a trial's draws) reads the same paths again: remember them.
    thread_local! {
        static SEEN: std::cell::RefCell<HashMap<String, Option<(Bound, Dflt)>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    if let Some(found) = SEEN.with(|s| s.borrow().get(path).copied()) {
        return found;
    }
    let found = real_of_uncached(path);
    SEEN.with(|s| s.borrow_mut().insert(path.to_string(), found));
    found
}

fn real_of_uncached(path: &str) -> Option<(Bound, Dflt)> {
    let pattern = pattern_of(path);
    if let Some(k) = declared(&pattern) {
        return match k.kind {
            Real(b, d) | PerTier(b, d) => Some((b, d)),
            _ => None,
        };
    }
    let (parent, last) = pattern.rsplit_once('.').unwrap_or(("", &pattern));
    if let Some(list) = pattern.strip_suffix("[]") {
        if let Some(Key {
            kind: Numbers(b, _),
            ..
        }) = declared(list)
        {
            return Some((*b, Optional));
        }
    }
    if let Some(k) = declared(parent) {
        if let PerTier(b, _) | Heads(b) = k.kind {
            if last == "*" {
                return Some((b, Optional));
            }
        }
    }
    // `…potential.median`: a parameter of a distribution given for a real-valued key.
    let params = crate::dist::DIST_KINDS.iter().flat_map(|(_, p)| p.iter());
    if params.clone().any(|p| *p == last) && real_of_parent(path).is_some() {
        return Some((Bound::Any, Optional));
    }
    None
}

fn real_of_parent(path: &str) -> Option<(Bound, Dflt)> {
    real_of(path.rsplit_once('.')?.0)
}

/// The declaration of a key the reader reads by its fixed name; a key read but not declared
/// is a bug of covsim, not of the scenario (tests/registry.rs reads every key).
pub fn key(path: &str) -> &'static Key {
    // Every variant of a scenario reads the same paths again: remember them.
    thread_local! {
        static SEEN: std::cell::RefCell<HashMap<String, &'static Key>> =
            std::cell::RefCell::new(HashMap::new());
    }
    if let Some(k) = SEEN.with(|s| s.borrow().get(path).copied()) {
        return k;
    }
    let pattern = pattern_of(path);
    let k = declared(&pattern)
        .unwrap_or_else(|| panic!("`{pattern}` is not declared in scenario::keys"));
    SEEN.with(|s| s.borrow_mut().insert(path.to_string(), k));
    k
}

/// The key a real-valued key falls back to, by pattern.
pub fn fallback(pattern: &str) -> Option<&'static str> {
    match declared(pattern)?.kind {
        Real(_, Dflt::Key(to)) | PerTier(_, Dflt::Key(to)) => Some(to),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_once() {
        let mut seen = std::collections::HashSet::new();
        for k in KEYS {
            assert!(seen.insert(k.path()), "`{}` is declared twice", k.path());
            assert!(!k.meaning.is_empty() && !k.unit.is_empty(), "{}", k.path());
            if let Real(_, Dflt::Key(to)) = k.kind {
                assert!(
                    matches!(declared(to).map(|k| k.kind), Some(Real(..))),
                    "{} falls back to `{to}`, not a declared number",
                    k.path()
                );
            }
        }
        // Every table a key is written in is itself declared (the top level aside).
        for t in tables().into_iter().filter(|t| !t.is_empty()) {
            let plain = t.trim_end_matches("[]").trim_end_matches(".*");
            assert!(declared(plain).is_some(), "table `{t}` is not declared");
        }
    }

    #[test]
    fn patterns_of_paths() {
        assert_eq!(
            pattern_of("designs[1].coverage.core.owners.close"),
            "designs[].coverage.*.owners.*"
        );
        assert_eq!(
            pattern_of("designs[0].headcount.field"),
            "designs[].headcount.*"
        );
        assert_eq!(
            pattern_of("stages[2].conversion.key"),
            "stages[].conversion.*"
        );
        assert_eq!(
            real_of("stages[2].conversion.key"),
            Some((Bound::Probability, Optional))
        );
        assert_eq!(
            real_of("accounts.segments[0].potential.median"),
            Some((Bound::Any, Optional))
        );
        assert_eq!(
            real_of("channels[0].ramp[3]"),
            Some((Bound::Probability, Optional))
        );
        assert_eq!(real_of("channels[0].name"), None);
        assert_eq!(
            fallback("handoffs.pairs[].failure"),
            Some("handoffs.default_failure")
        );
    }

    #[test]
    fn transition_defaults_are_the_models() {
        let d = crate::model::Settling::default();
        for (key, x) in [
            ("settling_half_life_months", d.half_life_months),
            ("conflict_multiplier_at_start", d.conflict_multiplier),
            (
                "handoff_failure_multiplier_at_start",
                d.handoff_failure_multiplier,
            ),
            ("clarity_shortens_half_life_by", d.clarity_shortening),
            (
                "quarterback_shortens_half_life_by",
                d.quarterback_shortening,
            ),
        ] {
            assert_eq!(
                declared(&format!("transition.{key}")).and_then(Key::dflt),
                Some(Const(x)),
                "{key}"
            );
        }
    }
}
