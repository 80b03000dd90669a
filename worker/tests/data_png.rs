//! PNG frames and XFusion's folder layout: real files, and clear errors for bad ones.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use xvr_contract::trial::{DataConfig, DataSource};
use xvr_worker::data::png_frame::{read_gray_png, write_gray_png};
use xvr_worker::data::video_root::{read_videos, RootKind};
use xvr_worker::data::{Dataset, Frame};

fn tomobank(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tomobank")
        .join(name)
}

/// Writes a PNG with an arbitrary colour type / depth straight through the png crate.
fn write_raw_png(
    path: &Path,
    w: u32,
    h: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
) {
    let mut enc = png::Encoder::new(BufWriter::new(File::create(path).unwrap()), w, h);
    enc.set_color(color);
    enc.set_depth(depth);
    enc.write_header().unwrap().write_image_data(data).unwrap();
}

/// An 8-bit frame whose pixel (y, x) is grey level (7y + 3x + seed) mod 256.
fn grey_frame(h: usize, w: usize, seed: usize) -> Frame {
    Frame::from_fn(h, w, |y, x| ((7 * y + 3 * x + seed) % 256) as f32 / 255.0)
}

#[test]
fn tomobank_frames_read_with_the_values_pillow_reports() {
    // Reference values from Pillow: np.array(Image.open(...)) → shape (400, 1024), [0,0] = 154,
    // [200,512] = 81, [399,1023] = 57, sum 40406256; LR (100, 256), [50,128] = 88, sum 2602623.
    let hr = read_gray_png(&tomobank("rad_00001h.png")).unwrap();
    assert_eq!((hr.height, hr.width), (400, 1024));
    let level = |f: &Frame, y, x| (f.at(y, x) * 255.0).round() as u32;
    assert_eq!(
        (
            level(&hr, 0, 0),
            level(&hr, 200, 512),
            level(&hr, 399, 1023)
        ),
        (154, 81, 57)
    );
    assert_eq!(
        hr.pixels
            .iter()
            .map(|v| (v * 255.0).round() as u64)
            .sum::<u64>(),
        40_406_256
    );
    let lr = read_gray_png(&tomobank("rad_00001l.png")).unwrap();
    assert_eq!((lr.height, lr.width, level(&lr, 50, 128)), (100, 256, 88));
    assert_eq!(
        lr.pixels
            .iter()
            .map(|v| (v * 255.0).round() as u64)
            .sum::<u64>(),
        2_602_623
    );
}

#[test]
fn written_frames_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("00000000.png");
    let frame = grey_frame(5, 7, 11);
    write_gray_png(&path, &frame).unwrap();
    assert_eq!(read_gray_png(&path).unwrap(), frame);
}

#[test]
fn bad_png_files_give_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("text.png");
    std::fs::write(&text, "not a png").unwrap();
    let err = read_gray_png(&text).unwrap_err().to_string();
    assert!(
        err.contains("text.png") && err.contains("not a readable PNG"),
        "{err}"
    );

    let rgb = dir.path().join("rgb.png");
    write_raw_png(
        &rgb,
        2,
        2,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        &[0; 12],
    );
    let err = read_gray_png(&rgb).unwrap_err().to_string();
    assert!(
        err.contains("rgb.png") && err.contains("Rgb") && err.contains("8-bit greyscale"),
        "{err}"
    );

    let deep = dir.path().join("deep.png");
    write_raw_png(
        &deep,
        2,
        2,
        png::ColorType::Grayscale,
        png::BitDepth::Sixteen,
        &[0; 8],
    );
    let err = read_gray_png(&deep).unwrap_err().to_string();
    assert!(err.contains("deep.png") && err.contains("16-bit"), "{err}");

    let missing = dir.path().join("missing.png");
    assert!(read_gray_png(&missing)
        .unwrap_err()
        .to_string()
        .contains("missing.png"));
}

/// Writes `<root>/<clip>/<t:08d>.png` for the given clips, each `frames` frames of h × w.
fn write_clips(root: &Path, clips: &[&str], frames: usize, h: usize, w: usize) {
    for (c, clip) in clips.iter().enumerate() {
        std::fs::create_dir_all(root.join(clip)).unwrap();
        for t in 0..frames {
            write_gray_png(
                &root.join(clip).join(format!("{t:08}.png")),
                &grey_frame(h, w, 31 * c + t),
            )
            .unwrap();
        }
    }
}

#[test]
fn video_folders_follow_the_xfusion_layout() {
    let dir = tempfile::tempdir().unwrap();
    write_clips(dir.path(), &["436", "12", "1000"], 3, 8, 4);
    let videos = read_videos(dir.path(), RootKind::PngFolders).unwrap();
    let names: Vec<&str> = videos.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["12", "436", "1000"]); // numeric order, not "1000" < "12"
    assert_eq!(videos[1].frames.len(), 3);
    assert_eq!(videos[1].frames[2], grey_frame(8, 4, 2)); // clip index 0 written as "436", frame 2
}

#[test]
fn a_frame_of_the_wrong_size_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    write_clips(dir.path(), &["7"], 3, 8, 4);
    write_gray_png(&dir.path().join("7/00000002.png"), &grey_frame(8, 8, 0)).unwrap();
    let err = read_videos(dir.path(), RootKind::PngFolders)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("00000002.png") && err.contains("8x8") && err.contains("8x4"),
        "{err}"
    );
}

#[test]
fn png_dataset_pairs_hr_and_lr_roots_or_bins_hr() {
    let dir = tempfile::tempdir().unwrap();
    let (hr, lr) = (dir.path().join("HR"), dir.path().join("LR"));
    write_clips(&hr, &["1", "2"], 4, 16, 32);
    write_clips(&lr, &["1", "2"], 4, 4, 8);
    let mut cfg = DataConfig {
        source: DataSource::Png,
        hr_root: Some(hr.display().to_string()),
        lr_root: Some(lr.display().to_string()),
        val_videos: 1,
        ..Default::default()
    };
    let d = Dataset::load(&cfg).unwrap();
    assert_eq!(
        (d.train.len(), d.val.len(), d.val[0].name.as_str()),
        (1, 1, "2")
    );
    // Stored LR frames are used as they are.
    assert_eq!(d.train[0].lr[1], grey_frame(4, 8, 1));
    assert_eq!(d.train[0].hr[1], grey_frame(16, 32, 1));

    // Without an LR root, LR is binned from HR and both are re-normalised to [0, 1].
    cfg.lr_root = None;
    let d = Dataset::load(&cfg).unwrap();
    assert_eq!(d.train[0].lr_size(), (4, 8));
    let max = d.train[0]
        .lr
        .iter()
        .flat_map(|f| f.pixels.iter().copied())
        .fold(0.0f32, f32::max);
    assert_eq!(max, 1.0);

    // An LR root whose frames are not HR/4 is refused with both roots in the message.
    let bad = dir.path().join("LRbad");
    write_clips(&bad, &["1", "2"], 4, 5, 8);
    cfg.lr_root = Some(bad.display().to_string());
    let err = Dataset::load(&cfg).unwrap_err().to_string();
    assert!(err.contains("LRbad") && err.contains("exactly 4x"), "{err}");

    cfg.hr_root = None;
    assert!(Dataset::load(&cfg)
        .unwrap_err()
        .to_string()
        .contains("data.hr_root"));
}
