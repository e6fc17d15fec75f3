//! A set of points stored row-major in f32: the one currency between data, samplers and metrics.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Points {
    pub dim: usize,
    pub data: Vec<f32>,
}

impl Points {
    pub fn new(dim: usize, data: Vec<f32>) -> Self {
        assert!(dim > 0 && data.len().is_multiple_of(dim), "data length must be a multiple of dim");
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

    /// Parses CSV of numbers, one point per row (see [`parse_csv`]).
    pub fn from_csv(text: &str) -> Result<Points, String> {
        let mut r = CsvReader::default();
        for line in text.lines() {
            r.line(line)?;
        }
        let (dim, values, _) = r.finish()?;
        Ok(Points { dim, data: values.into_iter().map(|v| v as f32).collect() })
    }
}

/// Most rows a CSV of points may have (TID's largest set).
pub const CSV_MAX_ROWS: usize = 1_000_000;
/// Longest line of a CSV of points.
pub const CSV_MAX_LINE: usize = 64 * 1024;

/// What a CSV read found besides the points.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct CsvInfo {
    /// Rows of points read.
    pub rows: usize,
    /// The first row, taken as a header because none of its cells is a number.
    pub header: Option<String>,
}

/// A CSV of numbers read line by line, in f64: one point per row; blank lines and `#` comments
/// are ignored; a UTF-8 byte-order mark is skipped; the first row is a header only if none of
/// its cells parses as a number (a row with some numbers and a typo is an error, not a header);
/// every row must have the same number of finite values; at most [`CSV_MAX_ROWS`] rows.
#[derive(Default)]
pub struct CsvReader {
    lineno: usize,
    dim: usize,
    values: Vec<f64>,
    info: CsvInfo,
    seen_row: bool,
}

impl CsvReader {
    pub fn line(&mut self, line: &str) -> Result<(), String> {
        self.lineno += 1;
        let line = if self.lineno == 1 { line.trim_start_matches('\u{feff}') } else { line };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let n = self.lineno;
        let fields: Vec<&str> = line.split([',', ';', '\t']).map(str::trim).collect();
        let parsed: Vec<Option<f64>> = fields.iter().map(|f| f.parse::<f64>().ok()).collect();
        if !self.seen_row && parsed.iter().all(Option::is_none) {
            self.seen_row = true;
            self.info.header = Some(line.chars().take(200).collect());
            return Ok(());
        }
        self.seen_row = true;
        let Some(values) = parsed.iter().copied().collect::<Option<Vec<f64>>>() else {
            let (c, bad) = fields.iter().zip(&parsed).enumerate().find(|(_, (_, p))| p.is_none()).map(|(c, (f, _))| (c + 1, *f)).unwrap_or((0, ""));
            return Err(format!("line {n}, column {c}: {bad:?} is not a number"));
        };
        if let Some(c) = values.iter().position(|x| !x.is_finite() || x.abs() > f32::MAX as f64) {
            return Err(format!("line {n}, column {}: {:?} is not finite in f32", c + 1, fields[c]));
        }
        if self.dim == 0 {
            self.dim = values.len();
        } else if values.len() != self.dim {
            return Err(format!("line {n}: {} values, but earlier rows have {}", values.len(), self.dim));
        }
        if self.info.rows == CSV_MAX_ROWS {
            return Err(format!("more than {CSV_MAX_ROWS} rows (line {n}); TID takes at most {CSV_MAX_ROWS} points"));
        }
        self.info.rows += 1;
        self.values.extend(values);
        Ok(())
    }

    /// (dimension, values row-major, what was read).
    pub fn finish(self) -> Result<(usize, Vec<f64>, CsvInfo), String> {
        if self.dim == 0 {
            return Err("no points found".into());
        }
        Ok((self.dim, self.values, self.info))
    }
}

/// Reads a CSV of points from text (see [`CsvReader`]), refusing lines longer than
/// [`CSV_MAX_LINE`] bytes as [`read_csv_file`] does; `progress(bytes_read)` is called every
/// 50,000 lines (the page's files are parsed in a worker that reports it).
pub fn read_csv_text(text: &str, mut progress: impl FnMut(usize)) -> Result<(usize, Vec<f64>, CsvInfo), String> {
    let mut r = CsvReader::default();
    let mut done = 0usize;
    for (i, line) in text.lines().enumerate() {
        if line.len() > CSV_MAX_LINE {
            return Err(format!("line {} is longer than {} KiB: not a CSV of points", i + 1, CSV_MAX_LINE / 1024));
        }
        r.line(line)?;
        done += line.len() + 1;
        if i % 50_000 == 49_999 {
            progress(done.min(text.len()));
        }
    }
    r.finish()
}

/// Reads a CSV of points from a file line by line (see [`CsvReader`]), refusing lines longer
/// than [`CSV_MAX_LINE`] bytes and text that is not UTF-8, so a wrong file (a binary, a device)
/// fails at once with a clear message instead of filling memory.
#[cfg(not(target_arch = "wasm32"))]
pub fn read_csv_file(path: &str) -> Result<(usize, Vec<f64>, CsvInfo), String> {
    use std::io::{BufRead, Read};
    // Only a regular file is opened: a FIFO would block the open forever (issue 55).
    crate::output::check_input(std::path::Path::new(path))?;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut reader = std::io::BufReader::new(file);
    let mut r = CsvReader::default();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader.by_ref().take(CSV_MAX_LINE as u64 + 1).read_until(b'\n', &mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        if n > CSV_MAX_LINE {
            return Err(format!("line {} is longer than {} KiB: not a CSV of points", r.lineno + 1, CSV_MAX_LINE / 1024));
        }
        let line = std::str::from_utf8(&buf).map_err(|_| format!("line {} is not UTF-8 text: not a CSV of points", r.lineno + 1))?;
        r.line(line.trim_end_matches(['\n', '\r']))?;
    }
    r.finish()
}
