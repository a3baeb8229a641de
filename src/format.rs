//! Number formatting, in one place for the tables (Markdown, terminal, workbook text) and the
//! charts: thousands separators, compact money, signed figures, percentages, parameter values.
//! Every figure a person reads writes a negative with the typographic minus `−` (U+2212), the
//! same in tables and charts; machine-readable files (CSV, JSON) write numbers as they are, and
//! [`ascii`] makes their text labels plain for spreadsheets.

/// The minus sign of every figure a person reads.
pub const MINUS: &str = "\u{2212}";

/// `1234567.8` → `1,234,568`; `−999`.
pub fn thousands(x: f64) -> String {
    let neg = x < 0.0;
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if neg && out != "0" {
        format!("{MINUS}{out}")
    } else {
        out
    }
}

/// Compact money for tables read on a slide: `12.35M`, `450k`, `980`, `−2.42M`.
pub fn compact(x: f64) -> String {
    let a = x.abs();
    let sign = if x < 0.0 { MINUS } else { "" };
    if a >= 1e9 {
        format!("{sign}{:.2}B", a / 1e9)
    } else if a >= 1e6 {
        format!("{sign}{:.2}M", a / 1e6)
    } else if a >= 1e4 {
        format!("{sign}{:.0}k", a / 1e3)
    } else if a >= 1e3 {
        format!("{sign}{:.1}k", a / 1e3)
    } else {
        format!("{sign}{a:.0}")
    }
}

/// A signed compact figure: `+1.20M`.
pub fn signed(x: f64) -> String {
    if x >= 0.0 {
        format!("+{}", compact(x))
    } else {
        compact(x)
    }
}

pub fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// Money for axis ticks on a slide: `0`, `250k`, `2.5M`, `12M`, `−1.25B`.
pub fn money(x: f64) -> String {
    money_digits(x, true, 0)
}

/// Money for data labels, always three significant digits: `5.30M`, `42.0M`, `540M`.
pub fn value(x: f64) -> String {
    money_digits(x, false, 0)
}

/// Data labels of values read together, such as a mean and the two ends of its interval: three
/// significant digits, or as many more (the same number for all) as it takes for values that
/// differ to read differently: `+11.40M`, `+11.35M`, `+11.45M` rather than `+11.4M`, `+11.3M`,
/// `+11.4M`. Values that are equal read the same. `signed` gives each an explicit sign.
pub fn values_apart(xs: &[f64], signed: bool) -> Vec<String> {
    let render = |extra: usize| -> Vec<String> {
        xs.iter()
            .map(|&x| {
                let s = money_digits(x, false, extra);
                if signed { with_sign(x, s) } else { s }
            })
            .collect()
    };
    for extra in 0..6 {
        let out = render(extra);
        let apart =
            (0..xs.len()).all(|i| (i + 1..xs.len()).all(|j| xs[i] == xs[j] || out[i] != out[j]));
        if apart {
            return out;
        }
    }
    render(6)
}

fn money_digits(x: f64, trim: bool, extra: usize) -> String {
    let a = x.abs();
    let sign = if x < 0.0 { MINUS } else { "" };
    let (v, unit) = if a >= 1e9 {
        (a / 1e9, "B")
    } else if a >= 1e6 {
        (a / 1e6, "M")
    } else if a >= 1e3 {
        (a / 1e3, "k")
    } else {
        (a, "")
    };
    let digits = extra
        + if v >= 100.0 {
            0
        } else if v >= 10.0 {
            1
        } else {
            2
        };
    let mut s = format!("{v:.digits$}");
    if trim && s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if s.trim_end_matches(['0', '.']).is_empty() {
        return "0".to_string();
    }
    format!("{sign}{s}{unit}")
}

/// `money` with an explicit sign: `+1.2M`, `−300k`, `0`.
pub fn signed_money(x: f64) -> String {
    with_sign(x, money(x))
}

/// `value` with an explicit sign: `+5.30M`.
pub fn signed_value(x: f64) -> String {
    with_sign(x, value(x))
}

fn with_sign(x: f64, s: String) -> String {
    if x > 0.0 && s != "0" {
        format!("+{s}")
    } else {
        s
    }
}

/// `12345` → `12,345`.
pub fn group_thousands(n: u64) -> String {
    thousands(n as f64)
}

/// Text for a machine-readable file that a spreadsheet may open without knowing its encoding:
/// the typographic minus and dashes become `-`, `Δ` becomes `delta`, `→` becomes `->`, `×`
/// becomes `x`, `·` becomes `-`, `Σ` becomes `sum`; other characters stay as they are.
pub fn ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{2212}' | '\u{2013}' | '\u{2014}' | '\u{00b7}' => out.push('-'),
            '\u{0394}' => out.push_str("delta"),
            '\u{2192}' => out.push_str("->"),
            '\u{00d7}' => out.push('x'),
            '\u{03a3}' => out.push_str("sum"),
            '\u{2019}' => out.push('\''),
            _ => out.push(c),
        }
    }
    out
}

/// A length of time for progress lines, to the unit that matters: `42 s`, `7 min 5 s`,
/// `3 h 17 min`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// A parameter value for sentences: up to 4 significant digits.
pub fn param(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 10) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(thousands(1234567.8), "1,234,568");
        assert_eq!(thousands(-999.0), "−999");
        assert_eq!(compact(12_345_678.0), "12.35M");
        assert_eq!(compact(-45_600.0), "−46k");
        assert_eq!(compact(-2_420_000.0), "−2.42M");
        assert_eq!(signed(1500.0), "+1.5k");
        assert_eq!(percent(0.1234), "12.3%");
        assert_eq!(money(2.5e6), "2.5M");
        assert_eq!(value(5.3e6), "5.30M");
        assert_eq!(signed_money(-3e5), "−300k");
        assert_eq!(group_thousands(12345), "12,345");
        assert_eq!(param(0.213_891), "0.2139");
        assert_eq!(param(125_000.0), "125000");
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(425.0), "7 min 5 s");
        assert_eq!(duration(11_850.0), "3 h 17 min");
        assert_eq!(duration(-1.0), "0 s");
        assert_eq!(
            ascii("gross margin − cost of sales · Δ"),
            "gross margin - cost of sales - delta"
        );
    }

    #[test]
    fn values_read_together_differ_where_they_differ() {
        // Three significant digits put the mean on its interval's edge: 11.4M (11.3M to 11.4M).
        assert_eq!(
            values_apart(&[11.40e6, 11.35e6, 11.45e6], true),
            ["+11.40M", "+11.35M", "+11.45M"]
        );
        assert_eq!(
            values_apart(&[-139.21e6, -139.26e6, -139.16e6], true),
            ["−139.21M", "−139.26M", "−139.16M"]
        );
        // Enough digits already: unchanged.
        assert_eq!(
            values_apart(&[13.1e6, 13.0e6, 13.2e6], true),
            ["+13.1M", "+13.0M", "+13.2M"]
        );
        // Equal values read the same and need no more digits.
        assert_eq!(
            values_apart(&[500.0, 500.0, 500.0], true),
            ["+500", "+500", "+500"]
        );
        for (m, lo, hi) in [(1.0e6, 0.9999e6, 1.0001e6), (-5.0, -5.001, -4.999)] {
            let s = values_apart(&[m, lo, hi], true);
            assert!(s[0] != s[1] && s[0] != s[2] && s[1] != s[2], "{s:?}");
        }
    }
}
