//! A training set read from a CSV file of points (the CLI's `--data-csv FILE`, the page's *Load
//! CSV*): its rows are the training set. A file cannot travel in a link, so the spec names it by
//! a fingerprint of its values, its rows and its dimension (`csv=FINGERPRINT:ROWSxDIM`), and the
//! points are attached to the spec where the file is read (the CLI, the page's worker, a saved
//! run, which carries them). A run checks the points against the fingerprint before it starts.
//!
//! A fixed file cannot be drawn from afresh, so two things differ from the built-in sets (SPEC
//! §6 asks for fresh draws): TID's data-vs-data floor compares `n_samples` rows held out of the
//! references with references drawn from the other rows (disjoint rows of the file, as two
//! fresh draws would be), which needs at least twice `n_samples` rows; and the diagnostics' draws
//! are rows drawn with replacement (a bootstrap).

use crate::points::Points;
use crate::rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvSet {
    /// FNV-1a (64 bits, hex) of the dimension and the rows' f32 values, in order.
    pub fingerprint: String,
    pub rows: usize,
    pub dim: usize,
    /// The points, where the file was read; never serialised (a spec names its file only).
    #[serde(skip)]
    pub points: Attached,
}

/// The points behind a [`CsvSet`]. Two sets are the same set when their fingerprints are, so
/// whether the points are attached does not make specs differ.
#[derive(Clone, Default)]
pub struct Attached(pub Option<Arc<Points>>);

impl PartialEq for Attached {
    fn eq(&self, _: &Attached) -> bool {
        true
    }
}

impl std::fmt::Debug for Attached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(p) => write!(f, "Attached({} rows)", p.len()),
            None => write!(f, "Attached(none)"),
        }
    }
}

/// FNV-1a 64 over the dimension (u32, little-endian) and every f32's bits (little-endian), as
/// 16 hex digits: the same points give the same fingerprint on every build.
pub fn fingerprint(p: &Points) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: [u8; 4]| {
        for b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat((p.dim as u32).to_le_bytes());
    for x in &p.data {
        eat(x.to_bits().to_le_bytes());
    }
    format!("{h:016x}")
}

impl CsvSet {
    /// The set of these points, attached.
    pub fn of(points: Points) -> CsvSet {
        CsvSet { fingerprint: fingerprint(&points), rows: points.len(), dim: points.dim, points: Attached(Some(Arc::new(points))) }
    }

    /// The set of a CSV's values as [`crate::points::read_csv_text`] returns them (f64, row-major).
    pub fn of_values(dim: usize, values: &[f64]) -> CsvSet {
        CsvSet::of(Points::new(dim, values.iter().map(|&x| x as f32).collect()))
    }

    /// Reads `FINGERPRINT:ROWSxDIM` (no points attached).
    pub fn parse(text: &str) -> Result<CsvSet, String> {
        let text = text.trim();
        let shape = || format!("expected FINGERPRINT:ROWSxDIM like 0123456789abcdef:5000x2, got {:?}", short(text));
        let (fp, size) = text.split_once(':').ok_or_else(shape)?;
        let (rows, dim) = size.split_once('x').ok_or_else(shape)?;
        let rows = rows.trim().parse().map_err(|_| format!("the rows {:?} are not an integer", short(rows)))?;
        let dim = dim.trim().parse().map_err(|_| format!("the dimension {:?} is not an integer", short(dim)))?;
        let s = CsvSet { fingerprint: fp.trim().to_ascii_lowercase(), rows, dim, points: Attached(None) };
        s.check()?;
        Ok(s)
    }

    /// The text [`CsvSet::parse`] reads back.
    pub fn print(&self) -> String {
        format!("{}:{}x{}", self.fingerprint, self.rows, self.dim)
    }

    /// Whether the fingerprint is 16 hex digits and the attached points, if any, are the set's.
    pub fn check(&self) -> Result<(), String> {
        if self.fingerprint.len() != 16 || !self.fingerprint.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("the fingerprint must be 16 hex digits, got {:?}", short(&self.fingerprint)));
        }
        if let Some(p) = &self.points.0 {
            self.check_points(p)?;
        }
        Ok(())
    }

    /// Attaches the points read from the file, if they are the set's.
    pub fn attach(&mut self, points: Points) -> Result<(), String> {
        self.check_points(&points)?;
        self.points = Attached(Some(Arc::new(points)));
        Ok(())
    }

    fn check_points(&self, p: &Points) -> Result<(), String> {
        let fp = fingerprint(p);
        if (p.len(), p.dim, fp.as_str()) != (self.rows, self.dim, self.fingerprint.as_str()) {
            return Err(format!(
                "the file is {}:{}x{} (fingerprint:rows x dimension), not the {} this run names: another file, or the file was changed",
                fp,
                p.len(),
                p.dim,
                self.print()
            ));
        }
        Ok(())
    }

    /// The attached points, or what to do to attach them.
    pub fn points(&self) -> Result<&Arc<Points>, String> {
        self.points.0.as_ref().ok_or_else(|| {
            format!(
                "this run trains on a CSV file ({} rows x {}, fingerprint {}) that is not loaded: load it (the page's Load CSV, or --data-csv FILE)",
                self.rows, self.dim, self.fingerprint
            )
        })
    }

    /// `n` rows drawn with replacement (the diagnostics' draws). Panics without points (a run
    /// checks them first).
    pub fn sample_from(&self, n: usize, r: &mut StdRng) -> Points {
        let p = self.points.0.as_ref().expect("a run attaches the CSV's points before it draws from them");
        let idx: Vec<usize> = (0..n).map(|_| rng::index(r, p.len())).collect();
        p.select(&idx)
    }
}

fn short(t: &str) -> String {
    t.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    fn points() -> Points {
        Points::new(2, vec![0.5, -1.0, 2.0, 0.25, -0.75, 1.5])
    }

    #[test]
    fn the_fingerprint_is_of_the_values_and_their_order() {
        let a = fingerprint(&points());
        assert_eq!(a.len(), 16);
        assert_eq!(a, fingerprint(&points()));
        let mut moved = points();
        moved.data[5] = 1.5000001;
        assert_ne!(a, fingerprint(&moved));
        let mut swapped = points();
        swapped.data.swap(0, 2);
        assert_ne!(a, fingerprint(&swapped));
        // The same values as 3-D rows are another set.
        assert_ne!(a, fingerprint(&Points::new(3, points().data)));
        // Pinned: the fingerprint of a file must not change between versions of the lab.
        assert_eq!(fingerprint(&Points::new(1, vec![1.0])), "8b8058291e9cc669", "FNV-1a of 01000000 0000803f, as Python computes it too");
    }

    #[test]
    fn text_reads_back_and_bad_text_is_refused() {
        let s = CsvSet::of(points());
        let t = CsvSet::parse(&s.print()).unwrap();
        assert_eq!((t.rows, t.dim, &t.fingerprint), (3, 2, &s.fingerprint));
        assert_eq!(t, s, "attached or not, the same set");
        assert!(t.points().unwrap_err().contains("not loaded: load it"));
        for (text, want) in [
            ("abc", "expected FINGERPRINT:ROWSxDIM"),
            ("0123456789abcdef:12", "expected FINGERPRINT:ROWSxDIM"),
            ("0123456789abcdef:ax2", "the rows \"a\" are not an integer"),
            ("0123456789abcdef:12xq", "the dimension \"q\" is not an integer"),
            ("0123456789abcdeg:12x2", "16 hex digits"),
            ("01234:12x2", "16 hex digits"),
        ] {
            let e = CsvSet::parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn only_the_named_points_attach() {
        let mut t = CsvSet::parse(&CsvSet::of(points()).print()).unwrap();
        let mut other = points();
        other.data[0] = 0.0;
        let e = t.attach(other).unwrap_err();
        assert!(e.contains("another file, or the file was changed"), "{e}");
        assert!(t.points.0.is_none());
        t.attach(points()).unwrap();
        assert_eq!(t.points().unwrap().data, points().data);
        let draw = t.sample_from(50, &mut rng::stream(1, Stream::Diagnostics, 0));
        assert_eq!(draw.len(), 50);
        assert!(draw.data.chunks(2).all(|r| points().data.chunks(2).any(|q| q == r)));
    }
}
