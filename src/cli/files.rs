//! Reading scenarios and writing outputs: whole files or nothing.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use covsim::diag::render_all;
use covsim::scenario::{self, Scenario};

use super::Failure;

/// Loads a scenario file, or the built-in example when `path` is `None`, with what is needed
/// to vary it (uncertain inputs, overrides). Account files named in the scenario are read
/// relative to the scenario's folder.
pub fn load_study(path: Option<&Path>) -> Result<Scenario, Failure> {
    let sc = load_unchecked(path)?;
    // A scenario is valid only with a valid `[optimize]` section, whatever the command (the
    // simulation ignores the section; `covsim optimize` reads it).
    covsim::optimize::space::section(&sc, None).map_err(|d| Failure::Input(render_all(&d)))?;
    Ok(sc)
}

/// `load_study` without the check of the `[optimize]` section, for `covsim optimize`, which
/// checks it with its flags and reports the problems of both together.
pub fn load_unchecked(path: Option<&Path>) -> Result<Scenario, Failure> {
    let (text, name, dir) = match path {
        Some(p) => {
            let bytes = fs::read(p)
                .map_err(|e| Failure::Io(format!("cannot read scenario {}: {e}", p.display())))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                Failure::Input(render_all(&[not_utf8(
                    &p.display().to_string(),
                    e.as_bytes(),
                    e.utf8_error().valid_up_to(),
                )]))
            })?;
            (
                text,
                p.display().to_string(),
                p.parent().map(Path::to_path_buf).unwrap_or_default(),
            )
        }
        None => (
            scenario::BUILTIN.to_string(),
            scenario::BUILTIN_NAME.to_string(),
            PathBuf::from("."),
        ),
    };
    let mut read = |rel: &str| -> Result<Vec<u8>, String> {
        let p = dir.join(rel);
        fs::read(&p).map_err(|e| format!("{} ({e})", p.display()))
    };
    Scenario::load(&text, &name, &mut read).map_err(|diags| Failure::Input(render_all(&diags)))
}

/// Bad input: the text of `file` is not UTF-8 from byte `at` on; located by line and column.
fn not_utf8(file: &str, bytes: &[u8], at: usize) -> covsim::diag::Diagnostic {
    let valid = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let (line, column) = covsim::diag::Source::new(file, valid).line_col(at);
    let line_text: String = valid[valid.rfind('\n').map_or(0, |i| i + 1)..].to_string();
    covsim::diag::Diagnostic {
        file: file.to_string(),
        line,
        column,
        key_path: String::new(),
        message: format!("byte 0x{:02X} is not UTF-8 text", bytes[at]),
        allowed: "a scenario saved as UTF-8 text".into(),
        snippet: Some((line_text, 1)),
        more: 0,
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place, so a reader
/// never sees a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes every `(relative path, bytes)` under `dir`, creating folders, each file atomically.
/// Callers render everything before calling this, so bad input never leaves a partial set.
pub fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), Failure> {
    for (name, bytes) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| Failure::Io(format!("cannot create {}: {e}", parent.display())))?;
        }
        write_atomic(&path, bytes)
            .map_err(|e| Failure::Io(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// A scenario name made safe as a folder name.
pub fn folder_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("scenario{s}")
    } else {
        s
    }
}
