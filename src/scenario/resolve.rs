//! Step two of two: check how the scenario's parts refer to each other, fill in defaults, build
//! the accounts and tiers, and produce the `Model` with indices instead of names.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::raw::{PerTier, RawCoverage, RawScenario};
use super::reader::{Ctx, Sp};
use crate::diag::{Diagnostic, near_matches, one_of};
use crate::model::*;
use crate::rng;

/// Names of one kind (tiers, channels, ...), with their positions.
struct Names<'a> {
    what: &'static str,
    names: Vec<&'a str>,
}

impl<'a> Names<'a> {
    fn new(
        ctx: &mut Ctx,
        what: &'static str,
        items: impl IntoIterator<Item = &'a Sp<String>>,
    ) -> Self {
        let mut names: Vec<&'a str> = Vec::new();
        let mut first: Vec<&'a Sp<String>> = Vec::new();
        for item in items {
            if item.value.trim().is_empty() {
                ctx.error(
                    Some(item.span.clone()),
                    &item.path,
                    format!("empty {what} name"),
                    "a non-empty name",
                );
            } else if let Some(earlier) = first.iter().find(|f| f.value == item.value) {
                let (line, _) = ctx.src.line_col(earlier.span.start);
                ctx.error(
                    Some(item.span.clone()),
                    &item.path,
                    format!(
                        "duplicate {what} name \"{}\" (first at line {line}, `{}`)",
                        item.value, earlier.path
                    ),
                    format!("each {what} name once"),
                );
            }
            names.push(&item.value);
            first.push(item);
        }
        Names { what, names }
    }

    /// The names, a duplicated one (already reported) once.
    fn distinct(&self) -> Vec<&'a str> {
        let mut out: Vec<&'a str> = Vec::new();
        for n in &self.names {
            if !out.contains(n) {
                out.push(n);
            }
        }
        out
    }

    /// Whether the `i`-th name repeats an earlier one (an error already reported).
    fn repeats(&self, i: usize) -> bool {
        self.names[..i].contains(&self.names[i])
    }

    fn find(&self, ctx: &mut Ctx, name: &Sp<String>) -> Option<usize> {
        if let Some(i) = self.names.iter().position(|n| *n == name.value) {
            return Some(i);
        }
        let near = near_matches(&name.value, self.names.iter().copied());
        let hint = near
            .first()
            .map(|n| format!("; did you mean \"{n}\"?"))
            .unwrap_or_default();
        ctx.error(
            Some(name.span.clone()),
            &name.path,
            format!("unknown {} \"{}\"{hint}", self.what, name.value),
            one_of(self.distinct()),
        );
        None
    }
}

/// A by-tier value for every tier. A table without `default` must name every tier: a tier left
/// out is an error, never a silent value.
fn per_tier(ctx: &mut Ctx, v: &PerTier, tiers: &Names) -> Vec<f64> {
    match v {
        PerTier::All(x) => vec![*x; tiers.names.len()],
        PerTier::ByTier {
            default,
            values,
            at,
        } => {
            let mut out = vec![*default; tiers.names.len()];
            for (name, x) in values {
                if let Some(t) = tiers.find(ctx, name) {
                    out[t] = Some(*x);
                }
            }
            // A tier whose name repeats an earlier one is reported as a duplicate: a table
            // naming that tier names the first.
            let missing: Vec<&str> = out
                .iter()
                .zip(&tiers.names)
                .enumerate()
                .filter(|(i, (x, _))| x.is_none() && !tiers.repeats(*i))
                .map(|(_, (_, n))| *n)
                .collect();
            if !missing.is_empty() {
                ctx.error(
                    Some(at.span.clone()),
                    &at.path,
                    format!(
                        "no value for tier(s) {}",
                        missing
                            .iter()
                            .map(|n| format!("\"{n}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "a value for every tier, or a `default = …` for the tiers left out",
                );
            }
            out.into_iter().map(|x| x.unwrap_or(0.0)).collect()
        }
    }
}

/// Whether an ordered pair of channels is given a second time (reported at `at`, naming the
/// first); else marks it given at `at`.
fn twice<'a>(
    ctx: &mut Ctx,
    given: &mut Option<&'a Sp<String>>,
    at: &'a Sp<String>,
    what: &str,
    pair: (&str, &str),
    table: &str,
) -> bool {
    let Some(first) = given else {
        *given = Some(at);
        return false;
    };
    let (line, _) = ctx.src.line_col(first.span.start);
    let whole = |p: &str| p.rsplit_once('.').map_or(p, |(t, _)| t).to_string();
    ctx.error(
        Some(at.span.clone()),
        &whole(&at.path),
        format!(
            "the {what} pair \"{}\" → \"{}\" is given twice: first at line {line} (`{}`); the second would silently replace it",
            pair.0,
            pair.1,
            whole(&first.path)
        ),
        format!("one `{table}` table per ordered pair of channels"),
    );
    true
}

pub fn resolve(
    ctx: &mut Ctx,
    raw: RawScenario,
    read_file: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> Result<Model, Vec<Diagnostic>> {
    let tiers = Names::new(ctx, "tier", raw.tiers.iter().map(|t| &t.name));
    let channels = Names::new(ctx, "channel", raw.channels.iter().map(|c| &c.name));
    let stages = Names::new(ctx, "stage", raw.stages.iter().map(|s| &s.name));
    let designs = Names::new(ctx, "design", raw.designs.iter().map(|d| &d.name));
    // Segment names label the accounts' ids: two segments of one name would collide.
    Names::new(
        ctx,
        "segment",
        raw.accounts.segments.iter().map(|s| &s.name),
    );
    let n_ch = raw.channels.len();

    // Tiers: rectangles [min_potential, ∞) × [min_fit, 1], first match wins. The point
    // (potential 0, fit 0) is only covered by a catch-all, so that is the exact test.
    if !raw.tiers.is_empty()
        && !raw
            .tiers
            .iter()
            .any(|t| t.min_potential <= 0.0 && t.min_fit <= 0.0)
    {
        let last = &raw.tiers[raw.tiers.len() - 1];
        ctx.error(
            Some(last.name.span.clone()),
            &last.name.path,
            "the tiers leave accounts uncovered: no tier takes accounts with low potential and low fit",
            "a last, catch-all tier without `min_potential` and `min_fit`",
        );
    }
    // A tier whose rectangle lies inside an earlier one's never gets an account.
    for (j, later) in raw.tiers.iter().enumerate() {
        if let Some(earlier) = raw.tiers[..j]
            .iter()
            .find(|t| t.min_potential <= later.min_potential && t.min_fit <= later.min_fit)
        {
            ctx.error(
                Some(later.name.span.clone()),
                &later.name.path,
                format!(
                    "tier \"{}\" can never be reached: tier \"{}\", listed before it, takes every account it would (first match wins)",
                    later.name.value, earlier.name.value
                ),
                "tiers listed from the most demanding to the catch-all, which comes last",
            );
        }
    }
    let model_tiers: Vec<Tier> = raw
        .tiers
        .iter()
        .map(|t| Tier {
            name: t.name.value.clone(),
            min_potential: t.min_potential,
            min_fit: t.min_fit,
            opportunities_per_year: t.opportunities_per_year,
            inbound_per_year: t.inbound_per_year,
            coverage_hours_per_account_per_year: t.coverage_hours_per_account_per_year,
            churn_per_year: t.churn_per_year,
            accounts: 0,
        })
        .collect();

    let mut model_channels = Vec::new();
    for c in &raw.channels {
        let kind = match ChannelKind::parse(&c.kind.value) {
            Some(k) => k,
            None => {
                ctx.error(
                    Some(c.kind.span.clone()),
                    &c.kind.path,
                    format!("unknown channel kind \"{}\"", c.kind.value),
                    one_of(ChannelKind::NAMES.iter().copied()),
                );
                ChannelKind::Other
            }
        };
        let capacity = match (kind, c.capacity_hours_per_head_per_year) {
            (_, Some(h)) => Some(h),
            (ChannelKind::Digital, None) => None,
            (_, None) => {
                ctx.error(
                    Some(c.name.span.clone()),
                    &format!(
                        "{}.capacity_hours_per_head_per_year",
                        c.name.path.trim_end_matches(".name")
                    ),
                    format!("channel \"{}\" has no selling capacity", c.name.value),
                    "hours per head per year, e.g. 1400 (only digital channels may leave it out)",
                );
                None
            }
        };
        model_channels.push(Channel {
            name: c.name.value.clone(),
            kind,
            cost_per_head_per_year: c.cost_per_head_per_year,
            capacity_hours_per_head_per_year: capacity,
            fixed_cost_per_year: c.fixed_cost_per_year,
            effectiveness: per_tier(ctx, &c.effectiveness, &tiers),
            price_discount: c.price_discount,
            partner_margin: c.partner_margin,
            variable_pay_rate: c.variable_pay_rate,
            response: c.response,
            lift: c.lift,
            ramp: c.ramp.clone(),
            attrition_per_month: c.attrition_per_month,
            replacement_delay_months: c.replacement_delay_months,
            off_profile_share: c.off_profile_share,
            exit_cost_per_head: c.exit_cost_per_head,
            hiring_lead_months: c.hiring_lead_months,
            recruiting_fee_per_hire: c.recruiting_fee_per_hire,
        });
    }

    // Demand generation: the stages marked so, or the first stage when none is marked.
    let any_marked = raw.stages.iter().any(|s| s.demand_generation.is_some());
    let model_stages: Vec<Stage> = raw
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| Stage {
            name: s.name.value.clone(),
            conversion: per_tier(ctx, &s.conversion, &tiers),
            months: s.months,
            hours_per_opportunity: per_tier(ctx, &s.hours_per_opportunity, &tiers),
            demand_generation: if any_marked {
                s.demand_generation == Some(true)
            } else {
                i == 0
            },
        })
        .collect();
    if any_marked && !model_stages.iter().any(|s| s.demand_generation) {
        if let Some(first) = raw.stages.first() {
            ctx.error(
                Some(first.name.span.clone()),
                &format!(
                    "{}.demand_generation",
                    first.name.path.trim_end_matches(".name")
                ),
                "no stage generates demand",
                "`demand_generation = true` on at least one stage (default: the first stage)",
            );
        }
    }
    if raw.stages.len() > crate::engine::plan::MAX_STAGES {
        let extra = &raw.stages[crate::engine::plan::MAX_STAGES].name;
        ctx.error(
            Some(extra.span.clone()),
            &extra.path,
            format!(
                "{} stages given; covsim supports at most {}",
                raw.stages.len(),
                crate::engine::plan::MAX_STAGES
            ),
            format!("at most {} `[[stages]]`", crate::engine::plan::MAX_STAGES),
        );
    }
    let closes: Vec<_> = raw
        .stages
        .iter()
        .enumerate()
        .filter(|(_, s)| s.close.as_ref().is_some_and(|c| c.value))
        .collect();
    let close_stage = match closes.as_slice() {
        [] => raw.stages.len().saturating_sub(1),
        [(i, _)] => *i,
        [_, rest @ ..] => {
            for (_, s) in rest {
                let c = s.close.as_ref().expect("filtered on close");
                ctx.error(
                    Some(c.span.clone()),
                    &c.path,
                    "more than one stage is marked `close = true`",
                    "exactly one closing stage (default: the last)",
                );
            }
            0
        }
    };

    let mut handoffs = vec![raw.handoff_default; n_ch * n_ch];
    let mut given: Vec<Option<&Sp<String>>> = vec![None; n_ch * n_ch];
    for p in &raw.handoff_pairs {
        if let (Some(f), Some(t)) = (channels.find(ctx, &p.from), channels.find(ctx, &p.to)) {
            if twice(
                ctx,
                &mut given[f * n_ch + t],
                &p.to,
                "hand-off",
                (&p.from.value, &p.to.value),
                "[[handoffs.pairs]]",
            ) {
                continue;
            }
            handoffs[f * n_ch + t] = p.handoff;
        }
    }

    let c = &raw.conflict;
    let base_pair = ConflictPair {
        overlap: c.default_overlap,
        discount: c.discount,
        loss_probability: c.loss_probability,
        duplicate_cost: c.duplicate_cost,
        customer_loss_probability: c.customer_loss_probability,
    };
    let mut pairs = vec![base_pair; n_ch * n_ch];
    let mut given: Vec<Option<&Sp<String>>> = vec![None; n_ch * n_ch];
    for p in &c.pairs {
        if let (Some(o), Some(i)) = (
            channels.find(ctx, &p.owner),
            channels.find(ctx, &p.intruder),
        ) {
            if twice(
                ctx,
                &mut given[o * n_ch + i],
                &p.intruder,
                "conflict",
                (&p.owner.value, &p.intruder.value),
                "[[conflict.pairs]]",
            ) {
                continue;
            }
            if o == i {
                ctx.error(
                    Some(p.intruder.span.clone()),
                    &p.intruder.path,
                    "a channel cannot be in conflict with itself",
                    "two different channels",
                );
            }
            let e = &mut pairs[o * n_ch + i];
            e.overlap = p.overlap.unwrap_or(e.overlap);
            e.discount = p.discount.unwrap_or(e.discount);
            e.loss_probability = p.loss_probability.unwrap_or(e.loss_probability);
            e.duplicate_cost = p.duplicate_cost.unwrap_or(e.duplicate_cost);
            e.customer_loss_probability = p
                .customer_loss_probability
                .unwrap_or(e.customer_loss_probability);
        }
    }
    for i in 0..n_ch {
        pairs[i * n_ch + i].overlap = 0.0;
    }

    let mut model_designs = Vec::new();
    if raw.designs.len() < 2 {
        let span = raw.designs.first().map(|d| d.name.span.clone());
        ctx.error(
            span,
            "designs",
            format!(
                "{} design(s) given; a comparison needs at least two",
                raw.designs.len()
            ),
            "two or more `[[designs]]`",
        );
    }
    for d in &raw.designs {
        let mut headcount = vec![0.0; n_ch];
        for (name, heads) in &d.headcount {
            if let Some(ch) = channels.find(ctx, name) {
                headcount[ch] = *heads;
            }
        }
        let mut coverage: Vec<Option<TierCoverage>> = vec![None; model_tiers.len()];
        resolve_coverage(
            ctx,
            &d.name.value,
            &d.coverage,
            &tiers,
            &channels,
            &stages,
            &model_channels,
            &mut coverage,
        );
        let uncovered: Vec<&str> = coverage
            .iter()
            .zip(&model_tiers)
            .filter(|(c, _)| c.is_none())
            .map(|(_, t)| t.name.as_str())
            .collect();
        let covered_listed = d
            .coverage
            .iter()
            .all(|c| tiers.names.contains(&c.tier.value.as_str()));
        if !uncovered.is_empty() && covered_listed && d.coverage.len() < model_tiers.len() {
            ctx.error(
                Some(d.coverage_span.span.clone()),
                &d.coverage_span.path,
                format!(
                    "design \"{}\" does not cover tier{} {}",
                    d.name.value,
                    if uncovered.len() > 1 { "s" } else { "" },
                    uncovered.join(", ")
                ),
                "a `[designs.coverage.<tier>]` section for every tier",
            );
        }
        // Later steps: each replaces the coverage of the tiers it names from its month on.
        if let (Some(first), None) = (d.steps.first(), &d.transition_from) {
            ctx.error(
                Some(first.span.span.clone()),
                &first.span.path,
                format!(
                    "design \"{}\" moves in steps but is not a transition",
                    d.name.value
                ),
                "`transition_from = \"<design>\"` naming the design whose coverage the steps leave",
            );
        }
        let mut steps: Vec<(u32, Vec<Option<TierCoverage>>, Vec<f64>)> = Vec::new();
        let mut last_month = 1u64;
        for step in &d.steps {
            let mut cov = steps
                .last()
                .map_or_else(|| coverage.clone(), |s| s.1.clone());
            let mut heads = steps
                .last()
                .map_or_else(|| headcount.clone(), |s| s.2.clone());
            for (name, h) in &step.headcount {
                if let Some(ch) = channels.find(ctx, name) {
                    heads[ch] = *h;
                }
            }
            resolve_coverage(
                ctx,
                &d.name.value,
                &step.coverage,
                &tiers,
                &channels,
                &stages,
                &model_channels,
                &mut cov,
            );
            let Some(month) = &step.month else { continue };
            let horizon = u64::from(raw.months);
            if month.value <= last_month || month.value > horizon {
                ctx.error(
                    Some(month.span.clone()),
                    &month.path,
                    format!(
                        "step month {} is {}",
                        month.value,
                        if month.value > horizon {
                            format!("after the horizon of {} months", raw.months)
                        } else {
                            format!("not after the step before it (month {last_month})")
                        }
                    ),
                    format!(
                        "a month from {} to {}, later than the step before",
                        last_month + 1,
                        horizon
                    ),
                );
            }
            if month.value <= horizon {
                last_month = last_month.max(month.value);
            }
            steps.push(((month.value - 1) as u32, cov, heads));
        }
        // A channel with limited capacity that owns a stage needs heads, in every step.
        let design_path = d.name.path.trim_end_matches(".name");
        let epochs = std::iter::once((
            &coverage,
            &headcount,
            &d.headcount,
            &d.name.span,
            design_path,
        ))
        .chain(steps.iter().zip(&d.steps).map(|((_, cov, heads), raw)| {
            (
                cov,
                heads,
                &raw.headcount,
                &raw.span.span,
                raw.span.path.as_str(),
            )
        }));
        for (cov, heads, listed, place, place_path) in epochs {
            if !cov.iter().all(Option::is_some) {
                continue;
            }
            let used = given_work(cov.iter().flatten(), n_ch);
            for (ch, u) in used.iter().enumerate() {
                if *u
                    && heads[ch] <= 0.0
                    && model_channels
                        .get(ch)
                        .is_some_and(|c| c.capacity_hours_per_head_per_year.is_some())
                {
                    let at = listed
                        .iter()
                        .find(|(n, _)| n.value == channels.names[ch])
                        .map(|(n, _)| n.clone());
                    let (span, path) = match at {
                        Some(n) => (n.span, n.path),
                        None => (
                            place.clone(),
                            format!("{place_path}.headcount.{}", channels.names[ch]),
                        ),
                    };
                    ctx.error(
                        Some(span),
                        &path,
                        format!("design \"{}\" gives work to \"{}\" but no heads", d.name.value, channels.names[ch]),
                        "a headcount > 0 for every channel with limited capacity that owns a stage or is deployed",
                    );
                }
            }
        }
        let transition_from = d.transition_from.as_ref().and_then(|f| {
            let i = designs.find(ctx, f)?;
            if f.value == d.name.value {
                ctx.error(
                    Some(f.span.clone()),
                    &f.path,
                    format!("design \"{}\" cannot be a transition from itself", f.value),
                    "the name of another design (usually the current coverage, the baseline)",
                );
                return None;
            }
            Some(i)
        });
        model_designs.push(Design {
            name: d.name.value.clone(),
            transition_from,
            quarterback: d.quarterback,
            off_profile_cap: d.off_profile_cap,
            onboarding: d.onboarding,
            headcount,
            clarity: d.clarity,
            credit: d.credit,
            territory_overlap: d.territory_overlap,
            coverage: complete(coverage),
            steps: steps
                .into_iter()
                .map(|(month, cov, headcount)| Step {
                    month,
                    coverage: complete(cov),
                    headcount,
                })
                .collect(),
        });
    }

    let baseline = match &raw.baseline {
        Some(b) => designs.find(ctx, b).unwrap_or(0),
        None => 0,
    };

    // Accounts: a CRM export, or generated once from the seed; or those of the nominal
    // scenario, reused when nothing that shapes them is overridden.
    let (accounts, hash, nominal_tiers) = match ctx.reuse.take() {
        Some(r) => (r.accounts, r.hash, Some(r.tiers)),
        None => {
            let (accounts, hash) = read_accounts(ctx, &raw, read_file);
            (Arc::new(accounts), hash, None)
        }
    };
    let mut model_tiers = model_tiers;
    // Reused accounts under the nominal tiers' bounds keep their tiers.
    let same_tiers = nominal_tiers.filter(|n| {
        n.len() == model_tiers.len()
            && n.iter().zip(&model_tiers).all(|(&(p, f, _), t)| {
                p.to_bits() == t.min_potential.to_bits() && f.to_bits() == t.min_fit.to_bits()
            })
    });
    let accounts = if let Some(n) = same_tiers {
        for (tier, &(_, _, count)) in model_tiers.iter_mut().zip(&n) {
            tier.accounts = count;
        }
        accounts
    } else {
        let tier: Vec<u16> = accounts
            .potential
            .iter()
            .zip(&accounts.fit)
            .map(|(&p, &f)| {
                model_tiers
                    .iter()
                    .position(|t| p >= t.min_potential && f >= t.min_fit)
                    .unwrap_or(0) as u16
            })
            .collect();
        for &t in &tier {
            if let Some(tier) = model_tiers.get_mut(t as usize) {
                tier.accounts += 1;
            }
        }
        if tier == accounts.tier {
            accounts
        } else {
            let mut a = (*accounts).clone();
            a.tier = tier;
            Arc::new(a)
        }
    };

    if !ctx.diags.is_empty() {
        return Err(std::mem::take(&mut ctx.diags));
    }
    let name = match &raw.name {
        Some(n) => n.value.clone(),
        None => std::path::Path::new(ctx.src.name)
            .file_stem()
            .map_or("scenario".into(), |s| s.to_string_lossy().into_owned()),
    };
    Ok(Model {
        name,
        months: raw.months,
        currency: raw.currency,
        baseline,
        gross_margin: raw.gross_margin,
        potential_volatility: raw.accounts.potential_volatility,
        accounts,
        tiers: model_tiers,
        channels: model_channels,
        stages: model_stages,
        close_stage,
        handoffs,
        conflict: Conflict {
            pairs,
            clarity_effect: c.clarity_effect,
            double_credit_factor: c.double_credit_factor,
            double_credit_share: c.double_credit_share,
            pressure_half_hours: c.pressure_half_hours,
            chase_hours: c.chase_hours,
        },
        designs: model_designs,
        settling: raw.settling,
        coasting: raw.coasting,
        churn_uncovered_multiplier: raw.churn_uncovered_multiplier,
        churn_after_failed_post_sale: raw.churn_after_failed_post_sale,
        hash,
    })
}

/// Reads the account file or generates the segments' accounts (tiers not yet assigned), and
/// hashes the scenario text with any account file.
fn read_accounts(
    ctx: &mut Ctx,
    raw: &RawScenario,
    read_file: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> (Accounts, String) {
    let mut hasher = Sha256::new();
    // The text without the values of the run settings (seed, trials): the hash names the
    // model, and the run settings are recorded beside it.
    let text = ctx.src.text;
    let mut spans = ctx.run_setting_spans.clone();
    spans.sort_by_key(|s| s.start);
    let mut at = 0;
    for s in spans {
        hasher.update(&text.as_bytes()[at..s.start.max(at)]);
        at = s.end.max(at);
    }
    hasher.update(&text.as_bytes()[at..]);
    let mut accounts = Accounts::default();
    if let Some(csv) = &raw.accounts.csv {
        match read_file(&csv.value) {
            Ok(bytes) => {
                hasher.update(&bytes);
                match super::accounts_csv::parse(&bytes, &csv.value) {
                    Ok(a) => {
                        accounts.id = a.id;
                        accounts.potential = a.potential;
                        accounts.fit = a.fit;
                        accounts.segment = a.segment;
                        accounts.segments = a.segments;
                    }
                    Err(d) => ctx.diags.extend(d),
                }
            }
            Err(e) => ctx.error(
                Some(csv.span.clone()),
                &csv.path,
                format!("cannot read account file \"{}\": {e}", csv.value),
                "a readable CSV file, relative to the scenario file",
            ),
        }
    } else if !raw.accounts.segments.is_empty() {
        let total: u64 = raw.accounts.segments.iter().map(|s| s.count).sum();
        if total == 0 {
            ctx.error(
                raw.accounts.span.clone(),
                "accounts.segments",
                "the segments hold no accounts",
                "at least one segment with count > 0",
            );
        }
        let mut rng = rng::stream(raw.seed, rng::ACCOUNTS_STREAM);
        for (si, seg) in raw.accounts.segments.iter().enumerate() {
            accounts.segments.push(seg.name.value.clone());
            let potential = seg.potential.as_ref().and_then(|(d, _)| d.build().ok());
            let fit = seg.fit.as_ref().and_then(|(d, _)| d.build().ok());
            let Some(potential) = potential else {
                continue;
            };
            for i in 0..seg.count {
                accounts.id.push(format!("{}-{}", seg.name.value, i + 1));
                accounts.potential.push(potential.sample(&mut rng).max(0.0));
                accounts.fit.push(
                    fit.as_ref()
                        .map_or(1.0, |f| f.sample(&mut rng).clamp(0.0, 1.0)),
                );
                accounts.segment.push(si as u16);
            }
        }
    }
    let hash = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    (accounts, hash)
}

/// Resolves the `coverage` tables `covs` of design `design` into `coverage` (index = tier),
/// replacing the tiers they name.
#[allow(clippy::too_many_arguments)]
fn resolve_coverage(
    ctx: &mut Ctx,
    design: &str,
    covs: &[RawCoverage],
    tiers: &Names,
    channels: &Names,
    stages: &Names,
    model_channels: &[Channel],
    coverage: &mut [Option<TierCoverage>],
) {
    let n_stages = stages.names.len();
    for cov in covs {
        let Some(t) = tiers.find(ctx, &cov.tier) else {
            continue;
        };
        let default_owner = cov.owner.as_ref().and_then(|o| channels.find(ctx, o));
        let mut owners: Vec<Option<usize>> = vec![default_owner; n_stages];
        for (stage, ch) in &cov.owners {
            if let (Some(s), Some(c)) = (stages.find(ctx, stage), channels.find(ctx, ch)) {
                owners[s] = Some(c);
            }
        }
        let mut specialists = vec![Vec::new(); n_stages];
        for (stage, list) in &cov.specialists {
            let Some(s) = stages.find(ctx, stage) else {
                continue;
            };
            for name in list {
                if let Some(c) = channels.find(ctx, name) {
                    if model_channels
                        .get(c)
                        .is_some_and(|ch| ch.kind != ChannelKind::Specialist)
                    {
                        ctx.error(
                            Some(name.span.clone()),
                            &name.path,
                            format!("\"{}\" is not a specialist channel", name.value),
                            "a channel of kind \"specialist\"",
                        );
                    } else if specialists[s].contains(&c) {
                        ctx.error(
                            Some(name.span.clone()),
                            &name.path,
                            format!(
                                "specialist \"{}\" is listed twice at this stage",
                                name.value
                            ),
                            "each specialist once per stage",
                        );
                    } else {
                        specialists[s].push(c);
                    }
                }
            }
        }
        let missing: Vec<&str> = owners
            .iter()
            .zip(&stages.names)
            .filter(|(o, _)| o.is_none())
            .map(|(_, s)| *s)
            .collect();
        if !missing.is_empty() && cov.owner.is_none() {
            ctx.error(
                Some(cov.tier.span.clone()),
                &format!("{}.owners", cov.tier.path),
                format!(
                    "design \"{}\" has no owner for stage{} {} of tier \"{}\"",
                    design,
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join(", "),
                    cov.tier.value
                ),
                "`owner = \"<channel>\"` for every stage, or an entry in `owners` per stage",
            );
        }
        if missing.is_empty() {
            coverage[t] = Some(TierCoverage {
                owners: owners.into_iter().map(|o| o.unwrap_or(0)).collect(),
                specialists,
            });
        }
    }
}

/// A design's coverage with every tier (a tier left unresolved, already reported, is empty).
fn complete(coverage: Vec<Option<TierCoverage>>) -> Vec<TierCoverage> {
    coverage
        .into_iter()
        .map(|c| {
            c.unwrap_or(TierCoverage {
                owners: Vec::new(),
                specialists: Vec::new(),
            })
        })
        .collect()
}
