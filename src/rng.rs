//! The one place random streams are made. A stream is keyed by (seed, key): trial `t` uses key
//! `t`, so any trial can be re-run alone and no stream depends on the thread that runs it.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Key of the stream that generates the account base (segments), distinct from every trial.
pub const ACCOUNTS_STREAM: u64 = u64::MAX;

/// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream for `key` under `seed`.
pub fn stream(seed: u64, key: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(trial_key(seed, key))
}

/// The seed of trial `trial`'s streams.
pub fn trial_key(seed: u64, trial: u64) -> u64 {
    splitmix64(seed ^ splitmix64(trial))
}

/// Account `index`'s part of its stream's state in every trial ([`EventStream::account`]).
pub fn account_salt(index: u64) -> u64 {
    splitmix64(index)
}

/// SplitMix64's increment, the golden-ratio constant γ.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A counter-based SplitMix64 stream: draw `j` is `SplitMix64(state + (j + 1)·γ)`, computed
/// without the draws before it. Keyed, not sequential: how many opportunities other accounts
/// had, or how many draws any design needed, never shifts these numbers.
#[derive(Debug, Clone)]
pub struct EventStream {
    state: u64,
}

/// Where an account's stream ([`EventStream::account`]) keeps its draws, by index.
pub mod draw {
    /// The one draw that decides in which month, if any, the account churns.
    pub const CHURN: u64 = 0;
    /// The number of the account's possible opportunities in the horizon.
    pub const COUNT: u64 = 1;
    /// The first of their places in time (`PLACES + i` for the i-th, i = 0 … count − 1).
    pub const PLACES: u64 = 2;
    /// The first gap of the run-in before the start (`RUN_IN + i` for the i-th, going back).
    pub const RUN_IN: u64 = 1 << 63;
}

impl EventStream {
    /// The stream keyed by (`index`, `month`) alone: uncertain inputs key their draws with it.
    #[inline(always)]
    pub fn new(trial_key: u64, index: u64, month: u32) -> Self {
        EventStream {
            state: trial_key ^ splitmix64(index.wrapping_mul(1 << 8) ^ u64::from(month)),
        }
    }

    /// The stream of account `index` in the trial keyed `trial_key`: its draws are laid out
    /// as [`draw`] says.
    #[inline(always)]
    pub fn account(trial_key: u64, index: u64) -> Self {
        Self::of_account(trial_key, account_salt(index))
    }

    /// [`EventStream::account`] from the account's salt, [`account_salt`]`(index)`, which is
    /// the same in every trial: the engine computes it once per run.
    #[inline(always)]
    pub fn of_account(trial_key: u64, salt: u64) -> Self {
        EventStream {
            state: trial_key ^ salt,
        }
    }

    /// The stream whose state is `u`, a raw draw of an account's stream: a possible
    /// opportunity's own draws, keyed by its place in time (or its run-in gap).
    #[inline(always)]
    pub fn seeded(u: u64) -> Self {
        EventStream { state: u }
    }

    /// The same stream from draw `j` on: `s.from(j).at(i)` is `s.at(j + i)`.
    #[inline(always)]
    pub fn from(&self, j: u64) -> Self {
        EventStream {
            state: self.state.wrapping_add(GAMMA.wrapping_mul(j)),
        }
    }

    /// Draw `j` (0, 1, …) of the stream without the ones before it: the stream is a counter,
    /// so `s.at(j)` is the `j + 1`-th `next_u64` of a fresh copy of `s`.
    #[inline(always)]
    pub fn at(&self, j: u64) -> u64 {
        let mut z = self
            .state
            .wrapping_add(GAMMA.wrapping_mul(j.wrapping_add(1)));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// SplitMix64 (Steele, Lea & Flood 2014): passes BigCrush as a generator in its own right.
    #[inline(always)]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// 2^53: probabilities are compared as 53-bit integers, so p = 0 never and p = 1 always fires.
pub const UNIT: f64 = 9_007_199_254_740_992.0;

/// The 53-bit threshold below which a draw `u >> 11` fires with probability `p`.
#[inline]
pub fn threshold(p: f64) -> u64 {
    (p.clamp(0.0, 1.0) * UNIT) as u64
}

/// The 53 high bits of a raw draw, the value compared against [`threshold`].
#[inline(always)]
pub fn bits53(u: u64) -> u64 {
    u >> 11
}

/// A uniform in [0, 1) from a raw draw.
#[inline(always)]
pub fn unit(u: u64) -> f64 {
    (u >> 11) as f64 / UNIT
}

/// A uniform in the open interval (0, 1) from a raw draw: U = (52 high bits + ½) / 2^52,
/// exact in a double, so `−ln U` (an exponential gap with mean 1) is positive and finite (at
/// most 53·ln 2 ≈ 36.7).
#[inline(always)]
pub fn open_unit(u: u64) -> f64 {
    ((u >> 12) as f64 + 0.5) / 4_503_599_627_370_496.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn thresholds_are_exact_at_the_ends() {
        assert_eq!(threshold(0.0), 0);
        assert_eq!(threshold(1.0), 1 << 53);
        assert!(bits53(u64::MAX) < threshold(1.0));
        assert!(bits53(0) >= threshold(0.0));
    }

    #[test]
    fn exponential_gaps_are_positive_finite_with_mean_one() {
        let exponential = |u: u64| -open_unit(u).ln();
        assert!(open_unit(u64::MAX) < 1.0 && open_unit(0) > 0.0);
        assert!(exponential(u64::MAX) > 0.0);
        assert!((exponential(0) - 53.0 * 2f64.ln()).abs() < 1e-9);
        // The mean of 200,000 gaps is 1 within 5 standard errors (the sd of Exp(1) is 1).
        let mut s = EventStream::account(trial_key(3, 4), 0);
        let n = 200_000;
        let mean = (0..n).map(|_| exponential(s.next_u64())).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 5.0 / (n as f64).sqrt(), "{mean}");
    }

    #[test]
    fn account_streams_are_keyed_by_trial_and_account() {
        let k = trial_key(1, 2);
        let a = EventStream::account(k, 5).at(0);
        assert_eq!(a, EventStream::account(k, 5).at(0));
        // The engine's way to the same stream: the account's salt, computed once per run.
        assert_eq!(a, EventStream::of_account(k, account_salt(5)).at(0));
        assert_eq!(account_salt(5), splitmix64(5));
        assert_ne!(a, EventStream::account(k, 6).at(0));
        assert_ne!(a, EventStream::account(trial_key(1, 3), 5).at(0));
        assert_ne!(a, EventStream::account(k, 5).at(1));
        // An opportunity's stream is seeded by its place: its own numbers, not the account's.
        assert_ne!(
            EventStream::seeded(a).at(0),
            EventStream::account(k, 5).at(1)
        );
    }

    #[test]
    fn draws_by_index_are_the_sequence() {
        let s = EventStream::account(trial_key(9, 1), 77);
        let mut seq = s.clone();
        for j in 0..20 {
            assert_eq!(s.at(j), seq.next_u64());
        }
        // From draw j on, including the run-in's far half of the counter.
        let mut run_in = s.from(draw::RUN_IN);
        for j in 0..5 {
            assert_eq!(s.at(draw::RUN_IN + j), run_in.next_u64());
            assert_eq!(s.from(3).at(j), s.at(3 + j));
        }
        assert_eq!(s.at(u64::MAX), s.from(u64::MAX).at(0));
    }

    #[test]
    fn the_main_stream_is_xoshiro256pp_seeded_by_four_splitmix_words() {
        // docs/MODEL.md §8, for a re-implementation: a trial's main stream (and the account
        // base's, key 2⁶⁴ − 1) is Xoshiro256++ whose state words are SplitMix64(k + j·γ).
        for (seed, key) in [(42, 0), (7, 123), (42, ACCOUNTS_STREAM)] {
            let k = trial_key(seed, key);
            let mut s: [u64; 4] =
                std::array::from_fn(|j| splitmix64(k.wrapping_add(j as u64 * GAMMA)));
            let mut ours = stream(seed, key);
            for _ in 0..100 {
                let want = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
                let t = s[1] << 17;
                s[2] ^= s[0];
                s[3] ^= s[1];
                s[1] ^= s[2];
                s[0] ^= s[3];
                s[2] ^= t;
                s[3] = s[3].rotate_left(45);
                assert_eq!(ours.next_u64(), want);
            }
        }
    }

    #[test]
    fn streams_differ_by_key_and_repeat_by_key() {
        let a: u64 = stream(7, 0).next_u64();
        let b: u64 = stream(7, 1).next_u64();
        let c: u64 = stream(8, 0).next_u64();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, stream(7, 0).next_u64());
    }
}
