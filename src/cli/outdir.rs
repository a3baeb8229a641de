//! An output folder that is always one run's: a lock while a run owns it, every output written
//! into a fresh sibling folder and swapped in with one rename, stale outputs and temporary
//! files removed, what the user keeps there (parts/, sweep folders, own files) carried over,
//! and Ctrl-C leaving the earlier results as they were (exit 130).
//!
//! Beside `DIR` live `.DIR.lock` (the lock, held with `flock` while a run works), and for the
//! moments of a swap `.DIR.new-PID` (the new outputs being written) and `.DIR.old-PID` (the
//! previous folder, until what the user keeps is moved across). A run killed at any point
//! leaves either the old folder or the new one at `DIR`; the next run into `DIR` tidies the
//! rest up. `DIR/.covsim-outputs` lists the entries a run wrote, so the next one knows which
//! entries are stale outputs and which are the user's.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use super::Failure;

/// The list of a run's own entries in its folder.
pub const MANIFEST: &str = ".covsim-outputs";

/// Entries covsim writes, recognised as outputs in a folder an older covsim wrote (no
/// manifest).
const KNOWN_OUTPUTS: &[&str] = &[
    "summary.json",
    "summary.csv",
    "summary.md",
    "monthly.csv",
    "per_trial.csv",
    "timing.json",
    "charts",
    "sweep.csv",
    "sweep.json",
    "sweep.md",
    "tornado.csv",
    "tornado.md",
];

/// Phases of a command, for the interrupt handler: while simulating, nothing is written yet
/// and Ctrl-C ends the process at once; while writing, it is noted and the swap is skipped.
const SIMULATING: u8 = 0;
const WRITING: u8 = 1;
static PHASE: AtomicU8 = AtomicU8::new(SIMULATING);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit status after Ctrl-C (128 + SIGINT).
pub const INTERRUPTED_EXIT: u8 = 130;

#[cfg(unix)]
extern "C" fn on_interrupt(_signal: libc::c_int) {
    if PHASE.load(Ordering::SeqCst) == SIMULATING {
        // Nothing of this run is on disk yet: leave at once (async-signal-safe).
        unsafe { libc::_exit(INTERRUPTED_EXIT as libc::c_int) };
    }
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Routes Ctrl-C (SIGINT) and SIGTERM to `on_interrupt`.
pub fn handle_interrupts() {
    #[cfg(unix)]
    unsafe {
        let handler = on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

fn interrupted(dir: &Path) -> Failure {
    Failure::Interrupted(format!(
        "interrupted: nothing was changed in {}",
        dir.display()
    ))
}

/// A run's hold on its output folder, released when dropped (or when the process ends).
pub struct Lock {
    _file: fs::File,
}

fn sibling(dir: &Path, suffix: &str) -> Result<PathBuf, Failure> {
    let name = dir.file_name().ok_or_else(|| {
        Failure::Io(format!(
            "{} cannot be an output folder: name a folder, e.g. --out results",
            dir.display()
        ))
    })?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok(parent.join(format!(".{}.{suffix}", name.to_string_lossy())))
}

/// Takes the lock of output folder `dir` (a second run into it is refused with exit 2) and
/// tidies up what an interrupted run left beside it.
pub fn lock(dir: &Path) -> Result<Lock, Failure> {
    let path = sibling(dir, "lock")?;
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| Failure::Io(format!("cannot create {}: {e}", parent.display())))?;
    }
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Failure::Io(format!("cannot open lock {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if !taken {
            return Err(Failure::Io(format!(
                "{} is in use by another covsim run; wait for it to finish or choose another --out",
                dir.display()
            )));
        }
    }
    recover(dir)?;
    Ok(Lock { _file: file })
}

/// Entries of `dir` that are a run's outputs (by its manifest, else by the known names) or
/// temporary files; the others are the user's.
fn outputs_of(dir: &Path) -> Vec<String> {
    match fs::read_to_string(dir.join(MANIFEST)) {
        Ok(text) => text.lines().map(str::to_string).collect(),
        Err(_) => KNOWN_OUTPUTS.iter().map(|s| s.to_string()).collect(),
    }
}

fn is_output(name: &str, outputs: &[String]) -> bool {
    name == MANIFEST
        || (name.starts_with('.') && name.ends_with(".tmp"))
        || outputs.iter().any(|o| o == name)
}

/// Moves the user's entries of `from` (a previous folder) into `to` where `to` lacks them.
fn carry_over(from: &Path, to: &Path) -> std::io::Result<()> {
    let outputs = outputs_of(from);
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_output(&name, &outputs) || to.join(&name).exists() {
            continue;
        }
        fs::rename(entry.path(), to.join(&name))?;
    }
    Ok(())
}

/// Finishes or undoes what an interrupted run left beside `dir` (called under the lock).
fn recover(dir: &Path) -> Result<(), Failure> {
    let Some(name) = dir.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Ok(());
    };
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    let io = |e: std::io::Error| Failure::Io(format!("cannot tidy up {}: {e}", dir.display()));
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with(&format!(".{name}.new-")) || n.starts_with(&format!(".{name}.old-"))
            })
        })
        .collect();
    stale.sort();
    for p in stale {
        let old = p.to_string_lossy().contains(&format!(".{name}.old-"));
        if old && !dir.exists() {
            fs::rename(&p, dir).map_err(io)?;
        } else {
            if old {
                carry_over(&p, dir).map_err(io)?;
            }
            fs::remove_dir_all(&p).map_err(io)?;
        }
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Writes `files` (relative path, bytes) as the whole content of covsim's outputs in `dir`:
/// into a fresh sibling folder, then swapped in. The caller holds `dir`'s lock. Outputs of an
/// earlier run that this one does not write (charts after `--no-charts`, per_trial.csv) are
/// gone afterwards; the user's own entries stay.
pub fn write_unit(dir: &Path, files: &[(String, Vec<u8>)], lock: &Lock) -> Result<(), Failure> {
    Staging::new(dir, lock)?.finish(files)
}

/// The fresh sibling folder (`.DIR.new-PID`) a run's outputs are written into before they are
/// swapped in at `DIR`. Files too large to hold in memory (per_trial.csv, a workbook with its
/// per-trial sheet) are written into it while the run works ([`Staging::create`]); the rest
/// by [`Staging::finish`], which swaps the folder in. Dropped unfinished, it is removed; a
/// killed run's is removed by the next run into `DIR` (see [`lock`]).
pub struct Staging {
    dir: PathBuf,
    new: PathBuf,
    /// Entries already written into `new`, in order.
    staged: Vec<String>,
    done: bool,
}

impl Staging {
    /// A fresh, empty staging folder beside `dir`, whose lock the caller holds.
    pub fn new(dir: &Path, _lock: &Lock) -> Result<Staging, Failure> {
        let new = sibling(dir, &format!("new-{}", std::process::id()))?;
        let _ = fs::remove_dir_all(&new);
        fs::create_dir_all(&new)
            .map_err(|e| Failure::Io(format!("cannot create {}: {e}", new.display())))?;
        Ok(Staging {
            dir: dir.to_path_buf(),
            new,
            staged: Vec::new(),
            done: false,
        })
    }

    /// Creates output `name` (a plain file name) in the staging folder, to be written now.
    pub fn create(&mut self, name: &str) -> Result<fs::File, Failure> {
        let file = fs::File::create(self.new.join(name)).map_err(|e| self.cannot_write(name, e))?;
        if !self.staged.iter().any(|n| n == name) {
            self.staged.push(name.to_string());
        }
        Ok(file)
    }

    /// Opens output `name`, written earlier by [`Staging::create`], to read it back.
    pub fn open(&self, name: &str) -> Result<fs::File, Failure> {
        fs::File::open(self.new.join(name)).map_err(|e| {
            Failure::Io(format!(
                "cannot read back {}: {e}; nothing was changed in {}",
                self.new.join(name).display(),
                self.dir.display()
            ))
        })
    }

    /// The staging folder itself.
    pub fn folder(&self) -> &Path {
        &self.new
    }

    /// Whether output `name` has been written into the staging folder.
    pub fn has(&self, name: &str) -> bool {
        self.staged.iter().any(|n| n == name)
    }

    /// The error of a write of output `name` that failed.
    pub fn cannot_write(&self, name: &str, e: impl std::fmt::Display) -> Failure {
        Failure::Io(format!(
            "cannot write {}: {e}; nothing was changed in {}",
            self.dir.join(name).display(),
            self.dir.display()
        ))
    }

    /// Writes `files` (relative path, bytes) beside the staged ones and swaps the folder in as
    /// the whole content of covsim's outputs in `dir`. Outputs of an earlier run that this one
    /// does not write (charts after `--no-charts`, per_trial.csv) are gone afterwards; the
    /// user's own entries stay.
    pub fn finish(mut self, files: &[(String, Vec<u8>)]) -> Result<(), Failure> {
        PHASE.store(WRITING, Ordering::SeqCst);
        let result = self.swap_in(files);
        PHASE.store(SIMULATING, Ordering::SeqCst);
        result
    }

    fn swap_in(&mut self, files: &[(String, Vec<u8>)]) -> Result<(), Failure> {
        let (dir, new) = (self.dir.clone(), self.new.clone());
        let old = sibling(&dir, &format!("old-{}", std::process::id()))?;
        let mut top: Vec<String> = self.staged.clone();
        for (name, bytes) in files {
            if INTERRUPTED.load(Ordering::SeqCst) {
                return Err(interrupted(&dir));
            }
            write_file(&new.join(name), bytes).map_err(|e| self.cannot_write(name, e))?;
            let first = name.split('/').next().unwrap_or(name).to_string();
            if !top.contains(&first) {
                top.push(first);
            }
        }
        let mut manifest = top.join("\n");
        manifest.push('\n');
        write_file(&new.join(MANIFEST), manifest.as_bytes())
            .map_err(|e| self.cannot_write(MANIFEST, e))?;
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Err(interrupted(&dir));
        }
        // From here on the folder is either swapped in or removed here.
        self.done = true;
        let swap_error = |e: std::io::Error| {
            Failure::Io(format!(
                "cannot put the new outputs in place in {}: {e}",
                dir.display()
            ))
        };
        if dir.exists() {
            if !dir.is_dir() {
                let _ = fs::remove_dir_all(&new);
                return Err(Failure::Io(format!(
                    "{} exists and is not a folder",
                    dir.display()
                )));
            }
            fs::rename(&dir, &old).map_err(|e| {
                let _ = fs::remove_dir_all(&new);
                swap_error(e)
            })?;
            if let Err(e) = fs::rename(&new, &dir) {
                let _ = fs::rename(&old, &dir);
                let _ = fs::remove_dir_all(&new);
                return Err(swap_error(e));
            }
            carry_over(&old, &dir).map_err(swap_error)?;
            fs::remove_dir_all(&old).map_err(swap_error)?;
        } else {
            fs::rename(&new, &dir).map_err(|e| {
                let _ = fs::remove_dir_all(&new);
                swap_error(e)
            })?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.new);
        }
    }
}
