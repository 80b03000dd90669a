//! Detector formats (docs/data.md#detector-formats): 8/16-bit PNG and TIFF folders, multi-page
//! TIFF stacks and HDF5 datasets, read through the one sequence reader. Files are built here
//! with the png, tiff and hdf5 crates directly (and one TIFF byte by byte), so what is read is
//! checked against what an independent writer stored.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use tiff::encoder::{colortype, TiffEncoder};
use xvr_contract::trial::{DataConfig, DataSource};
use xvr_worker::data::level_frame::{BitDepth, LevelFrame};
use xvr_worker::data::sequence::{read_sequence, SequenceFormat, SequenceSource};
use xvr_worker::data::sequence_writer::SequenceLayout;
use xvr_worker::data::Dataset;

/// Levels (7y + 3x + 1000·seed + 11) mod (max + 1): every frame distinct, values near the top
/// of the range included for 16 bits.
fn levels(h: usize, w: usize, seed: usize, depth: BitDepth) -> LevelFrame {
    let modulus = usize::from(depth.max_level()) + 1;
    LevelFrame {
        height: h,
        width: w,
        levels: (0..h * w)
            .map(|i| ((7 * (i / w) + 3 * (i % w) + 1000 * seed + 11) * 97 % modulus) as u16)
            .collect(),
    }
}

fn png_file(path: &Path, frame: &LevelFrame, depth: BitDepth) {
    let mut enc = png::Encoder::new(
        BufWriter::new(File::create(path).unwrap()),
        frame.width as u32,
        frame.height as u32,
    );
    enc.set_color(png::ColorType::Grayscale);
    let bytes: Vec<u8> = match depth {
        BitDepth::Eight => {
            enc.set_depth(png::BitDepth::Eight);
            frame.levels.iter().map(|&v| v as u8).collect()
        }
        BitDepth::Sixteen => {
            enc.set_depth(png::BitDepth::Sixteen);
            frame.levels.iter().flat_map(|v| v.to_be_bytes()).collect()
        }
    };
    enc.write_header()
        .unwrap()
        .write_image_data(&bytes)
        .unwrap();
}

fn tiff_file(path: &Path, frames: &[LevelFrame], depth: BitDepth) {
    let mut enc = TiffEncoder::new(BufWriter::new(File::create(path).unwrap())).unwrap();
    for f in frames {
        let (w, h) = (f.width as u32, f.height as u32);
        match depth {
            BitDepth::Eight => {
                let bytes: Vec<u8> = f.levels.iter().map(|&v| v as u8).collect();
                enc.write_image::<colortype::Gray8>(w, h, &bytes).unwrap()
            }
            BitDepth::Sixteen => enc
                .write_image::<colortype::Gray16>(w, h, &f.levels)
                .unwrap(),
        }
    }
}

fn frames(n: usize, h: usize, w: usize, depth: BitDepth) -> Vec<LevelFrame> {
    (0..n).map(|t| levels(h, w, t, depth)).collect()
}

fn read(
    path: &Path,
    dataset: Option<&str>,
) -> Result<xvr_worker::data::sequence::LevelSequence, String> {
    SequenceSource::at(path, dataset)
        .and_then(|s| read_sequence(&s))
        .map_err(|e| e.to_string())
}

#[test]
fn png_and_tiff_folders_and_tiff_stacks_read_back_every_level() {
    let dir = tempfile::tempdir().unwrap();
    for depth in [BitDepth::Eight, BitDepth::Sixteen] {
        let want = frames(3, 5, 7, depth);
        let png_dir = dir.path().join(format!("png{}", depth.bits()));
        let tif_dir = dir.path().join(format!("tif{}", depth.bits()));
        std::fs::create_dir_all(&png_dir).unwrap();
        std::fs::create_dir_all(&tif_dir).unwrap();
        for (t, f) in want.iter().enumerate() {
            png_file(&png_dir.join(format!("{t:08}.png")), f, depth);
            tiff_file(
                &tif_dir.join(format!("{t:08}.tif")),
                std::slice::from_ref(f),
                depth,
            );
        }
        let stack = dir.path().join(format!("stack{}.tiff", depth.bits()));
        tiff_file(&stack, &want, depth);
        for (path, format) in [
            (&png_dir, SequenceFormat::PngFolder),
            (&tif_dir, SequenceFormat::TiffFolder),
            (&stack, SequenceFormat::TiffStack),
        ] {
            let got = read(path, None).unwrap();
            assert_eq!(
                (got.format, got.depth),
                (format, depth),
                "{}",
                path.display()
            );
            assert_eq!(got.frames, want, "{}", path.display());
        }
    }
}

/// A 3×2 16-bit little-endian TIFF written byte by byte (baseline TIFF 6.0: header, one IFD
/// of nine entries, one uncompressed strip).
fn hand_made_tiff() -> (Vec<u8>, Vec<u16>) {
    let pixels: Vec<u16> = vec![0, 1, 258, 65535, 4660, 43981];
    let mut b: Vec<u8> = b"II".to_vec();
    b.extend(42u16.to_le_bytes());
    b.extend(8u32.to_le_bytes());
    let entries: [(u16, u16, u32); 9] = [
        (256, 3, 3),   // ImageWidth, SHORT
        (257, 3, 2),   // ImageLength
        (258, 3, 16),  // BitsPerSample
        (259, 3, 1),   // Compression: none
        (262, 3, 1),   // PhotometricInterpretation: BlackIsZero
        (273, 4, 122), // StripOffsets, LONG: 8 + 2 + 9·12 + 4
        (277, 3, 1),   // SamplesPerPixel
        (278, 3, 2),   // RowsPerStrip
        (279, 4, 12),  // StripByteCounts
    ];
    b.extend((entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        b.extend(tag.to_le_bytes());
        b.extend(kind.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        if kind == 3 {
            b.extend((value as u16).to_le_bytes());
            b.extend([0, 0]);
        } else {
            b.extend(value.to_le_bytes());
        }
    }
    b.extend(0u32.to_le_bytes());
    assert_eq!(b.len(), 122);
    b.extend(pixels.iter().flat_map(|v| v.to_le_bytes()));
    (b, pixels)
}

#[test]
fn a_byte_by_byte_tiff_reads_as_its_levels() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, pixels) = hand_made_tiff();
    let path = dir.path().join("hand.tif");
    std::fs::write(&path, &bytes).unwrap();
    let got = read(&path, None).unwrap();
    assert_eq!(got.depth, BitDepth::Sixteen);
    assert_eq!(
        got.frames,
        [LevelFrame {
            height: 2,
            width: 3,
            levels: pixels
        }]
    );

    // Truncated in the pixel strip: refused, naming the file and frame 0.
    let cut = dir.path().join("cut.tif");
    std::fs::write(&cut, &bytes[..bytes.len() - 5]).unwrap();
    let err = read(&cut, None).unwrap_err();
    assert!(
        err.contains("cut.tif") && err.contains("frame 0") && err.contains("allowed"),
        "{err}"
    );
}

#[test]
#[cfg(feature = "hdf5")] // HDF5 needs the default feature `hdf5`
fn hdf5_datasets_read_back_every_level_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.h5");
    let eight = frames(4, 3, 5, BitDepth::Eight);
    let sixteen = frames(2, 4, 6, BitDepth::Sixteen);
    {
        let file = hdf5::File::create(&path).unwrap();
        let exchange = file.create_group("exchange").unwrap();
        let data: Vec<u8> = eight
            .iter()
            .flat_map(|f| f.levels.iter().map(|&v| v as u8))
            .collect();
        exchange
            .new_dataset::<u8>()
            .shape([4, 3, 5])
            .create("data")
            .unwrap()
            .write_raw(&data)
            .unwrap();
        let data: Vec<u16> = sixteen.iter().flat_map(|f| f.levels.clone()).collect();
        exchange
            .new_dataset::<u16>()
            .shape([2, 4, 6])
            .create("data16")
            .unwrap()
            .write_raw(&data)
            .unwrap();
        exchange
            .new_dataset::<f32>()
            .shape([2, 4, 6])
            .create("float")
            .unwrap()
            .write_raw(&vec![0.5f32; 48])
            .unwrap();
        exchange
            .new_dataset::<u16>()
            .shape([4, 6])
            .create("flat")
            .unwrap()
            .write_raw(&vec![1u16; 24])
            .unwrap();
    }
    let got = read(&path, Some("/exchange/data")).unwrap();
    assert_eq!(
        (got.format, got.depth),
        (SequenceFormat::Hdf5, BitDepth::Eight)
    );
    assert_eq!(got.frames, eight);
    let got = read(&path, Some("exchange/data16")).unwrap();
    assert_eq!(got.depth, BitDepth::Sixteen);
    assert_eq!(got.frames, sixteen);

    let err = read(&path, Some("/exchange/float")).unwrap_err();
    assert!(
        err.contains("scan.h5") && err.contains("float") && err.contains("u16"),
        "{err}"
    );
    let err = read(&path, Some("/exchange/flat")).unwrap_err();
    assert!(
        err.contains("scan.h5") && err.contains("rank 2") && err.contains("rank 3"),
        "{err}"
    );
    let err = read(&path, Some("/exchange/none")).unwrap_err();
    assert!(
        err.contains("scan.h5") && err.contains("/exchange/none"),
        "{err}"
    );
    let err = read(&path, None).unwrap_err();
    assert!(err.contains("scan.h5") && err.contains("dataset"), "{err}");

    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.h5");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = read(&cut, Some("/exchange/data")).unwrap_err();
    assert!(err.contains("cut.h5"), "{err}");
}

#[test]
fn corrupt_and_unsuitable_frames_are_named_with_what_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let folder = |name: &str| {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    };
    let good = levels(4, 4, 0, BitDepth::Sixteen);

    // A truncated PNG as the third frame.
    let d = folder("truncated_png");
    for t in 0..3 {
        png_file(&d.join(format!("{t:08}.png")), &good, BitDepth::Sixteen);
    }
    let third = d.join("00000002.png");
    let bytes = std::fs::read(&third).unwrap();
    std::fs::write(&third, &bytes[..bytes.len() - 20]).unwrap();
    let err = read(&d, None).unwrap_err();
    assert!(
        err.contains("00000002.png") && err.contains("frame 2") && err.contains("allowed"),
        "{err}"
    );

    // An RGB TIFF page and a float TIFF page.
    let rgb = dir.path().join("rgb.tif");
    let mut enc = TiffEncoder::new(BufWriter::new(File::create(&rgb).unwrap())).unwrap();
    enc.write_image::<colortype::RGB8>(2, 2, &[0u8; 12])
        .unwrap();
    drop(enc);
    let err = read(&rgb, None).unwrap_err();
    assert!(
        err.contains("rgb.tif") && err.contains("RGB") && err.contains("16-bit greyscale"),
        "{err}"
    );
    let float = dir.path().join("float.tif");
    let mut enc = TiffEncoder::new(BufWriter::new(File::create(&float).unwrap())).unwrap();
    enc.write_image::<colortype::Gray32Float>(2, 2, &[0.5f32; 4])
        .unwrap();
    drop(enc);
    let err = read(&float, None).unwrap_err();
    assert!(err.contains("float.tif") && err.contains("f32"), "{err}");

    // A stack whose second page has another size, and one mixing bit depths.
    let sizes = dir.path().join("sizes.tif");
    tiff_file(
        &sizes,
        &[good.clone(), levels(4, 5, 1, BitDepth::Sixteen)],
        BitDepth::Sixteen,
    );
    let err = read(&sizes, None).unwrap_err();
    assert!(
        err.contains("sizes.tif") && err.contains("frame 1") && err.contains("4x5"),
        "{err}"
    );
    let d = folder("mixed_depth");
    png_file(&d.join("00000000.png"), &good, BitDepth::Sixteen);
    png_file(
        &d.join("00000001.png"),
        &levels(4, 4, 1, BitDepth::Eight),
        BitDepth::Eight,
    );
    let err = read(&d, None).unwrap_err();
    assert!(
        err.contains("00000001.png") && err.contains("8-bit") && err.contains("16-bit"),
        "{err}"
    );

    // Mixed formats, no frames, a multi-page TIFF inside a frame folder, an unknown file.
    let d = folder("mixed_formats");
    png_file(&d.join("a.png"), &good, BitDepth::Sixteen);
    tiff_file(
        &d.join("b.tif"),
        std::slice::from_ref(&good),
        BitDepth::Sixteen,
    );
    assert!(read(&d, None).unwrap_err().contains("both PNG and TIFF"));
    let d = folder("empty");
    assert!(read(&d, None).unwrap_err().contains("no frames"));
    let d = folder("stack_in_folder");
    tiff_file(
        &d.join("a.tif"),
        &[good.clone(), good.clone()],
        BitDepth::Sixteen,
    );
    assert!(read(&d, None).unwrap_err().contains("2 pages"));
    let other = dir.path().join("notes.txt");
    std::fs::write(&other, "x").unwrap();
    assert!(read(&other, None).unwrap_err().contains("notes.txt"));
}

#[test]
fn sixteen_bit_sequences_are_clipped_at_their_percentiles_and_eight_bit_kept_as_stored() {
    // One 16-bit frame of 1000 pixels with levels 0, 10, …, 9990. numpy's percentile of
    // 0.35 % is at position 0.0035·999 = 3.4965 → 34.965; 99.65 % at 995.5035 → 9955.035.
    let frame = LevelFrame {
        height: 10,
        width: 100,
        levels: (0..1000).map(|i| 10 * i as u16).collect(),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ramp.tif");
    tiff_file(&path, std::slice::from_ref(&frame), BitDepth::Sixteen);
    let seq = read(&path, None).unwrap();
    let norm = seq.normalisation();
    let (lo, hi) = (34.965 / 65535.0, 9955.035 / 65535.0);
    assert!((f64::from(norm.lo) - lo).abs() < 1e-7 && (f64::from(norm.hi) - hi).abs() < 1e-7);
    let video = seq.to_video("ramp");
    let px = &video.frames[0].pixels;
    assert_eq!((px[0], px[3], px[999]), (0.0, 0.0, 1.0)); // 0, 30 below lo; 9990 above hi
    let want_500 = (5000.0 / 65535.0 - lo) / (hi - lo);
    assert!((f64::from(px[500]) - want_500).abs() < 1e-5, "{}", px[500]);
    // Back to levels: every level inside the clipping range comes back exactly.
    let back = norm.to_levels(&video.frames[0]);
    assert_eq!(&back.levels[4..996], &frame.levels[4..996]);

    // 8-bit: level / 255, as the reference's stored PNG frames.
    let eight = levels(3, 3, 0, BitDepth::Eight);
    let path = dir.path().join("eight.tif");
    tiff_file(&path, std::slice::from_ref(&eight), BitDepth::Eight);
    let video = read(&path, None).unwrap().to_video("eight");
    let want: Vec<f32> = eight.levels.iter().map(|&v| f32::from(v) / 255.0).collect();
    assert_eq!(video.frames[0].pixels, want);
}

#[test]
#[cfg(feature = "hdf5")] // HDF5 needs the default feature `hdf5`
fn written_sequences_read_back_in_their_format_and_depth() {
    let dir = tempfile::tempdir().unwrap();
    for depth in [BitDepth::Eight, BitDepth::Sixteen] {
        let want = frames(3, 4, 8, depth);
        for format in [
            SequenceFormat::PngFolder,
            SequenceFormat::TiffFolder,
            SequenceFormat::TiffStack,
            SequenceFormat::Hdf5,
        ] {
            let out = dir
                .path()
                .join(format!("{}-{}", format.name(), depth.bits()));
            std::fs::create_dir_all(out.join("frames")).unwrap();
            let layout = SequenceLayout {
                format,
                depth,
                dataset: Some("/exchange/data".into()),
            };
            if layout.one_file_per_frame() {
                for (t, f) in want.iter().enumerate() {
                    layout.write_frame(&layout.frame_path(&out, t), f).unwrap();
                }
            } else {
                layout
                    .write_stack(&layout.frame_path(&out, 0), &want)
                    .unwrap();
            }
            let source = if layout.one_file_per_frame() {
                out.join("frames")
            } else {
                layout.frame_path(&out, 0)
            };
            let got = read(&source, Some("/exchange/data")).unwrap();
            assert_eq!((got.format, got.depth), (format, depth));
            assert_eq!(got.frames, want, "{}", source.display());
        }
    }
}

#[test]
#[cfg(feature = "hdf5")] // HDF5 needs the default feature `hdf5`
fn a_study_trains_on_tiff_stacks_and_hdf5_files() {
    // HR: 16-bit TIFF stacks and an HDF5 file under one root; LR: the same clips at 1/4 size.
    let dir = tempfile::tempdir().unwrap();
    let (hr, lr) = (dir.path().join("HR"), dir.path().join("LR"));
    std::fs::create_dir_all(&hr).unwrap();
    std::fs::create_dir_all(&lr).unwrap();
    tiff_file(
        &hr.join("1.tif"),
        &frames(4, 16, 32, BitDepth::Sixteen),
        BitDepth::Sixteen,
    );
    tiff_file(
        &lr.join("1.tiff"),
        &frames(4, 4, 8, BitDepth::Sixteen),
        BitDepth::Sixteen,
    );
    for (root, (h, w)) in [(&hr, (16, 32)), (&lr, (4, 8))] {
        let f = hdf5::File::create(root.join("2.h5")).unwrap();
        let data: Vec<u16> = frames(4, h, w, BitDepth::Sixteen)
            .iter()
            .flat_map(|f| f.levels.clone())
            .collect();
        f.new_dataset::<u16>()
            .shape([4, h, w])
            .create("frames")
            .unwrap()
            .write_raw(&data)
            .unwrap();
    }
    let mut cfg = DataConfig {
        source: DataSource::Files,
        hr_root: Some(hr.display().to_string()),
        lr_root: Some(lr.display().to_string()),
        hdf5_dataset: Some("/frames".into()),
        val_videos: 1,
        ..Default::default()
    };
    let d = Dataset::load(&cfg).unwrap();
    assert_eq!(
        (d.train[0].name.as_str(), d.val[0].name.as_str()),
        ("1", "2")
    );
    assert_eq!((d.val[0].len(), d.val[0].lr_size()), (4, (4, 8)));
    for video in d.train.iter().chain(&d.val) {
        let all = video
            .hr
            .iter()
            .chain(&video.lr)
            .flat_map(|f| f.pixels.iter().copied());
        let (min, max) = all.fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
        assert_eq!((min, max), (0.0, 1.0), "video {}", video.name);
    }
    // Without the dataset path an HDF5 video is refused, naming the file and the field.
    cfg.hdf5_dataset = None;
    let err = Dataset::load(&cfg).unwrap_err().to_string();
    assert!(
        err.contains("2.h5") && err.contains("data.hdf5_dataset"),
        "{err}"
    );
    // `source: png` keeps reading PNG folders only.
    cfg.source = DataSource::Png;
    assert!(Dataset::load(&cfg)
        .unwrap_err()
        .to_string()
        .contains("no videos"));
}
