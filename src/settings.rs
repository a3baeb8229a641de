//! Run settings: how many trials, from which seed, and how the uncertain inputs are sampled.
//! They say how a model is run, not what it is: every variant of a scenario (a sweep point, a
//! tornado swing, one trial's draws) runs under the same settings, and the scenario hash leaves
//! them out. The file's `[simulation]` table gives them; `--trials`, `--seed` and the study
//! driver's plans change them without building the model again (except that a new seed builds
//! a generated account base again: the seed generates it, docs/MODEL.md §1).

pub use crate::uncertain::Sampling;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSettings {
    /// Trials of a run (`simulation.trials`, `--trials`).
    pub trials: u64,
    /// The seed of the trials' random events and of a generated account base
    /// (`simulation.seed`, `--seed`: one setting).
    pub seed: u64,
    /// How the uncertain inputs are sampled across trials (`simulation.sampling`).
    pub sampling: Sampling,
}
