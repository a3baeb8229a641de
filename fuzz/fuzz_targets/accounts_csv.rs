//! Account CSV bytes: parsing never panics, and every rejection has a place.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(diags) = covsim::scenario::accounts_csv::parse(data, "fuzz.csv") {
        assert!(!diags.is_empty());
        for d in &diags {
            assert!(d.line > 0 || !d.key_path.is_empty());
        }
    }
});
