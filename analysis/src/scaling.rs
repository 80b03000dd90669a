//! Strong-scaling metrics (docs/definitions.md#scaling-efficiency, eq. 2–3): from training wall times
//! per GPU count to speed-up, ideal speed-up, efficiency, Karp–Flatt serial fraction and
//! the power-law and Amdahl fits. The baseline r is the smallest GPU count present.

use crate::fit::{karp_flatt, Amdahl, PowerLaw};
use crate::stats::Spread;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct ScalingRow {
    pub gpus: u32,
    /// Wall time over repeats; the median is t(g).
    pub wall: Spread,
    /// s(r, g) = t(r) / t(g).
    pub speedup: f64,
    /// s*(r, g) = g / r.
    pub ideal_speedup: f64,
    /// e(r, g) = s / s* = r·t(r) / (g·t(g)), as a fraction.
    pub efficiency: f64,
    /// With p = g/r and ψ = s; undefined at the baseline.
    pub karp_flatt: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scaling {
    pub baseline_gpus: u32,
    pub rows: Vec<ScalingRow>,
    /// Fitted to the medians, one point per GPU count.
    pub power_law: Option<PowerLaw>,
    pub amdahl: Option<Amdahl>,
}

impl Scaling {
    /// `times`: GPU count → wall times of its repeats. `None` without any usable time.
    pub fn analyse(times: &BTreeMap<u32, Vec<f64>>) -> Option<Self> {
        let spreads: Vec<(u32, Spread)> = times
            .iter()
            .filter_map(|(&g, t)| Spread::of(t).map(|s| (g, s)))
            .filter(|(g, _)| *g > 0)
            .collect();
        let &(r, base) = spreads.first()?;
        let t_r = base.median;
        let rows = spreads
            .iter()
            .map(|&(g, wall)| {
                let speedup = t_r / wall.median;
                let ideal = f64::from(g) / f64::from(r);
                ScalingRow {
                    gpus: g,
                    wall,
                    speedup,
                    ideal_speedup: ideal,
                    efficiency: speedup / ideal,
                    karp_flatt: karp_flatt(speedup, ideal),
                }
            })
            .collect::<Vec<_>>();
        let medians: Vec<(f64, f64)> = rows
            .iter()
            .map(|row| (f64::from(row.gpus), row.wall.median))
            .collect();
        Some(Self {
            baseline_gpus: r,
            power_law: PowerLaw::fit(&medians),
            amdahl: Amdahl::fit(&medians),
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn perfect_scaling_is_fully_efficient_with_no_serial_fraction() {
        let times: BTreeMap<u32, Vec<f64>> =
            [(4, vec![100.0]), (8, vec![50.0]), (16, vec![25.0, 25.0])].into();
        let s = Scaling::analyse(&times).unwrap();
        assert_eq!(s.baseline_gpus, 4);
        for row in &s.rows {
            assert!(close(row.efficiency, 1.0), "{row:?}");
            assert!(close(row.speedup, row.ideal_speedup));
        }
        assert_eq!(s.rows[0].karp_flatt, None);
        assert!(
            close(s.rows[1].karp_flatt.unwrap(), 0.0) && close(s.rows[2].karp_flatt.unwrap(), 0.0)
        );
        assert!(close(s.power_law.unwrap().b, -1.0));
    }

    #[test]
    fn constant_overhead_by_hand() {
        // t(g) = 100·4/g + 10: t(4) = 110, t(8) = 60, t(16) = 35.
        // e(8) = 4·110/(8·60) = 11/12; e(16) = 4·110/(16·35) = 11/14.
        // Karp–Flatt: (60/110 − 1/2)/(1/2) = 1/11 and (35/110 − 1/4)/(3/4) = 1/11 (Amdahl ⇒ constant).
        let times: BTreeMap<u32, Vec<f64>> =
            [(4, vec![110.0]), (8, vec![60.0]), (16, vec![35.0])].into();
        let s = Scaling::analyse(&times).unwrap();
        assert!(close(s.rows[1].efficiency, 11.0 / 12.0));
        assert!(close(s.rows[2].efficiency, 11.0 / 14.0));
        assert!(close(s.rows[1].karp_flatt.unwrap(), 1.0 / 11.0));
        assert!(close(s.rows[2].karp_flatt.unwrap(), 1.0 / 11.0));
        let a = s.amdahl.unwrap();
        assert!(close(a.serial_s, 10.0) && close(a.parallel_s, 400.0));
    }
}
