//! Small statistics: Student's t quantile for 95% intervals, empirical CDFs, and curves
//! resampled onto a common grid so that runs of different seeds can be averaged.

/// The 0.975 quantile of Student's t distribution with `df` degrees of freedom: the factor of
/// a two-sided 95% confidence interval of a mean. Exact table values up to 30 degrees of
/// freedom, then the values at 40, 60 and 120 (taking the next smaller tabulated degree, which
/// errs wide), and the normal 1.960 beyond.
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        31..=39 => 2.042,
        40..=59 => 2.021,
        60..=119 => 2.000,
        120..=999 => 1.980,
        _ => 1.960,
    }
}

/// The empirical CDF of `values` as step points `(x, fraction ≤ x)`, sorted by `x`, over a
/// population of `total` (values that never happened — `None` latencies — count in `total`
/// but not in the steps, so the curve plateaus below 1). Non-finite values are skipped.
pub fn ecdf(values: &[f64], total: usize) -> Vec<(f64, f64)> {
    let mut xs: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    xs.sort_by(f64::total_cmp);
    let total = total.max(xs.len()).max(1) as f64;
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(xs.len());
    for (i, x) in xs.iter().enumerate() {
        let y = (i + 1) as f64 / total;
        match out.last_mut() {
            Some(last) if last.0 == *x => last.1 = y,
            _ => out.push((*x, y)),
        }
    }
    out
}

/// The value of a step curve (points sorted by x) at `x`: the y of the last point at or
/// before `x`, `before` if there is none.
pub fn step_at(points: &[(f64, f64)], x: f64, before: f64) -> f64 {
    let i = points.partition_point(|p| p.0 <= x);
    if i == 0 { before } else { points[i - 1].1 }
}

/// `n` evenly spaced values from `a` to `b`, both included (`[a]` when `n < 2`).
pub fn grid(a: f64, b: f64, n: usize) -> Vec<f64> {
    if n < 2 || b <= a {
        return vec![a];
    }
    (0..n)
        .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
        .collect()
}

/// The indices of the points on the lower-left Pareto frontier: no other point has both a
/// lower-or-equal x and a lower-or-equal y with one of them strictly lower. Sorted by x.
pub fn pareto_frontier(points: &[(f64, f64)]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].0.is_finite() && points[i].1.is_finite())
        .collect();
    idx.sort_by(|&a, &b| {
        points[a]
            .0
            .total_cmp(&points[b].0)
            .then(points[a].1.total_cmp(&points[b].1))
    });
    let mut out = Vec::new();
    let mut best_y = f64::INFINITY;
    for i in idx {
        if points[i].1 < best_y {
            best_y = points[i].1;
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles() {
        assert_eq!(t_975(1), 12.706);
        assert_eq!(t_975(9), 2.262);
        assert_eq!(t_975(45), 2.021);
        assert_eq!(t_975(10_000), 1.960);
        assert!(t_975(0).is_infinite());
    }

    #[test]
    fn ecdf_plateaus_below_one_for_missing_values() {
        let c = ecdf(&[2.0, 1.0, 2.0], 4);
        assert_eq!(c, vec![(1.0, 0.25), (2.0, 0.75)]);
        assert_eq!(step_at(&c, 0.5, 0.0), 0.0);
        assert_eq!(step_at(&c, 1.5, 0.0), 0.25);
        assert_eq!(step_at(&c, 9.0, 0.0), 0.75);
        assert!(ecdf(&[], 0).is_empty());
    }

    #[test]
    fn frontier_keeps_the_undominated_points() {
        let pts = [(1.0, 0.5), (2.0, 0.2), (3.0, 0.3), (4.0, 0.0), (0.5, 0.9)];
        assert_eq!(pareto_frontier(&pts), vec![4, 0, 1, 3]);
        assert_eq!(grid(0.0, 1.0, 3), vec![0.0, 0.5, 1.0]);
    }
}
