//! Bad input through the binary: every problem at once, in file order, each counted once, with
//! no follow-on errors, and flag values that are wrong exit 2 saying what is allowed.

mod common;
use common::*;

const GOOD: &str = include_str!("../scenarios/leverage.toml");

/// The example scenario with its generated segments replaced by `csv = "<name>"`.
fn with_csv(name: &str) -> String {
    let start = GOOD.find("[[accounts.segments]]").expect("segments");
    let end = GOOD[start..].find("\n[[tiers]]").expect("tiers") + start;
    format!("{}csv = \"{name}\"\n{}", &GOOD[..start], &GOOD[end..])
}

/// The closing line of a rendered set of problems: "N problems found; nothing was written."
fn count_line(err: &str) -> &str {
    err.lines()
        .rev()
        .find(|l| l.contains("found; nothing was written"))
        .unwrap_or_else(|| panic!("no count line in:\n{err}"))
}

#[test]
fn a_csv_with_more_bad_rows_than_are_listed_counts_every_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,potential,fit\n");
    for i in 0..60 {
        csv.push_str(&format!("B{i},x{i},0.5\n"));
    }
    write(dir.path(), "many.csv", &csv);
    write(dir.path(), "s.toml", &with_csv("many.csv"));
    let o = run_in(dir.path(), &["validate", "s.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("\nerror: ").count() + 1, 51, "{err}");
    assert!(err.contains("… and 10 more row problems"), "{err}");
    assert_eq!(count_line(&err), "60 problems found; nothing was written.");
}

#[test]
fn a_misspelt_key_read_only_when_given_is_suggested_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let text = GOOD.replacen("[[channels]]\n", "[[channels]]\nhiring_lead_month = 3\n", 1);
    write(dir.path(), "s.toml", &text);
    let o = run_in(dir.path(), &["validate", "s.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("unknown key `hiring_lead_month`; did you mean `hiring_lead_months`?"),
        "{err}"
    );
    // Every key a channel may have is in the allowed list, whether or not this one wrote it.
    let allowed = err
        .lines()
        .find(|l| l.contains("= allowed: one of"))
        .unwrap_or_else(|| panic!("{err}"));
    for k in covsim::scenario::keys::KEYS
        .iter()
        .filter(|k| k.table == "channels[]")
    {
        let top = k.name.split('.').next().unwrap();
        assert!(
            allowed.contains(&format!("`{top}`")),
            "`{top}` missing: {allowed}"
        );
    }
}

/// The places (`line:column`) of the problems, in the order they are printed.
fn places(err: &str) -> Vec<(usize, usize)> {
    err.lines()
        .filter_map(|l| l.trim().strip_prefix("--> "))
        .filter_map(|p| {
            let mut it = p.rsplitn(3, ':');
            let column = it.next()?.parse().ok()?;
            let line = it.next()?.parse().ok()?;
            Some((line, column))
        })
        .collect()
}

#[test]
fn problems_are_listed_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let text = GOOD
        .replacen("[economics]", "[econmics]", 1)
        .replacen("lift = 0.25", "lfit = 0.25", 1)
        .replacen("clarity_effect = 0.8", "clarity_efect = 0.8", 1);
    write(dir.path(), "s.toml", &text);
    let o = run_in(dir.path(), &["validate", "s.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let at = places(&err);
    assert!(at.len() >= 3, "{err}");
    let mut sorted = at.clone();
    sorted.sort();
    assert_eq!(at, sorted, "{err}");
}

#[test]
fn a_flag_value_the_key_does_not_allow_exits_2_in_sweep_and_sensitivity_alike() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.toml", GOOD);
    for cmd in [
        &[
            "sensitivity",
            "s.toml",
            "--inputs",
            "handoffs.default_failure=0:1.5",
        ][..],
        &[
            "sweep",
            "s.toml",
            "--param",
            "handoffs.default_failure",
            "--values",
            "0,1.5",
        ],
    ] {
        let o = run_in(dir.path(), cmd);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}: {err}");
        assert!(
            err.contains("1.5 is out of range for `handoffs.default_failure`")
                && err.contains("1 problem found; nothing was written."),
            "{cmd:?}: {err}"
        );
        assert!(
            !dir.path().join("outputs").exists(),
            "{cmd:?} wrote outputs"
        );
    }
}

/// Runs `args` in `dir`, expecting a usage error (exit 2) whose message contains every one of
/// `says`, and nothing written.
fn usage_error(dir: &std::path::Path, args: &[&str], says: &[&str]) {
    let o = run_in(dir, args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    for s in says {
        assert!(err.contains(s), "{args:?} should say {s:?}:\n{err}");
    }
    assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
    assert!(!dir.join("outputs").exists(), "{args:?} wrote outputs");
}

#[test]
fn flag_values_are_read_as_values_and_the_error_says_what_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "s.toml", GOOD);
    let whole = "allowed: a whole number from 2 to 100000000";
    usage_error(d, &["run", "s.toml", "--trials", "-5"], &[whole]);
    usage_error(d, &["run", "s.toml", "--trials", "1.5"], &[whole]);
    usage_error(
        d,
        &["run", "s.toml", "--trials", "0"],
        &["0 is out of range", whole],
    );
    usage_error(
        d,
        &["run", "s.toml", "--seed", "-1"],
        &["a whole number, 0 or more"],
    );
    usage_error(
        d,
        &[
            "sweep",
            "s.toml",
            "--param",
            "handoffs.default_failure",
            "--values",
            "0.1,0.2",
            "--threads",
            "-2",
        ],
        &["a whole number from 1 to 1024"],
    );
    usage_error(
        d,
        &["run", "s.toml", "--precision", "-1"],
        &["allowed: more than 0 and less than 1"],
    );
    usage_error(
        d,
        &["optimize", "s.toml", "--seed", "-1"],
        &["a whole number, 0 or more"],
    );
    usage_error(
        d,
        &["optimize", "s.toml", "--confidence", "2"],
        &["more than 0.5 and less than 1"],
    );
    usage_error(
        d,
        &["optimize", "s.toml", "--confidence", "-1"],
        &["more than 0.5 and less than 1"],
    );
    usage_error(
        d,
        &["optimize", "s.toml", "--delta", "-5"],
        &["not a positive amount"],
    );
    usage_error(
        d,
        &[
            "sweep",
            "s.toml",
            "--param",
            "handoffs.default_failure",
            "--values",
            "0.1,0.1",
        ],
        &["the 2 values given are the same value, 0.1, once repeats are removed"],
    );
    usage_error(
        d,
        &[
            "sweep",
            "s.toml",
            "--param",
            "handoffs.default_failure",
            "--values",
            "-0.1,0.1",
        ],
        &["-0.1 is out of range for `handoffs.default_failure`"],
    );
    usage_error(
        d,
        &[
            "sweep",
            "s.toml",
            "--param",
            "simulation.months",
            "--values",
            "6,12",
        ],
        &[
            "`simulation.months` is a key of the scenario but cannot be varied: it is a whole number",
        ],
    );
    // merge takes --quiet like the other commands (here the folder is missing: exit 2 for that).
    let o = run_in(d, &["merge", "nosuch", "--quiet"]);
    assert!(
        !stderr(&o).contains("unexpected argument"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_whole_number_out_of_range_names_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = GOOD.replacen("trials = 2000", "trials = 0", 1);
    assert_ne!(text, GOOD);
    write(dir.path(), "s.toml", &text);
    let o = run_in(dir.path(), &["validate", "s.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error: 0 is out of range for `simulation.trials`"),
        "{err}"
    );
}

#[test]
fn a_pair_or_segment_given_twice_is_reported_at_the_second_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let text = GOOD
        .replacen(
            "[[handoffs.pairs]]\nfrom = \"digital\"\nto = \"inside\"",
            "[[handoffs.pairs]]\nfrom = \"inside\"\nto = \"field\"",
            1,
        )
        .replacen(
            "[[conflict.pairs]]\nowner = \"digital\"\nintruder = \"inside\"",
            "[[conflict.pairs]]\nowner = \"inside\"\nintruder = \"field\"",
            1,
        )
        .replacen("name = \"smb\"", "name = \"midmarket\"", 1);
    let line = |needle: &str, nth: usize| {
        text.lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with(needle))
            .nth(nth)
            .map(|(i, _)| i + 1)
            .unwrap_or_else(|| panic!("{needle}"))
    };
    write(dir.path(), "s.toml", &text);
    let o = run_in(dir.path(), &["validate", "s.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "duplicate segment name \"midmarket\" (first at line {}",
            line("name = \"midmarket\"", 0)
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "the hand-off pair \"inside\" → \"field\" is given twice: first at line {}",
            line("to = \"field\"", 0)
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "the conflict pair \"inside\" → \"field\" is given twice: first at line {}",
            line("intruder = \"field\"", 0)
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("s.toml:{}:", line("name = \"midmarket\"", 1))),
        "{err}"
    );
    assert_eq!(count_line(&err), "3 problems found; nothing was written.");
}

#[test]
fn a_duplicate_name_brings_no_follow_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    // The second tier takes the first's name; the tables naming "key" name the first.
    let second = GOOD.match_indices("[[tiers]]").nth(1).unwrap().0;
    let text = format!(
        "{}{}",
        &GOOD[..second],
        GOOD[second..].replacen("name = \"core\"", "name = \"key\"", 1)
    )
    .replace("core = ", "key2 = ")
    .replace("[designs.coverage.core]", "[designs.coverage.key2]");
    let text = text.replacen(
        "baseline = \"field_everything\"",
        "baseline = \"nosuch\"",
        1,
    );
    write(dir.path(), "s.toml", &text);
    let o = run_in(dir.path(), &["validate", "s.toml"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("duplicate tier name \"key\""), "{err}");
    assert!(!err.contains("no value for tier(s)"), "{err}");
    // Each name once in what is allowed.
    for l in err.lines().filter(|l| l.contains("= allowed: one of")) {
        let names: Vec<&str> = l.split('`').skip(1).step_by(2).collect();
        let mut once = names.clone();
        once.sort();
        once.dedup();
        assert_eq!(names.len(), once.len(), "{l}");
    }
}
