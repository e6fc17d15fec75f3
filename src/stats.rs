//! Statistics in one place (studies, generations and verdicts import them): a figure over seeds
//! ([`Stat`]: mean, sample sd and the per-seed values), medians and a far seed ([`outlier`]),
//! the ± sd reading of two cells ([`apart`], [`Change`]) that a study's findings use, and the
//! paired comparison the verdicts use ([`paired`]): where two figures share a seed (one net and
//! one draw of noise sampled by two samplers, or two cells of one study run with the same
//! seed's data and noise streams), the difference is taken seed by seed, and its mean gets a
//! 95 % Student-t interval over the seeds and a count of the seeds on each side of zero.

use serde::{Deserialize, Serialize};

/// A figure over seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Over the seeds with a value; null when none has one.
    pub mean: Option<f64>,
    /// Sample standard deviation (n - 1); null with fewer than two values.
    pub std: Option<f64>,
    /// One per seed, in seed order; null where the run is missing, failed or undefined.
    pub values: Vec<Option<f64>>,
}

pub fn stat(values: Vec<Option<f64>>) -> Stat {
    let v: Vec<f64> = values.iter().flatten().copied().filter(|x| x.is_finite()).collect();
    let mean = (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let std = std_dev(&v);
    Stat { mean, std, values }
}

/// Sample standard deviation (n - 1); None with fewer than two values.
pub fn std_dev(v: &[f64]) -> Option<f64> {
    if v.len() < 2 {
        return None;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    Some((v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt())
}

/// The seeds with a finite value.
pub fn n_of(s: &Stat) -> usize {
    s.values.iter().flatten().filter(|v| v.is_finite()).count()
}

/// "mean ± sd", and where one seed lies far from the rest (see [`outlier`]) the median beside it
/// and that seed: "1.0 ± 0.9 (median 0.62; seed 1 at 2.53 is far from the rest)".
pub fn pm(s: &Stat) -> String {
    let m = s.mean.unwrap_or(f64::NAN);
    let far = outlier(s).map(|(i, v, med)| format!(" (median {}; seed {i} at {} is far from the rest)", sig(med), sig(v))).unwrap_or_default();
    match s.std {
        Some(sd) => format!("{} ± {}{far}", sig(m), sig(sd)),
        None => sig(m),
    }
}

/// The median of finite values (`None` when there are none).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) })
}

/// The seed farthest from the median, where it is far from the rest: at least four seeds with
/// values, and its distance to the median more than [`FAR`] times the median absolute
/// deviation (a robust spread the far seed itself barely moves). Its index in seed order, its
/// value and the median. It must also differ from the median by more than half the median's size,
/// so that five tightly grouped seeds do not name one a few percent off.
pub fn outlier(s: &Stat) -> Option<(usize, f64, f64)> {
    let v: Vec<(usize, f64)> = s.values.iter().enumerate().filter_map(|(i, x)| x.filter(|x| x.is_finite()).map(|x| (i, x))).collect();
    if v.len() < 4 {
        return None;
    }
    let xs: Vec<f64> = v.iter().map(|(_, x)| *x).collect();
    let med = median(&xs)?;
    let mad = median(&xs.iter().map(|x| (x - med).abs()).collect::<Vec<_>>())?;
    let (i, x) = v.iter().copied().max_by(|a, b| (a.1 - med).abs().total_cmp(&(b.1 - med).abs()))?;
    let d = (x - med).abs();
    (mad > 0.0 && d > FAR * mad && d > 0.5 * med.abs()).then_some((i, x, med))
}

/// How many median absolute deviations from the median make a seed far from the rest (5: about
/// 3.4 standard deviations of a normal sample).
pub const FAR: f64 = 5.0;

pub fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

/// Whether the ± sd bars of a and b are apart (both with at least two seeds).
pub fn apart(a: &Stat, b: &Stat) -> Option<bool> {
    let (ma, sa, mb, sb) = (a.mean?, a.std?, b.mean?, b.std?);
    Some(ma + sa < mb - sb || mb + sb < ma - sa)
}

/// How a figure b stands against a: which mean is higher, and whether the ± sd bars are apart
/// (`None`: a side has one seed, so no bars). One reading with three wordings: along an axis
/// ([`Change::trend`]), a cure or control against its baseline ([`Change::verdict`]), and the
/// short form that groups the other widths ([`Change::short`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub higher: bool,
    pub apart: Option<bool>,
}

pub fn change(a: &Stat, b: &Stat) -> Change {
    Change { higher: b.mean.unwrap_or(f64::NAN) > a.mean.unwrap_or(f64::NAN), apart: apart(a, b) }
}

impl Change {
    /// Higher with the bars apart: a rise the numbers support.
    pub fn clear_rise(self) -> bool {
        self.higher && self.apart == Some(true)
    }

    /// Along an axis: "rises", "falls", "shows no clear change ...".
    pub fn trend(self) -> &'static str {
        self.say("rises", "falls", "shows no clear change (the ± sd bars overlap)")
    }

    /// Against a baseline: "is higher", "is lower", "shows no clear difference ...".
    pub fn verdict(self) -> &'static str {
        self.say("is higher", "is lower", "shows no clear difference (the ± sd bars overlap)")
    }

    /// The words for a clear rise, a clear fall and overlapping bars; with one seed, no bars.
    fn say(self, up: &'static str, down: &'static str, overlap: &'static str) -> &'static str {
        match (self.apart, self.higher) {
            (Some(true), true) => up,
            (Some(true), false) => down,
            (Some(false), _) => overlap,
            (None, true) => "is higher (one seed: no error bars)",
            (None, false) => "is lower (one seed: no error bars)",
        }
    }

    /// The short form, with the direction even where the bars overlap ("lower with the bars
    /// overlapping"), to group the places where a comparison reads the same.
    pub fn short(self) -> &'static str {
        match (self.apart, self.higher) {
            (Some(true), true) => "higher with the bars apart",
            (Some(true), false) => "lower with the bars apart",
            (Some(false), true) => "higher with the bars overlapping",
            (Some(false), false) => "lower with the bars overlapping",
            (None, true) => "higher (one seed)",
            (None, false) => "lower (one seed)",
        }
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom (two-sided 95 % interval):
/// the table for 1..=30, then the normal's 1.96 corrected to first order in 1/df.
pub fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
        2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => T[df - 1],
        _ => 1.96 + 2.4 / df as f64,
    }
}

/// A paired comparison of b against a over the seeds both have: the differences b − a seed by
/// seed, their mean, the 95 % t interval of the mean (none with one seed), and how many seeds
/// lie above and below zero.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Paired {
    /// (seed index, b − a) for each seed with both values finite.
    pub diffs: Vec<(usize, f64)>,
    pub mean: Option<f64>,
    /// The 95 % Student-t interval of the mean difference; none with fewer than two seeds.
    pub interval: Option<(f64, f64)>,
    /// Seeds with b above a, and below.
    pub up: usize,
    pub down: usize,
}

/// How a paired comparison reads: b clearly above a (the interval above zero), clearly below,
/// or not decided (the interval holds zero, or one seed gives no interval).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reading {
    Above,
    Below,
    Undecided,
}

impl Paired {
    pub fn n(&self) -> usize {
        self.diffs.len()
    }

    pub fn reading(&self) -> Reading {
        match self.interval {
            Some((lo, _)) if lo > 0.0 => Reading::Above,
            Some((_, hi)) if hi < 0.0 => Reading::Below,
            _ => Reading::Undecided,
        }
    }

    /// "+0.61 [0.42, 0.80] (95 % t interval), above in 3 of 3 seeds"; one seed: the difference
    /// alone, with no interval.
    pub fn text(&self) -> String {
        let Some(m) = self.mean else { return "no seed with both values".to_string() };
        let n = self.n();
        let signed = |x: f64| if x > 0.0 { format!("+{}", sig(x)) } else { sig(x) };
        match self.interval {
            Some((lo, hi)) => format!("{} [{}, {}] (95 % t interval over {n} seeds), above in {} of {n} seeds", signed(m), sig(lo), sig(hi), self.up),
            None => format!("{} (one seed: no interval)", signed(m)),
        }
    }
}

/// b − a paired by seed (the same index in both lists): seeds where either is missing or not
/// finite are left out.
pub fn paired(a: &[Option<f64>], b: &[Option<f64>]) -> Paired {
    let diffs: Vec<(usize, f64)> = a
        .iter()
        .zip(b)
        .enumerate()
        .filter_map(|(i, (x, y))| match (x, y) {
            (Some(x), Some(y)) if x.is_finite() && y.is_finite() => Some((i, y - x)),
            _ => None,
        })
        .collect();
    let d: Vec<f64> = diffs.iter().map(|(_, d)| *d).collect();
    let n = d.len();
    let mean = (n > 0).then(|| d.iter().sum::<f64>() / n as f64);
    let interval = match (mean, std_dev(&d)) {
        (Some(m), Some(sd)) => {
            let h = t975(n - 1) * sd / (n as f64).sqrt();
            Some((m - h, m + h))
        }
        _ => None,
    };
    let up = d.iter().filter(|x| **x > 0.0).count();
    let down = d.iter().filter(|x| **x < 0.0).count();
    Paired { diffs, mean, interval, up, down }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paired interval equals a direct computation: differences 1, 2, 3 (mean 2, sd 1), 95 %
    /// t with 2 degrees of freedom 4.303, half-width 4.303 / sqrt(3).
    #[test]
    fn paired_equals_a_direct_computation() {
        let p = paired(&[Some(0.0), Some(1.0), Some(-1.0), None], &[Some(1.0), Some(3.0), Some(2.0), Some(9.0)]);
        assert_eq!(p.diffs, vec![(0, 1.0), (1, 2.0), (2, 3.0)]);
        assert_eq!(p.mean, Some(2.0));
        let h = 4.303 / 3f64.sqrt();
        let (lo, hi) = p.interval.unwrap();
        assert!((lo - (2.0 - h)).abs() < 1e-12 && (hi - (2.0 + h)).abs() < 1e-12);
        assert_eq!((p.up, p.down), (3, 0));
        // Three seeds all above, yet 2 − 2.48 < 0: with 2 degrees of freedom the interval holds 0.
        assert_eq!(p.reading(), Reading::Undecided);
    }

    /// One seed: a difference and no interval, so no decision, and the text says so.
    #[test]
    fn one_seed_has_no_interval() {
        let p = paired(&[Some(0.0)], &[Some(5.0)]);
        assert_eq!(p.interval, None);
        assert_eq!(p.reading(), Reading::Undecided);
        assert!(p.text().contains("one seed: no interval"), "{}", p.text());
        assert!(!p.text().contains('±'));
    }

    /// A shared offset cancels: two samplers whose values move together seed by seed differ
    /// clearly even where their ± sd bars overlap (the design an unpaired test misses).
    #[test]
    fn pairing_removes_the_shared_seed_effect() {
        let a = [Some(0.0), Some(2.0), Some(4.0), Some(6.0), Some(8.0)];
        let b: Vec<Option<f64>> = a.iter().map(|x| x.map(|x| x + 0.5 + 0.01 * x)).collect();
        assert_eq!(apart(&stat(a.to_vec()), &stat(b.clone())), Some(false));
        assert_eq!(paired(&a, &b).reading(), Reading::Above);
    }

    #[test]
    fn t_quantiles() {
        assert_eq!(t975(2), 4.303);
        assert_eq!(t975(4), 2.776);
        assert!((t975(1000) - 1.96).abs() < 0.01);
    }
}
