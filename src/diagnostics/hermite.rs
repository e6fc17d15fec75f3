//! The Hermite see-saw of the paper's appendix G.3 (Prop. 1), computed exactly (SPEC §7).
//!
//! x ~ N(0, 1); the low-noise score of the symmetric mixture is s_low(x) = mu tanh(mu x) - x and
//! the high-noise one s_high(x) = -x. With the normalised Hermite polynomials h_i = He_i /
//! sqrt(i!) (orthonormal under N(0, 1)) and alpha_i = E[s(x) h_i(x)], the best degree-p fit to
//! both scores at once is theta_i = (alpha_i^low + alpha_i^high) / 2 for i <= p, and by
//! Parseval
//!   l_low(p)  = sum_{i<=p} (theta_i - alpha_i^low)^2 + sum_{i>p} (alpha_i^low)^2,
//!   l_high(p) = sum_{i<=p} (theta_i - alpha_i^high)^2 + sum_{i>p} (alpha_i^high)^2,
//! where each tail sum is E[s^2] - sum_{i<=p} alpha_i^2. Expectations are Gauss–Hermite sums.

use serde::{Deserialize, Serialize};

/// Nodes and weights of n-point Gauss–Hermite quadrature for the weight exp(-x^2), by Newton's
/// method on the orthonormal recurrence (Numerical Recipes' `gauher`). Its starting guesses
/// hold up to about 150 nodes (at 200 every root converges to the largest one), so callers
/// stay at or below [`MAX_NODES`].
pub fn gauss_hermite(n: usize) -> (Vec<f64>, Vec<f64>) {
    const PIM4: f64 = 0.751_125_544_464_942_5; // pi^(-1/4)
    let (mut x, mut w) = (vec![0.0; n], vec![0.0; n]);
    let nf = n as f64;
    let mut z = 0.0f64;
    for i in 0..n.div_ceil(2) {
        z = match i {
            0 => (2.0 * nf + 1.0).sqrt() - 1.85575 * (2.0 * nf + 1.0).powf(-0.16667),
            1 => z - 1.14 * nf.powf(0.426) / z,
            2 => 1.86 * z - 0.86 * x[0],
            3 => 1.91 * z - 0.91 * x[1],
            _ => 2.0 * z - x[i - 2],
        };
        let mut pp = 1.0;
        for _ in 0..100 {
            let (mut p1, mut p2) = (PIM4, 0.0);
            for j in 0..n {
                let p3 = p2;
                p2 = p1;
                let jf = j as f64;
                p1 = z * (2.0 / (jf + 1.0)).sqrt() * p2 - (jf / (jf + 1.0)).sqrt() * p3;
            }
            pp = (2.0 * nf).sqrt() * p2;
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() <= 1e-14 * z.abs().max(1.0) {
                break;
            }
        }
        x[i] = z;
        x[n - 1 - i] = -z;
        w[i] = 2.0 / (pp * pp);
        w[n - 1 - i] = w[i];
    }
    (x, w)
}

/// E[f(x)] for x ~ N(0, 1) by n-point Gauss–Hermite quadrature, for several functions at once:
/// `f(x, out)` writes the values at x.
fn expect_normal(n: usize, m: usize, f: impl Fn(f64, &mut [f64])) -> Vec<f64> {
    let (x, w) = gauss_hermite(n);
    let mut acc = vec![0.0; m];
    let mut vals = vec![0.0; m];
    for (xi, wi) in x.iter().zip(&w) {
        f(std::f64::consts::SQRT_2 * xi, &mut vals);
        acc.iter_mut().zip(&vals).for_each(|(a, v)| *a += wi * v);
    }
    let norm = std::f64::consts::PI.sqrt();
    acc.iter().map(|a| a / norm).collect()
}

/// h_0..h_p at x: the orthonormal probabilists' Hermite polynomials He_i(x) / sqrt(i!).
pub fn hermite_normalised(x: f64, p: usize, out: &mut [f64]) {
    out[0] = 1.0;
    if p >= 1 {
        out[1] = x;
    }
    for i in 1..p {
        out[i + 1] = (x * out[i] - (i as f64).sqrt() * out[i - 1]) / ((i + 1) as f64).sqrt();
    }
}

/// Coefficients alpha_0..alpha_p of `s` and E[s^2], by n-point quadrature.
pub fn coefficients(s: impl Fn(f64) -> f64, p: usize, n: usize) -> (Vec<f64>, f64) {
    let v = expect_normal(n, p + 2, |x, out| {
        let sx = s(x);
        hermite_normalised(x, p, &mut out[..=p]);
        out[..=p].iter_mut().for_each(|h| *h *= sx);
        out[p + 1] = sx * sx;
    });
    (v[..=p].to_vec(), v[p + 1])
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Coefficient {
    pub i: usize,
    pub low: f64,
    pub high: f64,
    pub theta: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Losses {
    pub p: usize,
    pub l_low: f64,
    pub l_high: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HermiteSeesaw {
    pub mu: f64,
    pub max_degree: usize,
    /// Gauss–Hermite nodes used.
    pub nodes: usize,
    pub coefficients: Vec<Coefficient>,
    pub losses: Vec<Losses>,
    /// What the computation says about the paper's statement of Prop. 1 (derived from the
    /// numbers above, not written in advance).
    pub findings: Vec<String>,
}

pub const MAX_DEGREE: usize = 60;
pub const MAX_NODES: usize = 150;

/// The see-saw for degrees 1..=max_degree with `nodes`-point quadrature.
pub fn seesaw(mu: f64, max_degree: usize, nodes: usize) -> Result<HermiteSeesaw, String> {
    if !(mu.is_finite() && mu > 0.0 && mu <= 5.0) {
        return Err(format!("mu: must be a number in (0, 5], got {}", crate::spec::shown(mu)));
    }
    if !(1..=MAX_DEGREE).contains(&max_degree) {
        return Err(format!("max-degree: must be in 1..={MAX_DEGREE}, got {max_degree}"));
    }
    if !(2 * max_degree..=MAX_NODES).contains(&nodes) {
        return Err(format!("nodes: must be in {}..={MAX_NODES} (at least twice the degree), got {nodes}", 2 * max_degree));
    }
    let p = max_degree;
    let (low, e_low) = coefficients(|x| mu * (mu * x).tanh() - x, p, nodes);
    let (high, e_high) = coefficients(|x| -x, p, nodes);
    let theta: Vec<f64> = low.iter().zip(&high).map(|(a, b)| 0.5 * (a + b)).collect();
    let loss = |alpha: &[f64], e_s2: f64, q: usize| {
        let fit: f64 = (0..=q).map(|i| (theta[i] - alpha[i]).powi(2)).sum();
        let kept: f64 = alpha[..=q].iter().map(|a| a * a).sum();
        fit + (e_s2 - kept).max(0.0)
    };
    let losses: Vec<Losses> = (1..=p).map(|q| Losses { p: q, l_low: loss(&low, e_low, q), l_high: loss(&high, e_high, q) }).collect();
    let coefficients: Vec<Coefficient> = (0..=p).map(|i| Coefficient { i, low: low[i], high: high[i], theta: theta[i] }).collect();
    Ok(HermiteSeesaw { mu, max_degree, nodes, findings: findings(&coefficients, &losses), coefficients, losses })
}

/// Reads the computed numbers against the paper's Prop. 1 and its coefficient claims.
fn findings(c: &[Coefficient], l: &[Losses]) -> Vec<String> {
    let mut out = Vec::new();
    let tol = 1e-12;
    let (first, last) = (&l[0], &l[l.len() - 1]);
    let low_falls = l.windows(2).all(|w| w[1].l_low <= w[0].l_low + tol);
    let high_rises = l.windows(2).all(|w| w[1].l_high >= w[0].l_high - tol);
    out.push(format!(
        "computed: l_low {} from {:.6} (p = 1) to {:.6} (p = {}), l_high {} from {:.6} to {:.6}",
        if low_falls { "never rises" } else { "does not fall monotonically" },
        first.l_low,
        last.l_low,
        last.p,
        if high_rises { "never falls" } else { "does not rise monotonically" },
        first.l_high,
        last.l_high
    ));
    if low_falls && high_rises && l.len() > 1 {
        out.push(
            "the paper's Prop. 1 as printed says l_1^p <= l_1^(p+1) (low-noise loss rising) and l_2^p >= l_2^(p+1) \
             (high-noise loss falling): the computed losses go the other way, as the proof's own formulas do; the \
             inequalities are swapped in the statement, and the see-saw holds with them swapped"
                .to_string(),
        );
    }
    let positive: Vec<String> = c.iter().filter(|k| k.i % 2 == 1 && k.low > tol).map(|k| k.i.to_string()).collect();
    if positive.is_empty() {
        out.push("every odd low-noise coefficient computed here is negative, as appendix G.3 says".into());
    } else {
        out.push(format!("appendix G.3 says every odd low-noise coefficient alpha_(2k+1) is negative; computed, alpha_i > 0 for i = {}", positive.join(", ")));
    }
    let even = c.iter().filter(|k| k.i % 2 == 0).map(|k| k.low.abs()).fold(0.0, f64::max);
    out.push(format!("even coefficients vanish by symmetry (largest |alpha_2k| computed: {even:.1e})"));
    out
}
