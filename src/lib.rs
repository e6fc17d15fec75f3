//! Collapse Lab: train small diffusion score networks, sample them with deterministic and
//! stochastic samplers, and measure collapse errors with TID.
//!
//! Data flows one way: spec → data → train → sample → metrics → result. Every module below is
//! shared by the native CLI and the wasm build; `../shared/SPEC.md` defines every quantity.

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
