//! The probability-flow ODE and reverse SDE samplers (Euler / Euler–Maruyama, SPEC §5).

use super::{uniform_grid, Sampler, StepCtx};
use crate::rng;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SamplerKind {
    Ode,
    Sde,
}

impl SamplerKind {
    pub const ALL: [SamplerKind; 2] = [SamplerKind::Ode, SamplerKind::Sde];

    pub fn name(self) -> &'static str {
        match self {
            SamplerKind::Ode => "ode",
            SamplerKind::Sde => "sde",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }

    pub fn default_steps(self) -> usize {
        match self {
            SamplerKind::Ode => 100,
            SamplerKind::Sde => 1000,
        }
    }

    /// Whether the sampler draws fresh noise along the way.
    pub fn is_stochastic(self) -> bool {
        matches!(self, SamplerKind::Sde)
    }

    pub fn build(self, steps: usize) -> Box<dyn Sampler> {
        match self {
            SamplerKind::Ode => Box::new(Ode { steps }),
            SamplerKind::Sde => Box::new(Sde { steps }),
        }
    }
}

/// Score s = -eps_hat / sigma_t, evaluated into `ctx.eps` (still holding eps_hat).
fn eval_eps(x: &[f32], t: f64, ctx: &mut StepCtx) {
    ctx.eps.resize(x.len(), 0.0);
    ctx.model.eps(x, t as f32, ctx.eps, ctx.scratch);
}

/// Probability-flow ODE, Euler: dx/dt = f x - 1/2 g^2 s, integrated backwards in t.
pub struct Ode {
    pub steps: usize,
}

impl Sampler for Ode {
    fn name(&self) -> &'static str {
        "ode"
    }
    fn grid(&self) -> Vec<f64> {
        uniform_grid(self.steps)
    }
    fn step(&self, x: &mut [f32], t: f64, t_next: f64, _last: bool, ctx: &mut StepCtx) {
        eval_eps(x, t, ctx);
        let p = ctx.process;
        let dt = (t - t_next) as f32;
        let f = p.f(t) as f32;
        // -1/2 g^2 s = +1/2 g^2 eps / sigma.
        let c = (0.5 * p.g2(t) / p.sigma(t)) as f32;
        for (xi, &e) in x.iter_mut().zip(ctx.eps.iter()) {
            *xi -= dt * (f * *xi + c * e);
        }
    }
}

/// Reverse SDE, Euler–Maruyama: dx = (f x - g^2 s) dt + g dW backwards in t. The last step
/// returns its mean without adding noise (score_sde's noise removal).
pub struct Sde {
    pub steps: usize,
}

impl Sampler for Sde {
    fn name(&self) -> &'static str {
        "sde"
    }
    fn grid(&self) -> Vec<f64> {
        uniform_grid(self.steps)
    }
    fn step(&self, x: &mut [f32], t: f64, t_next: f64, last: bool, ctx: &mut StepCtx) {
        eval_eps(x, t, ctx);
        let p = ctx.process;
        let dt = t - t_next;
        let f = p.f(t) as f32;
        let c = (p.g2(t) / p.sigma(t)) as f32;
        let noise = (p.g2(t) * dt).sqrt() as f32;
        let dt = dt as f32;
        for (xi, &e) in x.iter_mut().zip(ctx.eps.iter()) {
            *xi -= dt * (f * *xi + c * e);
            if !last {
                *xi += noise * rng::normal(ctx.rng);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;
    use crate::data::Dataset;
    use crate::diffusion::ProcessKind;
    use crate::metrics::tid_curve;

    /// With the exact score, both samplers must reproduce the mixture: means, variances and
    /// per-component mass within sampling error, and no collapse (TID ~ 0).
    #[test]
    fn exact_score_samplers_reproduce_the_2d_mog() {
        let ds = Dataset::Mog;
        let mix = ds.mixture(0).unwrap();
        let model = ExactEps { mixture: mix.clone(), process: ProcessKind::Vp };
        let n = 4000;
        let init = initial_noise(n, 2, 17);
        let reference = ds.generate(n, 0, 99);
        for kind in SamplerKind::ALL {
            let s = run(kind.build(kind.default_steps()).as_ref(), &model, &ProcessKind::Vp, &init, 17, 0);
            assert!(s.all_finite());
            let m = s.mean();
            let v = s.variance();
            for j in 0..2 {
                assert!(m[j].abs() < 0.1, "{kind:?} mean {m:?}");
                assert!((v[j] - 2.04).abs() < 0.15, "{kind:?} var {v:?}");
            }
            for mass in mix.component_mass(&s) {
                assert!((mass - 1.0 / 6.0).abs() < 0.03, "{kind:?} mass {mass}");
            }
            // Spread of each component around its mean ~ 0.2 (not collapsed onto the mean).
            let spread = component_spread(&mix, &s);
            assert!((spread - 0.2).abs() < 0.03, "{kind:?} component std {spread}");
            for p in tid_curve(&reference, &s, &[0.05, 0.1], None) {
                let tid = p.tid.unwrap();
                assert!(tid.abs() < 0.15 * p.alpha_train.unwrap(), "{kind:?} e {}: TID {tid}", p.eps);
            }
        }
    }

    fn component_spread(mix: &crate::data::GaussianMixture, s: &Points) -> f64 {
        let mut acc = 0.0;
        for row in s.data.chunks_exact(2) {
            let d2 = mix
                .means
                .iter()
                .map(|m| (row[0] as f64 - m[0]).powi(2) + (row[1] as f64 - m[1]).powi(2))
                .fold(f64::INFINITY, f64::min);
            acc += d2;
        }
        (acc / (2.0 * s.len() as f64)).sqrt()
    }

    #[test]
    fn same_seed_same_samples_whatever_the_thread_count() {
        let model = ExactEps { mixture: Dataset::Mog1d.mixture(0).unwrap(), process: ProcessKind::Vp };
        let init = initial_noise(3000, 1, 4);
        let sde = SamplerKind::Sde.build(200);
        crate::parallel::set_threads(1);
        let a = run(sde.as_ref(), &model, &ProcessKind::Vp, &init, 4, 1);
        crate::parallel::set_threads(2);
        let b = run(sde.as_ref(), &model, &ProcessKind::Vp, &init, 4, 1);
        crate::parallel::set_threads(0);
        assert_eq!(a, b);
        let c = run(sde.as_ref(), &model, &ProcessKind::Vp, &init, 5, 1);
        assert_ne!(a, c, "another seed must give other noise");
    }
}
