//! Collapse Lab: train small diffusion score networks, sample them with deterministic and
//! stochastic samplers, and measure collapse errors with TID.
//!
//! How the modules stand on one another: the science's pieces (`data`, `diffusion`, `nn`,
//! `metrics`, `sample`, over `rng`, `points` and `stats`) sit below `spec`, an experiment's
//! settings, which names data sets, processes, nets and samplers; `engine` trains nets (the CPU
//! and WGSL engines); `experiment` is one run as its phases (prepare → obtain → sample →
//! measure → diagnose) over all of those; `study` and `generations` (a chain of generations is a
//! loop over the same phases) run many; `verdicts` reads their files; `cli`, `web`, `bench` and
//! `export` are the front ends. Every module but the native-only ones below is shared by the CLI
//! and the wasm build; `../shared/SPEC.md` defines every quantity.

pub mod clock;
pub mod data;
pub mod diagnostics;
pub mod diffusion;
pub mod engine;
pub mod experiment;
pub mod export;
pub mod generations;
pub mod metrics;
pub mod nn;
pub mod parallel;
pub mod points;
pub mod rng;
pub mod sample;
pub mod spec;
pub mod stats;
pub mod study;
pub mod verdicts;
#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod output;
