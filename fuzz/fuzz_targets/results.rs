//! Results files (summary.json): reading never panics; a file it accepts can be drawn.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(results) = covsim::export::json::parse(data, "summary.json") {
        let _ = covsim::charts::render_all(&results);
    }
});
