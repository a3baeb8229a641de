//! A bounded, deterministic mutation test (issue #18): thousands of mutants of every example
//! scenario, of a results file and of a part file go through the library. None may panic or
//! hang, and every rejection of a scenario says where the problem is.

use std::time::{Duration, Instant};

mod common;

/// SplitMix64: a fixed seed gives the same mutants on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&[u8]] = &[
    b"0",
    b"-1",
    b"1e308",
    b"1e-300",
    b"nan",
    b"inf",
    b"\"",
    b"[",
    b"]",
    b"{",
    b"}",
    b"=",
    b"\n",
    b"[[designs]]",
    b"[[tiers]]",
    b"{ dist = \"beta\", alpha = 1, beta = 1e7 }",
    b"{ dist = \"uniform\", min = 0, max = 1 }",
    b"\xff",
    b"100000000",
    b",",
];

/// One mutant: a few byte flips, deletions, insertions of tokens, or duplicated slices.
fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(v.len() + 1);
        match rng.below(5) {
            0 if at < v.len() => v[at] ^= 1 << rng.below(8),
            1 => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                v.drain(at.min(end)..end);
            }
            2 | 3 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            _ => {
                let end = (at + rng.below(64)).min(v.len());
                let slice = v[at.min(end)..end].to_vec();
                v.splice(at..at, slice);
            }
        }
    }
    v
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{what} took {:?}",
        start.elapsed()
    );
    out
}

#[test]
fn mutated_scenarios_are_refused_with_a_place_never_a_panic() {
    let mut rng = Rng(18);
    let mut refused = 0;
    for entry in std::fs::read_dir(common::scenarios()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let base = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mutants = if name == "bench.toml" { 150 } else { 600 };
        for i in 0..mutants {
            let m = mutate(&mut rng, &base);
            let Ok(text) = String::from_utf8(m) else {
                continue;
            };
            let result = timed(&format!("{name} mutant {i}"), || {
                std::panic::catch_unwind(|| {
                    covsim::scenario::Scenario::load(&text, &name, &mut |p: &str| {
                        Err(format!("no file {p}"))
                    })
                    .map(|_| ())
                })
            });
            let Ok(result) = result else {
                panic!("{name} mutant {i} panicked:\n{text}");
            };
            if let Err(diags) = result {
                refused += 1;
                assert!(
                    !diags.is_empty(),
                    "{name} mutant {i}: refused without a reason"
                );
                for d in &diags {
                    assert!(
                        d.file == name && (d.line > 0 || !d.key_path.is_empty()),
                        "{name} mutant {i}: unlocated problem {d:?}\n{text}"
                    );
                }
            }
        }
    }
    assert!(refused > 500, "only {refused} mutants were refused");
}

#[test]
fn mutated_results_and_part_files_never_panic() {
    let model = common::model(&covsim::scenario::BUILTIN.replace("trials = 2000", "trials = 20"));
    let (matrix, results) = common::simulate(&model);
    let json = serde_json::to_vec_pretty(&results).unwrap();
    let mut rng = Rng(1818);
    let mut refused = 0;
    for i in 0..1500 {
        let m = mutate(&mut rng, &json);
        let r = timed("results mutant", || {
            std::panic::catch_unwind(|| covsim::export::json::parse(&m, "summary.json").is_err())
        });
        match r {
            Ok(true) => refused += 1,
            Ok(false) => {}
            Err(_) => panic!(
                "results mutant {i} panicked:\n{}",
                String::from_utf8_lossy(&m)
            ),
        }
    }
    assert!(refused > 500, "only {refused} results mutants were refused");

    let run = covsim::study::Run {
        matrix,
        inputs: Vec::new(),
        draws: Vec::new(),
        summary: None,
    };
    let part = covsim::shard::Part::new(
        &run,
        0,
        1,
        20,
        model.seed,
        &model.name,
        &model.hash,
        "s.toml",
        covsim::scenario::BUILTIN,
        Default::default(),
    )
    .to_bytes();
    for i in 0..1500 {
        let m = mutate(&mut rng, &part);
        let r = std::panic::catch_unwind(|| {
            covsim::shard::Part::from_bytes(&m)
                .map(|p| covsim::shard::check(&[("p".into(), &p.header)]).is_ok())
        });
        assert!(r.is_ok(), "part mutant {i} panicked");
    }
}
