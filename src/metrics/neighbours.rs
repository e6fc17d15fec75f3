//! n_i(D, e) = #{ j : ||x_i - x_j|| <= e }, the point itself included (SPEC §6).
//!
//! Points are bucketed on a grid of cell size e over their first (up to) three coordinates; a
//! point's neighbours can only lie in the 3^m cells around its own, since distance in a
//! projection never exceeds the full distance. Candidates are then checked with the full
//! distance, so the counts are exact in any dimension, in O(N * local density) time.

use crate::parallel;
use crate::points::Points;
use std::collections::HashMap;

const GRID_DIMS: usize = 3;

/// Pair comparisons above which a caller should refuse a count (minutes to hours of work).
pub const MAX_PAIR_CHECKS: f64 = 2e10;

/// The pair comparisons [`neighbour_counts`] would make at radius e: the sum over grid cells of
/// the cell's points times the points of its 3^m neighbouring cells (0 where the fast path
/// applies: every pair within e).
pub fn pair_checks(p: &Points, e: f64) -> f64 {
    if p.is_empty() || within_everywhere(p, e) {
        return 0.0;
    }
    let m = p.dim.min(GRID_DIMS);
    let mut cells: HashMap<[i64; GRID_DIMS], f64> = HashMap::new();
    for i in 0..p.len() {
        let mut c = [0i64; GRID_DIMS];
        for (slot, &x) in c.iter_mut().zip(p.row(i)).take(m) {
            *slot = (x as f64 / e).floor() as i64;
        }
        *cells.entry(c).or_default() += 1.0;
    }
    let mut total = 0.0;
    for (c, &count) in &cells {
        for code in 0..3usize.pow(m as u32) {
            let (mut o, mut code) = (*c, code);
            for slot in o.iter_mut().take(m) {
                *slot += (code % 3) as i64 - 1;
                code /= 3;
            }
            total += count * cells.get(&o).copied().unwrap_or(0.0);
        }
    }
    total
}

/// Whether the bounding box's diagonal is within e, so every pair of points is.
fn within_everywhere(p: &Points, e: f64) -> bool {
    let d = p.dim;
    let mut diag2 = 0.0;
    for k in 0..d {
        let (lo, hi) = p.data.iter().skip(k).step_by(d).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v as f64), hi.max(v as f64)));
        diag2 += (hi - lo) * (hi - lo);
    }
    diag2 <= e * e
}

pub fn neighbour_counts(p: &Points, e: f64) -> Vec<u32> {
    assert!(e > 0.0 && e.is_finite(), "radius must be positive and finite");
    let (n, d) = (p.len(), p.dim);
    if n == 0 {
        return Vec::new();
    }
    // Fast path: e covers the whole set, every point counts all n.
    if within_everywhere(p, e) {
        return vec![n as u32; n];
    }
    let m = d.min(GRID_DIMS);
    let cell_of = |row: &[f32]| -> [i64; GRID_DIMS] {
        let mut c = [0i64; GRID_DIMS];
        for k in 0..m {
            c[k] = (row[k] as f64 / e).floor() as i64; // `as` saturates for huge values
        }
        c
    };
    // Sort points by cell so each cell's points are contiguous.
    let mut order: Vec<([i64; GRID_DIMS], u32)> = (0..n).map(|i| (cell_of(p.row(i)), i as u32)).collect();
    order.sort_unstable();
    let mut coords = Vec::with_capacity(n * d);
    for &(_, i) in &order {
        coords.extend(p.row(i as usize).iter().map(|&v| v as f64));
    }
    let mut cells: Vec<([i64; GRID_DIMS], usize, usize)> = Vec::new();
    for (pos, (c, _)) in order.iter().enumerate() {
        match cells.last_mut() {
            Some(last) if last.0 == *c => last.2 = pos + 1,
            _ => cells.push((*c, pos, pos + 1)),
        }
    }
    let index: HashMap<[i64; GRID_DIMS], (usize, usize)> = cells.iter().map(|&(c, s, t)| (c, (s, t))).collect();
    let offsets: Vec<[i64; GRID_DIMS]> = (0..3usize.pow(m as u32))
        .map(|mut code| {
            let mut o = [0i64; GRID_DIMS];
            for slot in o.iter_mut().take(m) {
                *slot = (code % 3) as i64 - 1;
                code /= 3;
            }
            o
        })
        .collect();
    let e2 = e * e;
    // Cells are split into groups of consecutive cells, i.e. consecutive sorted positions.
    let groups = (cells.len().div_ceil(256)).clamp(1, 4096);
    let per = cells.len().div_ceil(groups);
    let counted: Vec<Vec<u32>> = parallel::map(groups, |g| {
        let mut out = Vec::new();
        let mut near: Vec<(usize, usize)> = Vec::with_capacity(offsets.len());
        for &(c, s, t) in cells.iter().skip(g * per).take(per) {
            near.clear();
            for o in &offsets {
                let key = [c[0].wrapping_add(o[0]), c[1].wrapping_add(o[1]), c[2].wrapping_add(o[2])];
                if let Some(&r) = index.get(&key) {
                    near.push(r);
                }
            }
            for i in s..t {
                let xi = &coords[i * d..(i + 1) * d];
                let mut cnt = 0u32;
                for &(a, b) in &near {
                    for xj in coords[a * d..b * d].chunks_exact(d) {
                        let d2: f64 = xi.iter().zip(xj).map(|(u, v)| (u - v) * (u - v)).sum();
                        cnt += (d2 <= e2) as u32;
                    }
                }
                out.push(cnt);
            }
        }
        out
    });
    let mut counts = vec![0u32; n];
    for (pos, c) in counted.into_iter().flatten().enumerate() {
        counts[order[pos].1 as usize] = c;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{self, Stream};

    fn brute(p: &Points, e: f64) -> Vec<u32> {
        (0..p.len())
            .map(|i| {
                (0..p.len())
                    .filter(|&j| {
                        let d2: f64 = p.row(i).iter().zip(p.row(j)).map(|(a, b)| ((a - b) as f64).powi(2)).sum();
                        d2 <= e * e
                    })
                    .count() as u32
            })
            .collect()
    }

    #[test]
    fn grid_counts_equal_brute_force_in_1d_2d_and_10d() {
        for &(dim, e) in &[(1usize, 0.05), (2, 0.1), (2, 0.37), (3, 0.3), (10, 1.5)] {
            let mut r = rng::stream(3, Stream::Data, dim as u64);
            let mut data = vec![0.0f32; 700 * dim];
            rng::fill_normal(&mut r, &mut data);
            // Duplicates and negative coordinates on cell borders.
            let first = data[..dim].to_vec();
            data[dim..2 * dim].copy_from_slice(&first);
            data[2 * dim] = -0.3;
            let p = Points::new(dim, data);
            assert_eq!(neighbour_counts(&p, e), brute(&p, e), "dim {dim} e {e}");
        }
    }

    #[test]
    fn every_point_counts_itself() {
        let p = Points::new(2, vec![0.0, 0.0, 10.0, 10.0, 0.05, 0.0]);
        assert_eq!(neighbour_counts(&p, 0.01), vec![1, 1, 1]);
        assert_eq!(neighbour_counts(&p, 0.06), vec![2, 1, 2]);
    }
}
