//! The CRM export, parsed into typed records: opportunities (required), and the optional
//! account, owner → channel and product tables they join to. Columns are found by name with the
//! Salesforce, HubSpot and Maven names as aliases; every bad cell is reported with its file,
//! line and column, all at once (`crate::diag::Diagnostic`).

use std::collections::{HashMap, HashSet};

use crate::diag::{Diagnostic, near_matches, one_of};

/// At most this many problems are listed per file; the rest are counted.
const MAX_REPORTED: usize = 50;

/// Day number: days since 1970-01-01 (proleptic Gregorian).
pub type Day = i64;

/// How dates are written in the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// `YYYY-MM-DD`, optionally followed by a time (`T…` or ` …`).
    Iso,
    /// `DD-MM-YYYY` (also with `/` or `.`).
    DayMonthYear,
    /// `MM/DD/YYYY` (also with `-`).
    MonthDayYear,
}

impl DateFormat {
    pub const NAMES: [&'static str; 3] = ["YYYY-MM-DD", "DD-MM-YYYY", "MM/DD/YYYY"];

    pub fn parse(s: &str) -> Option<DateFormat> {
        match s.to_ascii_uppercase().as_str() {
            "YYYY-MM-DD" | "ISO" => Some(DateFormat::Iso),
            "DD-MM-YYYY" | "DD/MM/YYYY" | "DD.MM.YYYY" => Some(DateFormat::DayMonthYear),
            "MM/DD/YYYY" | "MM-DD-YYYY" => Some(DateFormat::MonthDayYear),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DateFormat::Iso => Self::NAMES[0],
            DateFormat::DayMonthYear => Self::NAMES[1],
            DateFormat::MonthDayYear => Self::NAMES[2],
        }
    }

    /// The day a cell names, or `None` when it is not a date in this format.
    pub fn read(self, s: &str) -> Option<Day> {
        let s = s.trim();
        let date = match self {
            DateFormat::Iso => s.split(['T', ' ']).next()?,
            _ => s.split(' ').next()?,
        };
        let parts: Vec<&str> = date.split(['-', '/', '.']).collect();
        if parts.len() != 3 {
            return None;
        }
        let num = |p: &str| -> Option<i64> {
            (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        let (y, m, d) = match self {
            DateFormat::Iso => (num(parts[0])?, num(parts[1])?, num(parts[2])?),
            DateFormat::DayMonthYear => (num(parts[2])?, num(parts[1])?, num(parts[0])?),
            DateFormat::MonthDayYear => (num(parts[2])?, num(parts[0])?, num(parts[1])?),
        };
        if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in(y, m) {
            return None;
        }
        Some(day_of(y, m, d))
    }
}

fn days_in(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`).
pub fn day_of(y: i64, m: i64, d: i64) -> Day {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number (H. Hinnant's `civil_from_days`).
pub fn civil(z: Day) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// `YYYY-MM-DD`.
pub fn show_day(z: Day) -> String {
    let (y, m, d) = civil(z);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Month number (year·12 + month − 1) of a day.
pub fn month_of(z: Day) -> i64 {
    let (y, m, _) = civil(z);
    y * 12 + m - 1
}

/// First day of a month number.
pub fn month_start(month: i64) -> Day {
    day_of(month.div_euclid(12), month.rem_euclid(12) + 1, 1)
}

/// `YYYY-MM`.
pub fn show_month(month: i64) -> String {
    format!(
        "{:04}-{:02}",
        month.div_euclid(12),
        month.rem_euclid(12) + 1
    )
}

/// Outcome of an opportunity as the export states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Won,
    Lost,
    Open,
}

/// One row of the opportunities file.
#[derive(Debug, Clone)]
pub struct Opportunity {
    pub id: String,
    pub account: Option<String>,
    pub created: Option<Day>,
    pub closed: Option<Day>,
    pub status: Status,
    /// Close value (won) or last amount; `None` when empty.
    pub amount: Option<f64>,
    pub owner: Option<String>,
    pub list_amount: Option<f64>,
    pub product: Option<String>,
    pub source: Option<String>,
    /// Line in the file, for messages.
    pub line: usize,
}

/// The export and its optional tables, parsed and joined.
#[derive(Debug, Clone, Default)]
pub struct Export {
    pub opportunities: Vec<Opportunity>,
    /// The accounts table's ids (with fit when it has one), if given.
    pub accounts: Option<Vec<(String, Option<f64>)>>,
    /// Owner → channel name, if given.
    pub owners: Option<HashMap<String, String>>,
    /// Product → list price, if given (names compared without case and spaces).
    pub products: Option<HashMap<String, f64>>,
    /// Product names of the export that matched the products table only once case and spaces
    /// are ignored (`GTXPro` → `GTX Pro`): a trap worth reporting.
    pub product_aliases: Vec<(String, String)>,
    /// Header each role was read from, for the report.
    pub columns: Vec<(String, String)>,
    /// Potential (annual revenue) per account from the accounts file, when it has such a column.
    pub account_potential: HashMap<String, f64>,
    /// Header the account potential was read from.
    pub potential_column: Option<String>,
    /// The stage and owner history, if given (rows in file order).
    pub history: Option<Vec<Change>>,
}

/// What a history row changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Stage,
    Owner,
}

/// One row of the history file: opportunity `opportunity` (index into `Export::opportunities`)
/// had `field` changed from `old` to `new` on `day`.
#[derive(Debug, Clone)]
pub struct Change {
    pub opportunity: usize,
    pub day: Day,
    pub field: Field,
    pub old: String,
    pub new: String,
    pub line: usize,
}

/// One input file: its name as the user gave it and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct FileBytes<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// What the parser needs to know beyond the bytes.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    pub date_format: DateFormat,
    /// `--columns role=Header`.
    pub columns: Vec<(String, String)>,
    /// Stage names that mean "open" besides the usual CRM ones (the scenario's stages).
    pub open_stages: Vec<String>,
    /// Channel names an owners table may use.
    pub channels: Vec<String>,
}

/// Roles of the opportunities file's columns, with their accepted header names.
const ROLES: &[(&str, &[&str], bool)] = &[
    (
        "id",
        &["Id", "hs_object_id", "opportunity_id", "OpportunityId"],
        true,
    ),
    (
        "account",
        &["AccountId", "account", "account_id", "associatedcompanyid"],
        false,
    ),
    (
        "created",
        &["CreatedDate", "createdate", "engage_date", "created"],
        true,
    ),
    (
        "closed",
        &["CloseDate", "closedate", "close_date", "closed"],
        true,
    ),
    (
        "stage",
        &["StageName", "deal_stage", "dealstage", "status"],
        false,
    ),
    ("won", &["IsWon", "hs_is_closed_won"], false),
    ("is_closed", &["IsClosed", "hs_is_closed"], false),
    ("amount", &["Amount", "close_value"], false),
    (
        "owner",
        &["OwnerId", "hubspot_owner_id", "sales_agent", "owner"],
        false,
    ),
    (
        "list_amount",
        &["list_amount", "ListPrice", "list_price"],
        false,
    ),
    ("product", &["product", "Product2Id", "ProductName"], false),
    (
        "source",
        &["source", "LeadSource", "hs_analytics_source"],
        false,
    ),
];

/// Role names `--columns` accepts.
/// Reports the columns a table lacks (one problem at its header), if any; whether it did.
fn missing_columns(t: &Table, missing: &[String], sink: &mut Sink, allowed: &str) -> bool {
    if missing.is_empty() {
        return false;
    }
    sink.push(
        1,
        1,
        "header",
        format!(
            "no column for {} (found: {})",
            missing.join("; "),
            t.headers.join(", ")
        ),
        allowed,
    );
    true
}

pub fn role_names() -> Vec<&'static str> {
    ROLES.iter().map(|r| r.0).collect()
}

const WON: &[&str] = &["won", "closed won", "closedwon", "closed-won"];
const LOST: &[&str] = &["lost", "closed lost", "closedlost", "closed-lost"];
/// Open stage names of Salesforce, HubSpot and Maven defaults.
const OPEN: &[&str] = &[
    "open",
    "prospecting",
    "engaging",
    "qualification",
    "needs analysis",
    "value proposition",
    "id. decision makers",
    "perception analysis",
    "proposal/price quote",
    "negotiation/review",
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
];

/// Product names compare without case and spaces (`GTXPro` is `GTX Pro`).
pub fn product_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Collects diagnostics for one file, up to `MAX_REPORTED`.
struct Sink<'a> {
    file: &'a str,
    diags: Vec<Diagnostic>,
    extra: usize,
}

impl Sink<'_> {
    fn push(&mut self, line: usize, column: usize, key: &str, message: String, allowed: &str) {
        if self.diags.len() < MAX_REPORTED {
            self.diags.push(Diagnostic {
                file: self.file.to_string(),
                line,
                column,
                key_path: key.to_string(),
                message,
                allowed: allowed.to_string(),
                snippet: None,
                more: 0,
            });
        } else {
            self.extra += 1;
        }
    }

    fn finish(mut self) -> Vec<Diagnostic> {
        if self.extra > 0 {
            self.diags.push(Diagnostic {
                file: self.file.to_string(),
                line: 0,
                column: 0,
                key_path: String::new(),
                message: format!("... and {} more problems in this file", self.extra),
                allowed: String::new(),
                snippet: None,
                more: self.extra,
            });
        }
        self.diags
    }
}

/// A CSV table: header names and rows of trimmed cells with their line and the column
/// (characters) where each cell starts.
struct Table {
    headers: Vec<String>,
    rows: Vec<Row>,
}

struct Row {
    line: usize,
    cells: Vec<String>,
    columns: Vec<usize>,
}

impl Row {
    fn get(&self, i: Option<usize>) -> &str {
        i.and_then(|i| self.cells.get(i)).map_or("", |s| s.as_str())
    }
    fn column(&self, i: Option<usize>) -> usize {
        i.and_then(|i| self.columns.get(i).copied()).unwrap_or(1)
    }
}

fn read_table(f: FileBytes, sink: &mut Sink) -> Option<Table> {
    let text = match std::str::from_utf8(f.bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = std::str::from_utf8(&f.bytes[..e.valid_up_to()]).unwrap_or_default();
            let line = valid.matches('\n').count() + 1;
            let column = valid[valid.rfind('\n').map_or(0, |i| i + 1)..]
                .chars()
                .count()
                + 1;
            sink.push(
                line,
                column,
                "",
                format!("byte 0x{:02X} is not UTF-8 text", f.bytes[e.valid_up_to()]),
                "UTF-8 text: save the file as CSV UTF-8",
            );
            return None;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut headers = None;
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                sink.push(line, 1, "", format!("unreadable row: {e}"), "a CSV row");
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let start = rec.position().map_or(0, |p| p.byte() as usize);
        // Columns: where each field starts on its line, found by scanning the raw text.
        let raw = &text[start.min(text.len())..];
        let mut columns = Vec::with_capacity(rec.len());
        let mut quoted = false;
        columns.push(1);
        for (col, ch) in (1usize..).zip(raw.chars()) {
            if ch == '"' {
                quoted = !quoted;
            } else if !quoted && (ch == '\n' || ch == '\r') {
                break;
            } else if !quoted && ch == ',' {
                columns.push(col + 1);
            }
        }
        let cells: Vec<String> = rec.iter().map(|c| c.trim().to_string()).collect();
        if headers.is_none() {
            headers = Some(cells);
            continue;
        }
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        rows.push(Row {
            line,
            cells,
            columns,
        });
    }
    match headers {
        Some(headers) => Some(Table { headers, rows }),
        None => {
            sink.push(
                1,
                1,
                "header",
                "the file is empty".into(),
                "a header row, then one row per record",
            );
            None
        }
    }
}

/// Finds the column of a role: an explicit `--columns` header first, then the aliases.
fn find(
    t: &Table,
    role: &str,
    aliases: &[&str],
    explicit: &[(String, String)],
) -> Result<Option<usize>, String> {
    let by = |name: &str| {
        t.headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    if let Some((_, header)) = explicit.iter().find(|(r, _)| r == role) {
        return by(header).map(Some).ok_or_else(|| {
            format!(
                "--columns names `{header}` for {role}, but the header has no such column (found: {})",
                t.headers.join(", ")
            )
        });
    }
    Ok(aliases.iter().find_map(|a| by(a)))
}

/// Parses the opportunities file and the tables given beside it, and checks their joins.
pub fn parse(
    opportunities: FileBytes,
    accounts: Option<FileBytes>,
    owners: Option<FileBytes>,
    products: Option<FileBytes>,
    history: Option<FileBytes>,
    opts: &ParseOptions,
) -> Result<Export, Vec<Diagnostic>> {
    let mut all = Vec::new();
    let mut export = Export::default();

    if let Some(f) = accounts {
        let mut sink = Sink {
            file: f.name,
            diags: Vec::new(),
            extra: 0,
        };
        export.accounts = parse_accounts(f, &mut sink, &mut export);
        all.extend(sink.finish());
    }
    if let Some(f) = owners {
        let mut sink = Sink {
            file: f.name,
            diags: Vec::new(),
            extra: 0,
        };
        export.owners = parse_owners(f, &opts.channels, &mut sink);
        all.extend(sink.finish());
    }
    if let Some(f) = products {
        let mut sink = Sink {
            file: f.name,
            diags: Vec::new(),
            extra: 0,
        };
        export.products = parse_products(f, &mut sink);
        all.extend(sink.finish());
    }

    let mut sink = Sink {
        file: opportunities.name,
        diags: Vec::new(),
        extra: 0,
    };
    if let Some(t) = read_table(opportunities, &mut sink) {
        parse_opportunities(&t, opts, &mut export, &mut sink);
    }
    all.extend(sink.finish());
    if let Some(f) = history {
        let mut sink = Sink {
            file: f.name,
            diags: Vec::new(),
            extra: 0,
        };
        export.history = parse_history(f, opts, &export, &mut sink);
        all.extend(sink.finish());
    }
    if all.is_empty() { Ok(export) } else { Err(all) }
}

fn parse_opportunities(t: &Table, opts: &ParseOptions, export: &mut Export, sink: &mut Sink) {
    for (role, _) in &opts.columns {
        if !ROLES.iter().any(|r| r.0 == role) {
            sink.push(
                0,
                0,
                "--columns",
                format!("unknown column role `{role}` in --columns"),
                &one_of(role_names()),
            );
        }
    }
    let mut col: HashMap<&str, Option<usize>> = HashMap::new();
    for (role, aliases, _) in ROLES {
        match find(t, role, aliases, &opts.columns) {
            Ok(c) => {
                if let Some(i) = c {
                    export
                        .columns
                        .push((role.to_string(), t.headers[i].clone()));
                }
                col.insert(role, c);
            }
            Err(msg) => {
                sink.push(1, 1, "--columns", msg, "a header of the file");
                col.insert(role, None);
            }
        }
    }
    let has_status = col["stage"].is_some() || col["won"].is_some();
    let mut missing = Vec::new();
    for (role, aliases, required) in ROLES {
        if *required && col[role].is_none() {
            missing.push(format!("{role} ({})", aliases.join(", ")));
        }
    }
    if !has_status {
        missing.push("status (StageName, deal_stage, or IsWon with IsClosed)".into());
    }
    if missing_columns(
        t,
        &missing,
        sink,
        "a header with these columns, or --columns role=Header to name others",
    ) {
        return;
    }
    let accounts: Option<HashSet<&str>> = export
        .accounts
        .as_ref()
        .map(|a| a.iter().map(|(id, _)| id.as_str()).collect());
    let product_index: Option<HashMap<String, String>> = export
        .products
        .as_ref()
        .map(|p| p.keys().map(|k| (product_key(k), k.clone())).collect());
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut aliases: Vec<(String, String)> = Vec::new();
    let fmt = opts.date_format;
    for row in &t.rows {
        let c = |role: &str| col[role];
        let cell = |role: &str| row.get(c(role));
        let at = |role: &str| row.column(c(role));
        let mut ok = true;
        let header = |role: &str| c(role).map_or(role.to_string(), |i| t.headers[i].clone());

        let id = cell("id").to_string();
        if id.is_empty() {
            sink.push(
                row.line,
                at("id"),
                &header("id"),
                "missing opportunity id".into(),
                "a non-empty id, unique in the file",
            );
            ok = false;
        } else if let Some(first) = seen.get(&id) {
            sink.push(
                row.line,
                at("id"),
                &header("id"),
                format!("duplicate opportunity id `{id}` (first on line {first})"),
                "each id once",
            );
            ok = false;
        } else {
            seen.insert(id.clone(), row.line);
        }

        // Status.
        let status = if c("stage").is_some() {
            let s = cell("stage").to_lowercase();
            if WON.contains(&s.as_str()) {
                Some(Status::Won)
            } else if LOST.contains(&s.as_str()) {
                Some(Status::Lost)
            } else if OPEN.contains(&s.as_str())
                || opts.open_stages.iter().any(|o| o.eq_ignore_ascii_case(&s))
            {
                Some(Status::Open)
            } else {
                let near = near_matches(&s, WON.iter().chain(LOST).chain(OPEN).copied());
                sink.push(
                    row.line,
                    at("stage"),
                    &header("stage"),
                    format!(
                        "unknown status `{}`{}",
                        cell("stage"),
                        if near.is_empty() {
                            String::new()
                        } else {
                            format!("; did you mean `{}`?", near[0])
                        }
                    ),
                    "Won / Closed Won, Lost / Closed Lost, or an open stage (Prospecting, Engaging, Qualification, … or a stage of the scenario)",
                );
                None
            }
        } else {
            let flag = |role: &str| -> Result<bool, ()> {
                match cell(role).to_lowercase().as_str() {
                    "true" | "1" | "yes" => Ok(true),
                    "false" | "0" | "no" | "" => Ok(false),
                    _ => Err(()),
                }
            };
            let won = flag("won");
            let closed = if c("is_closed").is_some() {
                flag("is_closed")
            } else {
                Ok(!cell("closed").is_empty())
            };
            for (role, v) in [("won", &won), ("is_closed", &closed)] {
                if v.is_err() {
                    sink.push(
                        row.line,
                        at(role),
                        &header(role),
                        format!("unknown status value `{}`", cell(role)),
                        "true or false (also 1/0, yes/no)",
                    );
                }
            }
            match (won, closed) {
                (Ok(true), _) => Some(Status::Won),
                (Ok(false), Ok(true)) => Some(Status::Lost),
                (Ok(false), Ok(false)) => Some(Status::Open),
                _ => None,
            }
        };
        if status.is_none() {
            ok = false;
        }

        let mut date = |role: &str| -> Option<Day> {
            let s = cell(role);
            if s.is_empty() {
                return None;
            }
            let d = fmt.read(s);
            if d.is_none() {
                sink.push(
                    row.line,
                    at(role),
                    &header(role),
                    format!("`{s}` is not a date in the format {}", fmt.name()),
                    &format!(
                        "a date written {} (set the format with --date-format {})",
                        fmt.name(),
                        DateFormat::NAMES.join(" | ")
                    ),
                );
                ok = false;
            }
            d
        };
        let created = date("created");
        let closed = date("closed");
        if let Some(st @ (Status::Won | Status::Lost)) = status {
            let what = if st == Status::Won { "won" } else { "lost" };
            if cell("closed").is_empty() {
                sink.push(
                    row.line,
                    at("closed"),
                    &header("closed"),
                    format!("a {what} deal without a close date"),
                    "the date the deal was closed",
                );
                ok = false;
            }
            if cell("created").is_empty() {
                sink.push(
                    row.line,
                    at("created"),
                    &header("created"),
                    format!("a {what} deal without a created date"),
                    "the date the opportunity was created",
                );
                ok = false;
            }
        }
        if let (Some(a), Some(b)) = (created, closed) {
            if b < a {
                sink.push(
                    row.line,
                    at("closed"),
                    &header("closed"),
                    format!(
                        "closed on {} before it was created on {}",
                        show_day(b),
                        show_day(a)
                    ),
                    "a close date on or after the created date",
                );
                ok = false;
            }
        }

        let mut money = |role: &str| -> Option<f64> {
            let s = cell(role);
            if s.is_empty() {
                return None;
            }
            match s.parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Some(x),
                _ => {
                    sink.push(
                        row.line,
                        at(role),
                        &header(role),
                        format!("`{s}` is not an amount"),
                        "a number ≥ 0 without currency signs or thousands separators, or empty",
                    );
                    ok = false;
                    None
                }
            }
        };
        let amount = money("amount");
        let list_amount = money("list_amount");

        let account = Some(cell("account").to_string()).filter(|s| !s.is_empty());
        if let (Some(a), Some(known)) = (&account, &accounts) {
            if !known.contains(a.as_str()) {
                sink.push(
                    row.line,
                    at("account"),
                    &header("account"),
                    format!("account `{a}` is not in the accounts file"),
                    "an id of the accounts file",
                );
                ok = false;
            }
        }
        let owner = Some(cell("owner").to_string()).filter(|s| !s.is_empty());
        if let (Some(o), Some(known)) = (&owner, &export.owners) {
            if !known.contains_key(o) {
                sink.push(
                    row.line,
                    at("owner"),
                    &header("owner"),
                    format!("owner `{o}` is not in the owners file"),
                    "an owner of the owners file",
                );
                ok = false;
            }
        }
        let mut product = Some(cell("product").to_string()).filter(|s| !s.is_empty());
        if let (Some(p), Some(index)) = (&product, &product_index) {
            match index.get(&product_key(p)) {
                Some(name) if name == p => {}
                Some(name) => {
                    if !aliases.iter().any(|(a, _)| a == p) {
                        aliases.push((p.clone(), name.clone()));
                    }
                    product = Some(name.clone());
                }
                None => {
                    sink.push(
                        row.line,
                        at("product"),
                        &header("product"),
                        format!("product `{p}` is not in the products file"),
                        "a product of the products file",
                    );
                    ok = false;
                }
            }
        }
        let source = Some(cell("source").to_string()).filter(|s| !s.is_empty());
        if ok {
            export.opportunities.push(Opportunity {
                id,
                account,
                created,
                closed: if status == Some(Status::Open) {
                    None
                } else {
                    closed
                },
                status: status.unwrap_or(Status::Open),
                amount,
                owner,
                list_amount,
                product,
                source,
                line: row.line,
            });
        }
    }
    aliases.sort();
    export.product_aliases = aliases;
}

/// Headers of an accounts file's potential, in the order they are looked for (compared without
/// case).
pub const POTENTIAL_COLUMNS: &[&str] = &["potential", "AnnualRevenue", "annual_revenue", "Revenue"];

fn parse_accounts(
    f: FileBytes,
    sink: &mut Sink,
    export: &mut Export,
) -> Option<Vec<(String, Option<f64>)>> {
    let t = read_table(f, sink)?;
    let id = find(&t, "id", &["account", "AccountId", "Id", "id", "name"], &[]).ok()??;
    let fit = find(&t, "fit", &["fit", "icp_score", "icp"], &[]).ok()?;
    let potential = find(&t, "potential", POTENTIAL_COLUMNS, &[]).ok()?;
    export.potential_column = potential.map(|i| t.headers[i].clone());
    let mut out = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in &t.rows {
        let a = row.get(Some(id)).to_string();
        if a.is_empty() {
            sink.push(
                row.line,
                row.column(Some(id)),
                &t.headers[id],
                "missing account id".into(),
                "a non-empty id",
            );
            continue;
        }
        if let Some(first) = seen.get(&a) {
            sink.push(
                row.line,
                row.column(Some(id)),
                &t.headers[id],
                format!("duplicate account `{a}` (first on line {first})"),
                "each account once",
            );
            continue;
        }
        seen.insert(a.clone(), row.line);
        let fit_value = match fit.map(|i| row.get(Some(i))) {
            None | Some("") => None,
            Some(s) => match s.parse::<f64>() {
                Ok(x) if (0.0..=1.0).contains(&x) => Some(x),
                _ => {
                    sink.push(
                        row.line,
                        row.column(fit),
                        &t.headers[fit.unwrap_or(0)],
                        format!("fit `{s}` is not a number between 0 and 1"),
                        "a number between 0 and 1, or empty",
                    );
                    None
                }
            },
        };
        if let Some(i) = potential {
            let s = row.get(Some(i));
            if !s.is_empty() {
                match s.parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 0.0 => {
                        export.account_potential.insert(a.clone(), x);
                    }
                    _ => sink.push(
                        row.line,
                        row.column(Some(i)),
                        &t.headers[i],
                        format!("potential `{s}` is not a number ≥ 0"),
                        "a number ≥ 0 without currency signs or thousands separators, or empty",
                    ),
                }
            }
        }
        out.push((a, fit_value));
    }
    Some(out)
}

/// `Field` values of a history file: the stage, or the owner (Salesforce `StageName`,
/// `Owner`, `OwnerId`; HubSpot `dealstage`, `hubspot_owner_id`).
const STAGE_FIELDS: &[&str] = &["stage", "StageName", "deal_stage", "dealstage"];
const OWNER_FIELDS: &[&str] = &[
    "owner",
    "Owner",
    "OwnerId",
    "hubspot_owner_id",
    "sales_agent",
];
/// Salesforce writes a `created` row when an opportunity is made: known, carries no change.
const SKIPPED_FIELDS: &[&str] = &["created", "opportunityCreatedFromLead"];

fn parse_history(
    f: FileBytes,
    opts: &ParseOptions,
    export: &Export,
    sink: &mut Sink,
) -> Option<Vec<Change>> {
    let t = read_table(f, sink)?;
    let roles: [(&str, &[&str]); 5] = [
        (
            "opportunity_id",
            &["opportunity_id", "OpportunityId", "deal_id", "id"],
        ),
        (
            "changed_at",
            &[
                "changed_at",
                "CreatedDate",
                "changed_date",
                "date",
                "timestamp",
            ],
        ),
        ("field", &["field", "Field", "property"]),
        ("old", &["old", "OldValue", "old_value"]),
        ("new", &["new", "NewValue", "new_value"]),
    ];
    let mut col = Vec::new();
    let mut missing = Vec::new();
    for (role, aliases) in roles {
        match find(&t, role, aliases, &[]).ok().flatten() {
            Some(i) => col.push(i),
            None => missing.push(format!("{role} ({})", aliases.join(", "))),
        }
    }
    if missing_columns(
        &t,
        &missing,
        sink,
        "columns opportunity_id, changed_at, field, old, new (or Salesforce's OpportunityId, CreatedDate, Field, OldValue, NewValue)",
    ) {
        return None;
    }
    let index: HashMap<&str, usize> = export
        .opportunities
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.as_str(), i))
        .collect();
    let is = |list: &[&str], v: &str| list.iter().any(|x| x.eq_ignore_ascii_case(v));
    let mut out = Vec::new();
    for row in &t.rows {
        let cell = |k: usize| row.get(Some(col[k]));
        let at = |k: usize| row.column(Some(col[k]));
        let head = |k: usize| t.headers[col[k]].clone();
        let mut ok = true;
        let id = cell(0);
        let opportunity = index.get(id).copied();
        if opportunity.is_none() {
            sink.push(
                row.line,
                at(0),
                &head(0),
                format!("opportunity `{id}` is not in the opportunities file"),
                "an id of the opportunities file",
            );
            ok = false;
        }
        let day = opts.date_format.read(cell(1));
        if day.is_none() {
            sink.push(
                row.line,
                at(1),
                &head(1),
                format!(
                    "`{}` is not a date in the format {}",
                    cell(1),
                    opts.date_format.name()
                ),
                &format!(
                    "a date written {} (set the format with --date-format {})",
                    opts.date_format.name(),
                    DateFormat::NAMES.join(" | ")
                ),
            );
            ok = false;
        }
        let field = if is(STAGE_FIELDS, cell(2)) {
            Some(Field::Stage)
        } else if is(OWNER_FIELDS, cell(2)) {
            Some(Field::Owner)
        } else if is(SKIPPED_FIELDS, cell(2)) {
            continue;
        } else {
            sink.push(
                row.line,
                at(2),
                &head(2),
                format!("unknown field `{}`", cell(2)),
                "stage (StageName, deal_stage, dealstage) or owner (Owner, OwnerId, hubspot_owner_id, sales_agent)",
            );
            ok = false;
            None
        };
        if field == Some(Field::Owner) {
            if let Some(known) = &export.owners {
                for k in [3, 4] {
                    let o = cell(k);
                    if !o.is_empty() && !known.contains_key(o) {
                        sink.push(
                            row.line,
                            at(k),
                            &head(k),
                            format!("owner `{o}` is not in the owners file"),
                            "an owner of the owners file",
                        );
                        ok = false;
                    }
                }
            }
        }
        if let (true, Some(opportunity), Some(day), Some(field)) = (ok, opportunity, day, field) {
            out.push(Change {
                opportunity,
                day,
                field,
                old: cell(3).to_string(),
                new: cell(4).to_string(),
                line: row.line,
            });
        }
    }
    Some(out)
}

/// Whether a stage name is a CRM's closing stage (won or lost).
pub fn is_closing_stage(name: &str) -> bool {
    let s = name.trim().to_lowercase();
    WON.contains(&s.as_str()) || LOST.contains(&s.as_str())
}

fn parse_owners(
    f: FileBytes,
    channels: &[String],
    sink: &mut Sink,
) -> Option<HashMap<String, String>> {
    let t = read_table(f, sink)?;
    let owner = find(
        &t,
        "owner",
        &["owner", "OwnerId", "hubspot_owner_id", "sales_agent", "id"],
        &[],
    )
    .ok()?;
    let channel = find(&t, "channel", &["channel"], &[]).ok()?;
    let (Some(owner), Some(channel)) = (owner, channel) else {
        sink.push(
            1,
            1,
            "header",
            format!(
                "the owners file needs an owner column and a `channel` column (found: {})",
                t.headers.join(", ")
            ),
            "columns owner (or OwnerId, hubspot_owner_id, sales_agent) and channel",
        );
        return None;
    };
    let mut out = HashMap::new();
    for row in &t.rows {
        let o = row.get(Some(owner)).to_string();
        let c = row.get(Some(channel)).to_string();
        if o.is_empty() {
            sink.push(
                row.line,
                row.column(Some(owner)),
                &t.headers[owner],
                "missing owner".into(),
                "a non-empty owner id",
            );
            continue;
        }
        if !channels.contains(&c) {
            let near = near_matches(&c, channels.iter().map(String::as_str));
            sink.push(
                row.line,
                row.column(Some(channel)),
                &t.headers[channel],
                format!(
                    "unknown channel `{c}`{}",
                    near.first()
                        .map_or(String::new(), |n| format!("; did you mean `{n}`?"))
                ),
                &one_of(channels.iter().map(String::as_str)),
            );
            continue;
        }
        if out.insert(o.clone(), c).is_some() {
            sink.push(
                row.line,
                row.column(Some(owner)),
                &t.headers[owner],
                format!("owner `{o}` appears twice"),
                "each owner once",
            );
        }
    }
    Some(out)
}

fn parse_products(f: FileBytes, sink: &mut Sink) -> Option<HashMap<String, f64>> {
    let t = read_table(f, sink)?;
    let name = find(&t, "product", &["product", "name", "ProductName"], &[]).ok()?;
    let price = find(
        &t,
        "price",
        &[
            "sales_price",
            "list_price",
            "ListPrice",
            "UnitPrice",
            "price",
        ],
        &[],
    )
    .ok()?;
    let (Some(name), Some(price)) = (name, price) else {
        sink.push(
            1,
            1,
            "header",
            format!(
                "the products file needs a product column and a list price column (found: {})",
                t.headers.join(", ")
            ),
            "columns product and sales_price (or list_price, ListPrice, UnitPrice)",
        );
        return None;
    };
    let mut out = HashMap::new();
    for row in &t.rows {
        let p = row.get(Some(name)).to_string();
        let s = row.get(Some(price));
        match s.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => {
                out.insert(p, x);
            }
            _ => sink.push(
                row.line,
                row.column(Some(price)),
                &t.headers[price],
                format!("list price `{s}` is not a number"),
                "a number ≥ 0",
            ),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_the_calendar() {
        for z in [-1000, 0, 59, 365, 11_016, 17_532, 20_000] {
            let (y, m, d) = civil(z);
            assert_eq!(day_of(y, m, d), z);
        }
        assert_eq!(day_of(1970, 1, 1), 0);
        assert_eq!(day_of(2000, 3, 1) - day_of(2000, 2, 28), 2); // 2000 is a leap year
    }

    #[test]
    fn the_three_date_formats_read_the_same_day() {
        let d = day_of(2017, 3, 9);
        assert_eq!(DateFormat::Iso.read("2017-03-09"), Some(d));
        assert_eq!(DateFormat::Iso.read("2017-03-09T10:00:00Z"), Some(d));
        assert_eq!(DateFormat::DayMonthYear.read("09-03-2017"), Some(d));
        assert_eq!(DateFormat::MonthDayYear.read("03/09/2017"), Some(d));
        assert_eq!(DateFormat::Iso.read("2017-02-30"), None);
        assert_eq!(DateFormat::Iso.read("09-03-2017"), None);
    }
}
