//! The back-test: calibrate on the opportunities created before a date, simulate the months
//! after it with the calibrated baseline design, and set the predicted opportunities, wins and
//! revenue per month (90% bands) against what the export shows.
//!
//! One run over the K months after the date gives each trial's opportunities, wins and revenue
//! month by month (the engine's monthly metrics), so a month's band is the spread of that
//! month's own count across trials.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::export::{Day, Export, Status, month_of, show_month};
use super::{Calibration, Options, calibrate, edit_text, load_calibrated};
use crate::diag::Diagnostic;
use crate::engine::NoProgress;
use crate::export::calibrate::{num, thousands};
use crate::metrics::{Layout, Metric, monthly};
use crate::scenario::Scenario;
use crate::scenario::edit::SetKey;
use crate::stats::percentile_sorted;

/// One series (opportunities, wins or revenue) month by month.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub name: String,
    pub months: Vec<String>,
    pub actual: Vec<f64>,
    pub mean: Vec<f64>,
    pub p5: Vec<f64>,
    pub p50: Vec<f64>,
    pub p95: Vec<f64>,
    /// Months whose actual lies inside the 90% band.
    pub inside: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    pub date: String,
    pub trials: u64,
    pub currency: String,
    pub series: Vec<Series>,
    /// The calibration on the data before the date.
    #[serde(skip)]
    pub calibration: Calibration,
    /// The export's last month is cut short (its actuals are partial).
    pub last_month_partial: bool,
    pub opportunities_without_account: usize,
}

/// Fits on the data before `date` (the first day of a month) and simulates the months from it
/// to the export's last month with `trials` trials.
pub fn run(
    sc: &Scenario,
    export: &Export,
    date: Day,
    trials: u64,
    opts: &Options,
) -> Result<Backtest, Vec<Diagnostic>> {
    let (name, _, _) = sc.source();
    let calibration = calibrate(sc, export, date, opts)?;
    let end = super::end_of_data(export);
    let first = month_of(date);
    let last = month_of(end - 1);
    if last < first {
        return Err(super::input_error(
            &opts.source_name,
            format!(
                "the export ends before the back-test date {}: nothing to predict",
                super::export::show_day(date)
            ),
            "a --backtest date before the export's last date",
        ));
    }
    let k_months = (last - first + 1) as usize;
    let design = calibration.fit.design.clone();
    let text = edit_text(
        &calibration.toml,
        name,
        &[
            SetKey {
                path: "simulation.months".into(),
                value: k_months.to_string(),
                comment: "back-test horizon".into(),
            },
            SetKey {
                path: "simulation.trials".into(),
                value: trials.to_string(),
                comment: String::new(),
            },
            SetKey {
                path: "simulation.seed".into(),
                value: opts.seed.to_string(),
                comment: String::new(),
            },
        ],
    )?;
    let sc_k = load_calibrated(&text, name, &calibration.accounts_csv)?;
    let d = super::design_index(&sc_k.model, Some(&design), name)?;
    let run = crate::study::simulate(&sc_k, &HashMap::new(), 0..trials, trials, &NoProgress)?;
    let layout = Layout::of(&sc_k.model);
    // Month m of each trial, from the one run's monthly values.
    let per_month = |which: usize| -> Vec<Vec<f64>> {
        (0..k_months)
            .map(|m| {
                (0..trials as usize)
                    .map(|t| run.matrix.row(t, d)[layout.month(m, which)])
                    .collect()
            })
            .collect()
    };
    let opps = per_month(monthly::OPPORTUNITIES);
    let wins = per_month(monthly::WINS);
    let revenue = per_month(monthly::REVENUE);

    // Actuals.
    let accounts: std::collections::HashSet<&str> = calibration
        .fit
        .accounts
        .iter()
        .map(|a| a.0.as_str())
        .collect();
    let mut actual = vec![[0.0f64; 3]; k_months];
    let mut without_account = 0;
    for o in &export.opportunities {
        if let Some(c) = o.created.filter(|&c| c >= date) {
            let m = (month_of(c) - first) as usize;
            if m < k_months {
                if o.account.as_deref().is_some_and(|a| accounts.contains(a)) {
                    actual[m][0] += 1.0;
                } else {
                    without_account += 1;
                }
            }
        }
        if o.status == Status::Won {
            if let Some(c) = o.closed.filter(|&c| c >= date) {
                let m = (month_of(c) - first) as usize;
                if m < k_months {
                    actual[m][1] += 1.0;
                    actual[m][2] += o.amount.unwrap_or(0.0);
                }
            }
        }
    }
    let months: Vec<String> = (first..=last).map(show_month).collect();
    let series = [
        (Metric::Opportunities.key(), &opps),
        (Metric::Wins.key(), &wins),
        (Metric::Revenue.key(), &revenue),
    ]
    .iter()
    .enumerate()
    .map(|(i, (label, draws))| {
        let mut s = Series {
            name: label.to_string(),
            months: months.clone(),
            actual: actual.iter().map(|a| a[i]).collect(),
            mean: Vec::new(),
            p5: Vec::new(),
            p50: Vec::new(),
            p95: Vec::new(),
            inside: 0,
        };
        for (m, xs) in draws.iter().enumerate() {
            let mut v = xs.clone();
            v.sort_by(f64::total_cmp);
            s.mean.push(v.iter().sum::<f64>() / v.len().max(1) as f64);
            s.p5.push(percentile_sorted(&v, 0.05));
            s.p50.push(percentile_sorted(&v, 0.5));
            s.p95.push(percentile_sorted(&v, 0.95));
            if s.p5[m] <= s.actual[m] && s.actual[m] <= s.p95[m] {
                s.inside += 1;
            }
        }
        s
    })
    .collect();
    let (_, _, d_end) = super::export::civil(end);
    Ok(Backtest {
        date: super::export::show_day(date),
        trials,
        currency: sc.model.currency.clone(),
        series,
        calibration,
        last_month_partial: d_end != 1,
        opportunities_without_account: without_account,
    })
}

/// backtest.md.
pub fn markdown(b: &Backtest) -> String {
    let f = &b.calibration.fit;
    let mut o = String::new();
    let _ = writeln!(o, "# Back-test from {}\n", b.date);
    let _ = writeln!(
        o,
        "Fitted on the opportunities created before {} (win rate {} [{}, {}] from {} closed deals of the cohorts {}..{}; {} opportunities per account-year), then the calibrated design `{}` simulated for the {} months from {} ({} trials). Bands: the middle 90% of trials.\n",
        b.date,
        num(f.win_rate.value),
        num(f.win_rate.low),
        num(f.win_rate.high),
        thousands(f.closed),
        f.fit_from,
        f.fit_to,
        num(f.opportunities_per_account_year.value),
        f.design,
        b.series.first().map_or(0, |s| s.months.len()),
        b.date,
        thousands(b.trials as usize)
    );
    let _ = writeln!(o, "## Coverage\n");
    for s in &b.series {
        let _ = writeln!(
            o,
            "- {}: {} of {} months' actuals inside the 90% band",
            s.name,
            s.inside,
            s.months.len()
        );
    }
    let _ = writeln!(o);
    for s in &b.series {
        let unit = if s.name == Metric::Revenue.key() {
            format!(", {}", b.currency)
        } else {
            String::new()
        };
        let _ = writeln!(o, "## {}{unit}\n", s.name);
        let _ = writeln!(
            o,
            "| month | actual | predicted mean | 90% band | inside |\n|---|---:|---:|---|---|"
        );
        for m in 0..s.months.len() {
            let inside = s.p5[m] <= s.actual[m] && s.actual[m] <= s.p95[m];
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} – {} | {} |",
                s.months[m],
                num(s.actual[m]),
                num(s.mean[m]),
                num(s.p5[m]),
                num(s.p95[m]),
                if inside {
                    "yes"
                } else if s.actual[m] < s.p5[m] {
                    "below"
                } else {
                    "above"
                }
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "## Notes\n");
    let _ = writeln!(
        o,
        "- Actual opportunities count the deals created in the month by the {} accounts of the fit; {} created in the period have no account (or an account the fit did not see) and are not counted.",
        f.accounts.len(),
        b.opportunities_without_account
    );
    let _ = writeln!(
        o,
        "- Actual wins and revenue are deals closed won in the month, whenever they were created; the simulation starts with the calibrated design's pipeline in flight (docs/MODEL.md §15)."
    );
    if b.last_month_partial {
        let _ = writeln!(
            o,
            "- The export's last month is partial: its actuals are short."
        );
    }
    o
}
