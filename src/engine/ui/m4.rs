//! M4 downsampling (Jugel et al., "M4: A Visualization-Oriented Time Series Data Aggregation",
//! PVLDB 2014): cut the x-range into as many columns as the chart has pixels and keep, per
//! column, the first and last point (in x order) and the points with the smallest and largest
//! value. A line drawn through what is kept covers the same pixels as the line through every
//! point, so a one-step spike in a million points still reaches its height.
//!
//! NaN values have no height; the first NaN of a column is kept as well, so a chart can mark it.

/// The indexes (ascending) of the points among `x[lo..hi]` / `y[lo..hi]` that a chart
/// `columns` pixels wide over `x_min..=x_max` needs. `x` must be sorted ascending over
/// `lo..hi` and lie within the range; `y` may hold NaN and infinities.
///
/// One pass, no allocation beyond the result (at most 5 indexes per column), and deterministic:
/// ties in value keep the earliest point.
pub fn m4(
    x: &[f64],
    y: &[f64],
    lo: usize,
    hi: usize,
    x_min: f64,
    x_max: f64,
    columns: usize,
) -> Vec<usize> {
    let mut kept = Vec::new();
    if lo >= hi {
        return kept;
    }
    let columns = columns.max(1);
    let width = x_max - x_min;
    let column_of = |xi: f64| -> usize {
        if width > 0.0 && width.is_finite() {
            let c = ((xi - x_min) / width * columns as f64).floor();
            if c <= 0.0 {
                0
            } else {
                (c as usize).min(columns - 1)
            }
        } else {
            0
        }
    };
    let mut column = column_of(x[lo]);
    let mut bucket = Bucket::new(lo, y[lo]);
    for i in lo + 1..hi {
        let c = column_of(x[i]);
        if c == column {
            bucket.add(i, y[i]);
        } else {
            bucket.emit(&mut kept);
            column = c;
            bucket = Bucket::new(i, y[i]);
        }
    }
    bucket.emit(&mut kept);
    kept
}

/// The points one column keeps.
struct Bucket {
    first: usize,
    last: usize,
    /// Index and value of the smallest and largest non-NaN value so far.
    min: Option<(usize, f64)>,
    max: Option<(usize, f64)>,
    first_nan: Option<usize>,
}

impl Bucket {
    fn new(i: usize, v: f64) -> Self {
        let mut bucket = Self {
            first: i,
            last: i,
            min: None,
            max: None,
            first_nan: None,
        };
        bucket.measure(i, v);
        bucket
    }

    fn add(&mut self, i: usize, v: f64) {
        self.last = i;
        self.measure(i, v);
    }

    fn measure(&mut self, i: usize, v: f64) {
        if v.is_nan() {
            self.first_nan.get_or_insert(i);
            return;
        }
        if self.min.is_none_or(|(_, m)| v < m) {
            self.min = Some((i, v));
        }
        if self.max.is_none_or(|(_, m)| v > m) {
            self.max = Some((i, v));
        }
    }

    fn emit(&self, kept: &mut Vec<usize>) {
        let mut picked = [
            Some(self.first),
            self.min.map(|(i, _)| i),
            self.max.map(|(i, _)| i),
            self.first_nan,
            Some(self.last),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
        picked.sort_unstable();
        picked.dedup();
        kept.extend(picked);
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    fn steps(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64).collect()
    }

    #[test]
    fn a_planted_spike_survives_a_million_points() {
        let n = 1_000_000;
        let x = steps(n);
        let mut y: Vec<f64> = (0..n).map(|i| (i as f64 / 1000.0).sin()).collect();
        y[777_777] = 3.936;
        y[123_456] = -5.0;
        let kept = m4(&x, &y, 0, n, 0.0, (n - 1) as f64, 1000);
        assert!(kept.len() <= 4 * 1000);
        assert!(kept.contains(&777_777) && kept.contains(&123_456));
        assert!(
            kept.contains(&0) && kept.contains(&(n - 1)),
            "the ends are kept"
        );
        assert!(
            kept.windows(2).all(|w| w[0] < w[1]),
            "in x order, no duplicates"
        );
        let top = kept.iter().map(|&i| y[i]).fold(f64::MIN, f64::max);
        assert_eq!(top, 3.936);
    }

    #[test]
    fn each_column_keeps_first_min_max_last() {
        let x = steps(8);
        let y = [5.0, 1.0, 9.0, 4.0, 2.0, 2.0, 7.0, 3.0];
        // Two columns: 0..=3 and 4..=7.
        assert_eq!(m4(&x, &y, 0, 8, 0.0, 8.0, 2), [0, 1, 2, 3, 4, 6, 7]);
        // One column: first 0, min 1, max 2, last 7.
        assert_eq!(m4(&x, &y, 0, 8, 0.0, 8.0, 1), [0, 1, 2, 7]);
    }

    #[test]
    fn nan_and_infinities_keep_their_place() {
        let x = steps(6);
        let y = [1.0, f64::NAN, f64::NAN, f64::INFINITY, 0.0, 2.0];
        assert_eq!(m4(&x, &y, 0, 6, 0.0, 6.0, 1), [0, 1, 3, 4, 5]);
        let only_nan = [f64::NAN; 3];
        assert_eq!(m4(&x, &only_nan, 0, 3, 0.0, 3.0, 1), [0, 2]);
    }

    #[test]
    fn ranges_and_degenerate_widths() {
        let x = [5.0; 4];
        let y = [1.0, 3.0, 0.0, 2.0];
        assert_eq!(m4(&x, &y, 0, 4, 5.0, 5.0, 100), [0, 1, 2, 3]);
        assert!(m4(&x, &y, 2, 2, 5.0, 5.0, 100).is_empty());
        let x = steps(10);
        let y = steps(10);
        assert_eq!(m4(&x, &y, 3, 7, 3.0, 6.0, 1), [3, 6]);
    }

    #[test]
    fn the_same_input_gives_the_same_output() {
        let n = 10_000;
        let x = steps(n);
        let y: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64).collect();
        let a = m4(&x, &y, 0, n, 0.0, n as f64, 300);
        assert_eq!(a, m4(&x, &y, 0, n, 0.0, n as f64, 300));
        assert!(a.len() <= 1200);
    }
}
