//! The key tables of docs/SCENARIO.md, rendered from the declarations of `scenario::keys`:
//! one Markdown table per table of keys (`| key | meaning | unit | range | default |`).
//! `update` replaces the marked sections of the file (`<!-- keys: channels[] -->` …
//! `<!-- /keys -->`) and leaves the prose around them as written; `covsim keys --write-docs`
//! writes the result and tests/registry.rs fails when the file differs from it.

use crate::scenario::keys::{self, Dflt, Key, Kind};
use crate::scenario::reader::Bound;

/// The name a table of keys has in its marker: `channels[]`, or `top` for the top level.
pub fn marker_name(table: &str) -> &str {
    if table.is_empty() { "top" } else { table }
}

const HEADER: &str = "| key | meaning | unit | range | default |\n|---|---|---|---|---|\n";

/// The Markdown table of the keys written in `table` (a `Key::table`).
pub fn table(table: &str) -> String {
    let mut out = String::from(HEADER);
    for k in keys::KEYS.iter().filter(|k| k.table == table) {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            k.name.replace('*', "<tier>"),
            cell(k.meaning),
            cell(k.unit),
            cell(&range(k)),
            cell(&default(k)),
        ));
    }
    out
}

/// Every table of keys, each under the name of its marker: what `covsim keys` prints.
pub fn all() -> String {
    keys::tables()
        .into_iter()
        .map(|t| format!("### `{}`\n\n{}", marker_name(t), table(t)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of docs/SCENARIO.md with every marked section replaced by its generated table.
/// Errors name a marker of no table, a marker left open, and a table with no marker.
pub fn update(doc: &str) -> Result<String, String> {
    let mut out = String::with_capacity(doc.len());
    let mut seen = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find("<!-- keys: ") {
        let after = &rest[start + "<!-- keys: ".len()..];
        let Some(close) = after.find(" -->") else {
            return Err("a `<!-- keys: … -->` marker is not closed".into());
        };
        let name = &after[..close];
        let Some(table) = keys::tables().into_iter().find(|t| marker_name(t) == name) else {
            return Err(format!("`<!-- keys: {name} -->` names no table of keys"));
        };
        let body = &after[close + " -->".len()..];
        let Some(end) = body.find("<!-- /keys -->") else {
            return Err(format!("`<!-- keys: {name} -->` has no `<!-- /keys -->`"));
        };
        out.push_str(&rest[..start]);
        out.push_str(&format!("<!-- keys: {name} -->\n{}", self::table(table)));
        out.push_str("<!-- /keys -->");
        seen.push(table);
        rest = &body[end + "<!-- /keys -->".len()..];
    }
    out.push_str(rest);
    let missing: Vec<&str> = keys::tables()
        .into_iter()
        .filter(|t| !seen.contains(t))
        .map(marker_name)
        .collect();
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "no `<!-- keys: … -->` section for the keys of {}",
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// A cell's text: no line breaks, and a `|` escaped.
fn cell(s: &str) -> String {
    s.replace('\n', " ").replace('|', "\\|")
}

/// Fills `{}` in the key's words with what its kind says, or puts the words after it.
fn fill(generated: Option<String>, words: &str) -> String {
    match generated {
        Some(g) if words.contains("{}") => words.replace("{}", &g),
        Some(g) => format!("{g}{words}"),
        None if words.is_empty() => "—".into(),
        None => words.to_string(),
    }
}

fn range(k: &Key) -> String {
    let generated = match k.kind {
        Kind::Real(b, _) | Kind::PerTier(b, _) | Kind::Heads(b) => Some(bound(b)),
        Kind::Numbers(b, max) => Some(format!("≤ {max} numbers, each {}", bound(b))),
        Kind::Whole(min, max, _) => Some(format!("{} – {}", whole(min), whole(max))),
        Kind::Choice(choices, _) => Some(
            choices
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Kind::Bool => Some("`true`, `false`".into()),
        Kind::Text | Kind::Texts | Kind::Table | Kind::ByName | Kind::Tables => None,
    };
    fill(generated, k.range)
}

fn default(k: &Key) -> String {
    let generated = match k.kind {
        Kind::Real(_, d) | Kind::PerTier(_, d) => match d {
            Dflt::Const(x) => Some(number(x)),
            Dflt::Key(to) => Some(format!("`{to}`")),
            Dflt::Required => Some("required".into()),
            Dflt::Optional => None,
        },
        Kind::Whole(_, _, Some(d)) => Some(whole(d)),
        Kind::Choice(_, Some(d)) => Some(format!("`{d}`")),
        _ => None,
    };
    fill(generated, k.default)
}

/// A bound in the words of the tables: `0 – 1`, `≥ 0`, `0, or 0.01 – 1,000,000`.
pub fn bound(b: Bound) -> String {
    match b {
        Bound::Any => "any".into(),
        Bound::NonNegative => "≥ 0".into(),
        Bound::Positive => "> 0".into(),
        Bound::Probability => "0 – 1".into(),
        Bound::Between(lo, hi) => format!("{} – {}", number(lo), number(hi)),
        Bound::AboveUpTo(lo, hi) => format!("> {}, ≤ {}", number(lo), number(hi)),
        Bound::ZeroOr(lo, hi) => format!("0, or {} – {}", number(lo), number(hi)),
    }
}

/// `10000` → `10,000`; `0.05` → `0.05`; `-1` → `−1`.
fn number(x: f64) -> String {
    let s = if x.fract() == 0.0 && x.abs() >= 1000.0 {
        crate::format::thousands(x)
    } else {
        format!("{x}")
    };
    s.replace('-', "−")
}

fn whole(x: u64) -> String {
    if x == u64::MAX {
        "2⁶⁴−1".into()
    } else {
        crate::format::thousands(x as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_from_kinds() {
        let k = keys::declared("channels[].replacement_delay_months").unwrap();
        assert_eq!(range(k), "0 – 60");
        assert_eq!(
            default(k),
            "`hiring_lead_months` where it is above 0, else 2"
        );
        let k = keys::declared("handoffs.pairs[].failure").unwrap();
        assert_eq!(default(k), "`handoffs.default_failure`");
        assert_eq!(bound(Bound::ZeroOr(0.01, 1e6)), "0, or 0.01 – 1,000,000");
        assert_eq!(bound(Bound::Between(-1.0, 1.0)), "−1 – 1");
    }

    #[test]
    fn update_replaces_marked_sections_only() {
        let mut doc = String::from("# Title\n\nProse.\n\n");
        for t in keys::tables() {
            doc.push_str(&format!(
                "<!-- keys: {} -->\nstale\n<!-- /keys -->\n\nMore prose.\n",
                marker_name(t)
            ));
        }
        let new = update(&doc).unwrap();
        assert!(new.starts_with("# Title\n\nProse.\n\n<!-- keys: top -->\n| key |"));
        assert!(!new.contains("stale"));
        assert_eq!(update(&new).unwrap(), new);
        let err = update("<!-- keys: nowhere -->\n<!-- /keys -->").unwrap_err();
        assert!(err.contains("nowhere"), "{err}");
        let err = update("no markers").unwrap_err();
        assert!(err.contains("`simulation`"), "{err}");
    }
}
