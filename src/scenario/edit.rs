//! Edits of a scenario's text that keep everything else as the user wrote it (comments, order,
//! spacing): a key's value replaced, or added where it is missing, with a comment; generated
//! account segments replaced by an account file. Used by `covsim calibrate`, which writes a
//! copy of the user's scenario with estimated keys; the scenario module stays the only one
//! that knows TOML.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One change: the key at `path` (`tiers[1].opportunities_per_year`, `simulation.months`) gets
/// the TOML value text `value`, and the line gets `# comment` when one is given.
#[derive(Debug, Clone, PartialEq)]
pub struct SetKey {
    pub path: String,
    pub value: String,
    pub comment: String,
}

/// A TOML string literal of `s` (basic string, escaped).
pub fn string_literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

enum Seg<'a> {
    Key(&'a str),
    Index(&'a str, usize),
}

fn segments(path: &str) -> Option<Vec<Seg<'_>>> {
    path.split('.')
        .map(|p| match p.split_once('[') {
            Some((k, rest)) => rest
                .strip_suffix(']')
                .and_then(|i| i.parse().ok())
                .map(|i| Seg::Index(k, i)),
            None => Some(Seg::Key(p)),
        })
        .collect()
}

/// Where a key is, or where it would go.
enum Place {
    /// The span of the existing value.
    Value(Range<usize>),
    /// The key is missing: insert a line at this byte offset.
    Insert(usize),
}

fn locate(text: &str, root: &DeTable, path: &str) -> Result<Place, String> {
    let segs = segments(path).ok_or_else(|| format!("bad key path `{path}`"))?;
    let (last, parents) = segs.split_last().ok_or("empty key path")?;
    let Seg::Key(last) = last else {
        return Err(format!("`{path}` must end in a key"));
    };
    let mut table: &DeTable = root;
    let mut header: Option<String> = None;
    let mut anchor: Option<Range<usize>> = None;
    let mut prefix = String::new();
    for seg in parents {
        let (key, v): (&str, &Spanned<DeValue>) = match seg {
            Seg::Key(k) => (
                k,
                table
                    .get(*k)
                    .ok_or_else(|| format!("no table `{k}` in {path}"))?,
            ),
            Seg::Index(k, i) => {
                let arr = table.get(*k).ok_or_else(|| format!("no `{k}` in {path}"))?;
                let DeValue::Array(items) = arr.get_ref() else {
                    return Err(format!("`{k}` is not an array of tables"));
                };
                (k, items.get(*i).ok_or_else(|| format!("no `{k}[{i}]`"))?)
            }
        };
        let DeValue::Table(t) = v.get_ref() else {
            return Err(format!("`{key}` is not a table"));
        };
        prefix = if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        };
        match seg {
            Seg::Index(..) => {
                header = None;
                anchor = t.get("name").map(Spanned::span);
            }
            Seg::Key(_) => {
                header = Some(prefix.clone());
                anchor = None;
            }
        }
        table = t;
    }
    if let Some(v) = table.get(*last) {
        return Ok(Place::Value(v.span()));
    }
    let line_end = |at: usize| text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    if let Some(span) = anchor {
        return Ok(Place::Insert(line_end(span.end)));
    }
    if let Some(h) = header {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if line.trim_start().starts_with(&format!("[{h}]")) {
                return Ok(Place::Insert(offset + line.len()));
            }
            offset += line.len();
        }
        return Err(format!("no `[{h}]` section to add `{last}` to"));
    }
    Err(format!("cannot place `{path}`"))
}

/// The text with every change made. Fails (naming the path) when a path leads nowhere.
pub fn set_keys(text: &str, changes: &[SetKey]) -> Result<String, String> {
    let root = DeTable::parse(text).map_err(|e| format!("the scenario is not valid TOML: {e}"))?;
    let mut places = Vec::new();
    for c in changes {
        let place = locate(text, root.get_ref(), &c.path)?;
        places.push((place, c));
    }
    // Apply from the end so earlier offsets stay valid.
    places.sort_by_key(|(p, _)| {
        std::cmp::Reverse(match p {
            Place::Value(r) => r.start,
            Place::Insert(at) => *at,
        })
    });
    let mut out = text.to_string();
    for (place, c) in places {
        let key = c.path.rsplit('.').next().unwrap_or_default();
        let comment = if c.comment.is_empty() {
            String::new()
        } else {
            format!("   # {}", c.comment)
        };
        match place {
            Place::Value(r) => {
                // The rest of the value's line (its old comment) goes; the new one takes it.
                let end = out[r.end..].find('\n').map_or(out.len(), |i| r.end + i);
                let rest = out[r.end..end].trim_start();
                let keep_rest = !rest.is_empty() && !rest.starts_with('#');
                let tail = if keep_rest {
                    out[r.end..end].to_string()
                } else {
                    String::new()
                };
                out.replace_range(r.start..end, &format!("{}{tail}{comment}", c.value));
            }
            Place::Insert(at) => {
                let nl = if at > 0 && !out[..at].ends_with('\n') {
                    "\n"
                } else {
                    ""
                };
                out.insert_str(at, &format!("{nl}{key} = {}{comment}\n", c.value));
            }
        }
    }
    Ok(out)
}

/// Index of the `[[handoffs.pairs]]` entry handing from channel `from` to `to`, if the text has
/// one.
pub fn handoff_pair(text: &str, from: &str, to: &str) -> Option<usize> {
    let root = DeTable::parse(text).ok()?;
    let h = root.get_ref().get("handoffs")?;
    let DeValue::Table(h) = h.get_ref() else {
        return None;
    };
    let DeValue::Array(items) = h.get("pairs")?.get_ref() else {
        return None;
    };
    let is = |t: &DeTable, k: &str, v: &str| {
        t.get(k)
            .is_some_and(|x| matches!(x.get_ref(), DeValue::String(s) if s == v))
    };
    items.iter().position(|p| match p.get_ref() {
        DeValue::Table(t) => is(t, "from", from) && is(t, "to", to),
        _ => false,
    })
}

/// The text with its generated account segments (`[[accounts.segments]]` sections) removed and
/// `accounts.csv` set to `csv_path`, with `note` as a comment.
pub fn use_account_file(text: &str, csv_path: &str, note: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut skipping = false;
    let mut has_accounts = false;
    let mut first_removed: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with('[') {
            skipping = t.starts_with("[[accounts.segments]]");
            if skipping && first_removed.is_none() {
                first_removed = Some(out.len());
            }
            if t.starts_with("[accounts]") {
                has_accounts = true;
            }
        }
        if !skipping {
            out.push_str(line);
        }
    }
    if !has_accounts {
        let at = first_removed.unwrap_or(out.len());
        out.insert_str(at, "[accounts]\n");
    }
    set_keys(
        &out,
        &[SetKey {
            path: "accounts.csv".into(),
            value: string_literal(csv_path),
            comment: note.into(),
        }],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[simulation]\nname = \"x\"   # a name\n\n[[tiers]]\nname = \"a\"\nopportunities_per_year = 4   # old\n\n[[tiers]]\nname = \"b\"\n\n[accounts]\npotential_volatility = 0.2\n[[accounts.segments]]\nname = \"s\"\ncount = 3\n\n[[stages]]\nname = \"p\"\n";

    #[test]
    fn values_are_replaced_or_added_and_the_rest_kept() {
        let out = set_keys(
            TEXT,
            &[
                SetKey {
                    path: "tiers[0].opportunities_per_year".into(),
                    value: "7.5".into(),
                    comment: "from 10 accounts".into(),
                },
                SetKey {
                    path: "tiers[1].opportunities_per_year".into(),
                    value: "2".into(),
                    comment: String::new(),
                },
                SetKey {
                    path: "simulation.months".into(),
                    value: "4".into(),
                    comment: String::new(),
                },
            ],
        )
        .unwrap();
        assert!(out.contains("opportunities_per_year = 7.5   # from 10 accounts\n"));
        assert!(out.contains("name = \"b\"\nopportunities_per_year = 2\n"));
        assert!(out.contains("[simulation]\nmonths = 4\nname = \"x\"   # a name\n"));
        assert!(!out.contains("# old"));
    }

    #[test]
    fn segments_give_way_to_an_account_file() {
        let out = use_account_file(TEXT, "acc.csv", "calibrated").unwrap();
        assert!(!out.contains("accounts.segments"));
        assert!(out.contains(
            "[accounts]\ncsv = \"acc.csv\"   # calibrated\npotential_volatility = 0.2\n"
        ));
        assert!(out.contains("[[stages]]\nname = \"p\"\n"));
    }
}
