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

/// A counter-based stream for the events of one opportunity (account, month, its place in the
/// month) of a trial. Keyed, not sequential: how many opportunities other accounts had, or how many
/// draws any design needed, never shifts these numbers.
#[derive(Debug, Clone)]
pub struct EventStream {
    state: u64,
}

/// What a keyed stream of an account is for (the `slot` of [`EventStream::of`], month 0).
pub mod slot {
    /// The gaps between the account's possible opportunities before the start (deals in
    /// flight), going back in time from the start.
    pub const RUN_IN: u32 = u32::MAX;
    /// The one draw that decides in which month, if any, the account churns.
    pub const CHURN: u32 = u32::MAX - 1;
    /// The gaps between the account's possible opportunities in the horizon.
    pub const ARRIVALS: u32 = u32::MAX - 2;
}

impl EventStream {
    /// The stream keyed by (`index`, `month`) alone: uncertain inputs key their draws with it.
    #[inline(always)]
    pub fn new(trial_key: u64, index: u64, month: u32) -> Self {
        EventStream {
            state: trial_key ^ splitmix64(index.wrapping_mul(1 << 8) ^ u64::from(month)),
        }
    }

    /// The stream of opportunity `slot` (0, 1, … within the month, or one of [`slot`]) of
    /// account `index` in month `month` (negative months are the run-in before the horizon).
    #[inline(always)]
    pub fn of(trial_key: u64, index: u64, month: i32, slot: u32) -> Self {
        Self::of_hashed(trial_key, splitmix64(index), month, slot)
    }

    /// [`EventStream::of`] with `splitmix64(index)` computed once by the caller (per account).
    #[inline(always)]
    pub fn of_hashed(trial_key: u64, index_hash: u64, month: i32, slot: u32) -> Self {
        let when = (u64::from(month as u32) << 32) | u64::from(slot);
        EventStream {
            state: trial_key ^ splitmix64(index_hash ^ when),
        }
    }

    /// Draw `j` (0, 1, …) of the stream without the ones before it: the stream is a counter,
    /// so `s.at(j)` is the `j + 1`-th `next_u64` of a fresh copy of `s`.
    #[inline(always)]
    pub fn at(&self, j: u64) -> u64 {
        let mut z = self
            .state
            .wrapping_add(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(j + 1));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// SplitMix64 (Steele, Lea & Flood 2014): passes BigCrush as a generator in its own right.
    #[inline(always)]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
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

/// An exponential gap with mean 1 from a raw draw: `−ln U`, U = (52 bits + ½) / 2^52 in
/// (0, 1) exactly, so the gap is positive and finite (at most 53·ln 2 ≈ 36.7).
#[inline(always)]
pub fn exponential(u: u64) -> f64 {
    -(((u >> 12) as f64 + 0.5) / 4_503_599_627_370_496.0).ln()
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
        assert!(exponential(u64::MAX) > 0.0);
        assert!((exponential(0) - 53.0 * 2f64.ln()).abs() < 1e-9);
        // The mean of 200,000 gaps is 1 within 5 standard errors (the sd of Exp(1) is 1).
        let mut s = EventStream::of(trial_key(3, 4), 0, 0, 0);
        let n = 200_000;
        let mean = (0..n).map(|_| exponential(s.next_u64())).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 5.0 / (n as f64).sqrt(), "{mean}");
    }

    #[test]
    fn event_streams_are_keyed_by_account_and_month() {
        let k = trial_key(1, 2);
        let a = EventStream::of(k, 5, 3, 0).next_u64();
        assert_eq!(a, EventStream::of(k, 5, 3, 0).next_u64());
        assert_ne!(a, EventStream::of(k, 5, 4, 0).next_u64());
        assert_ne!(a, EventStream::of(k, 5, 3, 1).next_u64());
        assert_ne!(a, EventStream::of(k, 5, -3, 0).next_u64());
        assert_ne!(a, EventStream::of(k, 6, 3, 0).next_u64());
        assert_ne!(a, EventStream::of(trial_key(1, 3), 5, 3, 0).next_u64());
    }

    #[test]
    fn draws_by_index_are_the_sequence() {
        let s = EventStream::of(trial_key(9, 1), 77, -2, 5);
        let mut seq = s.clone();
        for j in 0..20 {
            assert_eq!(s.at(j), seq.next_u64());
        }
        assert_eq!(
            EventStream::of_hashed(trial_key(9, 1), splitmix64(77), -2, 5).at(3),
            s.at(3)
        );
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
