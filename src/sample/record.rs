//! Recording while sampling, cheaply: histograms of one coordinate at chosen times (density
//! evolution and intermediate marginals) and the full paths of a few points (trajectories).
//! Nothing else of the run is kept, and recording only reads the points, so it cannot change
//! the samples.

use crate::diffusion::{Process, T_EPS};
use crate::points::Points;
use crate::rng;
use serde::{Deserialize, Serialize};

/// What to record; the histogram range is fixed up front so every sampler, time and the true
/// noised data share the same bins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordPlan {
    pub coordinate: usize,
    pub lo: f64,
    pub hi: f64,
    pub bins: usize,
    /// Requested times in [0, 1]; each is recorded at the nearest point of the sampler's grid
    /// (0 means the final samples).
    pub times: Vec<f64>,
    /// Points (the first ones of the initial noise) whose whole path is kept.
    pub trajectories: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    pub coordinate: usize,
    pub lo: f64,
    pub hi: f64,
    pub bins: usize,
    pub requested: Vec<f64>,
    /// The time actually recorded for each requested one.
    pub times: Vec<f64>,
    /// Counts per bin, one row per time.
    pub histograms: Vec<Vec<u32>>,
    /// Points outside [lo, hi) or not finite, per time.
    pub outside: Vec<u32>,
    /// Times of the trajectory rows (every grid point of the sampler).
    pub trajectory_times: Vec<f64>,
    pub trajectory_points: usize,
    pub dim: usize,
    /// Flat `[time][point][dim]`.
    pub trajectories: Vec<f32>,
}

/// One block's share of a recording (serialisable: a helper worker of the page sends it back).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BlockRecord {
    /// Grid index recorded by each slot.
    at: Vec<usize>,
    coordinate: usize,
    dim: usize,
    hist: Vec<Vec<u32>>,
    outside: Vec<u32>,
    traj_rows: usize,
    traj: Vec<f32>,
    binner: Binner,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Binner {
    lo: f64,
    scale: f64,
    bins: usize,
}

impl Binner {
    fn bin(&self, v: f32) -> Option<usize> {
        let u = (v as f64 - self.lo) * self.scale;
        (u >= 0.0 && u < self.bins as f64).then_some(u as usize)
    }
}

/// Histogram of column `coordinate` of `x` (rows of `dim`) into `hist`; returns the misses.
fn histogram(x: &[f32], dim: usize, coordinate: usize, b: Binner, hist: &mut [u32]) -> u32 {
    let mut miss = 0;
    for row in x.chunks_exact(dim) {
        match b.bin(row[coordinate]) {
            Some(i) => hist[i] += 1,
            None => miss += 1,
        }
    }
    miss
}

impl RecordPlan {
    fn binner(&self) -> Binner {
        Binner { lo: self.lo, scale: self.bins as f64 / (self.hi - self.lo), bins: self.bins }
    }

    /// Grid index nearest to each requested time.
    fn slots(&self, grid: &[f64]) -> Vec<usize> {
        self.times.iter().map(|&tau| (0..grid.len()).min_by(|&a, &b| (grid[a] - tau).abs().total_cmp(&(grid[b] - tau).abs())).unwrap_or(0)).collect()
    }

    /// A recording of this plan's histograms at `times`, with no trajectories.
    fn recording(&self, times: Vec<f64>, histograms: Vec<Vec<u32>>, outside: Vec<u32>, dim: usize) -> Recording {
        Recording {
            coordinate: self.coordinate,
            lo: self.lo,
            hi: self.hi,
            bins: self.bins,
            requested: self.times.clone(),
            times,
            histograms,
            outside,
            trajectory_times: Vec::new(),
            trajectory_points: 0,
            dim,
            trajectories: Vec::new(),
        }
    }

    pub(super) fn block(&self, grid: &[f64], dim: usize, b: usize) -> BlockRecord {
        let at = self.slots(grid);
        BlockRecord {
            hist: vec![vec![0; self.bins]; at.len()],
            outside: vec![0; at.len()],
            at,
            coordinate: self.coordinate,
            dim,
            traj_rows: if b == 0 { self.trajectories } else { 0 },
            traj: Vec::new(),
            binner: self.binner(),
        }
    }

    pub(super) fn merge(&self, grid: &[f64], dim: usize, parts: Vec<BlockRecord>) -> Recording {
        let at = self.slots(grid);
        let mut histograms = vec![vec![0u32; self.bins]; at.len()];
        let mut outside = vec![0u32; at.len()];
        let mut trajectories = Vec::new();
        let mut trajectory_points = 0;
        for p in parts {
            for (s, h) in p.hist.iter().enumerate() {
                histograms[s].iter_mut().zip(h).for_each(|(a, b)| *a += b);
                outside[s] += p.outside[s];
            }
            if p.traj_rows > 0 {
                trajectory_points = p.traj.len() / (grid.len() * dim);
                trajectories = p.traj;
            }
        }
        let mut rec = self.recording(at.iter().map(|&i| grid[i]).collect(), histograms, outside, dim);
        if trajectory_points > 0 {
            rec.trajectory_times = grid.to_vec();
            rec.trajectory_points = trajectory_points;
            rec.trajectories = trajectories;
        }
        rec
    }

    /// The grid indices at which a run's points are needed whole (the histograms' times), in
    /// order and once each; the trajectories need only the first [`RecordPlan::trajectories`]
    /// points, at every index.
    pub fn snapshot_steps(&self, grid: &[f64]) -> Vec<usize> {
        let mut at = self.slots(grid);
        at.sort_unstable();
        at.dedup();
        at
    }

    /// The recording of a run made elsewhere (the GPU's) from its points at each of
    /// [`RecordPlan::snapshot_steps`] (`snapshots[s]`: all n rows) and its first
    /// `min(trajectories, n)` rows at every grid index (`trajectory[i]`), exactly as the blocks
    /// of [`super::run_with`] record them.
    pub fn replay(&self, grid: &[f64], dim: usize, n: usize, snapshots: &[Vec<f32>], trajectory: &[Vec<f32>]) -> Recording {
        let steps = self.snapshot_steps(grid);
        assert_eq!(snapshots.len(), steps.len());
        assert_eq!(trajectory.len(), grid.len());
        let blocks = n.div_ceil(super::BLOCK);
        let parts = (0..blocks)
            .map(|b| {
                let mut rec = self.block(grid, dim, b);
                let rows = b * super::BLOCK..((b + 1) * super::BLOCK).min(n);
                for (i, traj) in trajectory.iter().enumerate() {
                    match steps.iter().position(|&s| s == i) {
                        Some(s) => rec.observe(i, &snapshots[s][rows.start * dim..rows.end * dim]),
                        None if rec.traj_rows > 0 => rec.observe(i, traj),
                        None => {}
                    }
                }
                rec
            })
            .collect();
        self.merge(grid, dim, parts)
    }

    /// The same histograms of the true noised data x_t = alpha_t x_0 + sigma_t eps, for the
    /// rows of `data` at exactly the requested times (t = 0 is the data itself).
    pub fn noised_data(&self, data: &Points, process: &dyn Process, seed: u64) -> Recording {
        let d = data.dim;
        let mut eps = vec![0.0f32; data.data.len()];
        rng::fill_normal(&mut rng::stream(seed, rng::Stream::Reference, rng::reference::RECORDED_TRUTH), &mut eps);
        let b = self.binner();
        let mut histograms = Vec::new();
        let mut outside = Vec::new();
        let mut times = Vec::new();
        let mut xt = vec![0.0f32; data.data.len()];
        for &tau in &self.times {
            let t = tau.clamp(0.0, process.t_max());
            // t = 0 is the data itself (below t_eps the process is not evaluated).
            if t < T_EPS {
                xt.copy_from_slice(&data.data);
            } else {
                crate::diffusion::noise_at(process, t, &data.data, &eps, &mut xt);
            }
            let mut h = vec![0u32; self.bins];
            outside.push(histogram(&xt, d, self.coordinate, b, &mut h));
            histograms.push(h);
            times.push(t);
        }
        self.recording(times, histograms, outside, d)
    }
}

impl BlockRecord {
    /// Called with the block's points at grid index `i` (after `i` steps).
    pub(super) fn observe(&mut self, i: usize, x: &[f32]) {
        for s in 0..self.at.len() {
            if self.at[s] == i {
                self.outside[s] += histogram(x, self.dim, self.coordinate, self.binner, &mut self.hist[s]);
            }
        }
        let rows = self.traj_rows.min(x.len() / self.dim);
        self.traj.extend_from_slice(&x[..rows * self.dim]);
    }
}

impl Recording {
    /// `t,bin_lo,bin_hi,count,density` rows, one per time and bin; density is per unit length,
    /// normalised by all points (those outside the range included).
    pub fn marginals_csv(&self) -> String {
        let width = (self.hi - self.lo) / self.bins as f64;
        let mut out = String::from("t,bin_lo,bin_hi,count,density\n");
        for ((t, h), miss) in self.times.iter().zip(&self.histograms).zip(&self.outside) {
            let total = (h.iter().sum::<u32>() + miss).max(1) as f64;
            for (i, &c) in h.iter().enumerate() {
                let lo = self.lo + i as f64 * width;
                out += &format!("{t},{lo},{},{c},{}\n", lo + width, c as f64 / (total * width));
            }
        }
        out
    }

    /// `t,point,x0,..` rows: every recorded point at every grid time.
    pub fn trajectories_csv(&self) -> String {
        let mut out = String::from("t,point");
        for j in 0..self.dim {
            out += &format!(",x{j}");
        }
        out.push('\n');
        let row = self.trajectory_points * self.dim;
        for (k, t) in self.trajectory_times.iter().enumerate() {
            for p in 0..self.trajectory_points {
                out += &format!("{t},{p}");
                for v in &self.trajectories[k * row + p * self.dim..k * row + (p + 1) * self.dim] {
                    out += &format!(",{v}");
                }
                out.push('\n');
            }
        }
        out
    }
}
