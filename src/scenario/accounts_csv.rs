//! Accounts from a CRM export (CSV). Columns, by header name (case-insensitive, any order,
//! other columns ignored): `id`, `potential` (currency per year, ≥ 0), `fit` (0–1), and
//! optionally `segment`, `industry`, `region`. Every bad row is reported, not only the first.

use std::collections::HashMap;

use crate::diag::Diagnostic;

/// Accounts read from a CSV file, before tiers are assigned.
#[derive(Debug, Default)]
pub struct CsvAccounts {
    pub id: Vec<String>,
    pub potential: Vec<f64>,
    pub fit: Vec<f64>,
    pub segment: Vec<u16>,
    pub segments: Vec<String>,
}

/// At most this many row problems are listed; the rest are counted.
const MAX_REPORTED: usize = 50;

pub fn parse(bytes: &[u8], file: &str) -> Result<CsvAccounts, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut extra = 0usize;
    let mut push = |diags: &mut Vec<Diagnostic>, d: Diagnostic| {
        if diags.len() < MAX_REPORTED {
            diags.push(d);
        } else {
            extra += 1;
        }
    };
    let here = |line: usize,
                column: usize,
                key: &str,
                message: String,
                allowed: &str,
                text: Option<String>| Diagnostic {
        file: file.to_string(),
        line,
        column,
        key_path: key.to_string(),
        message,
        allowed: allowed.to_string(),
        snippet: text.map(|t| (t, 1)),
        more: 0,
    };

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let headers = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![here(
                1,
                1,
                "header",
                format!("cannot read the header row: {e}"),
                "a header row such as `id,potential,fit`",
                None,
            )]);
        }
    };
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| String::from_utf8_lossy(h).trim().eq_ignore_ascii_case(name))
    };
    // A column named twice: which copy is meant is a guess, so it is an error.
    let mut header_problems = Vec::new();
    for name in ["id", "potential", "fit", "segment", "industry", "region"] {
        let at: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| String::from_utf8_lossy(h).trim().eq_ignore_ascii_case(name))
            .map(|(i, _)| i)
            .collect();
        if at.len() > 1 {
            let column = headers
                .iter()
                .take(at[1])
                .map(|h| String::from_utf8_lossy(h).chars().count() + 1)
                .sum::<usize>()
                + 1;
            header_problems.push(here(
                1,
                column,
                name,
                format!(
                    "column `{name}` appears {} times in the header (columns {})",
                    at.len(),
                    at.iter()
                        .map(|i| (i + 1).to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "each column once",
                None,
            ));
        }
    }
    if !header_problems.is_empty() {
        return Err(header_problems);
    }
    let (col_id, col_pot, col_fit) = (find("id"), find("potential"), find("fit"));
    let col_seg = find("segment");
    let mut missing = Vec::new();
    for (name, col) in [("id", col_id), ("potential", col_pot), ("fit", col_fit)] {
        if col.is_none() {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        let found: Vec<String> = headers
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        return Err(vec![here(
            1,
            1,
            "header",
            format!(
                "missing column{} {} (found: {})",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                found.join(", ")
            ),
            "columns id, potential, fit; optional segment, industry, region",
            None,
        )]);
    }
    let (col_id, col_pot, col_fit) = (
        col_id.unwrap_or(0),
        col_pot.unwrap_or(0),
        col_fit.unwrap_or(0),
    );

    let mut out = CsvAccounts::default();
    // Line of each kept row, for duplicate ids (found by sorting, not hashing, at the end).
    let mut lines: Vec<(usize, usize)> = Vec::new();
    // Ids of rows refused for other reasons, still checked for duplicates.
    let mut rejected: Vec<(String, usize, usize)> = Vec::new();
    let mut segment_index: HashMap<String, u16> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                push(
                    &mut diags,
                    here(
                        line,
                        1,
                        "row",
                        format!("unreadable row: {e}"),
                        "a CSV row",
                        None,
                    ),
                );
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line() as usize);
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let line_text = || {
            let rest = &bytes[start.min(bytes.len())..];
            let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            String::from_utf8_lossy(&rest[..end]).trim_end().to_string()
        };
        // Column of field i, in characters, assuming no quoting before it.
        let column_of = |i: usize| {
            (0..i)
                .map(|j| {
                    record
                        .get(j)
                        .map_or(0, |f| String::from_utf8_lossy(f).chars().count())
                        + 1
                })
                .sum::<usize>()
                + 1
        };
        // Fields are borrowed from the reused record (checked UTF-8 below before use).
        let field = |i: usize| -> Option<&str> {
            record
                .get(i)
                .map(|f| std::str::from_utf8(f).unwrap_or_default().trim())
        };
        let mut row_ok = true;
        // Bytes that are not UTF-8 would be replaced, and two distinct ids could collide.
        for (i, f) in record.iter().enumerate() {
            if let Err(e) = std::str::from_utf8(f) {
                let within = String::from_utf8_lossy(&f[..e.valid_up_to()])
                    .chars()
                    .count();
                push(
                    &mut diags,
                    here(
                        line,
                        column_of(i) + within,
                        "row",
                        format!("byte 0x{:02X} is not UTF-8 text", f[e.valid_up_to()]),
                        "UTF-8 text: save the file as CSV UTF-8",
                        Some(line_text()),
                    ),
                );
                row_ok = false;
                break;
            }
        }
        if !row_ok {
            continue;
        }
        let id = field(col_id).unwrap_or_default();
        if id.is_empty() {
            push(
                &mut diags,
                here(
                    line,
                    column_of(col_id),
                    "id",
                    "missing account id".into(),
                    "a non-empty id, unique in the file",
                    Some(line_text()),
                ),
            );
            row_ok = false;
        }
        let mut num = |col: usize,
                       name: &str,
                       lo: f64,
                       hi: f64,
                       allowed: &str,
                       diags: &mut Vec<Diagnostic>|
         -> Option<f64> {
            match field(col) {
                None => {
                    push(
                        diags,
                        here(
                            line,
                            column_of(col),
                            name,
                            format!("missing value for `{name}`"),
                            allowed,
                            Some(line_text()),
                        ),
                    );
                    None
                }
                Some("") => {
                    push(
                        diags,
                        here(
                            line,
                            column_of(col),
                            name,
                            format!("empty value for `{name}`"),
                            allowed,
                            Some(line_text()),
                        ),
                    );
                    None
                }
                Some(s) => match s.parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= lo && x <= hi => Some(x),
                    Ok(x) => {
                        push(
                            diags,
                            here(
                                line,
                                column_of(col),
                                name,
                                format!("`{name}` is {x}, out of range"),
                                allowed,
                                Some(line_text()),
                            ),
                        );
                        None
                    }
                    Err(_) => {
                        push(
                            diags,
                            here(
                                line,
                                column_of(col),
                                name,
                                format!("`{name}` is not a number: \"{s}\""),
                                allowed,
                                Some(line_text()),
                            ),
                        );
                        None
                    }
                },
            }
        };
        let potential = num(
            col_pot,
            "potential",
            0.0,
            crate::scenario::reader::MAX_MAGNITUDE,
            "a number from 0 to 1e12 (currency per year)",
            &mut diags,
        );
        let fit = num(col_fit, "fit", 0.0, 1.0, "a number from 0 to 1", &mut diags);
        let (Some(potential), Some(fit), true) = (potential, fit, row_ok) else {
            if !id.is_empty() {
                rejected.push((id.to_string(), line, start));
            }
            continue;
        };
        let seg = col_seg
            .and_then(field)
            .filter(|s| !s.is_empty())
            .unwrap_or("all");
        if !segment_index.contains_key(seg) && segment_index.len() > u16::MAX as usize {
            push(
                &mut diags,
                here(
                    line,
                    col_seg.map_or(1, column_of),
                    "segment",
                    format!(
                        "more than {} distinct segments: \"{seg}\" is one too many",
                        u16::MAX as usize + 1
                    ),
                    "at most 65,536 distinct segment labels (a segment groups many accounts)",
                    Some(line_text()),
                ),
            );
            continue;
        }
        let s = match segment_index.get(seg) {
            Some(&s) => s,
            None => {
                let next = segment_index.len() as u16;
                segment_index.insert(seg.to_string(), next);
                out.segments.push(seg.to_string());
                next
            }
        };
        lines.push((line, start));
        out.id.push(id.to_string());
        out.potential.push(potential);
        out.fit.push(fit);
        out.segment.push(s);
    }
    let n = out.id.len();
    let id_of = |k: usize| -> &str {
        if k < n {
            &out.id[k]
        } else {
            &rejected[k - n].0
        }
    };
    let place_of = |k: usize| {
        if k < n {
            lines[k]
        } else {
            (rejected[k - n].1, rejected[k - n].2)
        }
    };
    let mut order: Vec<u32> = (0..(n + rejected.len()) as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        id_of(a as usize)
            .cmp(id_of(b as usize))
            .then(place_of(a as usize).cmp(&place_of(b as usize)))
    });
    let mut dups = Vec::new();
    for w in order.chunk_by(|&a, &b| id_of(a as usize) == id_of(b as usize)) {
        for &k in &w[1..] {
            dups.push((place_of(w[0] as usize).0, k as usize));
        }
    }
    dups.sort_unstable_by_key(|&(_, k)| place_of(k));
    for (first, k) in dups {
        let (line, start) = place_of(k);
        let id = id_of(k);
        let text = {
            let rest = &bytes[start.min(bytes.len())..];
            let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            String::from_utf8_lossy(&rest[..end]).trim_end().to_string()
        };
        push(
            &mut diags,
            here(
                line,
                text.split(',')
                    .take(col_id)
                    .map(|f| f.chars().count() + 1)
                    .sum::<usize>()
                    + 1,
                "id",
                format!("duplicate account id \"{id}\" (first on line {first})"),
                "each id once",
                Some(text),
            ),
        );
    }
    diags.sort_by_key(|d| d.line);
    if extra > 0 {
        diags.push(Diagnostic {
            more: extra,
            ..here(
                0,
                0,
                "rows",
                format!("… and {extra} more row problems"),
                "",
                None,
            )
        });
    }
    if out.id.is_empty() && diags.is_empty() {
        diags.push(here(
            1,
            1,
            "rows",
            "the file has no account rows".into(),
            "one row per account after the header",
            None,
        ));
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_ignores_other_columns() {
        let csv = b"Id,Name,Potential,Fit,Segment\nA1,Acme,1000,0.5,mid\nA2,Beta,20.5,1,key\n";
        let a = parse(csv, "a.csv").unwrap();
        assert_eq!(a.id, vec!["A1", "A2"]);
        assert_eq!(a.potential, vec![1000.0, 20.5]);
        assert_eq!(a.segments, vec!["mid", "key"]);
    }

    #[test]
    fn reports_every_bad_row_with_line_and_column() {
        let csv = b"id,potential,fit\nA1,abc,0.5\nA2,10,1.5\nA1,5,0.1\nA4,,0.2\n";
        let d = parse(csv, "a.csv").unwrap_err();
        assert_eq!(d.len(), 4, "{d:#?}");
        assert_eq!((d[0].line, d[0].column), (2, 4));
        assert!(d[0].message.contains("not a number"));
        assert_eq!((d[1].line, d[1].column), (3, 7));
        assert!(
            d[2].message
                .contains("duplicate account id \"A1\" (first on line 2)")
        );
        assert!(d[3].message.contains("empty value for `potential`"));
    }

    #[test]
    fn missing_columns_are_named() {
        let d = parse(b"id,fit\nA,0.2\n", "a.csv").unwrap_err();
        assert!(d[0].message.contains("potential"), "{}", d[0].message);
    }
}
