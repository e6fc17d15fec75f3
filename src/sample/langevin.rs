//! Samplers with Langevin MCMC steps: predictor-corrector (ODE Euler predictor + Langevin
//! corrector) and annealed Langevin dynamics over the same noise levels (SPEC §5).

use super::Sampler;
use super::ops::{Buf, Op};
use super::sde_ode::ode_euler;
use crate::diffusion::Process;

/// alpha_i = 1 - beta_i dt of SPEC §5, written 1 + 2 f(t) dt so it holds for every process;
/// where the linear process's drift is so steep that this is not positive (t near 1 with
/// coarse steps), its exponential form exp(2 f dt) is used instead.
fn level_alpha(p: &dyn Process, t: f64, dt: f64) -> f64 {
    let a = 1.0 + 2.0 * p.f(t) * dt;
    if a > 0.0 { a } else { (2.0 * p.f(t) * dt).exp() }
}

/// One Langevin step at time `t` toward p_t (see [`Op::Langevin`]).
fn langevin(p: &dyn Process, t: f64, alpha: f64, snr: f64, out: &mut Vec<Op>) {
    out.push(Op::Eval { src: Buf::X, t });
    out.push(Op::Langevin { sigma: p.sigma(t), alpha, snr });
}

/// Predictor-corrector: `corrector_steps` Langevin steps at t, then an ODE Euler step to t_next.
pub struct Pc {
    pub steps: usize,
    pub snr: f64,
    pub corrector_steps: usize,
}

impl Sampler for Pc {
    fn steps(&self) -> usize {
        self.steps
    }
    fn ops(&self, p: &dyn Process, t: f64, t_next: f64, _last: bool, out: &mut Vec<Op>) {
        let alpha = level_alpha(p, t, t - t_next);
        for _ in 0..self.corrector_steps {
            langevin(p, t, alpha, self.snr, out);
        }
        ode_euler(p, t, t_next, out);
    }
}

/// Annealed Langevin dynamics: `corrector_steps` Langevin steps at each noise level t_next of
/// the grid, with no predictor between levels.
pub struct Ald {
    pub steps: usize,
    pub snr: f64,
    pub corrector_steps: usize,
}

impl Sampler for Ald {
    fn steps(&self) -> usize {
        self.steps
    }
    fn ops(&self, p: &dyn Process, t: f64, t_next: f64, _last: bool, out: &mut Vec<Op>) {
        let alpha = level_alpha(p, t, t - t_next);
        for _ in 0..self.corrector_steps {
            langevin(p, t_next, alpha, self.snr, out);
        }
    }
}
