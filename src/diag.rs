//! Diagnostics for bad input: every problem found, each with file, line, column, the key path and
//! what is allowed. The library builds them; only the CLI prints them.

use std::fmt::Write as _;
use std::ops::Range;

/// One problem in a user's input.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// File the problem is in, as the user named it.
    pub file: String,
    /// 1-based line, 0 when the problem is not tied to a place in the file.
    pub line: usize,
    /// 1-based column (characters), 0 when unknown.
    pub column: usize,
    /// Dotted key path (`designs[1].headcount.field`), or a CSV column name.
    pub key_path: String,
    /// What is wrong.
    pub message: String,
    /// What would be accepted.
    pub allowed: String,
    /// The offending source line and the width to underline, for a snippet.
    pub snippet: Option<(String, usize)>,
    /// For a line that stands for problems not listed one by one (`… and 10 more row
    /// problems`), how many; 0 for a problem of its own.
    pub more: usize,
}

impl Diagnostic {
    /// Renders the diagnostic the way compilers do: a headline, the place, the line, a caret.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "error: {}", self.message);
        if self.line > 0 {
            let _ = writeln!(out, "  --> {}:{}:{}", self.file, self.line, self.column);
        } else {
            let _ = writeln!(out, "  --> {}", self.file);
        }
        if let Some((text, width)) = &self.snippet {
            let num = self.line.to_string();
            let pad = " ".repeat(num.len());
            let _ = writeln!(out, "  {pad} |");
            let _ = writeln!(out, "  {num} | {text}");
            let caret_pad = " ".repeat(self.column.saturating_sub(1));
            let _ = writeln!(out, "  {pad} | {caret_pad}{}", "^".repeat((*width).max(1)));
        }
        if !self.key_path.is_empty() {
            let _ = writeln!(out, "   = key: {}", self.key_path);
        }
        if !self.allowed.is_empty() {
            let _ = writeln!(out, "   = allowed: {}", self.allowed);
        }
        out
    }
}

/// A source text with its name, able to turn byte spans into line and column.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl<'a> Source<'a> {
    pub fn new(name: &'a str, text: &'a str) -> Self {
        Source { name, text }
    }

    /// 1-based (line, column) of a byte offset, columns counted in characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    /// Builds a diagnostic pointing at `span` in this source.
    pub fn diag(
        &self,
        span: Option<Range<usize>>,
        key_path: &str,
        message: impl Into<String>,
        allowed: impl Into<String>,
    ) -> Diagnostic {
        let (line, column, snippet) = match span {
            Some(span) => {
                let (line, column) = self.line_col(span.start);
                let text = self.text.lines().nth(line - 1).unwrap_or("").trim_end();
                let rest = text.chars().count().saturating_sub(column - 1);
                let end = floor_char_boundary(self.text, span.end.min(self.text.len()));
                let start = floor_char_boundary(self.text, span.start);
                let width = self.text[start..end]
                    .lines()
                    .next()
                    .map_or(1, |l| l.chars().count())
                    .clamp(1, rest.max(1));
                (line, column, Some((text.to_string(), width)))
            }
            None => (0, 0, None),
        };
        Diagnostic {
            file: self.name.to_string(),
            line,
            column,
            key_path: key_path.to_string(),
            message: message.into(),
            allowed: allowed.into(),
            snippet,
            more: 0,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Renders a list of diagnostics in file order (see [`in_file_order`]) with a closing count
/// line.
pub fn render_all(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in in_file_order(diags) {
        out.push_str(&d.render());
        out.push('\n');
    }
    let n = count(diags);
    let _ = writeln!(
        out,
        "{n} problem{} found; nothing was written.",
        if n == 1 { "" } else { "s" }
    );
    out
}

/// The diagnostics by file (in the order the files first appear), then line, then column;
/// those without a place in their file last, in the order they were found.
pub fn in_file_order(diags: &[Diagnostic]) -> Vec<&Diagnostic> {
    let mut files: Vec<&str> = Vec::new();
    for d in diags {
        if !files.contains(&d.file.as_str()) {
            files.push(&d.file);
        }
    }
    let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
    sorted.sort_by_key(|d| {
        let file = files.iter().position(|f| *f == d.file).unwrap_or(0);
        if d.line == 0 {
            (1, 0, 0, 0)
        } else {
            (0, file, d.line, d.column)
        }
    });
    sorted
}

/// How many problems `diags` report: each listed one, and those a summary line stands for.
pub fn count(diags: &[Diagnostic]) -> usize {
    diags.iter().map(|d| d.more.max(1)).sum()
}

/// Edit distance, for "did you mean" suggestions.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidates closest to `word` (at most three), for suggestions.
pub fn near_matches<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (levenshtein(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(2))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// "one of `a`, `b`, `c`" for messages.
pub fn one_of<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let list: Vec<String> = items.into_iter().map(|s| format!("`{s}`")).collect();
    match list.len() {
        0 => "nothing is defined yet".to_string(),
        1 => list[0].clone(),
        _ => format!("one of {}", list.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let src = Source::new("x.toml", "a = 1\nbé = 2\n");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(6), (2, 1));
        // 'é' is two bytes; '=' is the 4th character of line 2
        assert_eq!(src.line_col(10), (2, 4));
    }

    #[test]
    fn suggestions_find_typos() {
        assert_eq!(
            near_matches("hedcount", ["headcount", "clarity"]),
            vec!["headcount"]
        );
        assert!(near_matches("zzz", ["headcount"]).is_empty());
    }
}
