//! An output folder that is always one run's: a lock while a run owns it, every output written
//! into a fresh sibling folder and swapped in with one rename, stale outputs and temporary
//! files removed, what the user keeps there (parts/, sweep folders, own files) carried over,
//! and Ctrl-C leaving the earlier results as they were (exit 130).
//!
//! Beside `DIR` live `.DIR.lock` (the lock, held with `flock` while a run works, and removed
//! when it ends, Ctrl-C included; one left by a killed run is taken over), and for the
//! moments of a swap `.DIR.new-PID` (the new outputs being written) and `.DIR.old-PID` (the
//! previous folder, until what the user keeps is moved across). A run killed at any point
//! leaves either the old folder or the new one at `DIR`; the next run into `DIR` tidies the
//! rest up. `DIR/.covsim-outputs` lists the entries a run wrote, so the next one knows which
//! entries are stale outputs and which are the user's; a folder without it is wholly the
//! user's, and a run whose outputs would replace a user's entry stops before changing anything.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use super::Failure;

/// The list of a run's own entries in its folder.
pub const MANIFEST: &str = ".covsim-outputs";

/// Phases of a command, for the interrupt handler: while simulating, nothing is in place yet
/// and Ctrl-C ends the process at once, removing what it wrote aside (its staging folder and
/// lock file); while writing, it is noted and the swap is skipped.
const SIMULATING: u8 = 0;
const WRITING: u8 = 1;
static PHASE: AtomicU8 = AtomicU8::new(SIMULATING);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit status after Ctrl-C (128 + SIGINT).
pub const INTERRUPTED_EXIT: u8 = 130;

/// What this process has beside its output folder: removed by [`quit`] on Ctrl-C while it
/// simulates. The phase changes to writing under this lock too, so a quit never races a swap.
struct Aside {
    lock: Option<PathBuf>,
    staging: Option<PathBuf>,
}

static ASIDE: std::sync::Mutex<Aside> = std::sync::Mutex::new(Aside {
    lock: None,
    staging: None,
});

fn aside() -> std::sync::MutexGuard<'static, Aside> {
    ASIDE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The write end of the pipe on which the signal handler wakes [`quit`]'s thread (−1 before
/// [`handle_interrupts`]).
#[cfg(unix)]
static WAKE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

#[cfg(unix)]
extern "C" fn on_interrupt(_signal: libc::c_int) {
    if PHASE.load(Ordering::SeqCst) == SIMULATING {
        // Only async-signal-safe calls here: wake the thread that tidies up and exits, or,
        // without one, exit at once.
        let fd = WAKE.load(Ordering::SeqCst);
        if fd < 0 || unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) } != 1 {
            unsafe { libc::_exit(INTERRUPTED_EXIT as libc::c_int) };
        }
        return;
    }
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// On Ctrl-C while simulating: removes the staging folder (per_trial.csv and a workbook are
/// written there while the run works) and the lock file, and ends the process with 130. If
/// writing began meanwhile, the swap notices the interrupt instead.
fn quit() {
    let held = aside();
    if PHASE.load(Ordering::SeqCst) == WRITING {
        INTERRUPTED.store(true, Ordering::SeqCst);
        return;
    }
    if let Some(staging) = &held.staging {
        // Another thread may be adding a file to it: try again if it was not yet empty.
        for _ in 0..5 {
            if fs::remove_dir_all(staging).is_ok() || !staging.exists() {
                break;
            }
        }
    }
    if let Some(lock) = &held.lock {
        let _ = fs::remove_file(lock);
    }
    unsafe { libc::_exit(INTERRUPTED_EXIT as libc::c_int) };
}

/// Routes Ctrl-C (SIGINT) and SIGTERM to `on_interrupt`, with a thread that waits to tidy up
/// and exit ([`quit`]).
pub fn handle_interrupts() {
    #[cfg(unix)]
    unsafe {
        let mut fds = [0 as libc::c_int; 2];
        if libc::pipe(fds.as_mut_ptr()) == 0 {
            let read = fds[0];
            let spawned = std::thread::Builder::new()
                .name("ctrl-c".into())
                .spawn(move || {
                    let mut byte = [0u8; 1];
                    loop {
                        if libc::read(read, byte.as_mut_ptr().cast(), 1) == 1 {
                            quit();
                        }
                    }
                });
            if spawned.is_ok() {
                WAKE.store(fds[1], Ordering::SeqCst);
            }
        }
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

/// A run's hold on its output folder, released when dropped (or when the process ends). The
/// lock file is removed when a run lets go of it; one a killed run left is taken over by the
/// next run and removed when that one ends.
pub struct Lock {
    path: PathBuf,
    _file: fs::File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held, so a run that opened it meanwhile finds, once it holds
        // it, that it is no longer the file at `path`, and takes the new one ([`lock`]).
        let _ = fs::remove_file(&self.path);
        let mut held = aside();
        if held.lock.as_ref() == Some(&self.path) {
            held.lock = None;
        }
    }
}

/// The message for an output folder `dir` that cannot be created: the first of its ancestors
/// that is a file names the problem; otherwise the system's error.
fn cannot_create(dir: &Path, e: std::io::Error) -> Failure {
    let file = dir.ancestors().skip(1).find(|a| a.is_file());
    Failure::Io(match file {
        Some(f) => format!(
            "cannot create the output folder {}: {} is a file, not a folder",
            dir.display(),
            f.display()
        ),
        None => format!("cannot create the output folder {}: {e}", dir.display()),
    })
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
/// tidies up what an interrupted run left beside it. A `dir` that is a file is refused here,
/// before anything is simulated.
pub fn lock(dir: &Path) -> Result<Lock, Failure> {
    let path = sibling(dir, "lock")?;
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::Io(format!(
            "{} exists and is not a folder; choose another --out",
            dir.display()
        )));
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| cannot_create(dir, e))?;
    }
    loop {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| {
                Failure::Io(format!(
                    "cannot use {} as the output folder: cannot write beside it in {}: {e}",
                    dir.display(),
                    path.parent().unwrap_or(Path::new(".")).display()
                ))
            })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            use std::os::unix::io::AsRawFd;
            let taken =
                unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
            if !taken {
                return Err(Failure::Io(format!(
                    "{} is in use by another covsim run; wait for it to finish or choose another --out",
                    dir.display()
                )));
            }
            // The run that held it may have removed it between our open and our lock: then
            // ours is a file no other run can find, and the lock is taken again.
            let same = match (file.metadata(), fs::metadata(&path)) {
                (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
                _ => false,
            };
            if !same {
                continue;
            }
        }
        recover(dir)?;
        aside().lock = Some(path.clone());
        return Ok(Lock { path, _file: file });
    }
}

/// Entries of `dir` that a run wrote (by its manifest; none in a folder without one, which is
/// wholly the user's); with the temporary files ([`is_output`]), the others are the user's.
fn outputs_of(dir: &Path) -> Vec<String> {
    match fs::read_to_string(dir.join(MANIFEST)) {
        Ok(text) => text.lines().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    }
}

/// The user's entries of `dir` that the new outputs in `new` would replace: a run never
/// removes what it did not write, so these stop it before anything changes.
fn in_the_way(dir: &Path, new: &Path) -> std::io::Result<Vec<String>> {
    let outputs = outputs_of(dir);
    let mut clash = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !is_output(&name, &outputs) && new.join(&name).symlink_metadata().is_ok() {
            clash.push(name);
        }
    }
    clash.sort();
    Ok(clash)
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

/// Adds `names` (top-level entries just written into `dir` by `covsim plot` or `covsim deck`)
/// to the manifest of the run whose folder `dir` is, so the next run into it replaces them as
/// its own stale outputs. A folder without a manifest is the user's: nothing is noted.
pub fn note_outputs(dir: &Path, names: &[&str]) -> Result<(), Failure> {
    let path = dir.join(MANIFEST);
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(());
    };
    let mut listed: Vec<&str> = text.lines().collect();
    let before = listed.len();
    for name in names {
        if !listed.contains(name) {
            listed.push(name);
        }
    }
    if listed.len() == before {
        return Ok(());
    }
    let mut manifest = listed.join("\n");
    manifest.push('\n');
    super::files::write_atomic(&path, manifest.as_bytes())
        .map_err(|e| Failure::Io(format!("cannot write {}: {e}", path.display())))
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
        aside().staging = Some(new.clone());
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
        {
            let _held = aside();
            PHASE.store(WRITING, Ordering::SeqCst);
        }
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
            let clash = in_the_way(&dir, &new).map_err(|e| {
                let _ = fs::remove_dir_all(&new);
                swap_error(e)
            })?;
            if !clash.is_empty() {
                let _ = fs::remove_dir_all(&new);
                return Err(Failure::Io(format!(
                    "{} holds {}, which covsim did not write there and this run would replace; move {} or choose another --out (nothing was changed)",
                    dir.display(),
                    clash.join(", "),
                    if clash.len() == 1 { "it" } else { "them" }
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
        let mut held = aside();
        if held.staging.as_ref() == Some(&self.new) {
            held.staging = None;
        }
    }
}
