//! The resolved scenario the engine runs on: names replaced by indices, defaults filled in,
//! every value checked. Built only by `scenario::resolve`; knows nothing of TOML or files.

/// Accounts as structure-of-arrays, fixed for a whole run (drawn once from the seed when
/// generated from segments, or read from a CRM export).
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    pub id: Vec<String>,
    /// Expected annual potential, currency per year.
    pub potential: Vec<f64>,
    /// Strategic fit with the ideal client profile, 0–1.
    pub fit: Vec<f64>,
    /// Index into `Model::tiers`.
    pub tier: Vec<u16>,
    /// Index into `Accounts::segments` (generated) or the CSV's segment names.
    pub segment: Vec<u16>,
    pub segments: Vec<String>,
}

impl Accounts {
    pub fn len(&self) -> usize {
        self.potential.len()
    }
    pub fn is_empty(&self) -> bool {
        self.potential.is_empty()
    }
}

/// A tier: accounts grouped by potential *and* fit; the unit a design assigns coverage to.
#[derive(Debug, Clone)]
pub struct Tier {
    pub name: String,
    pub min_potential: f64,
    pub min_fit: f64,
    /// Opportunities per account per year that prospecting surfaces when the account gets its
    /// coverage hours (more hours surface no more: the account's demand is finite).
    pub opportunities_per_year: f64,
    /// Opportunities per account per year that arrive without prospecting (marketing, web).
    pub inbound_per_year: f64,
    /// Hours of account coverage (prospecting, relationship) an account needs per year; done by
    /// the owners of the demand-generation stages.
    pub coverage_hours_per_account_per_year: f64,
    /// Share of customers of the tier who leave per year when covered with the hours they need.
    pub churn_per_year: f64,
    /// Number of accounts assigned to the tier.
    pub accounts: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    Field,
    Inside,
    Specialist,
    Partner,
    Digital,
    Other,
}

impl ChannelKind {
    pub const NAMES: &'static [&'static str] = &[
        "field",
        "inside",
        "specialist",
        "partner",
        "digital",
        "other",
    ];

    pub fn parse(s: &str) -> Option<ChannelKind> {
        Some(match s {
            "field" => ChannelKind::Field,
            "inside" => ChannelKind::Inside,
            "specialist" => ChannelKind::Specialist,
            "partner" => ChannelKind::Partner,
            "digital" => ChannelKind::Digital,
            "other" => ChannelKind::Other,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::Field => "field",
            ChannelKind::Inside => "inside",
            ChannelKind::Specialist => "specialist",
            ChannelKind::Partner => "partner",
            ChannelKind::Digital => "digital",
            ChannelKind::Other => "other",
        }
    }
}

/// How yield responds to effort: an ADBUDG curve (Little 1970) in the effort ratio
/// `ρ = hours delivered / hours the work needs`, scaled so that the needed hours give the
/// scenario's own figures: `M(ρ) = ρ^c·(1 + h^c)/(h^c + ρ^c)`. `M(0) = 0`, `M(1) = 1`, and
/// unlimited effort gives at most `1 + h^c`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Response {
    /// `c`: 1 = diminishing returns from the first hour; above 1 = S-shaped.
    pub shape: f64,
    /// `h`: the effort ratio at which the curve reaches half of its maximum.
    pub half_saturation: f64,
}

impl Response {
    /// The yield multiplier at effort ratio `ratio`.
    pub fn at(&self, ratio: f64) -> f64 {
        if ratio <= 0.0 {
            return 0.0;
        }
        if ratio.is_infinite() {
            return self.ceiling();
        }
        let xc = ratio.powf(self.shape);
        let hc = self.half_saturation.powf(self.shape);
        xc * (1.0 + hc) / (hc + xc)
    }
    /// The multiplier unlimited effort reaches, `1 + h^c`.
    pub fn ceiling(&self) -> f64 {
        1.0 + self.half_saturation.powf(self.shape)
    }
}

/// A channel or role: who can own a stage, or be deployed at one as a specialist.
#[derive(Debug, Clone)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    /// Fully loaded cost per head per year, excluding variable pay.
    pub cost_per_head_per_year: f64,
    /// Selling hours per head per year; `None` means effort is not limited (digital).
    pub capacity_hours_per_head_per_year: Option<f64>,
    /// Fixed cost per year of running the channel at all (platform, partner programme).
    pub fixed_cost_per_year: f64,
    /// Multiplier on stage conversion by tier (index = tier).
    pub effectiveness: Vec<f64>,
    /// Share of list price given away on deals this channel closes.
    pub price_discount: f64,
    /// Share of revenue kept by the partner on deals this channel closes.
    pub partner_margin: f64,
    /// Variable pay as a share of credited revenue.
    pub variable_pay_rate: f64,
    pub response: Response,
    /// Specialists: relative conversion lift at a stage where deployed, at full response.
    pub lift: f64,
    /// Productivity of a new head in its months 0, 1, … after joining (0–1); from the end of
    /// the list on, 1. Empty: productive at once.
    pub ramp: Vec<f64>,
    /// Share of heads in seat who leave at the end of each month.
    pub attrition_per_month: f64,
    /// Months a leaver's seat stays empty before the replacement joins (and starts its ramp).
    pub replacement_delay_months: u32,
    /// Share of selling capacity spent on accounts below the ideal-client fit threshold.
    pub off_profile_share: f64,
    /// One-off cost per head a transition removes (severance, redeployment), in month 0.
    pub exit_cost_per_head: f64,
    /// Months from the start of a transition until its new heads join.
    pub hiring_lead_months: u32,
    /// One-off cost per head hired (transition hires and replacements), in the month it joins.
    pub recruiting_fee_per_hire: f64,
}

impl Channel {
    /// Productivity of a head in its `age`-th month (0 = the month it joins).
    pub fn ramp_at(&self, age: usize) -> f64 {
        self.ramp.get(age).copied().unwrap_or(1.0)
    }
}

/// A sales stage; every opportunity passes them in order.
#[derive(Debug, Clone)]
pub struct Stage {
    pub name: String,
    /// Base conversion by tier (index = tier), at the hours the work needs.
    pub conversion: Vec<f64>,
    /// Typical time spent in the stage, months.
    pub months: f64,
    /// Selling hours an opportunity needs at this stage, by tier.
    pub hours_per_opportunity: Vec<f64>,
    /// The stage's owner surfaces demand: it does the tier's coverage hours, and its effort
    /// decides how many opportunities are surfaced.
    pub demand_generation: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditRule {
    /// Only the owner is credited for a sale.
    Single,
    /// Channel-neutral: an intruding channel is credited too (and paid for it).
    Double,
}

/// Hand-off behaviour for an ordered pair of channels (from → to).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HandOff {
    pub failure: f64,
    pub delay_months: f64,
}

/// Conflict behaviour when `intruder` pursues an account whose deal `owner` closes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConflictPair {
    pub overlap: f64,
    pub discount: f64,
    pub loss_probability: f64,
    pub duplicate_cost: f64,
    /// Probability a conflict loses the customer, not only the deal.
    pub customer_loss_probability: f64,
}

#[derive(Debug, Clone)]
pub struct Conflict {
    /// `pairs[owner * channels + intruder]`.
    pub pairs: Vec<ConflictPair>,
    /// How much full clarity of rules of engagement cuts conflict likelihood (0–1).
    pub clarity_effect: f64,
    /// Conflict likelihood multiplier under double (channel-neutral) credit.
    pub double_credit_factor: f64,
    /// Share of the deals in its overlapped tiers on which a credited intruder is paid under
    /// double credit.
    pub double_credit_share: f64,
    /// An intruder's selling hours per reachable account per year at which its pursuit reaches
    /// half of `overlap`.
    pub pressure_half_hours: f64,
    /// Hours of the intruder one conflict (one opportunity chased) takes.
    pub chase_hours: f64,
}

/// Coverage of one tier in one design.
#[derive(Debug, Clone)]
pub struct TierCoverage {
    /// Owner channel of each stage.
    pub owners: Vec<usize>,
    /// Specialist channels deployed at each stage.
    pub specialists: Vec<Vec<usize>>,
}

#[derive(Debug, Clone)]
pub struct Design {
    pub name: String,
    /// Heads per channel (index = channel).
    pub headcount: Vec<f64>,
    /// Clarity of rules of engagement, 0–1.
    pub clarity: f64,
    pub credit: CreditRule,
    /// Multiplier on every base overlap (territory overlap of this design).
    pub territory_overlap: f64,
    /// Coverage by tier (index = tier).
    pub coverage: Vec<TierCoverage>,
    /// The design this one is a transition from (index), if any: its accounts whose owners
    /// change are *moved*, and its headcount is where hiring starts.
    pub transition_from: Option<usize>,
    /// A quarterback with shared goals: no coasting on shared accounts, faster settling.
    pub quarterback: bool,
    /// Upper limit on every channel's off-profile share in this design (1 = no limit).
    pub off_profile_cap: f64,
    pub onboarding: Onboarding,
    /// Later steps of a transition, in increasing month order: from each step's month on, its
    /// coverage replaces the one before (empty: the coverage holds for the whole horizon).
    pub steps: Vec<Step>,
}

/// Channels given work by `coverage` (owning a stage or deployed at one), index = channel.
pub fn given_work<'a>(
    coverage: impl IntoIterator<Item = &'a TierCoverage>,
    channels: usize,
) -> Vec<bool> {
    let mut used = vec![false; channels];
    for cov in coverage {
        for &c in cov.owners.iter().chain(cov.specialists.iter().flatten()) {
            used[c] = true;
        }
    }
    used
}

/// One step of a transition that moves tiers at several months.
#[derive(Debug, Clone)]
pub struct Step {
    /// First month (0-based) of the step's coverage; at least 1 and below the horizon.
    pub month: u32,
    /// The coverage of every tier from that month on (index = tier).
    pub coverage: Vec<TierCoverage>,
    /// Heads per channel the design plans from that month on (index = channel).
    pub headcount: Vec<f64>,
}

/// When a design's coverage is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// Before month 1: the coverage the design starts the horizon with, settled.
    Start,
    /// Month `m` (0-based) of the horizon.
    Month(u32),
    /// Where the design ends: its coverage after the last step, settled.
    End,
}

impl Design {
    /// The off-profile share of `channel` in this design.
    pub fn off_profile(&self, channel: &Channel) -> f64 {
        channel.off_profile_share.min(self.off_profile_cap)
    }

    /// The step in force at `at`, if any.
    fn step_at(&self, at: At) -> Option<&Step> {
        match at {
            At::Start => None,
            At::Month(m) => self.steps.iter().rev().find(|s| s.month <= m),
            At::End => self.steps.last(),
        }
    }

    /// The design's coverage of every tier at `at`.
    pub fn coverage_at(&self, at: At) -> &[TierCoverage] {
        self.step_at(at).map_or(&self.coverage, |s| &s.coverage)
    }

    /// The heads per channel the design plans at `at`.
    pub fn headcount_at(&self, at: At) -> &[f64] {
        self.step_at(at).map_or(&self.headcount, |s| &s.headcount)
    }
}

/// How a design pays new heads (hires of a transition and replacements of leavers) in their
/// first `months` months.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Onboarding {
    pub plan: OnboardingPlan,
    pub months: u32,
    /// Multiplier on a new head's productivity while the plan lasts.
    pub effort: f64,
}

impl Default for Onboarding {
    fn default() -> Self {
        Onboarding {
            plan: OnboardingPlan::None,
            months: 0,
            effort: 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OnboardingPlan {
    /// The channel's usual pay.
    None,
    /// A fixed, non-recoverable payment per head per month instead of variable pay.
    Guarantee { per_month: f64 },
    /// No base pay (`base_pay_saved` of the cost per head is not paid); variable pay at
    /// `commission_rate` of the revenue the head brings.
    FullCommission {
        base_pay_saved: f64,
        commission_rate: f64,
    },
    /// Targets cut to `target_share`: variable pay per unit of revenue divided by it.
    ReducedTarget { target_share: f64 },
}

impl OnboardingPlan {
    pub const NAMES: &'static [&'static str] =
        &["none", "guarantee", "full_commission", "reduced_target"];

    /// Variable pay rate on revenue brought by a head under this plan.
    pub fn pay_rate(&self, usual: f64) -> f64 {
        match *self {
            OnboardingPlan::None => usual,
            OnboardingPlan::Guarantee { .. } => 0.0,
            OnboardingPlan::FullCommission {
                commission_rate, ..
            } => commission_rate,
            OnboardingPlan::ReducedTarget { target_share } => usual / target_share,
        }
    }
}

/// How moved accounts settle after a transition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settling {
    /// Months for the raised conflict likelihood and hand-off failure to halve their excess.
    pub half_life_months: f64,
    /// Conflict likelihood on moved accounts in month 0, as a multiple of the steady value.
    pub conflict_multiplier: f64,
    /// Hand-off failure on moved accounts in month 0, as a multiple of the steady value.
    pub handoff_failure_multiplier: f64,
    /// Share of the half-life that full clarity of rules of engagement removes.
    pub clarity_shortening: f64,
    /// Share of the half-life that a quarterback removes.
    pub quarterback_shortening: f64,
}

impl Default for Settling {
    fn default() -> Self {
        Settling {
            half_life_months: 3.0,
            conflict_multiplier: 2.0,
            handoff_failure_multiplier: 2.0,
            clarity_shortening: 0.5,
            quarterback_shortening: 0.4,
        }
    }
}

impl Settling {
    /// The half-life for a design with this clarity and quarterback.
    pub fn half_life(&self, clarity: f64, quarterback: bool) -> f64 {
        let q = if quarterback {
            1.0 - self.quarterback_shortening
        } else {
            1.0
        };
        self.half_life_months * (1.0 - self.clarity_shortening * clarity) * q
    }

    /// The remaining share of the month-0 excess in month `m`: `2^(−m/h)` (0 when h = 0).
    pub fn excess(half_life: f64, m: u32) -> f64 {
        if half_life > 0.0 {
            (-(m as f64) / half_life).exp2()
        } else {
            0.0
        }
    }
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub months: u32,
    pub currency: String,
    pub baseline: usize,
    /// Gross margin rate at list price, before any sales cost.
    pub gross_margin: f64,
    /// Standard deviation of the log of each account's realised potential in a trial.
    pub potential_volatility: f64,
    /// Shared: per-trial variants of a scenario reuse the same accounts.
    pub accounts: std::sync::Arc<Accounts>,
    pub tiers: Vec<Tier>,
    pub channels: Vec<Channel>,
    pub stages: Vec<Stage>,
    /// The stage whose owner is credited with the sale.
    pub close_stage: usize,
    /// `handoffs[from * channels + to]`.
    pub handoffs: Vec<HandOff>,
    pub conflict: Conflict,
    pub designs: Vec<Design>,
    pub settling: Settling,
    /// Share of effort each role withholds on an account it shares with another role, unless
    /// the design has a quarterback.
    pub coasting: f64,
    /// Churn of an account with no coverage at all, as a multiple of its tier's churn; in
    /// between, `1 + (multiplier − 1)·(1 − surfacing)`.
    pub churn_uncovered_multiplier: f64,
    /// Probability that a booked deal whose post-sale work or hand-off failed loses the customer.
    pub churn_after_failed_post_sale: f64,
    /// SHA-256 of the scenario text and any account file, hex.
    pub hash: String,
}

impl Model {
    pub fn handoff(&self, from: usize, to: usize) -> HandOff {
        self.handoffs[from * self.channels.len() + to]
    }
    pub fn conflict_pair(&self, owner: usize, intruder: usize) -> ConflictPair {
        self.conflict.pairs[owner * self.channels.len() + intruder]
    }
}
