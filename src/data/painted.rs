//! A painted 2D distribution: a coarse grid of densities 0..=9 over [-2, 2]^2, painted in the
//! page with a brush (or written by hand). Points are drawn cell by cell in proportion to the
//! densities, uniform within a cell. The grid is small text (`20:0000...`, row by row from the
//! top, y = +2, to the bottom), so it travels in the link and the same link draws the same data.

use crate::points::Points;
use crate::rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

/// Cells per side a grid may have.
pub const SIDES: std::ops::RangeInclusive<usize> = 4..=32;
/// The square the grid covers.
pub const LO: f32 = -2.0;
pub const HI: f32 = 2.0;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Painted {
    /// Cells per side.
    pub side: usize,
    /// side x side densities 0..=9, row-major from the top row (y near +2).
    pub cells: Vec<u8>,
}

impl Painted {
    /// Reads `SIDE:DIGITS` (side in 4..=32, side^2 digits 0-9, not all 0).
    pub fn parse(text: &str) -> Result<Painted, String> {
        let (side, digits) = text.trim().split_once(':').ok_or_else(|| format!("expected SIDE:DIGITS like 4:0000099009900000, got {:?}", short(text)))?;
        let side: usize = side.trim().parse().map_err(|_| format!("the side {:?} is not an integer", short(side)))?;
        let cells = digits
            .trim()
            .chars()
            .enumerate()
            .map(|(i, c)| c.to_digit(10).map(|d| d as u8).ok_or_else(|| format!("cell {i}: {c:?} is not a digit 0-9")))
            .collect::<Result<Vec<u8>, String>>()?;
        let p = Painted { side, cells };
        p.check()?;
        Ok(p)
    }

    /// The text [`Painted::parse`] reads back.
    pub fn print(&self) -> String {
        let digits: String = self.cells.iter().map(|d| char::from(b'0' + d)).collect();
        format!("{}:{digits}", self.side)
    }

    /// Whether the grid can be drawn from: its size, digits, and some density.
    pub fn check(&self) -> Result<(), String> {
        if !SIDES.contains(&self.side) {
            return Err(format!("the side must be in {}..={}, got {}", SIDES.start(), SIDES.end(), self.side));
        }
        if self.cells.len() != self.side * self.side {
            return Err(format!("a {0}x{0} grid has {1} cells, got {2}", self.side, self.side * self.side, self.cells.len()));
        }
        if let Some(i) = self.cells.iter().position(|&d| d > 9) {
            return Err(format!("cell {i}: densities are 0-9, got {}", self.cells[i]));
        }
        if self.cells.iter().all(|&d| d == 0) {
            return Err("the grid is empty: paint some density".into());
        }
        Ok(())
    }

    /// `n` points: a cell in proportion to its density, then uniform within it.
    pub fn sample_from(&self, n: usize, r: &mut StdRng) -> Points {
        let mut cumulative = Vec::with_capacity(self.cells.len());
        let mut total = 0u32;
        for &d in &self.cells {
            total += d as u32;
            cumulative.push(total);
        }
        let w = (HI - LO) / self.side as f32;
        let mut data = Vec::with_capacity(2 * n);
        for _ in 0..n {
            let pick = rng::index(r, total as usize) as u32;
            let cell = cumulative.partition_point(|&c| c <= pick);
            let (row, col) = (cell / self.side, cell % self.side);
            let u = rng::uniform(r, 0.0, 1.0);
            let v = rng::uniform(r, 0.0, 1.0);
            data.push(LO + (col as f32 + u) * w);
            data.push(HI - (row as f32 + v) * w);
        }
        Points::new(2, data)
    }
}

fn short(t: &str) -> String {
    t.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn text_reads_back_and_bad_grids_are_refused() {
        let p = Painted::parse("4:0000099009900000").unwrap();
        assert_eq!(p.side, 4);
        assert_eq!(Painted::parse(&p.print()).unwrap(), p);
        for (t, want) in [
            ("4:000", "a 4x4 grid has 16 cells, got 3"),
            ("4:000000000000000x", "cell 15: 'x' is not a digit"),
            ("2:1111", "the side must be in 4..=32"),
            ("64:1", "the side must be in 4..=32"),
            ("4:0000000000000000", "the grid is empty"),
            ("0000", "expected SIDE:DIGITS"),
            ("four:1", "the side \"four\" is not an integer"),
        ] {
            let e = Painted::parse(t).unwrap_err();
            assert!(e.contains(want), "{t}: {e}");
        }
    }

    /// Points fall in painted cells only, in proportion to the densities.
    #[test]
    fn points_follow_the_painted_densities() {
        // Top-left cell density 1, bottom-right density 3, nothing else.
        let mut cells = vec![0u8; 16];
        cells[0] = 1;
        cells[15] = 3;
        let p = Painted { side: 4, cells };
        let pts = p.sample_from(40_000, &mut rng::stream(1, Stream::Data, 0));
        let (mut top_left, mut bottom_right) = (0, 0);
        for xy in pts.data.chunks_exact(2) {
            if (-2.0..=-1.0).contains(&xy[0]) && (1.0..=2.0).contains(&xy[1]) {
                top_left += 1;
            } else if (1.0..=2.0).contains(&xy[0]) && (-2.0..=-1.0).contains(&xy[1]) {
                bottom_right += 1;
            } else {
                panic!("a point outside the painted cells: {xy:?}");
            }
        }
        let ratio = bottom_right as f64 / top_left as f64;
        assert!((ratio - 3.0).abs() < 0.15, "{ratio}");
    }
}
