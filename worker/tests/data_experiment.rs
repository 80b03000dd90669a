//! The virtual experiment: binning, percentile clipping + min–max, Poisson noise, the
//! synthetic generator, against hand-computed values and statistics.

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use xvr_worker::data::binning::bin4;
use xvr_worker::data::experiment::virtual_experiment;
use xvr_worker::data::poisson_noise::add_poisson_noise;
use xvr_worker::data::renorm::{clip_and_normalise, percentile};
use xvr_worker::data::synthetic::{generate_video, SyntheticShape};
use xvr_worker::data::Frame;

#[test]
fn binning_averages_4x4_blocks_of_a_hand_made_8x8() {
    // Pixel (y, x) = 8y + x. Block (by, bx) averages y = 4by..4by+3, x = 4bx..4bx+3:
    // mean = 8(4by + 1.5) + (4bx + 1.5) = 32by + 4bx + 13.5.
    let hr = Frame::from_fn(8, 8, |y, x| (8 * y + x) as f32);
    let lr = bin4(&hr).unwrap();
    assert_eq!((lr.height, lr.width), (2, 2));
    assert_eq!(lr.pixels, vec![13.5, 17.5, 45.5, 49.5]);
}

#[test]
fn binning_refuses_sizes_that_are_not_multiples_of_4() {
    let err = bin4(&Frame::filled(6, 8, 0.0)).unwrap_err().to_string();
    assert!(
        err.contains("6x8") && err.contains("multiples of 4"),
        "{err}"
    );
}

#[test]
fn percentile_interpolates_linearly_like_numpy() {
    // Values 0..=999: position p/100·999. 0.35 % → 3.4965; 99.65 % → 995.5035; 50 % → 499.5.
    let values: Vec<f32> = (0..1000).rev().map(|v| v as f32).collect();
    assert!((percentile(&values, 0.35) - 3.4965).abs() < 1e-4);
    assert!((percentile(&values, 99.65) - 995.5035).abs() < 1e-3);
    assert_eq!(percentile(&values, 50.0), 499.5);
    assert_eq!(percentile(&values, 100.0), 999.0);
}

#[test]
fn clipping_and_min_max_use_statistics_of_the_whole_sequence() {
    // Two frames holding 0..499 and 500..999: the percentiles over the sequence are 3.4965
    // and 995.5035 (see above), so v ↦ (clamp(v) − 3.4965) / 992.007.
    let f0 = Frame::from_fn(1, 500, |_, x| x as f32);
    let f1 = Frame::from_fn(1, 500, |_, x| (500 + x) as f32);
    let out = clip_and_normalise(&[f0, f1]);
    let expect = |v: f64| ((v.clamp(3.4965, 995.5035) - 3.4965) / 992.007) as f32;
    for (x, v) in [(0, 0.0), (3, 3.0), (4, 4.0), (250, 250.0)] {
        assert!(
            (out[0].pixels[x] - expect(v)).abs() < 2e-6,
            "frame 0 pixel {x}"
        );
    }
    // Per-sequence, not per-frame: frame 1's own minimum (500) is NOT mapped to 0.
    assert!((out[1].pixels[0] - expect(500.0)).abs() < 2e-6);
    assert!((out[1].pixels[0] - 0.5005).abs() < 1e-3);
    assert_eq!(out[1].pixels[499], 1.0);
    assert_eq!(out[1].pixels[497], 1.0); // 997 > 995.5035 is clipped
}

#[test]
fn constant_sequences_normalise_to_zero() {
    let out = clip_and_normalise(&[Frame::filled(2, 2, 0.7)]);
    assert_eq!(out[0].pixels, vec![0.0; 4]);
}

/// Mean and variance of `pixels`.
fn moments(pixels: &[f32]) -> (f64, f64) {
    let n = pixels.len() as f64;
    let mean = pixels.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = pixels
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    (mean, var)
}

#[test]
fn poisson_noise_has_mean_v_and_variance_v_over_b0() {
    // LR' = Poisson(b0·v)/b0: mean v, variance v/b0. Tolerances ≈ 5 standard errors.
    let mut rng = Pcg64Mcg::seed_from_u64(7);
    for (v, b0, n) in [
        (0.3f32, 1e3, 200_000usize),
        (0.05, 10.0, 200_000),
        (0.5, 2e7, 40_000),
    ] {
        let mut pixels = vec![v; n];
        add_poisson_noise(&mut pixels, b0, &mut rng).unwrap();
        let (mean, var) = moments(&pixels);
        let expected_var = f64::from(v) / b0;
        let mean_tol = 5.0 * (expected_var / n as f64).sqrt();
        assert!(
            (mean - f64::from(v)).abs() < mean_tol + 1e-7,
            "b0 {b0}: mean {mean} vs {v}"
        );
        let var_tol = 5.0 * (2.0 / n as f64).sqrt() + 1.0 / (b0 * f64::from(v));
        assert!(
            (var / expected_var - 1.0).abs() < var_tol,
            "b0 {b0}: variance {var} vs {expected_var}"
        );
    }
}

#[test]
fn poisson_noise_vanishes_for_huge_b0_and_refuses_bad_b0() {
    let mut rng = Pcg64Mcg::seed_from_u64(1);
    let clean: Vec<f32> = (0..1000).map(|i| i as f32 / 999.0).collect();
    let mut noisy = clean.clone();
    add_poisson_noise(&mut noisy, 1e18, &mut rng).unwrap();
    for (a, b) in clean.iter().zip(&noisy) {
        assert!((a - b).abs() <= 1e-7, "{a} became {b}");
    }
    assert!(add_poisson_noise(&mut noisy, 0.0, &mut rng)
        .unwrap_err()
        .to_string()
        .contains("b0"));
    assert!(add_poisson_noise(&mut noisy, f64::NAN, &mut rng).is_err());
}

#[test]
fn poisson_noise_at_low_dose_is_visibly_noisy_and_stays_in_range() {
    let mut rng = Pcg64Mcg::seed_from_u64(3);
    let mut pixels = vec![0.9f32; 10_000];
    add_poisson_noise(&mut pixels, 10.0, &mut rng).unwrap();
    assert!(pixels.iter().all(|&v| (0.0..=1.0).contains(&v)));
    // Counts are integers: every value is k/10.
    assert!(pixels
        .iter()
        .all(|&v| ((v * 10.0).round() - v * 10.0).abs() < 1e-5));
    let (_, var) = moments(&pixels);
    assert!(var > 0.03, "variance {var}"); // clipped Poisson(9)/10 has variance ≈ 0.05
}

#[test]
fn synthetic_videos_are_deterministic_moving_and_attenuated() {
    let shape = SyntheticShape {
        frames: 6,
        height: 32,
        width: 48,
    };
    let a = generate_video(shape, None, 5, 2);
    assert_eq!(a, generate_video(shape, None, 5, 2));
    assert_ne!(a.frames[0], generate_video(shape, None, 5, 3).frames[0]);
    assert_ne!(a.frames[0], generate_video(shape, None, 6, 2).frames[0]);
    assert_eq!(
        (a.frames.len(), a.frames[0].height, a.frames[0].width),
        (6, 32, 48)
    );
    // Transmission through absorbers: positive, below the ~1.05 flat field, and changing in time.
    for f in &a.frames {
        assert!(f.pixels.iter().all(|&v| v > 0.0 && v < 1.06));
    }
    let moved = a.frames[0]
        .pixels
        .iter()
        .zip(&a.frames[1].pixels)
        .filter(|(p, q)| (*p - *q).abs() > 1e-3)
        .count();
    assert!(moved > 20, "only {moved} pixels changed between frames");
}

#[test]
fn synthetic_videos_can_take_their_texture_from_a_real_frame() {
    let texture = xvr_worker::data::png_frame::read_gray_png(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/tomobank/rad_00001l.png"),
    )
    .unwrap();
    let shape = SyntheticShape {
        frames: 2,
        height: 32,
        width: 32,
    };
    let textured = generate_video(shape, Some(&texture), 1, 0);
    assert_ne!(
        textured.frames[0],
        generate_video(shape, None, 1, 0).frames[0]
    );
}

#[test]
fn virtual_experiment_bins_normalises_and_quantises_both_sequences() {
    let shape = SyntheticShape {
        frames: 8,
        height: 64,
        width: 64,
    };
    let pair = virtual_experiment(&generate_video(shape, None, 0, 0)).unwrap();
    assert_eq!(pair.lr_size(), (16, 16));
    assert_eq!(
        (pair.hr[0].height, pair.hr[0].width, pair.len()),
        (64, 64, 8)
    );
    for seq in [&pair.hr, &pair.lr] {
        let all: Vec<f32> = seq.iter().flat_map(|f| f.pixels.iter().copied()).collect();
        assert_eq!(all.iter().copied().fold(f32::MAX, f32::min), 0.0);
        assert_eq!(all.iter().copied().fold(f32::MIN, f32::max), 1.0);
        // 8-bit levels, and ≥ 0.35 % of the pixels sit at each clipped end.
        assert!(all
            .iter()
            .all(|&v| ((v * 255.0).round() - v * 255.0).abs() < 1e-4));
        let zeros = all.iter().filter(|&&v| v == 0.0).count() as f64 / all.len() as f64;
        assert!((0.0035..0.05).contains(&zeros), "fraction at 0: {zeros}");
    }
}
