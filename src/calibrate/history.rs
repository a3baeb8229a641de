//! What a stage and owner history adds to a calibration: each stage's conversion, the months
//! deals spend in each stage, and the failure and delay of hand-offs between channels, each with
//! a cluster-bootstrap interval over accounts. docs/MODEL.md §18 ("Stage and owner history").

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::DAYS_PER_MONTH;
use super::estimate::{self, Estimate, percentile_interval, sd, wilson};
use super::export::{Change, Day, Export, Field, Opportunity, Status, is_closing_stage};
use crate::model::Model;

/// Key of the history bootstrap's random stream (beside the main bootstrap's).
const HISTORY_STREAM: u64 = u64::MAX - 16;
/// Channel name used for every owner when no owners file is given.
pub const ONE_CHANNEL: &str = "(one channel)";

/// One stage up to the close.
#[derive(Debug, Clone, Serialize)]
pub struct StageFit {
    pub name: String,
    /// Closed deals of the fit cohorts that reached the stage, and those that passed it.
    pub reached: usize,
    pub passed: usize,
    /// Share of the deals reaching the stage that pass it (won deals pass every stage).
    pub conversion: Option<Estimate>,
    /// Relative sd of the conversion across bootstrap replicates.
    pub conversion_relative_sd: f64,
    /// The observed conversion with the hand-off failures into this stage divided out.
    pub conversion_without_handoffs: Option<f64>,
    /// Months won deals spent in the stage, hand-off delays out of it excluded.
    pub months: Option<Estimate>,
    pub timed: usize,
}

/// One ordered pair of channels seen handing deals over.
#[derive(Debug, Clone, Serialize)]
pub struct HandoffFit {
    pub from: String,
    pub to: String,
    /// Per stage: (stage, handed closed, handed won, kept by `to` closed, kept won).
    pub by_stage: Vec<(String, usize, usize, usize, usize)>,
    pub handed: usize,
    pub kept: usize,
    /// `1 − won handed ÷ (won handed had they been kept)`, standardised by stage.
    pub failure: Option<Estimate>,
    pub failure_sd: f64,
    pub delay_months: Option<Estimate>,
    pub delay_sd: f64,
}

/// Everything the history gave.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryFit {
    pub rows: usize,
    pub rows_used: usize,
    pub deals_with_history: usize,
    pub stages: Vec<StageFit>,
    /// Stage names of the history that match no stage of the scenario (and are not a CRM's
    /// closing stage), with their rows.
    pub unmatched_stages: Vec<(String, usize)>,
    pub handoffs: Vec<HandoffFit>,
    /// Why hand-offs (and stage conversions) were not estimated, when they were not.
    pub handoffs_refused: Option<String>,
    pub conversions_refused: Option<String>,
    /// Share of won and of lost deals with any history row.
    pub won_with_history: f64,
    pub lost_with_history: f64,
}

impl HistoryFit {
    /// The unmatched stage names with their rows, for a sentence: "`Demo` (12 rows), …";
    /// `None` when every stage name matched.
    pub fn unmatched_list(&self) -> Option<String> {
        (!self.unmatched_stages.is_empty()).then(|| {
            self.unmatched_stages
                .iter()
                .map(|(n, c)| format!("`{n}` ({c} rows)"))
                .collect::<Vec<_>>()
                .join(", ")
        })
    }
}

/// A deal's walk through the stages, as its history tells it.
struct Walk {
    won: bool,
    /// Furthest stage reached (≤ close).
    reached: usize,
    /// Day each stage up to `reached` was entered.
    entry: Vec<Day>,
    /// Channel at the entry of each stage (None: owner unknown).
    channel: Vec<Option<String>>,
    /// Days from the hand-off to entering the stage, where the channel changed into it.
    delay: Vec<Option<Day>>,
    closed: Day,
}

fn walk(
    o: &Opportunity,
    rows: &[&Change],
    close: usize,
    stage_of: &dyn Fn(&str) -> Option<usize>,
    channel_of: &dyn Fn(&str) -> Option<String>,
) -> Option<Walk> {
    let created = o.created?;
    let closed = o.closed?;
    let won = o.status == Status::Won;
    let stages: Vec<&&Change> = rows.iter().filter(|c| c.field == Field::Stage).collect();
    let owners: Vec<&&Change> = rows.iter().filter(|c| c.field == Field::Owner).collect();
    let initial = stages
        .iter()
        .find_map(|c| stage_of(&c.old))
        .unwrap_or(0)
        .min(close);
    let mut entry: Vec<Option<Day>> = vec![None; close + 1];
    for e in entry.iter_mut().take(initial + 1) {
        *e = Some(created);
    }
    let mut cur = initial;
    for c in &stages {
        let Some(k) = stage_of(&c.new) else { continue };
        let k = k.min(close);
        if k > cur {
            for e in entry.iter_mut().take(k + 1).skip(cur + 1) {
                if e.is_none() {
                    *e = Some(c.day);
                }
            }
        }
        cur = k;
    }
    let mut reached = entry.iter().rposition(Option::is_some).unwrap_or(0);
    if won {
        for e in entry.iter_mut().skip(reached + 1) {
            *e = Some(closed);
        }
        reached = close;
    }
    let entry: Vec<Day> = entry[..=reached]
        .iter()
        .map(|e| e.unwrap_or(created).max(created).min(closed))
        .collect();
    let first_owner = owners
        .first()
        .map(|c| c.old.clone())
        .filter(|s| !s.is_empty())
        .or_else(|| {
            if owners.is_empty() {
                o.owner.clone()
            } else {
                None
            }
        });
    let owner_at = |t: Day| -> Option<String> {
        match owners.iter().rev().find(|c| c.day <= t) {
            Some(c) => Some(c.new.clone()).filter(|s| !s.is_empty()),
            None => first_owner.clone(),
        }
    };
    let channel: Vec<Option<String>> = entry
        .iter()
        .map(|&t| owner_at(t).and_then(|w| channel_of(&w)))
        .collect();
    let mut delay = vec![None; reached + 1];
    for s in 1..=reached {
        if let (Some(a), Some(b)) = (&channel[s - 1], &channel[s]) {
            if a != b {
                let handed = owners.iter().rev().find(|c| {
                    c.day <= entry[s]
                        && channel_of(&c.new).as_deref() == Some(b.as_str())
                        && channel_of(&c.old).as_deref() != Some(b.as_str())
                });
                delay[s] = Some(handed.map_or(0, |c| (entry[s] - c.day).max(0)));
            }
        }
    }
    Some(Walk {
        won,
        reached,
        entry,
        channel,
        delay,
        closed,
    })
}

/// Layout of a cluster's sums.
struct Layout {
    stages: usize,
    pairs: Vec<(String, String)>,
    channels: Vec<String>,
}

impl Layout {
    // Per stage: reached, passed, time sum (days), timed.
    fn stage(&self, k: usize, what: usize) -> usize {
        k * 4 + what
    }
    // Per pair and stage: handed closed, handed won, delay sum (days), delays.
    fn pair(&self, p: usize, s: usize, what: usize) -> usize {
        self.stages * 4 + (p * self.stages + s) * 4 + what
    }
    // Per channel and stage: kept closed, kept won.
    fn kept(&self, c: usize, s: usize, what: usize) -> usize {
        self.stages * 4 + self.pairs.len() * self.stages * 4 + (c * self.stages + s) * 2 + what
    }
    fn len(&self) -> usize {
        self.stages * 4 + self.pairs.len() * self.stages * 4 + self.channels.len() * self.stages * 2
    }
}

/// Estimates from summed counts: per stage (conversion, months), per pair (failure, delay).
fn estimates(l: &Layout, v: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    for k in 0..l.stages {
        out.push(v[l.stage(k, 1)] / v[l.stage(k, 0)]);
        out.push(v[l.stage(k, 2)] / v[l.stage(k, 3)] / DAYS_PER_MONTH);
    }
    for (p, (_, to)) in l.pairs.iter().enumerate() {
        let c = l.channels.iter().position(|c| c == to);
        let (mut won, mut expected, mut dsum, mut dn) = (0.0, 0.0, 0.0, 0.0);
        for s in 1..l.stages {
            let (hc, hw) = (v[l.pair(p, s, 0)], v[l.pair(p, s, 1)]);
            dsum += v[l.pair(p, s, 2)];
            dn += v[l.pair(p, s, 3)];
            let Some(c) = c else { continue };
            let (kc, kw) = (v[l.kept(c, s, 0)], v[l.kept(c, s, 1)]);
            if hc > 0.0 && kc > 0.0 {
                won += hw;
                expected += hc * kw / kc;
            }
        }
        out.push(if expected > 0.0 {
            (1.0 - won / expected).clamp(0.0, 1.0)
        } else {
            f64::NAN
        });
        out.push(dsum / dn / DAYS_PER_MONTH);
    }
    out
}

/// Fits the history of the closed deals created in `[from, to)` (the fit cohorts), as of `day`.
#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
pub fn fit(
    model: &Model,
    export: &Export,
    history: &[Change],
    day: Day,
    from: Day,
    to: Day,
    owners_unreliable: bool,
    replicates: usize,
    seed: u64,
) -> HistoryFit {
    let close = model.close_stage;
    let names: HashMap<String, usize> = model
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.trim().to_lowercase(), i))
        .collect();
    let mut unmatched: BTreeMap<String, usize> = BTreeMap::new();
    for c in history.iter().filter(|c| c.field == Field::Stage) {
        for n in [&c.old, &c.new] {
            if !n.is_empty()
                && !is_closing_stage(n)
                && !names.contains_key(&n.trim().to_lowercase())
            {
                *unmatched.entry(n.clone()).or_default() += 1;
            }
        }
    }
    let stage_of = |n: &str| names.get(&n.trim().to_lowercase()).copied();
    let channel_of = |w: &str| -> Option<String> {
        if w.is_empty() {
            return None;
        }
        match &export.owners {
            Some(map) => map.get(w).cloned(),
            None => Some(ONE_CHANNEL.to_string()),
        }
    };
    let mut by_deal: Vec<Vec<&Change>> = vec![Vec::new(); export.opportunities.len()];
    let mut rows_used = 0;
    for c in history.iter().filter(|c| c.day < day) {
        by_deal[c.opportunity].push(c);
        rows_used += 1;
    }
    for rows in &mut by_deal {
        rows.sort_by_key(|c| (c.day, c.line));
    }
    // The closed deals of the fit cohorts, as they stood on `day`.
    let mut walks: Vec<(String, Walk, bool)> = Vec::new();
    let (mut won_n, mut won_h, mut lost_n, mut lost_h) = (0.0, 0.0, 0.0, 0.0);
    for (i, o) in export.opportunities.iter().enumerate() {
        let Some(c) = o.created else { continue };
        if c < from || c >= to || o.status == Status::Open || o.closed.is_none_or(|x| x >= day) {
            continue;
        }
        let has = !by_deal[i].is_empty();
        if o.status == Status::Won {
            won_n += 1.0;
            won_h += f64::from(u8::from(has));
        } else {
            lost_n += 1.0;
            lost_h += f64::from(u8::from(has));
        }
        if let Some(w) = walk(o, &by_deal[i], close, &stage_of, &channel_of) {
            let cluster = o
                .account
                .clone()
                .unwrap_or_else(|| format!("\u{0}{}", o.id));
            walks.push((cluster, w, has));
        }
    }
    let won_with_history = if won_n > 0.0 { won_h / won_n } else { 0.0 };
    let lost_with_history = if lost_n > 0.0 { lost_h / lost_n } else { 0.0 };
    let deals_with_history = by_deal.iter().filter(|r| !r.is_empty()).count();
    let survivorship = won_with_history >= 0.9 && lost_with_history < 0.5;
    let conversions_refused = survivorship.then(|| {
        format!(
            "survivorship: {:.0}% of won deals have a stage or owner history but only {:.0}% of lost ones — lost deals would read as lost at their first stage and hand-offs as never failing; per-stage conversion and hand-offs are not estimated",
            100.0 * won_with_history,
            100.0 * lost_with_history
        )
    });
    let handoffs_refused = if let Some(r) = &conversions_refused {
        Some(r.clone())
    } else if owners_unreliable {
        Some("owners are filled in on winning (survivorship, see the traps): owner changes are not read as hand-offs".into())
    } else if export.owners.is_none() {
        Some("no owners file (`--owners`): every owner is one channel, so hand-offs between channels cannot be seen".into())
    } else {
        None
    };

    // Layout: the pairs and channels the walks show.
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut channels: Vec<String> = Vec::new();
    for (_, w, _) in &walks {
        for s in 1..=w.reached {
            if let (Some(a), Some(b)) = (&w.channel[s - 1], &w.channel[s]) {
                if a != b && !pairs.contains(&(a.clone(), b.clone())) {
                    pairs.push((a.clone(), b.clone()));
                }
                if !channels.contains(b) {
                    channels.push(b.clone());
                }
            }
        }
    }
    pairs.sort();
    channels.sort();
    let l = Layout {
        stages: close + 1,
        pairs,
        channels,
    };
    let mut clusters: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (key, w, _) in &walks {
        let v = clusters
            .entry(key.clone())
            .or_insert_with(|| vec![0.0; l.len()]);
        for k in 0..=w.reached {
            v[l.stage(k, 0)] += 1.0;
            if w.won || k < w.reached {
                v[l.stage(k, 1)] += 1.0;
            }
            if w.won {
                let leave = if k < close { w.entry[k + 1] } else { w.closed };
                let handed = if k < close {
                    w.delay[k + 1].unwrap_or(0)
                } else {
                    0
                };
                v[l.stage(k, 2)] += ((leave - w.entry[k]) - handed).max(0) as f64;
                v[l.stage(k, 3)] += 1.0;
            }
        }
        for s in 1..=w.reached {
            let (Some(a), Some(b)) = (&w.channel[s - 1], &w.channel[s]) else {
                continue;
            };
            let won = f64::from(u8::from(w.won));
            if a == b {
                if let Some(c) = l.channels.iter().position(|c| c == b) {
                    v[l.kept(c, s, 0)] += 1.0;
                    v[l.kept(c, s, 1)] += won;
                }
            } else if let Some(p) = l.pairs.iter().position(|p| p.0 == *a && p.1 == *b) {
                v[l.pair(p, s, 0)] += 1.0;
                v[l.pair(p, s, 1)] += won;
                if let Some(d) = w.delay[s] {
                    v[l.pair(p, s, 2)] += d as f64;
                    v[l.pair(p, s, 3)] += 1.0;
                }
            }
        }
    }
    let members: Vec<&Vec<f64>> = clusters.values().collect();
    let mut total = vec![0.0; l.len()];
    for m in &members {
        for (t, x) in total.iter_mut().zip(m.iter()) {
            *t += x;
        }
    }
    let point = estimates(&l, &total);
    let b = replicates.max(1);
    let mut rng = crate::rng::stream(seed, HISTORY_STREAM);
    let mut idx = Vec::new();
    let mut reps: Vec<Vec<f64>> = vec![Vec::with_capacity(b); point.len()];
    for _ in 0..b {
        estimate::resample(&mut rng, members.len(), &mut idx);
        let mut v = vec![0.0; l.len()];
        for &i in &idx {
            for (t, x) in v.iter_mut().zip(members[i].iter()) {
                *t += x;
            }
        }
        for (r, x) in reps.iter_mut().zip(estimates(&l, &v)) {
            r.push(x);
        }
    }
    let method =
        format!("cluster bootstrap over accounts, {b} replicates, 95% percentile interval");
    let est = |i: usize| -> Option<Estimate> {
        let value = point[i];
        if !value.is_finite() {
            return None;
        }
        let (low, high) = percentile_interval(&reps[i]);
        Some(Estimate {
            value,
            low: low.min(value),
            high: high.max(value),
            method: method.clone(),
        })
    };
    let mut stages = Vec::new();
    for k in 0..=close {
        let (n, p) = (total[l.stage(k, 0)], total[l.stage(k, 1)]);
        let conversion = if conversions_refused.is_some() {
            None
        } else {
            est(2 * k).map(|mut e| {
                let (wl, wh) = wilson(p, n);
                e.low = e.low.min(wl);
                e.high = e.high.max(wh);
                e.method = "the wider of the cluster bootstrap and Wilson 95% intervals".into();
                e
            })
        };
        stages.push(StageFit {
            name: model.stages[k].name.clone(),
            reached: n as usize,
            passed: p as usize,
            conversion_relative_sd: if point[2 * k] > 0.0 {
                sd(&reps[2 * k]) / point[2 * k]
            } else {
                0.0
            },
            conversion,
            conversion_without_handoffs: None,
            months: est(2 * k + 1),
            timed: total[l.stage(k, 3)] as usize,
        });
    }
    let mut handoffs = Vec::new();
    if handoffs_refused.is_none() {
        for (p, (a, bch)) in l.pairs.iter().enumerate() {
            let c = l.channels.iter().position(|c| c == bch);
            let mut by_stage = Vec::new();
            let (mut handed, mut kept) = (0, 0);
            for s in 1..=close {
                let hc = total[l.pair(p, s, 0)] as usize;
                let hw = total[l.pair(p, s, 1)] as usize;
                let (kc, kw) = c.map_or((0, 0), |c| {
                    (
                        total[l.kept(c, s, 0)] as usize,
                        total[l.kept(c, s, 1)] as usize,
                    )
                });
                if hc > 0 {
                    handed += hc;
                    kept += kc;
                    by_stage.push((model.stages[s].name.clone(), hc, hw, kc, kw));
                }
            }
            let i = 2 * l.stages + 2 * p;
            handoffs.push(HandoffFit {
                from: a.clone(),
                to: bch.clone(),
                by_stage,
                handed,
                kept,
                failure: est(i),
                failure_sd: sd(&reps[i]),
                delay_months: est(i + 1),
                delay_sd: sd(&reps[i + 1]),
            });
        }
        // Stage conversion with the failures of the hand-offs into it divided out.
        for st in stages.iter_mut().skip(1) {
            let reached = st.reached as f64;
            let lost: f64 = handoffs
                .iter()
                .filter_map(|h| {
                    let f = h.failure.as_ref()?.value;
                    let n = h.by_stage.iter().find(|x| x.0 == st.name)?.1 as f64;
                    Some(n * f)
                })
                .sum();
            if let Some(c) = &st.conversion {
                if reached > 0.0 && lost > 0.0 {
                    st.conversion_without_handoffs =
                        Some((c.value / (1.0 - lost / reached).max(1e-9)).min(1.0));
                }
            }
        }
    }
    HistoryFit {
        rows: history.len(),
        rows_used,
        deals_with_history,
        stages,
        unmatched_stages: unmatched.into_iter().collect(),
        handoffs,
        handoffs_refused,
        conversions_refused,
        won_with_history,
        lost_with_history,
    }
}
