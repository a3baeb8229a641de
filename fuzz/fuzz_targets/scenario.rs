//! Scenario text: loading never panics or hangs, and every rejection names its file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let csv = b"id,potential,fit\nA,100,0.5\nB,2000,0.9\n".to_vec();
    let mut read = |_: &str| -> Result<Vec<u8>, String> { Ok(csv.clone()) };
    if let Err(diags) = covsim::scenario::Scenario::load(text, "fuzz.toml", &mut read) {
        assert!(!diags.is_empty());
        for d in &diags {
            assert_eq!(d.file.is_empty(), false);
        }
    }
});
