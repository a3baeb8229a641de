//! Part files of sharded runs: reading and merging never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(part) = covsim::shard::Part::from_bytes(data) {
        let _ = covsim::shard::merge(vec![("fuzz.covpart".to_string(), part)]);
    }
});
