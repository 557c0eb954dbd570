//! Chart data for `mlrs ui`: a series' points placed on an x-axis (step, wall time, time since
//! the run's start, or another metric at the same step), cut to an x-range and reduced by M4 to
//! what a chart of a given width draws.

use std::sync::Arc;

use crate::engine::ui::m4::m4;
use crate::engine::ui::series::Points;

/// What the x-axis shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XAxis {
    Step,
    /// The timestamp in ms.
    Wall,
    /// Seconds since the run's start.
    Relative,
    /// Another metric's value at the same step.
    Metric(String),
}

impl XAxis {
    pub fn parse(text: &str) -> Self {
        match text {
            "" | "step" => XAxis::Step,
            "wall" | "time" => XAxis::Wall,
            "relative" => XAxis::Relative,
            other => XAxis::Metric(other.to_owned()),
        }
    }
}

/// A series on its x-axis: `x[i]` belongs to `points[i]`, ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub x: Vec<f64>,
    pub points: Arc<Points>,
}

impl Placed {
    /// The smallest and largest x, when there are points.
    pub fn extent(&self) -> Option<(f64, f64)> {
        Some((*self.x.first()?, *self.x.last()?))
    }
}

/// Orders the points by (x, step, timestamp, value) unless they already are in x order.
fn sorted_by_x(x: Vec<f64>, points: Points) -> Placed {
    let ordered = x.windows(2).all(|w| w[0] <= w[1]);
    if ordered {
        return Placed {
            x,
            points: Arc::new(points),
        };
    }
    let mut index: Vec<usize> = (0..x.len()).collect();
    index.sort_by(|&a, &b| {
        x[a].total_cmp(&x[b])
            .then(
                (points.steps[a], points.timestamps[a])
                    .cmp(&(points.steps[b], points.timestamps[b])),
            )
            .then(points.values[a].total_cmp(&points.values[b]))
    });
    Placed {
        x: index.iter().map(|&i| x[i]).collect(),
        points: Arc::new(points.select(&index)),
    }
}

/// Places a series on the x-axis. `start_time` is the run's start in ms (for `Relative`; the
/// first timestamp when unknown); `other` is the x metric's series (for `Metric`).
pub fn place(
    points: &Arc<Points>,
    axis: &XAxis,
    start_time: Option<i64>,
    other: Option<&Points>,
) -> Placed {
    match axis {
        XAxis::Step => Placed {
            x: points.steps.iter().map(|&s| s as f64).collect(),
            points: Arc::clone(points),
        },
        XAxis::Wall => sorted_by_x(
            points.timestamps.iter().map(|&t| t as f64).collect(),
            (**points).clone(),
        ),
        XAxis::Relative => {
            let start = start_time
                .or_else(|| points.timestamps.iter().copied().min())
                .unwrap_or_default();
            sorted_by_x(
                points
                    .timestamps
                    .iter()
                    .map(|&t| (t - start) as f64 / 1000.0)
                    .collect(),
                (**points).clone(),
            )
        }
        XAxis::Metric(_) => {
            let other = other.cloned().unwrap_or_default();
            // The x metric's value per step: its last point there (points are sorted by step,
            // then timestamp).
            let mut xs = Vec::new();
            let mut keep = Vec::new();
            let mut j = 0;
            for (i, &step) in points.steps.iter().enumerate() {
                while j < other.len() && other.steps[j] < step {
                    j += 1;
                }
                let mut last = None;
                let mut k = j;
                while k < other.len() && other.steps[k] == step {
                    last = Some(other.values[k]);
                    k += 1;
                }
                if let Some(x) = last.filter(|x| !x.is_nan()) {
                    xs.push(x);
                    keep.push(i);
                }
            }
            sorted_by_x(xs, points.select(&keep))
        }
    }
}

/// What a chart gets for one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Reduced {
    /// Every point in the range is here (no M4).
    pub raw: bool,
    /// Points of the series in the range.
    pub total_points: usize,
    pub x: Vec<f64>,
    pub points: Points,
}

/// The points of `placed` within `x_min..=x_max`: all of them when there are at most
/// `4 * columns`, else the M4 selection for `columns` pixel columns.
pub fn reduce(placed: &Placed, x_min: f64, x_max: f64, columns: usize) -> Reduced {
    let lo = placed.x.partition_point(|&x| x < x_min);
    let hi = placed.x.partition_point(|&x| x <= x_max).max(lo);
    let total_points = hi - lo;
    let index: Vec<usize> = if total_points <= columns.saturating_mul(4) {
        (lo..hi).collect()
    } else {
        m4(
            &placed.x,
            &placed.points.values,
            lo,
            hi,
            x_min,
            x_max,
            columns,
        )
    };
    Reduced {
        raw: index.len() == total_points,
        total_points,
        x: index.iter().map(|&i| placed.x[i]).collect(),
        points: placed.points.select(&index),
    }
}

/// Every point with a step above `step` (the live tail), in x order.
pub fn after_step(placed: &Placed, step: i64) -> Reduced {
    let index: Vec<usize> = (0..placed.x.len())
        .filter(|&i| placed.points.steps[i] > step)
        .collect();
    Reduced {
        raw: true,
        total_points: index.len(),
        x: index.iter().map(|&i| placed.x[i]).collect(),
        points: placed.points.select(&index),
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    fn points(steps: &[i64], timestamps: &[i64], values: &[f64]) -> Arc<Points> {
        Arc::new(Points {
            steps: steps.to_vec(),
            timestamps: timestamps.to_vec(),
            values: values.to_vec(),
        })
    }

    #[test]
    fn x_axes() {
        let p = points(&[0, 1, 2], &[5000, 3000, 9000], &[1.0, 2.0, 3.0]);
        let by_step = place(&p, &XAxis::Step, None, None);
        assert_eq!(by_step.x, [0.0, 1.0, 2.0]);
        let wall = place(&p, &XAxis::Wall, None, None);
        assert_eq!(wall.x, [3000.0, 5000.0, 9000.0]);
        assert_eq!(wall.points.values, [2.0, 1.0, 3.0]);
        let relative = place(&p, &XAxis::Relative, Some(1000), None);
        assert_eq!(relative.x, [2.0, 4.0, 8.0]);
        let other = points(&[0, 1, 1, 3], &[0, 0, 1, 0], &[10.0, 30.0, 20.0, 5.0]);
        let by_metric = place(&p, &XAxis::Metric("lr".into()), None, Some(&other));
        assert_eq!(
            by_metric.x,
            [10.0, 20.0],
            "step 2 has no x; step 1 takes its last"
        );
        assert_eq!(by_metric.points.values, [1.0, 2.0]);
    }

    #[test]
    fn raw_when_zoomed_in_m4_otherwise() {
        let n = 100_000;
        let mut values: Vec<f64> = (0..n).map(|i| (i % 10) as f64).collect();
        values[54_321] = 1e6;
        let p = points(&(0..n as i64).collect::<Vec<_>>(), &vec![0; n], &values);
        let placed = place(&p, &XAxis::Step, None, None);
        let wide = reduce(&placed, 0.0, (n - 1) as f64, 100);
        assert!(!wide.raw);
        assert_eq!(wide.total_points, n);
        assert!(wide.x.len() <= 400);
        assert!(wide.points.values.contains(&1e6));
        let zoomed = reduce(&placed, 54_300.0, 54_399.0, 100);
        assert!(zoomed.raw);
        assert_eq!(zoomed.total_points, 100);
        assert_eq!(zoomed.points.steps, (54_300..54_400).collect::<Vec<_>>());
        let tail = after_step(&placed, (n - 3) as i64);
        assert_eq!(tail.points.steps, [n as i64 - 2, n as i64 - 1]);
    }
}
