//! One greyscale PNG file ↔ one frame (docs/data.md#detector-formats): 8- or 16-bit levels
//! ([`read_png_levels`], [`write_png_levels`]), and the 8-bit [`Frame`] view of the
//! reference's PNG data (level / 255).

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use super::frame::Frame;
use super::level_frame::{BitDepth, LevelFrame};
use super::sequence_error::{SequenceError, SequenceErrorKind};

/// Reads a greyscale PNG of 8 or 16 bits per sample into its levels.
///
/// Colour, alpha, palette and 1/2/4-bit files are refused rather than converted; errors
/// name the file.
pub fn read_png_levels(path: &Path) -> Result<(LevelFrame, BitDepth), SequenceError> {
    let error = |kind| SequenceError::new(path, kind);
    let file =
        File::open(path).map_err(|e| error(SequenceErrorKind::Io(format!("cannot open: {e}"))))?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::IDENTITY);
    let corrupt = |e: png::DecodingError| {
        error(SequenceErrorKind::Corrupt(format!(
            "not a readable PNG: {e}"
        )))
    };
    let mut reader = decoder.read_info().map_err(corrupt)?;
    let info = reader.info();
    let depth = match (info.color_type, info.bit_depth) {
        (png::ColorType::Grayscale, png::BitDepth::Eight) => BitDepth::Eight,
        (png::ColorType::Grayscale, png::BitDepth::Sixteen) => BitDepth::Sixteen,
        (colour, bits) => {
            return Err(error(SequenceErrorKind::PixelType(format!(
                "PNG {colour:?} with {}-bit samples",
                bits as u8
            ))))
        }
    };
    let (width, height) = (info.width as usize, info.height as usize);
    let mut bytes = vec![0u8; reader.output_buffer_size()];
    let out = reader.next_frame(&mut bytes).map_err(corrupt)?;
    let stride = out.line_size;
    let mut levels = Vec::with_capacity(width * height);
    for row in bytes.chunks(stride).take(height) {
        match depth {
            BitDepth::Eight => levels.extend(row[..width].iter().map(|&b| u16::from(b))),
            // PNG stores 16-bit samples big-endian.
            BitDepth::Sixteen => levels.extend(
                row[..2 * width]
                    .chunks_exact(2)
                    .map(|b| u16::from_be_bytes([b[0], b[1]])),
            ),
        }
    }
    Ok((
        LevelFrame {
            height,
            width,
            levels,
        },
        depth,
    ))
}

/// Writes `frame`'s levels as a greyscale PNG of `depth`.
pub fn write_png_levels(
    path: &Path,
    frame: &LevelFrame,
    depth: BitDepth,
) -> Result<(), SequenceError> {
    let error = |e: &dyn std::fmt::Display| {
        SequenceError::new(
            path,
            SequenceErrorKind::Io(format!("cannot write PNG: {e}")),
        )
    };
    let file = File::create(path).map_err(|e| error(&e))?;
    let mut encoder = png::Encoder::new(
        BufWriter::new(file),
        frame.width as u32,
        frame.height as u32,
    );
    encoder.set_color(png::ColorType::Grayscale);
    let bytes: Vec<u8> = match depth {
        BitDepth::Eight => {
            encoder.set_depth(png::BitDepth::Eight);
            frame.to_u8()
        }
        BitDepth::Sixteen => {
            encoder.set_depth(png::BitDepth::Sixteen);
            frame.levels.iter().flat_map(|v| v.to_be_bytes()).collect()
        }
    };
    encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&bytes))
        .map_err(|e| error(&e))
}

/// Why a PNG cannot be read as an 8-bit frame.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GrayPngError {
    /// Not a readable greyscale PNG.
    #[error(transparent)]
    Read(#[from] SequenceError),
    #[error(
        "{}: PNG is 16-bit greyscale; only 8-bit greyscale frames are supported here",
        path.display()
    )]
    SixteenBit { path: PathBuf },
}

/// Reads an 8-bit greyscale PNG into a frame with pixels k/255 (the reference's PNG frames,
/// and synthetic textures). Anything else is refused, naming the file.
pub fn read_gray_png(path: &Path) -> Result<Frame, GrayPngError> {
    let (frame, depth) = read_png_levels(path)?;
    if depth != BitDepth::Eight {
        return Err(GrayPngError::SixteenBit {
            path: path.to_path_buf(),
        });
    }
    Ok(Frame {
        height: frame.height,
        width: frame.width,
        pixels: frame.levels.iter().map(|&v| f32::from(v) / 255.0).collect(),
    })
}

/// Writes a frame as an 8-bit greyscale PNG (clamped to [0, 1], ×255, rounded half to even).
pub fn write_gray_png(path: &Path, frame: &Frame) -> Result<(), SequenceError> {
    let levels = LevelFrame {
        height: frame.height,
        width: frame.width,
        levels: frame
            .pixels
            .iter()
            .map(|v| (v.clamp(0.0, 1.0) * 255.0).round_ties_even() as u16)
            .collect(),
    };
    write_png_levels(path, &levels, BitDepth::Eight)
}
