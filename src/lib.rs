//! covsim: a Monte Carlo engine that compares sales coverage designs.
//!
//! The library does no I/O, printing or argument parsing: a scenario text goes in
//! ([`scenario::load`]), per-trial metrics come out ([`engine::simulate`]), and
//! [`results::Results`] summarises them for the exporters in [`export`].

pub mod calibrate;
pub mod charts;
pub mod checkpoint;
pub mod diag;
pub mod dist;
pub mod driver;
pub mod engine;
pub mod export;
pub mod format;
pub mod metrics;
pub mod model;
pub mod optimize;
pub mod results;
pub mod rng;
pub mod scenario;
pub mod sensitivity;
pub mod settings;
pub mod shard;
pub mod stats;
pub mod study;
pub mod summary;
pub mod sweep;
pub mod uncertain;
pub mod words;
