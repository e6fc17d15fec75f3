//! The sampler names of SPEC §5, their defaults, and how to build one.

use super::{Ald, Ddim, Dpm2, Heun, Ode, Pc, Sampler, Sde};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SamplerKind {
    Ode,
    Ddim,
    Dpm2,
    Sde,
    Pc,
    Ald,
    // Last, so that each earlier sampler keeps its noise stream (its discriminant).
    Heun,
}

/// Parameters of the Langevin steps of `pc` and `ald` (SPEC §5).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SamplerSettings {
    /// Signal-to-noise ratio r of the Langevin step size 2 alpha_i (r |z| / |s|)^2.
    pub snr: f64,
    /// Langevin steps per noise level.
    pub corrector_steps: usize,
}

impl Default for SamplerSettings {
    fn default() -> Self {
        SamplerSettings { snr: 0.16, corrector_steps: 1 }
    }
}

impl SamplerKind {
    /// Deterministic ones first, in the order the page shows them.
    pub const ALL: [SamplerKind; 7] = [
        SamplerKind::Ode,
        SamplerKind::Heun,
        SamplerKind::Ddim,
        SamplerKind::Dpm2,
        SamplerKind::Sde,
        SamplerKind::Pc,
        SamplerKind::Ald,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SamplerKind::Ode => "ode",
            SamplerKind::Ddim => "ddim",
            SamplerKind::Dpm2 => "dpm2",
            SamplerKind::Sde => "sde",
            SamplerKind::Pc => "pc",
            SamplerKind::Ald => "ald",
            SamplerKind::Heun => "heun",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The name readers know it by (the page's labels).
    pub fn label(self) -> &'static str {
        match self {
            SamplerKind::Ode => "ODE",
            SamplerKind::Ddim => "DDIM",
            SamplerKind::Dpm2 => "DPM-Solver-2",
            SamplerKind::Sde => "SDE",
            SamplerKind::Pc => "PC",
            SamplerKind::Ald => "ALD",
            SamplerKind::Heun => "Heun",
        }
    }

    pub fn names() -> String {
        Self::ALL.map(|k| k.name()).join(", ")
    }

    pub fn default_steps(self) -> usize {
        match self {
            SamplerKind::Ode | SamplerKind::Ddim | SamplerKind::Pc | SamplerKind::Ald => 100,
            // Second-order solvers: 50 steps are the 100 evaluations of the ODE's default.
            SamplerKind::Dpm2 | SamplerKind::Heun => 50,
            SamplerKind::Sde => 1000,
        }
    }

    /// Whether the sampler draws fresh noise along the way.
    pub fn is_stochastic(self) -> bool {
        matches!(self, SamplerKind::Sde | SamplerKind::Pc | SamplerKind::Ald)
    }

    /// Network evaluations for `steps` steps.
    pub fn evaluations(self, steps: usize, settings: &SamplerSettings) -> usize {
        match self {
            SamplerKind::Ode | SamplerKind::Ddim | SamplerKind::Sde => steps,
            SamplerKind::Dpm2 | SamplerKind::Heun => 2 * steps,
            SamplerKind::Pc => steps * (1 + settings.corrector_steps),
            SamplerKind::Ald => steps * settings.corrector_steps,
        }
    }

    pub fn build(self, steps: usize, settings: &SamplerSettings) -> Box<dyn Sampler> {
        let (snr, corrector_steps) = (settings.snr, settings.corrector_steps);
        match self {
            SamplerKind::Ode => Box::new(Ode { steps }),
            SamplerKind::Sde => Box::new(Sde { steps }),
            SamplerKind::Ddim => Box::new(Ddim { steps }),
            SamplerKind::Dpm2 => Box::new(Dpm2 { steps }),
            SamplerKind::Heun => Box::new(Heun { steps }),
            SamplerKind::Pc => Box::new(Pc { steps, snr, corrector_steps }),
            SamplerKind::Ald => Box::new(Ald { steps, snr, corrector_steps }),
        }
    }
}
