//! The sampler names of SPEC §5, their defaults, and how to build one.

use super::{Ald, Churn, Ddim, Dpm2, EdmSde, Heun, Ode, Pc, Sampler, Sde};
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
    #[serde(rename = "edm-sde")]
    EdmSde,
}

/// Parameters of the Langevin steps of `pc` and `ald` (SPEC §5).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SamplerSettings {
    /// Signal-to-noise ratio r of the Langevin step size 2 alpha_i (r |z| / |s|)^2.
    pub snr: f64,
    /// Langevin steps per noise level.
    pub corrector_steps: usize,
    /// EDM's churn of `edm-sde`.
    pub churn: Churn,
}

impl Default for SamplerSettings {
    fn default() -> Self {
        SamplerSettings { snr: 0.16, corrector_steps: 1, churn: Churn::default() }
    }
}

impl SamplerKind {
    /// Deterministic ones first, in the order the page shows them.
    pub const ALL: [SamplerKind; 8] =
        [SamplerKind::Ode, SamplerKind::Heun, SamplerKind::Ddim, SamplerKind::Dpm2, SamplerKind::Sde, SamplerKind::Pc, SamplerKind::Ald, SamplerKind::EdmSde];

    pub fn name(self) -> &'static str {
        match self {
            SamplerKind::Ode => "ode",
            SamplerKind::Ddim => "ddim",
            SamplerKind::Dpm2 => "dpm2",
            SamplerKind::Sde => "sde",
            SamplerKind::Pc => "pc",
            SamplerKind::Ald => "ald",
            SamplerKind::Heun => "heun",
            SamplerKind::EdmSde => "edm-sde",
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
            SamplerKind::EdmSde => "EDM-SDE",
        }
    }

    /// The reader's label of a sampler named in a result (a key of its `tid`, a chain's
    /// sampler): its [`label`](Self::label), or the name as written where it names none.
    pub fn label_of(name: &str) -> &str {
        Self::parse(name).map_or(name, |k| k.label())
    }

    /// Whether a sampler named in a result is deterministic (`Some(false)`: ODE, Heun, DDIM,
    /// DPM-Solver-2) or stochastic (`Some(true)`); `None` where the name is not a sampler's.
    pub fn stochastic_of(name: &str) -> Option<bool> {
        Self::parse(name).map(|k| k.is_stochastic())
    }

    pub fn names() -> String {
        Self::ALL.map(|k| k.name()).join(", ")
    }

    pub fn default_steps(self) -> usize {
        match self {
            SamplerKind::Ode | SamplerKind::Ddim | SamplerKind::Pc | SamplerKind::Ald => 100,
            // Second-order solvers: 50 steps are the 100 evaluations of the ODE's default.
            SamplerKind::Dpm2 | SamplerKind::Heun | SamplerKind::EdmSde => 50,
            SamplerKind::Sde => 1000,
        }
    }

    /// Whether the sampler draws fresh noise along the way.
    pub fn is_stochastic(self) -> bool {
        matches!(self, SamplerKind::Sde | SamplerKind::Pc | SamplerKind::Ald | SamplerKind::EdmSde)
    }

    /// Network evaluations for `steps` steps.
    pub fn evaluations(self, steps: usize, settings: &SamplerSettings) -> usize {
        match self {
            SamplerKind::Ode | SamplerKind::Ddim | SamplerKind::Sde => steps,
            SamplerKind::Dpm2 | SamplerKind::Heun | SamplerKind::EdmSde => 2 * steps,
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
            SamplerKind::EdmSde => Box::new(EdmSde { steps, churn: settings.churn }),
            SamplerKind::Pc => Box::new(Pc { steps, snr, corrector_steps }),
            SamplerKind::Ald => Box::new(Ald { steps, snr, corrector_steps }),
        }
    }
}
