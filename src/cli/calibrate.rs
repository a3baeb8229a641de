//! `covsim calibrate`: reads the CRM export and its tables, hands the bytes to
//! `covsim::calibrate`, and writes the calibrated scenario and its reports as one unit.

use std::fs;
use std::path::{Path, PathBuf};

use clap::Args;

use covsim::calibrate::export::{self, DateFormat, FileBytes, ParseOptions};
use covsim::calibrate::{self, Options, backtest};
use covsim::charts;
use covsim::diag::render_all;

use super::{Failure, files, out, outdir};

#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// Opportunities export (CSV, one row per opportunity; Salesforce, HubSpot or Maven column
    /// names). A `source` column (`LeadSource`) splits inbound from prospecting.
    opportunities: PathBuf,
    /// The scenario whose baseline design produced the export (default: the built-in example).
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// The design the export was produced under (default: the scenario's baseline).
    #[arg(long)]
    design: Option<String>,
    /// The CRM's accounts table (an id column; optionally `fit`, and a `potential`,
    /// `AnnualRevenue` or `revenue` column that spreads the accounts' potential in proportion to it).
    #[arg(long)]
    accounts: Option<PathBuf>,
    /// Owners → channel table (columns owner and channel); without it, one channel.
    #[arg(long)]
    owners: Option<PathBuf>,
    /// Products table with list prices (product, sales_price): values lost deals.
    #[arg(long)]
    products: Option<PathBuf>,
    /// Stage and owner history, long format: opportunity_id, changed_at, field (stage|owner),
    /// old, new (or Salesforce's OpportunityFieldHistory: OpportunityId, CreatedDate, Field,
    /// OldValue, NewValue). Gives per-stage conversion, stage months and hand-off failures and
    /// delays.
    #[arg(long)]
    history: Option<PathBuf>,
    /// Other column names: `role=Header,...` (roles: id, account, created, closed, stage, won,
    /// is_closed, amount, owner, list_amount, product, source).
    #[arg(long)]
    columns: Option<String>,
    /// How the export writes dates: YYYY-MM-DD (default), DD-MM-YYYY or MM/DD/YYYY.
    #[arg(long, default_value = "YYYY-MM-DD")]
    date_format: String,
    /// Also fit on the opportunities created before this date (the first of a month,
    /// YYYY-MM-DD) and predict the months after it.
    #[arg(long)]
    backtest: Option<String>,
    /// Bootstrap replicates.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = super::values::whole(100, 100_000))]
    replicates: u64,
    /// Trials of the back-test simulation.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = super::values::whole(20, 1_000_000))]
    trials: u64,
    /// Seed of the bootstrap and back-test (default: the scenario's `simulation.seed`).
    #[arg(long, allow_negative_numbers = true, value_parser = super::values::whole(0, u64::MAX))]
    seed: Option<u64>,
    /// Where to write: a file ending in `.toml` (the calibrated scenario; calibration.md,
    /// calibration.json, calibrated_accounts.csv and the back-test files beside it), or a folder
    /// (calibrated.toml and the rest inside it). Default outputs/calibration.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Do not draw the back-test chart.
    #[arg(long)]
    no_charts: bool,
    /// Hide the summary on stdout.
    #[arg(long)]
    quiet: bool,
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    fs::read(path).map_err(|e| Failure::Io(format!("cannot read {what} {}: {e}", path.display())))
}

/// Writes each file into `dir` (a folder that may hold the user's other files, such as the
/// working folder), each through a temporary name and one rename, so that none is left half
/// written. Everything was computed before: an input error leaves nothing.
fn write_beside(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), Failure> {
    for (name, bytes) in files {
        let path = dir.join(name);
        let io = |e: std::io::Error| Failure::Io(format!("cannot write {}: {e}", path.display()));
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io)?;
        }
        let file = path
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
        let tmp = path.with_file_name(format!(".{file}.{}.tmp", std::process::id()));
        fs::write(&tmp, bytes).map_err(io)?;
        fs::rename(&tmp, &path).map_err(io)?;
    }
    Ok(())
}

fn usage(msg: String) -> Failure {
    Failure::Usage(format!("error: {msg}\n"))
}

pub fn calibrate(args: CalibrateArgs) -> Result<(), Failure> {
    let date_format = DateFormat::parse(&args.date_format).ok_or_else(|| {
        usage(format!(
            "--date-format `{}` is not known; use one of {}",
            args.date_format,
            DateFormat::NAMES.join(", ")
        ))
    })?;
    let mut columns = Vec::new();
    for part in args
        .columns
        .iter()
        .flat_map(|c| c.split(','))
        .filter(|p| !p.trim().is_empty())
    {
        let Some((role, header)) = part.split_once('=') else {
            return Err(usage(format!(
                "--columns takes role=Header pairs separated by commas; `{part}` has no `=`"
            )));
        };
        let role = role.trim().to_string();
        if !export::role_names().contains(&role.as_str()) {
            return Err(usage(format!(
                "--columns: unknown role `{role}`; roles are {}",
                export::role_names().join(", ")
            )));
        }
        columns.push((role, header.trim().to_string()));
    }
    let backtest_day = match &args.backtest {
        None => None,
        Some(s) => match DateFormat::Iso.read(s) {
            Some(d) if export::civil(d).2 == 1 => Some(d),
            _ => {
                return Err(usage(format!(
                    "--backtest `{s}` is not the first day of a month written YYYY-MM-DD (e.g. 2017-09-01)"
                )));
            }
        },
    };
    let sc = files::load_study(args.scenario.as_deref())?;
    let seed = args.seed.unwrap_or(sc.settings.seed);

    let name = |p: &Path| p.display().to_string();
    let opp_bytes = read(&args.opportunities, "the opportunities file")?;
    let acc = args
        .accounts
        .as_ref()
        .map(|p| read(p, "accounts").map(|b| (name(p), b)))
        .transpose()?;
    let own = args
        .owners
        .as_ref()
        .map(|p| read(p, "owners").map(|b| (name(p), b)))
        .transpose()?;
    let prod = args
        .products
        .as_ref()
        .map(|p| read(p, "products").map(|b| (name(p), b)))
        .transpose()?;
    let hist = args
        .history
        .as_ref()
        .map(|p| read(p, "the history file").map(|b| (name(p), b)))
        .transpose()?;
    fn fb(x: &Option<(String, Vec<u8>)>) -> Option<FileBytes<'_>> {
        x.as_ref().map(|(n, b)| FileBytes { name: n, bytes: b })
    }
    let opp_name = name(&args.opportunities);
    let parse_opts = ParseOptions {
        date_format,
        columns,
        open_stages: sc.model.stages.iter().map(|s| s.name.clone()).collect(),
        channels: sc.model.channels.iter().map(|c| c.name.clone()).collect(),
    };
    let data = export::parse(
        FileBytes {
            name: &opp_name,
            bytes: &opp_bytes,
        },
        fb(&acc),
        fb(&own),
        fb(&prod),
        fb(&hist),
        &parse_opts,
    )
    .map_err(|d| Failure::Input(render_all(&d)))?;

    let opts = Options {
        design: args.design.clone(),
        replicates: args.replicates as usize,
        seed,
        source_name: opp_name.clone(),
    };
    let input = |d: Vec<covsim::diag::Diagnostic>| Failure::Input(render_all(&d));
    let end = calibrate::end_of_data(&data);
    let cal = calibrate::calibrate(&sc, &data, end, &opts).map_err(input)?;
    if let Some(day) = backtest_day {
        if day >= end {
            return Err(usage(format!(
                "--backtest {} is after the export's last date ({})",
                export::show_day(day),
                export::show_day(end - 1)
            )));
        }
    }
    let bt = backtest_day
        .map(|day| backtest::run(&sc, &data, day, args.trials, &opts))
        .transpose()
        .map_err(input)?;

    let out_path = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join("calibration"));
    // A path ending in `.toml` names the calibrated scenario; the rest goes beside it.
    let as_file = out_path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let (out_dir, toml_name) = if as_file {
        let dir = out_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let file = out_path.file_name().map_or("calibrated.toml".into(), |f| {
            f.to_string_lossy().into_owned()
        });
        (dir, file)
    } else {
        (out_path.clone(), "calibrated.toml".to_string())
    };
    let mut files_out = vec![
        (toml_name, cal.toml.clone().into_bytes()),
        (
            calibrate::ACCOUNTS_FILE.to_string(),
            cal.accounts_csv.clone(),
        ),
        (
            "calibration.md".to_string(),
            covsim::export::calibrate::markdown(&cal).into_bytes(),
        ),
        (
            "calibration.json".to_string(),
            covsim::export::calibrate::json(&cal),
        ),
    ];
    if let Some(b) = &bt {
        files_out.push((
            "backtest.md".to_string(),
            backtest::markdown(b).into_bytes(),
        ));
        files_out.push((
            "backtest.json".to_string(),
            format!("{}\n", serde_json::to_string_pretty(b).unwrap_or_default()).into_bytes(),
        ));
        if !args.no_charts {
            let pair = charts::pair(charts::FOLDER, charts::backtest::STEM, b)
                .map_err(|e| Failure::Io(format!("cannot draw the back-test chart: {e}")))?;
            files_out.extend(pair);
        }
    }
    if as_file {
        write_beside(&out_dir, &files_out)?;
    } else {
        let lock = outdir::lock(&out_dir)?;
        outdir::write_unit(&out_dir, &files_out, &lock)?;
    }
    if !args.quiet {
        let f = &cal.fit;
        let mut text = format!(
            "win rate {:.3} [{:.3}, {:.3}] ({} won of {} closed, cohorts {}..{}); cycle {:.2} months [{:.2}, {:.2}]; {:.2} opportunities per account-year [{:.2}, {:.2}] ({} accounts)\n",
            f.win_rate.value,
            f.win_rate.low,
            f.win_rate.high,
            f.won,
            f.closed,
            f.fit_from,
            f.fit_to,
            f.cycle_months.value,
            f.cycle_months.low,
            f.cycle_months.high,
            f.opportunities_per_account_year.value,
            f.opportunities_per_account_year.low,
            f.opportunities_per_account_year.high,
            f.accounts.len()
        );
        for t in &f.traps {
            text.push_str(&format!("trap: {t}\n"));
        }
        if let Some(b) = &bt {
            for s in &b.series {
                text.push_str(&format!(
                    "back-test {}: {} of {} months inside the 90% band\n",
                    s.name,
                    s.inside,
                    s.months.len()
                ));
            }
        }
        let names: Vec<&str> = files_out.iter().map(|f| f.0.as_str()).collect();
        text.push_str(&format!(
            "wrote {} to {}\n",
            names.join(", "),
            out_dir.display()
        ));
        out(&text);
    }
    Ok(())
}
