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
    /// Expected opportunities per account per year (at most 12: one per month).
    pub opportunities_per_year: f64,
    /// Relative selling hours an account of this tier needs (1 = reference).
    pub effort_need: f64,
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

/// ADBUDG response of conversion to effort: `floor + (ceiling − floor)·x^shape/(h^shape + x^shape)`
/// with `x` the selling hours per account-stage (scaled by tier need) and `h` the half-saturation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Response {
    pub floor: f64,
    pub ceiling: f64,
    pub shape: f64,
    pub half_saturation_hours: f64,
}

impl Response {
    pub fn at(&self, hours: f64) -> f64 {
        if hours <= 0.0 {
            return self.floor;
        }
        let xc = hours.powf(self.shape);
        let hc = self.half_saturation_hours.powf(self.shape);
        self.floor + (self.ceiling - self.floor) * xc / (hc + xc)
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
}

/// A sales stage; every opportunity passes them in order.
#[derive(Debug, Clone)]
pub struct Stage {
    pub name: String,
    /// Base conversion by tier (index = tier).
    pub conversion: Vec<f64>,
    /// Typical time spent in the stage, months.
    pub months: f64,
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
}

#[derive(Debug, Clone)]
pub struct Conflict {
    /// `pairs[owner * channels + intruder]`.
    pub pairs: Vec<ConflictPair>,
    /// How much full clarity of rules of engagement cuts conflict likelihood (0–1).
    pub clarity_effect: f64,
    /// Conflict likelihood multiplier under double (channel-neutral) credit.
    pub double_credit_factor: f64,
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
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub trials: u64,
    pub seed: u64,
    /// How uncertain inputs are sampled across trials.
    pub sampling: crate::uncertain::Sampling,
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
