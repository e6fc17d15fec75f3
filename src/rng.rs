//! Seeded random streams. Every random quantity in the lab comes from a `StdRng` (ChaCha12,
//! identical on native and wasm32) derived from the experiment seed and a purpose tag, so one
//! part of an experiment never shifts the random numbers of another, and work split into fixed
//! blocks draws the same numbers whatever the thread count.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// Purposes that get independent streams from one seed.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    Data = 1,
    Init = 2,
    Batches = 3,
    InitialNoise = 4,
    // 5 was the samplers' noise, which now comes from `counter::sampler_key`.
    Reference = 6,
    /// The fresh draws of the see-saw diagnostics (SPEC §7).
    Diagnostics = 7,
    /// Seeds of the second and later nets of one experiment (two-model training).
    Net = 8,
    /// Seeds of the generations of recursive training (SPEC §10).
    Generation = 9,
}

/// The draws of [`Stream::Reference`] by name, the one place their indices are chosen, so two
/// uses never share a draw by accident. Indices 0, 1, ... below [`reference::COMPARE_FLOOR`] are
/// the TID reference draws (one per repeat); the named ones sit apart from them.
pub mod reference {
    /// The data-vs-data floor of a run: a fresh draw of the data (`experiment::measure`).
    pub const NULL: u64 = 1 << 40;
    /// The eps of the true noised data recorded next to the samplers (`sample::record`).
    pub const RECORDED_TRUTH: u64 = 1 << 41;
    /// Generations: the large draw behind the fixed histogram p_data.
    pub const GENERATIONS_HISTOGRAM: u64 = 1 << 42;
    /// Generations: a fresh draw of gen_size points, the histogram's and TID's noise floor.
    pub const GENERATIONS_NULL: u64 = 1 << 43;
    /// Generations: generation g's fresh data is draw `GENERATIONS_FRESH + g + 1`.
    pub const GENERATIONS_FRESH: u64 = 1 << 44;
    /// `collapse-lab tid` and the page's own samples: the floor's two disjoint halves of the
    /// training file (its reference draws are 1 ..= `metrics::compare`'s repeats, at most 5).
    pub const COMPARE_FLOOR: u64 = 99;
}

/// SplitMix64 finaliser: decorrelates (seed, stream, index) triples.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub fn stream(seed: u64, purpose: Stream, index: u64) -> StdRng {
    let s = mix(mix(seed ^ mix(purpose as u64)) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
    StdRng::seed_from_u64(s)
}

/// The seed of net `index` of an experiment: net 0 keeps the experiment's seed (so adding a
/// second net leaves the first unchanged), later nets get independent ones.
pub fn net_seed(seed: u64, index: u64) -> u64 {
    if index == 0 { seed } else { mix(mix(seed ^ mix(Stream::Net as u64)) ^ index) }
}

/// The seed of generation `g` of a recursive-training chain: generation 0 keeps the chain's
/// seed (so it trains exactly the net a plain run of that seed and data would), later
/// generations get independent ones.
pub fn generation_seed(seed: u64, g: u64) -> u64 {
    if g == 0 { seed } else { mix(mix(seed ^ mix(Stream::Generation as u64)) ^ g) }
}

pub fn normal(rng: &mut StdRng) -> f32 {
    StandardNormal.sample(rng)
}

pub fn fill_normal(rng: &mut StdRng, out: &mut [f32]) {
    for x in out {
        *x = StandardNormal.sample(rng);
    }
}

/// Uniform on [lo, hi).
pub fn uniform(rng: &mut StdRng, lo: f32, hi: f32) -> f32 {
    lo + (hi - lo) * rng.random::<f32>()
}

pub fn index(rng: &mut StdRng, n: usize) -> usize {
    rng.random_range(0..n)
}

/// The counter-based generator both training engines draw their batches from (the GPU's
/// `shaders/common.wgsl` has the same functions): every (seed, step, row, k) has its own random
/// number, so the CPU engine, the WGSL engine and any split of the batch across threads or
/// workgroups draw the very same batches. PCG hash (Jarzynski & Olano 2020).
pub mod counter {
    use crate::diffusion::TimeRange;

    pub fn pcg(v: u32) -> u32 {
        let state = v.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
        let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277_803_737);
        (word >> 22) ^ word
    }

    pub fn hash4(a: u32, b: u32, c: u32, d: u32) -> u32 {
        pcg(d ^ pcg(c ^ pcg(b ^ pcg(a))))
    }

    /// Uniform in (0, 1) from the top 24 bits.
    pub fn unit(h: u32) -> f32 {
        ((h >> 8) as f32 + 0.5) * (1.0 / 16_777_216.0)
    }

    /// Row `row` of training step `step`: (data index, t, and eps written to `eps`), exactly as
    /// `shaders/batch.wgsl` draws it (Box–Muller in f32; the GPU's sin, cos and log may differ
    /// in the last bits).
    pub fn batch_row(seed: u64, step: u32, row: u32, n_data: usize, times: TimeRange, eps: &mut [f32]) -> (usize, f32) {
        let key = hash4(seed as u32, (seed >> 32) as u32, step, row);
        let j = (hash4(key, 1, 0, 0) % n_data as u32) as usize;
        let t = times.dist.time(times.lo, times.hi, unit(hash4(key, 2, 0, 0)), unit(hash4(key, 2, 1, 0)));
        for (k, e) in eps.iter_mut().enumerate() {
            let k = k as u32;
            let u1 = unit(hash4(key, 3, k / 2, 0));
            let u2 = unit(hash4(key, 3, k / 2, 1));
            let radius = (-2.0 * u1.ln()).sqrt();
            let angle = std::f32::consts::TAU * u2;
            *e = if k.is_multiple_of(2) { radius * angle.cos() } else { radius * angle.sin() };
        }
        (j, t)
    }

    /// The key of a sampler run's noise: one per (experiment seed, sampler stream).
    pub fn sampler_key(seed: u64, stream: u64) -> u32 {
        hash4(seed as u32, (seed >> 32) as u32 ^ 0x534D_504C, (stream >> 32) as u32, stream as u32)
    }

    /// Standard normal number `index` of draw `draw` of a sampler run: Box–Muller on the pair
    /// index / 2 (cosine for even indices, sine for odd), exactly as `shaders/sample.wgsl`
    /// computes it (the GPU's sin, cos and log may differ in the last bits). A run's draws are
    /// numbered in order, and a point's noise is indexed by its row in the run, so it does not
    /// depend on how the points are split into blocks, threads or workgroups.
    pub fn normal(key: u32, draw: u32, index: u32) -> f32 {
        let (radius, cos, sin) = polar(key, draw, index / 2);
        if index.is_multiple_of(2) { radius * cos } else { radius * sin }
    }

    /// (radius, cos, sin) of the Box–Muller pair `pair` of draw `draw`, with the lab's own
    /// [`ln`] and [`turn_sin_cos`]: WGSL lets a GPU's `log`, `sin` and `cos` err by up to
    /// 2^-11 (SwiftShader's do), which over hundreds of SDE steps moved samples by 0.02; these
    /// are plain arithmetic, the same on both engines to rounding.
    fn polar(key: u32, draw: u32, pair: u32) -> (f32, f32, f32) {
        let u1 = unit(hash4(key, draw, pair, 0));
        let u2 = unit(hash4(key, draw, pair, 1));
        let (cos, sin) = turn_sin_cos(u2);
        ((-2.0 * ln(u1)).sqrt(), cos, sin)
    }

    /// ln(x) for positive normal x (`shaders/sample.wgsl` has the same): x = m 2^e with m in
    /// [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s) with s = (m - 1) / (m + 1), |s| < 0.172, by its
    /// series to s^9 (relative error below 1e-7).
    pub fn ln(x: f32) -> f32 {
        let bits = x.to_bits();
        let mut e = ((bits >> 23) & 0xff) as i32 - 127;
        let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
        if m > std::f32::consts::SQRT_2 {
            m *= 0.5;
            e += 1;
        }
        let s = (m - 1.0) / (m + 1.0);
        let s2 = s * s;
        let series = s * (2.0 + s2 * (2.0 / 3.0 + s2 * (0.4 + s2 * (2.0 / 7.0 + s2 * (2.0 / 9.0)))));
        e as f32 * std::f32::consts::LN_2 + series
    }

    /// (cos, sin) of the angle 2 pi u for u in [0, 1] (`shaders/sample.wgsl` has the same):
    /// the nearest quarter turn q = floor(4 u + 1/2) is taken out exactly, and the rest, |theta| <= pi / 4, goes
    /// through Taylor series to theta^11 and theta^10 (error below 1e-8).
    pub fn turn_sin_cos(u: f32) -> (f32, f32) {
        let q = (u * 4.0 + 0.5).floor();
        let theta = (u - 0.25 * q) * std::f32::consts::TAU;
        let t2 = theta * theta;
        let sin = theta * (1.0 - t2 / 6.0 * (1.0 - t2 / 20.0 * (1.0 - t2 / 42.0 * (1.0 - t2 / 72.0 * (1.0 - t2 / 110.0)))));
        let cos = 1.0 - t2 / 2.0 * (1.0 - t2 / 12.0 * (1.0 - t2 / 30.0 * (1.0 - t2 / 56.0 * (1.0 - t2 / 90.0))));
        match (q as i32) & 3 {
            0 => (cos, sin),
            1 => (-sin, cos),
            2 => (-cos, -sin),
            _ => (sin, -cos),
        }
    }

    /// `out[i] = normal(key, draw, first + i)`, each pair computed once.
    pub fn fill_normal(key: u32, draw: u32, first: u32, out: &mut [f32]) {
        let mut i = 0;
        if first % 2 == 1 && !out.is_empty() {
            out[0] = normal(key, draw, first);
            i = 1;
        }
        while i < out.len() {
            let (radius, cos, sin) = polar(key, draw, (first + i as u32) / 2);
            out[i] = radius * cos;
            if i + 1 < out.len() {
                out[i + 1] = radius * sin;
            }
            i += 2;
        }
    }
}

#[cfg(test)]
mod tests {

    /// The named reference draws are distinct and apart from the TID reference draws of any
    /// run (repeats <= spec::limits::REPEATS) and of `tid` (1 ..= compare::REPEATS).
    #[test]
    fn named_reference_draws_never_meet_the_repeats() {
        use super::reference::*;
        let named = [NULL, RECORDED_TRUTH, GENERATIONS_HISTOGRAM, GENERATIONS_NULL, COMPARE_FLOOR];
        let fresh = GENERATIONS_FRESH + 1..=GENERATIONS_FRESH + 1 + crate::spec::limits::GENERATIONS.1 as u64;
        for (i, a) in named.iter().enumerate() {
            assert!(named.iter().skip(i + 1).all(|b| a != b) && !fresh.contains(a));
            assert!(*a > crate::metrics::compare::REPEATS as u64);
            assert!(*a == COMPARE_FLOOR || *a >= crate::spec::limits::REPEATS.1 as u64);
        }
    }
    use super::counter::{fill_normal, normal, sampler_key};

    /// The samplers' counter-based normals: a block filled from any first index gives the
    /// numbers one by one, the numbers are standard normal, and other draws, keys and indices
    /// give other numbers.
    #[test]
    fn sampler_noise_is_standard_normal_and_indexed_by_draw_and_row() {
        let key = sampler_key(7, 3);
        for first in [0u32, 1, 1023, 4096] {
            let mut out = vec![0.0f32; 9];
            fill_normal(key, 5, first, &mut out);
            for (i, &v) in out.iter().enumerate() {
                assert_eq!(v.to_bits(), normal(key, 5, first + i as u32).to_bits(), "first {first}, i {i}");
            }
        }
        let n = 200_000u32;
        let (mut m1, mut m2, mut m4) = (0.0f64, 0.0f64, 0.0f64);
        let mut cross = 0.0f64;
        for i in 0..n {
            let v = normal(key, 0, i) as f64;
            m1 += v;
            m2 += v * v;
            m4 += v.powi(4);
            cross += v * normal(key, 1, i) as f64;
        }
        let nf = n as f64;
        // Standard errors: 1/sqrt(n) for the mean and the cross moment, sqrt(2/n) for the
        // variance, sqrt(96/n) for the fourth moment (3); 5 of each.
        assert!((m1 / nf).abs() < 5.0 / nf.sqrt(), "mean {}", m1 / nf);
        assert!((m2 / nf - 1.0).abs() < 5.0 * (2.0 / nf).sqrt(), "variance {}", m2 / nf);
        assert!((m4 / nf - 3.0).abs() < 5.0 * (96.0 / nf).sqrt(), "fourth moment {}", m4 / nf);
        assert!((cross / nf).abs() < 5.0 / nf.sqrt(), "draws 0 and 1 correlate: {}", cross / nf);
        assert_ne!(normal(key, 0, 0), normal(sampler_key(8, 3), 0, 0));
        assert_ne!(normal(key, 0, 0), normal(sampler_key(7, 4), 0, 0));
        assert_ne!(normal(key, 0, 0), normal(key, 0, 1));
    }

    /// The lab's own ln and turn sine / cosine (the samplers' noise on both engines) against
    /// the library's in f64.
    #[test]
    fn own_ln_and_turn_sin_cos_are_accurate() {
        use super::counter::{ln, turn_sin_cos};
        for i in 0..=100_000u32 {
            let u = (i as f32 + 0.5) / 100_001.0;
            let want = (u as f64).ln();
            assert!((ln(u) as f64 - want).abs() <= 2e-7 * want.abs().max(1.0), "ln({u}) = {} vs {want}", ln(u));
            let x = 1e-30f32 * (1.0 + 1e3 * u);
            assert!((ln(x) as f64 - (x as f64).ln()).abs() < 1e-5, "ln({x})");
            let (c, s) = turn_sin_cos(u);
            let a = std::f64::consts::TAU * u as f64;
            assert!((c as f64 - a.cos()).abs() < 3e-7 && (s as f64 - a.sin()).abs() < 3e-7, "turn {u}: ({c}, {s})");
        }
        let (c, s) = turn_sin_cos(1.0);
        assert!((c - 1.0).abs() < 1e-7 && s.abs() < 1e-7);
    }
}
