//! Synthetic x-ray videos: the embedded default data source.
//!
//! Each video is the transmitted intensity of a flat field through a scene, by Beer–Lambert:
//! I(y, x, t) = I0(y, x) · exp(−τ(y, x, t)), where the optical depth τ sums
//! - a slowly drifting textured background (a sample holder / matrix): either smooth random
//!   gratings with small grains or, when a texture frame is given (e.g. the tomobank
//!   radiograph), the texture's own optical depth −ln(transmission);
//! - a moving absorbing front (an edge with a wavy boundary, like a melt front or a crack),
//! - moving spherical particles whose optical depth is μ·(chord length) = μ·2√(r² − d²).
//!
//! Motion is fast enough (particles up to 4 HR px per frame) that neighbouring frames differ,
//! which is what spatio-temporal fusion has to exploit. A video depends only on
//! `(seed, video index)` and the settings. The output is the raw *reference* HR sequence;
//! the virtual experiment (binning, re-normalisation) turns it into model data.

use rand::RngExt;
use rand_pcg::Pcg64Mcg;

use super::frame::{Frame, Video};
use super::seeding::{stream, Purpose};

/// Size of the generated videos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticShape {
    pub frames: usize,
    pub height: usize,
    pub width: usize,
}

/// A random background optical-depth map: smooth gratings (longer waves carry more
/// contrast, as in natural textures) plus small static grains (powder, porosity) that give
/// the fine detail super-resolution has to recover.
fn procedural_depth(height: usize, width: usize, rng: &mut Pcg64Mcg) -> Frame {
    let waves: Vec<(f32, f32, f32, f32)> = (0..8)
        .map(|_| {
            let wavelength: f32 = rng.random_range(6.0..60.0);
            let angle: f32 = rng.random_range(0.0..std::f32::consts::TAU);
            let k = std::f32::consts::TAU / wavelength;
            let phase = rng.random_range(0.0..std::f32::consts::TAU);
            (
                k * angle.sin(),
                k * angle.cos(),
                phase,
                0.04 * wavelength / 30.0,
            )
        })
        .collect();
    let base: f32 = rng.random_range(0.4..0.9);
    let mut depth = Frame::from_fn(height, width, |y, x| {
        let (y, x) = (y as f32, x as f32);
        base + waves
            .iter()
            .map(|&(ky, kx, ph, a)| a * (ky * y + kx * x + ph).sin())
            .sum::<f32>()
    });
    for _ in 0..height * width / 40 {
        let grain = Particle {
            y: rng.random_range(0.0..height as f32),
            x: rng.random_range(0.0..width as f32),
            vy: 0.0,
            vx: 0.0,
            radius: rng.random_range(0.8..2.5),
            mu: rng.random_range(0.01..0.05),
        };
        add_sphere(&mut depth, &grain);
    }
    depth
}

/// Optical depth of a real frame read as transmission: −gain·ln(0.05 + 0.95·grey) (the
/// floor keeps black pixels finite).
fn texture_depth(texture: &Frame, gain: f32) -> Frame {
    Frame {
        height: texture.height,
        width: texture.width,
        pixels: texture
            .pixels
            .iter()
            .map(|&g| -gain * (0.05 + 0.95 * g).ln())
            .collect(),
    }
}

/// Bilinear sample of `map` at (y, x), mirror-reflected beyond its borders (so drifting
/// backgrounds never run out).
fn sample_reflect(map: &Frame, y: f32, x: f32) -> f32 {
    let reflect = |i: i64, n: usize| -> usize {
        let period = 2 * n as i64;
        let m = i.rem_euclid(period);
        (if m < n as i64 { m } else { period - 1 - m }) as usize
    };
    let at = |yy: i64, xx: i64| map.at(reflect(yy, map.height), reflect(xx, map.width));
    let (y0, x0) = (y.floor(), x.floor());
    let (wy, wx) = (y - y0, x - x0);
    let (y0, x0) = (y0 as i64, x0 as i64);
    (1.0 - wy) * ((1.0 - wx) * at(y0, x0) + wx * at(y0, x0 + 1))
        + wy * ((1.0 - wx) * at(y0 + 1, x0) + wx * at(y0 + 1, x0 + 1))
}

/// One moving absorbing sphere.
struct Particle {
    y: f32,
    x: f32,
    vy: f32,
    vx: f32,
    radius: f32,
    mu: f32,
}

/// An absorbing region below a wavy boundary y = position + amplitude·sin(k·x + phase).
struct Front {
    position: f32,
    speed: f32,
    amplitude: f32,
    k: f32,
    phase: f32,
    mu: f32,
}

/// Generates video `index` of the synthetic set (raw transmitted intensities, in (0, 1.1]).
/// `texture`, when given, replaces the random gratings as the background.
pub fn generate_video(
    shape: SyntheticShape,
    texture: Option<&Frame>,
    seed: u64,
    index: usize,
) -> Video {
    let mut rng = stream(seed, Purpose::SyntheticVideo, index as u64);
    let (h, w) = (shape.height as f32, shape.width as f32);
    let (background, origin) = match texture {
        Some(t) => {
            let origin = (
                rng.random_range(0.0..t.height as f32),
                rng.random_range(0.0..t.width as f32),
            );
            (texture_depth(t, rng.random_range(0.5..1.0)), origin)
        }
        None => (
            procedural_depth(shape.height, shape.width, &mut rng),
            (0.0, 0.0),
        ),
    };
    let drift = (
        rng.random_range(-0.3f32..0.3),
        rng.random_range(-0.3f32..0.3),
    );
    // Beam profile: a gentle gradient of the flat field.
    let beam = (
        rng.random_range(-0.05f32..0.05),
        rng.random_range(-0.05f32..0.05),
    );
    let front = Front {
        position: rng.random_range(0.1..0.5) * h,
        speed: rng.random_range(0.2..1.5),
        amplitude: rng.random_range(1.0..8.0),
        k: std::f32::consts::TAU / rng.random_range(20.0..80.0),
        phase: rng.random_range(0.0..std::f32::consts::TAU),
        mu: rng.random_range(0.2..0.8),
    };
    let particle_count = rng.random_range(6..=14);
    let mut particles: Vec<Particle> = (0..particle_count)
        .map(|_| {
            let speed: f32 = rng.random_range(0.5..4.0);
            let angle: f32 = rng.random_range(0.0..std::f32::consts::TAU);
            Particle {
                y: rng.random_range(0.0..h),
                x: rng.random_range(0.0..w),
                vy: speed * angle.sin(),
                vx: speed * angle.cos(),
                radius: rng.random_range(2.0..10.0),
                mu: rng.random_range(0.03..0.12),
            }
        })
        .collect();

    let mut frames = Vec::with_capacity(shape.frames);
    for t in 0..shape.frames {
        let tf = t as f32;
        let mut depth = Frame::from_fn(shape.height, shape.width, |y, x| {
            let background = sample_reflect(
                &background,
                origin.0 + y as f32 + drift.0 * tf,
                origin.1 + x as f32 + drift.1 * tf,
            );
            // The front wraps around vertically so that it stays in view in long videos.
            let boundary = (front.position + front.speed * tf).rem_euclid(h * 1.25)
                + front.amplitude * (front.k * x as f32 + front.phase).sin();
            // One-pixel soft edge (a smoothstep over the boundary).
            let inside = ((y as f32 - boundary) + 0.5).clamp(0.0, 1.0);
            background + front.mu * inside
        });
        for p in &particles {
            add_sphere(&mut depth, p);
        }
        let frame = Frame::from_fn(shape.height, shape.width, |y, x| {
            let flat = 1.0 + beam.0 * (y as f32 / h - 0.5) + beam.1 * (x as f32 / w - 0.5);
            flat * (-depth.at(y, x)).exp()
        });
        frames.push(frame);
        for p in &mut particles {
            // Particles leaving the field of view re-enter on the other side.
            p.y = (p.y + p.vy).rem_euclid(h);
            p.x = (p.x + p.vx).rem_euclid(w);
        }
    }
    Video {
        name: format!("{index:03}"),
        frames,
    }
}

/// Adds μ·2√(r² − d²) (the sphere's projected chord) to the optical depth around its centre.
fn add_sphere(depth: &mut Frame, p: &Particle) {
    let r2 = p.radius * p.radius;
    let y_lo = (p.y - p.radius).floor().max(0.0) as usize;
    let y_hi = ((p.y + p.radius).ceil() as usize).min(depth.height.saturating_sub(1));
    let x_lo = (p.x - p.radius).floor().max(0.0) as usize;
    let x_hi = ((p.x + p.radius).ceil() as usize).min(depth.width.saturating_sub(1));
    for y in y_lo..=y_hi {
        for x in x_lo..=x_hi {
            let d2 = (y as f32 - p.y).powi(2) + (x as f32 - p.x).powi(2);
            if d2 < r2 {
                depth.pixels[y * depth.width + x] += p.mu * 2.0 * (r2 - d2).sqrt();
            }
        }
    }
}
