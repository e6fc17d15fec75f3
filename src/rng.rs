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
    SamplerNoise = 5,
    Reference = 6,
    /// The fresh draws of the see-saw diagnostics (SPEC §7).
    Diagnostics = 7,
    /// Seeds of the second and later nets of one experiment (two-model training).
    Net = 8,
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
