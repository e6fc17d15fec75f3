//! A set of points stored row-major in f32: the one currency between data, samplers and metrics.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Points {
    pub dim: usize,
    pub data: Vec<f32>,
}

impl Points {
    pub fn new(dim: usize, data: Vec<f32>) -> Self {
        assert!(dim > 0 && data.len() % dim == 0, "data length must be a multiple of dim");
        Points { dim, data }
    }

    pub fn zeros(n: usize, dim: usize) -> Self {
        Points { dim, data: vec![0.0; n * dim] }
    }

    pub fn len(&self) -> usize {
        self.data.len() / self.dim
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// One coordinate of every point (for 1D histograms and marginals).
    pub fn column(&self, c: usize) -> Vec<f32> {
        self.data.iter().skip(c).step_by(self.dim).copied().collect()
    }

    /// Rows picked by index, in the given order.
    pub fn select(&self, idx: &[usize]) -> Points {
        let mut data = Vec::with_capacity(idx.len() * self.dim);
        for &i in idx {
            data.extend_from_slice(self.row(i));
        }
        Points { dim: self.dim, data }
    }

    pub fn mean(&self) -> Vec<f64> {
        let mut m = vec![0.0f64; self.dim];
        for row in self.data.chunks_exact(self.dim) {
            for (a, &x) in m.iter_mut().zip(row) {
                *a += x as f64;
            }
        }
        let n = self.len().max(1) as f64;
        m.iter_mut().for_each(|a| *a /= n);
        m
    }

    pub fn variance(&self) -> Vec<f64> {
        let m = self.mean();
        let mut v = vec![0.0f64; self.dim];
        for row in self.data.chunks_exact(self.dim) {
            for ((a, &x), mu) in v.iter_mut().zip(row).zip(&m) {
                *a += (x as f64 - mu).powi(2);
            }
        }
        let n = self.len().max(1) as f64;
        v.iter_mut().for_each(|a| *a /= n);
        v
    }

    pub fn all_finite(&self) -> bool {
        self.data.iter().all(|x| x.is_finite())
    }

    /// CSV text, one point per row, no header.
    pub fn to_csv(&self) -> String {
        let mut s = String::with_capacity(self.data.len() * 12);
        for row in self.data.chunks_exact(self.dim) {
            for (j, x) in row.iter().enumerate() {
                if j > 0 {
                    s.push(',');
                }
                s.push_str(&x.to_string());
            }
            s.push('\n');
        }
        s
    }

    /// Parses CSV of numbers, one point per row. A first row that is not numeric is taken as a
    /// header and skipped; blank lines and `#` comments are ignored. Every row must have the same
    /// number of finite values.
    pub fn from_csv(text: &str) -> Result<Points, String> {
        let mut dim = 0usize;
        let mut data = Vec::new();
        let mut seen_row = false;
        for (lineno, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split([',', ';', '\t']).map(str::trim).collect();
            let parsed: Result<Vec<f32>, _> = fields.iter().map(|f| f.parse::<f32>()).collect();
            let values = match parsed {
                Ok(v) => v,
                Err(_) if !seen_row => {
                    seen_row = true; // header
                    continue;
                }
                Err(_) => return Err(format!("line {}: not a row of numbers: {line:?}", lineno + 1)),
            };
            seen_row = true;
            if values.iter().any(|x| !x.is_finite()) {
                return Err(format!("line {}: non-finite value", lineno + 1));
            }
            if dim == 0 {
                dim = values.len();
            } else if values.len() != dim {
                return Err(format!(
                    "line {}: {} values, but earlier rows have {dim}",
                    lineno + 1,
                    values.len()
                ));
            }
            data.extend(values);
        }
        if dim == 0 {
            return Err("no points found".into());
        }
        Ok(Points { dim, data })
    }
}
