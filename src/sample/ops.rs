//! A sampler step as a short list of operations on a block's points: network evaluations and
//! elementwise updates whose coefficients depend on the times only. The samplers (SPEC §5) say
//! which operations make one step ([`super::Sampler::ops`]); two interpreters run them: the CPU
//! driver ([`super::run_with`]), block by block, and the GPU engine's
//! (`engine::gpu::sampling`), every block at once in WGSL. So each sampler is written once and
//! both engines take the same steps with the same coefficients.

use crate::diffusion::Process;

/// The points an operation reads or writes: the block's points x, or a second buffer of the
/// same shape for an intermediate point (DPM-Solver-2's midpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buf {
    X,
    Mid,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// eps <- eps_hat(src, t).
    Eval { src: Buf, t: f64 },
    /// x <- x - dt (f x + c eps), then x <- x + noise z with fresh standard normal z where
    /// `noise` is set: an Euler (-Maruyama) step.
    Euler { dt: f32, f: f32, c: f32, noise: Option<f32> },
    /// dst <- a x - c eps.
    Affine { dst: Buf, a: f32, c: f32 },
    /// A Langevin step toward p_t with the eps of the last evaluation (at x and t):
    /// x <- x - (e / sigma) eps + sqrt(2 e) z with fresh standard normal z and the step size
    /// e = 2 alpha (snr |z| / |s|)^2, |s| = |eps| / sigma, the norms being means of row norms over
    /// the block (as score_sde averages over its batch). A block whose |s| is zero or not
    /// finite keeps its points.
    Langevin { sigma: f64, alpha: f64, snr: f64 },
    /// x <- (x - s eps) / a: Tweedie's denoising step.
    Denoise { a: f32, s: f32 },
}

impl Op {
    /// Whether the operation draws fresh noise (one draw per element of the block).
    pub fn draws_noise(&self) -> bool {
        matches!(self, Op::Euler { noise: Some(_), .. } | Op::Langevin { .. })
    }
}

/// The final denoising step at time `t`: x <- (x - sigma_t eps_hat(x, t)) / alpha_t.
pub fn denoise(p: &dyn Process, t: f64, out: &mut Vec<Op>) {
    out.push(Op::Eval { src: Buf::X, t });
    out.push(Op::Denoise { a: p.alpha(t) as f32, s: p.sigma(t) as f32 });
}

/// Mean over the block's rows of the row norms of `v` (rows of `d`).
pub fn mean_row_norm(v: &[f32], d: usize) -> f64 {
    let rows = v.len() / d;
    let total: f64 = v.chunks_exact(d).map(|r| r.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>().sqrt()).sum();
    total / rows.max(1) as f64
}

/// The Langevin step's (drift, noise) coefficients, e / sigma and sqrt(2 e), from the block
/// means of the row norms of eps and z; None where the step is skipped (see [`Op::Langevin`]).
pub fn langevin_coefficients(eps_norm: f64, z_norm: f64, sigma: f64, alpha: f64, snr: f64) -> Option<(f32, f32)> {
    let grad_norm = eps_norm / sigma;
    if !(grad_norm.is_finite() && grad_norm > 0.0) {
        return None;
    }
    let e = 2.0 * alpha * (snr * z_norm / grad_norm).powi(2);
    Some(((e / sigma) as f32, (2.0 * e).sqrt() as f32))
}
