//! Refusing a run that cannot fit in memory, before simulating, instead of aborting on
//! allocation halfway. A run, a sweep, a tornado and a precision run are summarised batch by
//! batch as they are simulated and hold at most one batch of trials' rows and the rows kept
//! for percentiles (crate::summary) — a sweep or a tornado one variant's at a time, a precision
//! run each variant's — so their memory is flat in trials (and a sweep's in points); so do a plain
//! run's, a sweep's and a tornado's shards and their merge (per_trial.csv and part files are
//! written, and parts read, batch by batch). A trial's rows are designs ×
//! (metrics + monthly values × months) × 8 bytes, plus the draws of the uncertain inputs and the
//! working columns of the statistics. The machine's available memory is read here, never in the
//! library; so is the free space of the disk a shard's part file goes to (a part's size is known
//! before it is written, so a shard that cannot fit is refused before it simulates instead of
//! failing at its end; per_trial.csv's size is projected from its first rows, `shortfall`).

use covsim::driver::Plan;
use covsim::metrics::Layout;
use covsim::model::Model;

use super::Failure;

/// Share of the available memory a run may plan to use (the rest: allocator slack, the
/// account arrays, rendered charts and tables, other programs).
const USABLE: f64 = 0.8;

/// Bytes a run holds per trial (per_trial.csv and the workbook's per-trial sheet are written
/// to disk as they go, never held).
pub fn per_trial(model: &Model, inputs: usize) -> u64 {
    let layout = Layout::of(model);
    let designs = model.designs.len() as u64;
    let matrix = designs * layout.width() as u64 * 8;
    // Statistics work on a few trial-long columns at once (a column, its paired difference,
    // the sorting scratch, the monthly cumulative series of a design).
    let stats = 8 * (4 + 2 * model.months as u64);
    matrix + 8 * inputs as u64 + stats
}

/// The most trials whose rows a study of `variants` variants under `plan` holds at once, with
/// batches of `batch` trials (crate::summary::batch_trials). A study of all its trials runs
/// its variants one after the other and reduces each to its results before the next, so it
/// holds one variant's rows: a run of one batch whole; of a longer one, at most a batch of
/// rows kept for its percentiles and the batch being simulated. A precision plan runs its
/// variants in step: each holds its kept rows, its batch being filled and the precision batch
/// that overflows it. A shard holds one batch of one variant at a time (its part file is
/// written as they come).
pub fn held_trials(plan: &Plan, variants: u64, batch: u64) -> u64 {
    let batch = batch.max(1);
    match *plan {
        Plan::Trials(ref r) => variants.saturating_mul(r.end - r.start),
        // Variant after variant, each reduced to its results before the next is simulated.
        Plan::Streamed { trials, .. } => {
            let filling = if trials > batch { batch } else { 0 };
            trials.min(batch) + filling
        }
        // A batch at a time, variant after variant, each written to the part file.
        Plan::Rows { ref trials, .. } => (trials.end - trials.start).min(batch),
        Plan::Precision {
            batch: step,
            max_trials,
            ..
        } => variants.saturating_mul(max_trials.min(2 * batch + step)),
    }
}

/// Bytes of memory available now (Linux: `MemAvailable` of /proc/meminfo); `None` elsewhere.
pub fn available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn gib(bytes: f64) -> String {
    format!("{:.1} GiB", bytes / (1u64 << 30) as f64)
}

/// Refuses (exit 2) to simulate a run that holds the rows of `trials` trials (of `per_trial`
/// bytes each) at once when they cannot fit in the available memory, saying how many would.
pub fn check(trials: u64, per_trial: u64, how: &str) -> Result<(), Failure> {
    let Some(free) = available() else {
        return Ok(());
    };
    let usable = free as f64 * USABLE;
    let need = trials as f64 * per_trial as f64;
    if need <= usable {
        return Ok(());
    }
    let fit = (usable / per_trial.max(1) as f64).floor() as u64;
    Err(Failure::Io(format!(
        "this run holds the rows of {} trials at once: {} trials need about {} of memory ({} bytes per trial), but {} is available: at most {} trials fit on this machine now. {how}",
        covsim::export::thousands(trials as f64),
        covsim::export::thousands(trials as f64),
        gib(need),
        covsim::export::thousands(per_trial as f64),
        gib(free as f64),
        covsim::export::thousands(fit as f64),
    )))
}

/// Bytes free to this user on the file system that holds `dir` (or its nearest existing
/// folder); `None` where that cannot be read.
pub fn disk_available(dir: &std::path::Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let mut at = dir;
        // A relative path's last parent is "", the current folder.
        while !at.as_os_str().is_empty() && !at.exists() {
            at = at.parent()?;
        }
        let at = if at.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            at
        };
        let path = std::ffi::CString::new(at.as_os_str().as_bytes()).ok()?;
        // SAFETY: `statvfs` writes into the zeroed struct it is given and reads the
        // NUL-terminated path; both live across the call.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::statvfs(path.as_ptr(), &mut st) };
        (rc == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// Refuses (exit 2) to write a part file of `bytes` (`per_trial` of them per trial) into `dir`
/// when its disk has less free, saying how many trials' part would fit.
pub fn check_part_disk(bytes: u64, per_trial: u64, dir: &std::path::Path) -> Result<(), Failure> {
    let Some(free) = disk_available(dir) else {
        return Ok(());
    };
    if bytes <= free {
        return Ok(());
    }
    Err(Failure::Io(format!(
        "this shard's part file takes {} on disk ({} bytes per trial), but the disk it goes to ({}) has {} free: at most {} trials' part fits there now. Split the run into more shards (`--shard I/N` with a larger N) or write the parts to a larger disk with --out.",
        gib(bytes as f64),
        covsim::export::thousands(per_trial as f64),
        dir.display(),
        gib(free as f64),
        covsim::export::thousands((free / per_trial.max(1)) as f64),
    )))
}

/// Why the rest of a file cannot fit, if it cannot: `written` bytes for the first `done` of
/// `total` trials, the rest at the same bytes per trial, against `free` bytes of disk.
pub fn shortfall(written: u64, done: u64, total: u64, free: Option<u64>) -> Option<String> {
    let free = free?;
    if done == 0 || done >= total {
        return None;
    }
    let per_trial = written as f64 / done as f64;
    let rest = per_trial * (total - done) as f64;
    (rest > free as f64).then(|| {
        format!(
            "per_trial.csv would take about {} in all ({} bytes per trial over its first {} trials), but {} of it are still to come and only {} is free",
            gib(written as f64 + rest),
            covsim::export::thousands(per_trial.round()),
            covsim::export::thousands(done as f64),
            gib(rest),
            gib(free as f64)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::shortfall;

    #[test]
    fn the_rest_of_per_trial_csv_is_projected_at_the_bytes_per_trial_so_far() {
        const GIB: u64 = 1 << 30;
        // 1,000 bytes a trial over the first 1,000 of 10,000,000 trials: about 9.3 GiB to come.
        let why = shortfall(1_000_000, 1_000, 10_000_000, Some(5 * GIB)).expect("does not fit");
        assert!(why.contains("about 9.3 GiB in all"), "{why}");
        assert!(
            why.contains("1,000 bytes per trial over its first 1,000 trials"),
            "{why}"
        );
        assert!(why.contains("9.3 GiB of it are still to come and only 5.0 GiB is free"));
        assert_eq!(
            shortfall(1_000_000, 1_000, 10_000_000, Some(10 * GIB)),
            None
        );
        // Exactly the room it needs fits.
        assert_eq!(shortfall(1_000, 1, 5, Some(4_000)), None);
        assert!(shortfall(1_000, 1, 5, Some(3_999)).is_some());
        // Nothing to project from, nothing left to write, or a disk that cannot be read.
        assert_eq!(shortfall(0, 0, 10, Some(0)), None);
        assert_eq!(shortfall(1_000, 10, 10, Some(0)), None);
        assert_eq!(shortfall(1_000, 1, 10, None), None);
    }
}
