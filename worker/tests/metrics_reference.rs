//! Metrics and the bicubic baseline against hand-computed values, closed forms, and numbers
//! from scikit-image / OpenCV stored in `data/reference_numbers.json` (produced by
//! `make_reference_numbers.py`; see its header — Python is not needed to run these tests).

use std::path::Path;

use xvr_worker::data::png_frame::read_gray_png;
use xvr_worker::metrics::{aad, bicubic_upscale, mean_of_video_means, psnr, ssim, to_grey_levels};

fn reference() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reference_numbers.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "got {actual}, expected {expected} (±{tol})"
    );
}

/// The same integer formulas as `make_reference_numbers.py`.
fn formula_a(h: usize, w: usize) -> Vec<u8> {
    (0..h)
        .flat_map(|i| (0..w).map(move |j| ((i * i * 7 + j * 13 + (i * j) % 11 * 5) % 256) as u8))
        .collect()
}

fn formula_b(h: usize, w: usize) -> Vec<u8> {
    let a = formula_a(h, w);
    (0..h)
        .flat_map(|i| (0..w).map(move |j| (i, j)))
        .map(|(i, j)| {
            (a[i * w + j] as i64 + (((i * 3 + j * 5) % 9) as i64 - 4) * 6).clamp(0, 255) as u8
        })
        .collect()
}

#[test]
fn grey_levels_clamp_scale_and_round_half_to_even() {
    // 0.5·255 = 127.5 → 128 (even); 2.5 → 2 and 4.5 → 4 (ties down to even); 1.5 → 2.
    let v = [
        0.5f32,
        2.5 / 255.0,
        4.5 / 255.0,
        1.5 / 255.0,
        -0.3,
        1.7,
        1.0,
        0.0,
    ];
    assert_eq!(to_grey_levels(&v), vec![128, 2, 4, 2, 0, 255, 255, 0]);
}

#[test]
fn psnr_and_aad_on_hand_computed_2x2_images() {
    // Differences 0, 0, 0, 4 → MSE = 16/4 = 4, PSNR = 10·log10(65025/4) = 42.11020...
    let (out, gt) = ([0u8, 10, 20, 30], [0u8, 10, 20, 34]);
    close(psnr(&out, &gt).unwrap(), 42.110_203_1, 1e-6);
    close(aad(&out, &gt).unwrap(), 1.0, 0.0);
    // Opposite extremes: MSE = 255² → 0 dB; AAD = 255.
    close(psnr(&[0; 4], &[255; 4]).unwrap(), 0.0, 1e-12);
    close(aad(&[0; 4], &[255; 4]).unwrap(), 255.0, 0.0);
    // Differences 1, −1, 3, −3 → MSE = 5, PSNR = 10·log10(13005) = 41.14110...; AAD = 2.
    let (out, gt) = ([11u8, 9, 103, 97], [10u8, 10, 100, 100]);
    close(psnr(&out, &gt).unwrap(), 41.141_103_0, 1e-6);
    close(aad(&out, &gt).unwrap(), 2.0, 0.0);
}

#[test]
fn psnr_of_identical_images_is_infinite_and_bad_sizes_are_errors() {
    assert_eq!(psnr(&[7, 8, 9], &[7, 8, 9]).unwrap(), f64::INFINITY);
    assert!(psnr(&[1, 2], &[1, 2, 3])
        .unwrap_err()
        .to_string()
        .contains("3"));
    assert!(aad(&[], &[]).is_err());
}

#[test]
fn ssim_of_identical_images_is_one() {
    let a = formula_a(12, 9);
    close(ssim(&a, &a, 12, 9).unwrap(), 1.0, 1e-12);
}

#[test]
fn ssim_of_constant_images_with_an_offset_matches_the_closed_form() {
    // Constant x = 100, y = 120: all variances and the covariance vanish, so
    // S = (2·100·120 + C1)·C2 / ((100² + 120² + C1)·C2) with C1 = (0.01·255)² = 6.5025.
    let expected = (24_000.0 + 6.5025) / (10_000.0 + 14_400.0 + 6.5025);
    close(
        ssim(&[100; 80], &[120; 80], 8, 10).unwrap(),
        expected,
        1e-12,
    );
}

#[test]
fn ssim_averages_only_windows_inside_the_image() {
    // 7×8 image: exactly two window positions (columns 0–6 and 1–7). y = 0 everywhere; x = 0
    // except one pixel of 49 in column 7, so the left window is identical (S = 1). Right
    // window: μx = 49/49 = 1, σx² = (49² − 49·1²)/48 = 49, μy = σy² = σxy = 0, so
    // S = C1·C2 / ((1 + C1)(49 + C2)), C1 = 6.5025, C2 = 58.5225.
    let (h, w) = (7, 8);
    let mut x = vec![0u8; h * w];
    x[3 * w + 7] = 49;
    let y = vec![0u8; h * w];
    let (c1, c2) = (6.5025, 58.5225);
    let right = c1 * c2 / ((1.0 + c1) * (49.0 + c2));
    close(ssim(&x, &y, h, w).unwrap(), (1.0 + right) / 2.0, 1e-12);
}

#[test]
fn ssim_matches_scikit_image() {
    let r = reference();
    let (a, b) = (formula_a(16, 20), formula_b(16, 20));
    close(
        ssim(&a, &b, 16, 20).unwrap(),
        r["ssim_formula_16x20"].as_f64().unwrap(),
        1e-10,
    );
}

#[test]
fn ssim_refuses_images_smaller_than_the_window() {
    assert!(ssim(&[0; 36], &[0; 36], 6, 6)
        .unwrap_err()
        .to_string()
        .contains("at least 7"));
}

#[test]
fn bicubic_matches_opencv_inter_cubic() {
    let r = reference();
    let expected: Vec<f64> = r["bicubic_formula_5x6_to_20x24"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let input: Vec<f32> = (0..5)
        .flat_map(|i| (0..6).map(move |j| ((i * 17 + j * 29) % 23) as f32 / 22.0))
        .collect();
    let out = bicubic_upscale(&input, 5, 6, 4);
    assert_eq!(out.len(), expected.len());
    for (k, (&o, &e)) in out.iter().zip(&expected).enumerate() {
        assert!(
            (f64::from(o) - e).abs() < 2e-6,
            "pixel {k}: {o} vs OpenCV {e}"
        );
    }
}

#[test]
fn bicubic_preserves_constant_images() {
    // The weights sum to 1 and the border repeats the edge: a constant stays constant.
    for v in bicubic_upscale(&[0.3; 12], 3, 4, 4) {
        close(f64::from(v), 0.3, 1e-6);
    }
}

#[test]
fn tomobank_bicubic_baseline_matches_opencv_and_scikit_image() {
    let r = &reference()["tomobank_bicubic_vs_hr"];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tomobank");
    let hr = read_gray_png(&dir.join("rad_00001h.png")).unwrap();
    let lr = read_gray_png(&dir.join("rad_00001l.png")).unwrap();
    assert_eq!(
        (hr.height, hr.width, lr.height, lr.width),
        (400, 1024, 100, 256)
    );
    let up = to_grey_levels(&bicubic_upscale(&lr.pixels, lr.height, lr.width, 4));
    let gt = to_grey_levels(&hr.pixels);
    // Float results agree with OpenCV to ~1e-6, so a handful of the 409 600 pixels that sit
    // within that of a rounding tie may land one grey level apart: allow a few levels in the
    // checksum and the matching tiny metric differences (one level in one pixel moves PSNR
    // by ~1e-7 dB, AAD by 2.4e-6, SSIM by ~1e-7).
    let checksum: i64 = up.iter().map(|&v| i64::from(v)).sum();
    let expected = reference()["tomobank_bicubic_u8_checksum"]
        .as_i64()
        .unwrap();
    assert!(
        (checksum - expected).abs() <= 5,
        "checksum {checksum} vs OpenCV {expected}"
    );
    close(psnr(&up, &gt).unwrap(), r["psnr"].as_f64().unwrap(), 2e-6);
    close(aad(&up, &gt).unwrap(), r["aad"].as_f64().unwrap(), 2e-5);
    close(
        ssim(&up, &gt, hr.height, hr.width).unwrap(),
        r["ssim"].as_f64().unwrap(),
        2e-6,
    );
}

#[test]
fn validation_psnr_is_the_mean_of_per_video_means() {
    // Video means 30 and 40 (the second has more frames but the same weight) → 35;
    // an empty video is skipped.
    let v = vec![vec![29.0, 31.0], vec![38.0, 40.0, 42.0, 40.0], vec![]];
    close(mean_of_video_means(&v).unwrap(), 35.0, 1e-12);
    assert_eq!(mean_of_video_means(&[]), None);
}
