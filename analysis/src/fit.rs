//! Scaling-law fits (docs/definitions.md#fits): the power law t = a·g^b
//! (least squares on log-log axes), Amdahl's t = T_s + T_p/g (least squares in 1/g), and
//! the Karp–Flatt experimentally determined serial fraction.

/// Ordinary least squares y = intercept + slope·x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineFit {
    pub intercept: f64,
    pub slope: f64,
    /// Coefficient of determination in the fitted coordinates; `None` with only two points
    /// (a perfect but meaningless 1) or when y is constant.
    pub r_squared: Option<f64>,
}

/// Least-squares line through `(x, y)`; needs at least two distinct x values.
pub fn least_squares(points: &[(f64, f64)]) -> Option<LineFit> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - my).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let ss_res: f64 = points
        .iter()
        .map(|p| (p.1 - intercept - slope * p.0).powi(2))
        .sum();
    let r_squared = (points.len() > 2 && syy > 0.0).then(|| 1.0 - ss_res / syy);
    Some(LineFit {
        intercept,
        slope,
        r_squared,
    })
}

/// t = a·g^b; b = −1 is ideal strong scaling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerLaw {
    pub a: f64,
    pub b: f64,
    /// R² of ln t against ln g.
    pub r_squared: Option<f64>,
}

impl PowerLaw {
    /// Fits on log-log axes; every t and g must be positive.
    pub fn fit(points: &[(f64, f64)]) -> Option<Self> {
        if points.iter().any(|&(g, t)| g <= 0.0 || t <= 0.0) {
            return None;
        }
        let logs: Vec<_> = points.iter().map(|&(g, t)| (g.ln(), t.ln())).collect();
        let line = least_squares(&logs)?;
        Some(Self {
            a: line.intercept.exp(),
            b: line.slope,
            r_squared: line.r_squared,
        })
    }

    pub fn eval(&self, g: f64) -> f64 {
        self.a * g.powf(self.b)
    }
}

/// t = T_s + T_p/g: a serial part that no GPU count shortens plus a perfectly parallel part.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amdahl {
    pub serial_s: f64,
    pub parallel_s: f64,
    /// R² of t against 1/g.
    pub r_squared: Option<f64>,
}

impl Amdahl {
    pub fn fit(points: &[(f64, f64)]) -> Option<Self> {
        if points.iter().any(|&(g, _)| g <= 0.0) {
            return None;
        }
        let inv: Vec<_> = points.iter().map(|&(g, t)| (1.0 / g, t)).collect();
        let line = least_squares(&inv)?;
        Some(Self {
            serial_s: line.intercept,
            parallel_s: line.slope,
            r_squared: line.r_squared,
        })
    }

    pub fn eval(&self, g: f64) -> f64 {
        self.serial_s + self.parallel_s / g
    }

    /// f_s = T_s / T(1): the serial fraction of a one-GPU run implied by the fit.
    pub fn serial_fraction(&self) -> f64 {
        self.serial_s / (self.serial_s + self.parallel_s)
    }
}

/// Karp–Flatt serial fraction e = (1/ψ − 1/p)/(1 − 1/p) for a measured speed-up ψ on p
/// "processors"; with a baseline of r GPUs, p = g/r and ψ = t(r)/t(g). Undefined at p = 1.
pub fn karp_flatt(speedup: f64, relative_p: f64) -> Option<f64> {
    if relative_p <= 1.0 || speedup <= 0.0 {
        return None;
    }
    Some((1.0 / speedup - 1.0 / relative_p) / (1.0 - 1.0 / relative_p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn least_squares_on_a_noisy_line() {
        // y = 1 + 2x plus residuals +1, −2, +1 at x = 0, 1, 2 (they sum to zero and are
        // orthogonal to x − x̄, so the fit is unchanged): y = 2, 1, 6, ȳ = 3,
        // SS_res = 1 + 4 + 1 = 6, SS_tot = 1 + 4 + 9 = 14.
        let fit = least_squares(&[(0.0, 2.0), (1.0, 1.0), (2.0, 6.0)]).unwrap();
        assert!(
            close(fit.slope, 2.0) && close(fit.intercept, 1.0),
            "{fit:?}"
        );
        assert!(close(fit.r_squared.unwrap(), 1.0 - 6.0 / 14.0));
        assert!(least_squares(&[(1.0, 1.0), (1.0, 2.0)]).is_none());
    }

    #[test]
    fn power_law_recovers_perfect_scaling() {
        let pts: Vec<_> = [4.0, 8.0, 16.0, 32.0]
            .iter()
            .map(|&g| (g, 400.0 / g))
            .collect();
        let fit = PowerLaw::fit(&pts).unwrap();
        assert!(close(fit.b, -1.0) && close(fit.a, 400.0), "{fit:?}");
        assert!(close(fit.r_squared.unwrap(), 1.0));
        assert!(close(fit.eval(64.0), 6.25));
    }

    #[test]
    fn amdahl_recovers_serial_and_parallel_parts() {
        // t = 10 + 400/g exactly: T_s = 10, T_p = 400, T(1) = 410.
        let pts: Vec<_> = [4.0, 8.0, 16.0]
            .iter()
            .map(|&g| (g, 10.0 + 400.0 / g))
            .collect();
        let fit = Amdahl::fit(&pts).unwrap();
        assert!(
            close(fit.serial_s, 10.0) && close(fit.parallel_s, 400.0),
            "{fit:?}"
        );
        assert!(close(fit.serial_fraction(), 10.0 / 410.0));
    }

    #[test]
    fn karp_flatt_known_values() {
        // Perfect speed-up: no serial fraction.
        assert!(close(karp_flatt(4.0, 4.0).unwrap(), 0.0));
        // No speed-up at all on 2× the GPUs: everything is serial.
        assert!(close(karp_flatt(1.0, 2.0).unwrap(), 1.0));
        // ψ = 110/60 at p = 2: (60/110 − 1/2)/(1/2) = 1/11.
        assert!(close(karp_flatt(110.0 / 60.0, 2.0).unwrap(), 1.0 / 11.0));
        assert_eq!(karp_flatt(1.0, 1.0), None);
    }
}
