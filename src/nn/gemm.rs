//! One safe entry point to single-precision GEMM with general strides (matrixmultiply's
//! cache-blocked SIMD kernels; see `collapse-lab bench` for why we use it).

/// A matrix view: element (i, j) lives at `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl<'a> View<'a> {
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        View { data, rows, cols, rs: cols, cs: 1 }
    }
    /// The transpose of a row-major `rows x cols` matrix, without copying.
    pub fn transposed(data: &'a [f32], rows: usize, cols: usize) -> Self {
        View { data, rows: cols, cols: rows, rs: 1, cs: cols }
    }
    fn fits(&self) -> bool {
        self.rows == 0 || self.cols == 0 || (self.rows - 1) * self.rs + (self.cols - 1) * self.cs < self.data.len()
    }
}

/// C = alpha * A B + beta * C, with C row-major `a.rows x b.cols`.
pub fn gemm(alpha: f32, a: View, b: View, beta: f32, c: &mut [f32]) {
    assert_eq!(a.cols, b.rows, "inner dimensions differ");
    assert!(a.fits() && b.fits(), "matrix view out of bounds");
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(c.len() >= m * n, "output too small");
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the asserts above keep every index the kernel touches inside the slices.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_product_with_transposes() {
        let (m, k, n) = (7, 5, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let bt: Vec<f32> = (0..n * k).map(|i| (i as f32 * 0.11).cos()).collect(); // n x k
        let mut c = vec![1.0f32; m * n];
        gemm(2.0, View::row_major(&a, m, k), View::transposed(&bt, n, k), 0.5, &mut c);
        for i in 0..m {
            for j in 0..n {
                let s: f32 = (0..k).map(|p| a[i * k + p] * bt[j * k + p]).sum();
                assert!((c[i * n + j] - (2.0 * s + 0.5)).abs() < 1e-5);
            }
        }
    }
}
