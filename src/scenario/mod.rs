//! Scenario files: the only module that knows TOML. Two steps, two types: `raw::read` turns the
//! document into `RawScenario` (values checked where they stand), `resolve::resolve` checks how
//! the parts refer to each other and builds the `Model` the engine runs on. Every problem of both
//! steps is collected and returned together.

pub mod accounts_csv;
pub mod raw;
pub mod reader;
pub mod resolve;

use toml::de::DeTable;

use crate::diag::{Diagnostic, Source};
use crate::model::Model;

/// The example scenario built into the binary (`covsim run` with no file, `covsim init`).
pub const BUILTIN_NAME: &str = "scenarios/leverage.toml";
pub const BUILTIN: &str = include_str!("../../scenarios/leverage.toml");

/// Reads and resolves a scenario. `read_file` loads a file the scenario names (an account CSV),
/// given the path as written; the caller decides where paths are relative to.
pub fn load(
    text: &str,
    file_name: &str,
    read_file: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> Result<Model, Vec<Diagnostic>> {
    let src = Source::new(file_name, text);
    let (root, errors) = DeTable::parse_recoverable(text);
    let mut ctx = reader::Ctx::new(src);
    if !errors.is_empty() {
        for e in errors {
            let message = e
                .message()
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .to_string();
            ctx.error(
                e.span(),
                "",
                format!("TOML syntax: {message}"),
                "valid TOML (https://toml.io)",
            );
        }
        return Err(ctx.diags);
    }
    let raw = raw::read(&mut ctx, &root);
    resolve::resolve(&mut ctx, raw, read_file)
}
