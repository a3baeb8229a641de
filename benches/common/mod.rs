//! Helpers shared by the benches.

use std::fmt::Write as _;

/// An account CSV of `rows` rows (id, potential, fit, segment), spread deterministically.
pub fn account_csv(rows: usize) -> String {
    let mut csv = String::with_capacity(rows * 32);
    csv.push_str("id,potential,fit,segment\n");
    for i in 0..rows {
        let _ = writeln!(
            csv,
            "ACC{i:07},{}.5,{:.3},{}",
            1000 + (i * 7919) % 900_000,
            (i % 997) as f64 / 997.0,
            ["smb", "mid", "ent"][i % 3]
        );
    }
    csv
}
