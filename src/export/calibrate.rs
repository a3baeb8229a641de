//! The calibration's outputs: the scenario text with the estimated keys replaced (each with the
//! count it came from), the account file it names, calibration.md and calibration.json.

use std::fmt::Write as _;

use serde::Serialize;

use crate::calibrate::{ACCOUNTS_FILE, Calibration, Fit, Options, edit_text, input_error};
use crate::diag::Diagnostic;
use crate::scenario::Scenario;
use crate::scenario::edit::{self, SetKey};

/// One key the calibration wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub path: String,
    pub value: String,
    pub was: String,
    pub from: String,
}

/// A number as TOML text: at most 6 significant digits, no trailing zeros.
pub fn num(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    let digits = (5 - x.abs().log10().floor() as i32).clamp(0, 9) as usize;
    let s = format!("{x:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The calibrated scenario text, its account file, and the keys written.
pub fn scenario_text(
    sc: &Scenario,
    fit: &Fit,
    opts: &Options,
) -> Result<(String, Vec<u8>, Vec<Written>), Vec<Diagnostic>> {
    let (name, text, _) = sc.source();
    let model = &sc.model;
    let mut changes: Vec<SetKey> = Vec::new();
    let mut written = Vec::new();
    let mut set =
        |path: String, value: String, comment: String, was: String, changes: &mut Vec<SetKey>| {
            written.push(Written {
                path: path.clone(),
                value: value.clone(),
                was,
                from: comment.clone(),
            });
            changes.push(SetKey {
                path,
                value,
                comment,
            });
        };
    let window = format!("engaged {}..{}", fit.fit_from, prev_day(&fit.fit_to));
    let rate_window = format!("created {}..{}", fit.cohorts_from(), prev_day(&fit.as_of));

    // Opportunities per account-year, by tier.
    for (t, tf) in fit.tiers.iter().enumerate() {
        let Some(r) = &tf.per_account_year else {
            continue;
        };
        let (opp, inb) = (tf.opportunities_per_year, tf.inbound_per_year);
        // The prospecting share of the full-coverage rate: the scenario's mix, or, with a
        // source column, the one that surfaces the observed inbound share φ:
        // o = (1 − φ) r / σ, i = φ r (docs/MODEL.md §18).
        let mix = match fit.inbound_share {
            Some(phi) => {
                let o = (1.0 - phi) / tf.surfaced.max(1e-9);
                if o + phi > 0.0 { o / (o + phi) } else { 1.0 }
            }
            None if opp + inb > 0.0 => opp / (opp + inb),
            None => 1.0,
        };
        let share = mix * tf.surfaced + (1.0 - mix);
        let full = r.value / share.max(1e-9);
        // The key's range ends at 10,000 a year; a rate beyond it is a scenario the fit cannot reach.
        let new_opp = (full * mix).min(10_000.0);
        let sigma = if r.low > 0.0 && r.high > r.low {
            ((r.high / r.low).ln() / (2.0 * crate::stats::Z95)).min(3.0)
        } else {
            0.0
        };
        let value = if sigma > 1e-6 && new_opp > 0.0 {
            format!(
                "{{ dist = \"lognormal\", median = {}, sigma = {} }}",
                num(new_opp),
                num(sigma)
            )
        } else {
            num(new_opp)
        };
        let comment = format!(
            "{} opportunities of {} accounts, {rate_window}: {}/account-year observed ({}–{}), ÷ {} share surfaced by {}",
            thousands(tf.opportunities),
            tf.accounts,
            num(r.value),
            num(r.low),
            num(r.high),
            num(share),
            fit.design
        );
        set(
            format!("tiers[{t}].opportunities_per_year"),
            value,
            comment,
            num(opp),
            &mut changes,
        );
        if let Some(phi) = fit.inbound_share {
            set(
                format!("tiers[{t}].inbound_per_year"),
                num((full * (1.0 - mix)).min(10_000.0)),
                format!(
                    "{:.1}% of the opportunities came inbound (source column): that share of the observed {}/account-year",
                    100.0 * phi,
                    num(r.value)
                ),
                num(inb),
                &mut changes,
            );
        } else if inb > 0.0 {
            set(
                format!("tiers[{t}].inbound_per_year"),
                num((full * (1.0 - mix)).min(10_000.0)),
                "the scenario's inbound share of the observed rate (the export does not say which deals came inbound)".into(),
                num(inb),
                &mut changes,
            );
        }
    }

    // Conversion up to the close: the fitted win rate ÷ the baseline's multipliers, split over
    // the stages in the proportions of −ln conversion the scenario gives.
    let close = model.close_stage;
    let tiers = model.tiers.len();
    let pooled_m = crate::calibrate::pooled_multiplier(fit);
    let targets = crate::calibrate::conversion_targets(fit);
    let target: Vec<f64> = targets.iter().map(|t| t.0).collect();
    let clamped: Vec<String> = fit
        .tiers
        .iter()
        .zip(&targets)
        .filter(|(_, t)| t.1)
        .map(|(tf, _)| tf.name.clone())
        .collect();
    let mut conv = vec![vec![0.0; tiers]; close + 1];
    // With a history, the stages' shares of −ln of the product are the observed ones (hand-off
    // failures into a stage divided out); without one, the scenario's.
    let observed: Option<Vec<f64>> = fit.history.as_ref().and_then(|h| {
        let pass: Option<Vec<f64>> = h
            .stages
            .iter()
            .map(|s| {
                let c = s.conversion.as_ref()?.value;
                Some(s.conversion_without_handoffs.unwrap_or(c))
            })
            .collect();
        let pass = pass?;
        let logs: Vec<f64> = pass.iter().map(|p| -p.clamp(1e-9, 1.0).ln()).collect();
        let sum: f64 = logs.iter().sum();
        (sum > 0.0).then(|| logs.iter().map(|x| x / sum).collect())
    });
    for t in 0..tiers {
        if let Some(w) = &observed {
            for (s, row) in conv.iter_mut().enumerate() {
                row[t] = target[t].powf(w[s]);
            }
            continue;
        }
        let c: f64 = (0..=close).map(|s| model.stages[s].conversion[t]).product();
        for (s, row) in conv.iter_mut().enumerate() {
            let base = model.stages[s].conversion[t];
            row[t] = if c > 0.0 && c < 1.0 - 1e-12 {
                base.powf(target[t].ln() / c.ln())
            } else if s == close {
                target[t]
            } else if c > 0.0 {
                base
            } else {
                1.0
            };
        }
    }
    for (s, row) in conv.iter().enumerate() {
        let same = row.iter().all(|x| (x - row[0]).abs() < 1e-12);
        let was = stage_values(&model.stages[s].conversion, model);
        let (value, comment) = if s == close {
            let m = if fit.tier_breakdown_kept {
                "each tier's multiplier".to_string()
            } else {
                format!("baseline multiplier {}", num(pooled_m))
            };
            let comment = format!(
                "{} won of {} closed, {window}; win rate {} ({}–{}) ÷ {m}{}",
                thousands(fit.won),
                thousands(fit.closed),
                num(fit.win_rate.value),
                num(fit.win_rate.low),
                num(fit.win_rate.high),
                if clamped.is_empty() {
                    String::new()
                } else {
                    format!("; capped below 1 for {}", clamped.join(", "))
                }
            );
            // The win rate's uncertainty rides on the close stage (a beta per tier, or one for
            // all as `default`), with the bootstrap's relative spread.
            let rel_of = |t: usize| match (&fit.tiers[t].win_rate, fit.tier_breakdown_kept) {
                _ if observed.is_some() => {
                    fit.history.as_ref().map_or(fit.win_rate_relative_sd, |h| {
                        h.stages[s].conversion_relative_sd
                    })
                }
                (Some(w), true) if w.value > 0.0 => {
                    (w.high - w.low) / (2.0 * crate::stats::Z95) / w.value
                }
                _ => fit.win_rate_relative_sd,
            };
            let beta = beta_text;
            let value = if same && !fit.tier_breakdown_kept {
                format!("{{ default = {} }}", beta(row[0], rel_of(0)))
            } else {
                let parts: Vec<String> = model
                    .tiers
                    .iter()
                    .enumerate()
                    .map(|(t, tier)| format!("{} = {}", tier.name, beta(row[t], rel_of(t))))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            };
            (value, comment)
        } else if let Some(h) = fit.history.as_ref().filter(|_| observed.is_some()) {
            let st = &h.stages[s];
            let c = st.conversion.as_ref().map_or(f64::NAN, |c| c.value);
            let (lo, hi) = st
                .conversion
                .as_ref()
                .map_or((f64::NAN, f64::NAN), |c| (c.low, c.high));
            let rel = st.conversion_relative_sd;
            let beta = |mu: f64| beta_text(mu, rel);
            let value = if same {
                format!("{{ default = {} }}", beta(row[0]))
            } else {
                let parts: Vec<String> = model
                    .tiers
                    .iter()
                    .enumerate()
                    .map(|(t, tier)| format!("{} = {}", tier.name, beta(row[t])))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            };
            (
                value,
                format!(
                    "history: {} of {} deals reaching the stage passed it, {window}: {} ({}–{}); the stages' product is the fitted win rate ÷ the multipliers, split as the history's",
                    thousands(st.passed),
                    thousands(st.reached),
                    num(c),
                    num(lo),
                    num(hi)
                ),
            )
        } else {
            (
                by_tier(row, model),
                format!("scaled with the close stage to the fitted win rate, {window}"),
            )
        };
        let _ = same;
        set(
            format!("stages[{s}].conversion"),
            value,
            comment,
            was,
            &mut changes,
        );
    }

    // Months up to the close: their sum plus the hand-off delays is the mean cycle of won deals.
    let delay = crate::calibrate::tier_mean(fit, |t| t.won as f64, |t| t.handoff_delay_months);
    let stage_months: f64 = model.stages[..=close].iter().map(|s| s.months).sum();
    let goal = (fit.cycle_months.value - delay).clamp(0.0, 60.0);
    // With a history, each stage's months are the mean months won deals spent in it (the wait
    // from a hand-off to the next stage excluded: it is the hand-off's delay).
    let history_months: Option<Vec<(f64, f64, f64, usize)>> = fit.history.as_ref().and_then(|h| {
        h.stages
            .iter()
            .map(|s| s.months.as_ref().map(|m| (m.value, m.low, m.high, s.timed)))
            .collect()
    });
    for s in 0..=close {
        let old = model.stages[s].months;
        if let Some(hm) = &history_months {
            let (v, lo, hi, n) = hm[s];
            set(
                format!("stages[{s}].months"),
                lognormal_text(v, lo, hi),
                format!(
                    "history: mean months {} won deals spent in the stage, {window}: {} ({}–{}); the mean cycle is {} months",
                    thousands(n),
                    num(v),
                    num(lo),
                    num(hi),
                    num(fit.cycle_months.value)
                ),
                num(old),
                &mut changes,
            );
            continue;
        }
        let new = if stage_months > 0.0 {
            old * goal / stage_months
        } else if s == close {
            goal
        } else {
            0.0
        };
        set(
            format!("stages[{s}].months"),
            num(new.clamp(0.0, 60.0)),
            format!(
                "stages to the close sum to the mean cycle of {} won deals, {} months ({}–{}){}",
                thousands(fit.won),
                num(fit.cycle_months.value),
                num(fit.cycle_months.low),
                num(fit.cycle_months.high),
                if delay > 0.0 {
                    format!(" less {} of hand-off delays", num(delay))
                } else {
                    String::new()
                }
            ),
            num(old),
            &mut changes,
        );
    }

    // Hand-offs the history measured: the pair's failure (beta) and delay, in its existing
    // `[[handoffs.pairs]]` entry or a new one appended.
    let mut appended = String::new();
    let mut extra_written = Vec::new();
    for h in fit.history.iter().flat_map(|h| &h.handoffs) {
        let Some(f) = &h.failure else { continue };
        let counts: Vec<String> = h
            .by_stage
            .iter()
            .map(|(st, hc, hw, kc, kw)| format!("{st}: {hw} won of {hc} handed, {kw} of {kc} kept"))
            .collect();
        let fail_comment = format!(
            "history: 1 − wins of handed deals ÷ wins had they been kept by {}, {window} ({}): {} ({}–{})",
            h.to,
            counts.join("; "),
            num(f.value),
            num(f.low),
            num(f.high)
        );
        let mu = f.value.clamp(1e-3, 0.999);
        let fail_value = beta_text(mu, if mu > 0.0 { h.failure_sd / mu } else { 0.0 });
        let delay = h.delay_months.as_ref();
        let delay_value = delay.map(|d| lognormal_text(d.value, d.low, d.high));
        let delay_comment = delay.map(|d| {
            format!(
                "history: mean months from the hand-off to the next stage over {} handed deals: {} ({}–{})",
                h.handed,
                num(d.value),
                num(d.low),
                num(d.high)
            )
        });
        let was = model
            .channels
            .iter()
            .position(|c| c.name == h.from)
            .zip(model.channels.iter().position(|c| c.name == h.to))
            .map(|(a, b)| model.handoff(a, b));
        match edit::handoff_pair(text, &h.from, &h.to) {
            Some(i) => {
                set(
                    format!("handoffs.pairs[{i}].failure"),
                    fail_value,
                    fail_comment,
                    was.map_or(String::new(), |w| num(w.failure)),
                    &mut changes,
                );
                if let (Some(v), Some(c)) = (delay_value, delay_comment) {
                    set(
                        format!("handoffs.pairs[{i}].delay_months"),
                        v,
                        c,
                        was.map_or(String::new(), |w| num(w.delay_months)),
                        &mut changes,
                    );
                }
            }
            None => {
                let _ = writeln!(
                    appended,
                    "\n[[handoffs.pairs]]   # added by covsim calibrate from the history\nfrom = {}\nto = {}\nfailure = {fail_value}   # {fail_comment}",
                    edit::string_literal(&h.from),
                    edit::string_literal(&h.to)
                );
                extra_written.push(Written {
                    path: format!("handoffs.pairs[{} → {}].failure", h.from, h.to),
                    value: fail_value.clone(),
                    was: was.map_or(String::new(), |w| num(w.failure)),
                    from: fail_comment.clone(),
                });
                if let (Some(v), Some(c)) = (delay_value, delay_comment) {
                    let _ = writeln!(appended, "delay_months = {v}   # {c}");
                    extra_written.push(Written {
                        path: format!("handoffs.pairs[{} → {}].delay_months", h.from, h.to),
                        value: v,
                        was: was.map_or(String::new(), |w| num(w.delay_months)),
                        from: c,
                    });
                }
            }
        }
    }

    let note = if fit.potential_from.starts_with("derived") {
        format!(
            "{} accounts from {}: potential = list value of their opportunities per year ÷ share surfaced",
            fit.accounts.len(),
            fit.accounts_from
        )
    } else {
        format!(
            "{} accounts from {}: potential proportional to its revenue column, scaled to their list value per year ÷ share surfaced",
            fit.accounts.len(),
            fit.accounts_from
        )
    };
    let text = edit::use_account_file(text, ACCOUNTS_FILE, &note)
        .map_err(|e| input_error(name, e, "a scenario whose accounts can be replaced"))?;
    let mut text = edit_text(&text, name, &changes)?;
    if !appended.is_empty() {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&appended);
    }
    let header = format!(
        "# Calibrated by `covsim calibrate` from {} on design \"{}\" (data as of {}; {} bootstrap replicates, seed {}).\n# Every key the calibration set ends in a comment with its count; calibration.md lists them and what could not be estimated.\n",
        opts.source_name, fit.design, fit.as_of, opts.replicates, opts.seed
    );
    let mut csv = csv::Writer::from_writer(Vec::new());
    let mut rows = vec![[
        "id".to_string(),
        "potential".into(),
        "fit".into(),
        "segment".into(),
    ]];
    for (id, _, f, p) in &fit.accounts {
        rows.push([id.clone(), format!("{p:.2}"), num(*f), "calibrated".into()]);
    }
    for r in rows {
        csv.write_record(&r)
            .map_err(|e| input_error(name, e.to_string(), ""))?;
    }
    let csv = csv
        .into_inner()
        .map_err(|e| input_error(name, e.to_string(), ""))?;
    written.extend(extra_written);
    Ok((format!("{header}{text}"), csv, written))
}

/// A positive measured quantity with its 95% interval as a lognormal input (median the
/// estimate, `σ = ln(high/low) / (2 · 1.96)`, at most 3), or the plain number when the interval
/// has no width or touches 0.
fn lognormal_text(value: f64, low: f64, high: f64) -> String {
    let value = value.clamp(0.0, 60.0);
    if value > 0.0 && low > 0.0 && high > low {
        let sigma = ((high / low).ln() / (2.0 * crate::stats::Z95)).min(3.0);
        format!(
            "{{ dist = \"lognormal\", median = {}, sigma = {} }}",
            num(value),
            num(sigma)
        )
    } else {
        num(value)
    }
}

/// A share `mu` with relative sd `rel` as a beta input (`α + β = μ(1−μ)/var − 1`, at least 2),
/// or the plain number when there is no spread.
fn beta_text(mu: f64, rel: f64) -> String {
    if rel <= 0.0 || !(0.0..1.0).contains(&mu) {
        return num(mu);
    }
    let var = (mu * rel).powi(2);
    let k = (mu * (1.0 - mu) / var - 1.0).max(2.0);
    let (a, b) = (
        (mu * k).clamp(0.001, 10_000.0),
        ((1.0 - mu) * k).clamp(0.001, 10_000.0),
    );
    format!(
        "{{ dist = \"beta\", alpha = {}, beta = {} }}",
        num(a),
        num(b)
    )
}

fn by_tier(row: &[f64], model: &crate::model::Model) -> String {
    if row.iter().all(|x| (x - row[0]).abs() < 1e-12) {
        return num(row[0]);
    }
    let parts: Vec<String> = model
        .tiers
        .iter()
        .zip(row)
        .map(|(t, x)| format!("{} = {}", t.name, num(*x)))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

fn stage_values(v: &[f64], model: &crate::model::Model) -> String {
    by_tier(v, model)
}

fn prev_day(day: &str) -> String {
    crate::calibrate::export::DateFormat::Iso
        .read(day)
        .map_or(day.to_string(), |d| {
            crate::calibrate::export::show_day(d - 1)
        })
}

impl Fit {
    /// First day of the opportunity-rate window.
    pub fn cohorts_from(&self) -> String {
        self.fit_from.clone()
    }
}

/// calibration.json.
pub fn json(c: &Calibration) -> Vec<u8> {
    #[derive(Serialize)]
    struct Doc<'a> {
        format: &'a str,
        fit: &'a Fit,
        keys_written: &'a [Written],
    }
    let mut out = serde_json::to_vec_pretty(&Doc {
        format: "covsim-calibration-1",
        fit: &c.fit,
        keys_written: &c.written,
    })
    .unwrap_or_default();
    out.push(b'\n');
    out
}

fn interval(e: &crate::calibrate::estimate::Estimate) -> String {
    format!("{} [{}, {}]", num(e.value), num(e.low), num(e.high))
}

fn opt_interval(e: Option<&crate::calibrate::estimate::Estimate>) -> String {
    e.map_or("not estimable".into(), interval)
}

fn history_section(o: &mut String, h: &crate::calibrate::history::HistoryFit) {
    let _ = writeln!(o, "## Stage and owner history\n");
    let _ = writeln!(
        o,
        "{} history rows ({} before the as-of date), {} deals with a history; {:.0}% of won and {:.0}% of lost deals of the fit cohorts have one.\n",
        thousands(h.rows),
        thousands(h.rows_used),
        thousands(h.deals_with_history),
        100.0 * h.won_with_history,
        100.0 * h.lost_with_history
    );
    if let Some(why) = &h.conversions_refused {
        let _ = writeln!(o, "Per-stage conversion not estimated: {why}.\n");
    }
    let _ = writeln!(
        o,
        "| stage | reached | passed | conversion [95%] | without hand-off failures | months in stage [95%] (won deals) |\n|---|---:|---:|---|---:|---|"
    );
    for s in &h.stages {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            s.name,
            thousands(s.reached),
            thousands(s.passed),
            opt_interval(s.conversion.as_ref()),
            s.conversion_without_handoffs.map_or("–".into(), num),
            opt_interval(s.months.as_ref())
        );
    }
    if let Some(names) = h.unmatched_list() {
        let _ = writeln!(
            o,
            "\nStage names matching no stage of the scenario (not read): {names}."
        );
    }
    let _ = writeln!(o, "\n### Hand-offs\n");
    if let Some(why) = &h.handoffs_refused {
        let _ = writeln!(o, "Hand-offs not estimated: {why}.\n");
        return;
    }
    if h.handoffs.is_empty() {
        let _ = writeln!(o, "No deal changed channel between stages.\n");
        return;
    }
    let _ = writeln!(
        o,
        "Failure = 1 − wins of the deals handed over ÷ the wins they would have had at the win rates of the deals the receiving channel kept at the same stage (docs/MODEL.md §18).\n\n| from → to | handed | kept by `to` | failure [95%] | delay, months [95%] | by stage (won/handed, won/kept) |\n|---|---:|---:|---|---|---|"
    );
    for x in &h.handoffs {
        let st: Vec<String> = x
            .by_stage
            .iter()
            .map(|(s, hc, hw, kc, kw)| format!("{s}: {hw}/{hc}, {kw}/{kc}"))
            .collect();
        let _ = writeln!(
            o,
            "| {} → {} | {} | {} | {} | {} | {} |",
            x.from,
            x.to,
            x.handed,
            x.kept,
            opt_interval(x.failure.as_ref()),
            opt_interval(x.delay_months.as_ref()),
            st.join("; ")
        );
    }
    let _ = writeln!(o);
}

/// calibration.md.
pub fn markdown(c: &Calibration) -> String {
    let f = &c.fit;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Calibration of design `{}` on the CRM export\n",
        f.design
    );
    let _ = writeln!(
        o,
        "Data as of {} (exclusive). First close in the export: {}. Cohorts with complete follow-up (90% of deals close within {:.0} days): created {} to {} (exclusive). Opportunity rates over {:.2} years from {}. Accounts: {}.\n",
        f.as_of,
        f.first_close,
        f.follow_up_days,
        f.fit_from,
        f.fit_to,
        f.years_observed,
        f.fit_from,
        f.accounts_from
    );
    let cols: Vec<String> = f
        .columns
        .iter()
        .map(|(r, h)| format!("{r} ← `{h}`"))
        .collect();
    let _ = writeln!(o, "Columns read: {}.\n", cols.join(", "));
    let _ = writeln!(o, "## Estimates (95% intervals)\n");
    let _ = writeln!(
        o,
        "| estimate | value [95% interval] | count | method |\n|---|---|---|---|"
    );
    let _ = writeln!(
        o,
        "| win rate of closed deals | {} | {} won of {} closed | {} |",
        interval(&f.win_rate),
        thousands(f.won),
        thousands(f.closed),
        f.win_rate.method
    );
    let _ = writeln!(
        o,
        "| cycle of won deals, months | {} | {} won | {} (lost deals: {} months) |",
        interval(&f.cycle_months),
        thousands(f.won),
        f.cycle_months.method,
        num(f.lost_cycle_months)
    );
    let _ = writeln!(
        o,
        "| opportunities per account-year | {} | {} accounts | {} |",
        interval(&f.opportunities_per_account_year),
        f.accounts.len(),
        f.opportunities_per_account_year.method
    );
    let _ = writeln!(
        o,
        "| list value per opportunity | {} | {} valued | {} |",
        interval(&f.deal_list_value),
        f.value_sources.values().sum::<usize>(),
        f.deal_list_value.method
    );
    let _ = writeln!(
        o,
        "| amount per won deal | {} | {} won | {} |",
        interval(&f.won_amount),
        thousands(f.won),
        f.won_amount.method
    );
    let _ = writeln!(
        o,
        "\nClustering by account: design effect of the win rate {:.2} (bootstrap variance ÷ binomial variance).\n",
        f.design_effect
    );
    let sources: Vec<String> = f
        .value_sources
        .iter()
        .map(|(k, v)| format!("{k}: {}", thousands(*v)))
        .collect();
    let _ = writeln!(o, "Opportunity values from: {}.\n", sources.join("; "));
    let _ = writeln!(
        o,
        "### By tier, with the baseline's multipliers divided out\n"
    );
    let _ = writeln!(
        o,
        "| tier | accounts | opportunities | per account-year | share surfaced | won / closed | win rate | win multiplier |\n|---|---:|---:|---|---:|---:|---|---:|"
    );
    for t in &f.tiers {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} / {} | {} | {} |",
            t.name,
            t.accounts,
            thousands(t.opportunities),
            t.per_account_year.as_ref().map_or("–".into(), interval),
            num(t.surfaced),
            t.won,
            t.closed,
            t.win_rate.as_ref().map_or("–".into(), interval),
            num(t.win_multiplier)
        );
    }
    let _ = writeln!(o, "\nAccount potential: {}.\n", f.potential_from);
    match f.inbound_share {
        Some(phi) => {
            let kinds: Vec<String> = f
                .sources
                .iter()
                .map(|(v, n, k)| format!("`{v}` {} ({k})", thousands(*n)))
                .collect();
            let _ = writeln!(
                o,
                "Inbound against prospecting, from the source column: {:.1}% inbound ({}). The observed rate is split into `inbound_per_year` = φ·r and `opportunities_per_year` = (1 − φ)·r ÷ σ (prospecting the baseline does not surface is not seen).\n",
                100.0 * phi,
                kinds.join(", ")
            );
        }
        None => {
            let _ = writeln!(
                o,
                "Inbound against prospecting: no source column; the split of `opportunities_per_year` and `inbound_per_year` is left as in the scenario.\n"
            );
        }
    }
    if let Some(h) = &f.history {
        history_section(&mut o, h);
    }
    let _ = writeln!(o, "\n## Keys written to calibrated.toml\n");
    let _ = writeln!(o, "| key | was | now | from |\n|---|---|---|---|");
    for w in &c.written {
        let _ = writeln!(
            o,
            "| `{}` | `{}` | `{}` | {} |",
            w.path, w.was, w.value, w.from
        );
    }
    let _ = writeln!(
        o,
        "\nAccounts: `{ACCOUNTS_FILE}` ({} accounts).\n",
        f.accounts.len()
    );
    let _ = writeln!(o, "## Breakdowns: kept only when the groups differ\n");
    for t in &f.tests {
        let _ = writeln!(
            o,
            "**{}**: chi-square {:.2} ÷ design effect {:.2}, {} degrees of freedom, p = {:.3e} → {}.\n",
            t.by,
            t.chi_square,
            t.design_effect,
            t.degrees_of_freedom,
            t.p_value,
            if t.differ {
                "the groups differ"
            } else {
                "pooled (no significant difference)"
            }
        );
        let _ = writeln!(
            o,
            "| {} | won / closed | win rate | Wilson 95% |\n|---|---:|---:|---|",
            t.by
        );
        for g in &t.groups {
            let _ = writeln!(
                o,
                "| {} | {} / {} | {} | [{}, {}] |",
                g.name,
                g.won,
                g.closed,
                if g.closed > 0 {
                    num(g.rate)
                } else {
                    "–".into()
                },
                num(g.low),
                num(g.high)
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "## Cohorts (month created)\n");
    let _ = writeln!(
        o,
        "| month | opportunities | won | lost | open | status |\n|---|---:|---:|---:|---:|---|"
    );
    for ch in &f.cohorts {
        let status = if ch.status == "truncated" {
            format!(
                "truncated: ~{:.0}% expected missing",
                100.0 * ch.expected_missing_share
            )
        } else {
            ch.status.clone()
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            ch.month, ch.opportunities, ch.won, ch.lost, ch.open, status
        );
    }
    let _ = writeln!(o, "\n## Traps found\n");
    for t in &f.traps {
        let _ = writeln!(o, "- {t}");
    }
    for (a, b) in &f.product_aliases {
        let _ = writeln!(
            o,
            "- product `{a}` of the export is `{b}` in the products file (matched without case and spaces)"
        );
    }
    let _ = writeln!(o, "\n## Not estimated from this export\n");
    for t in &f.not_estimated {
        let _ = writeln!(o, "- {t}");
    }
    o
}
