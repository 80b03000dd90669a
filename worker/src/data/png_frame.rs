//! One 8-bit grey-level PNG file ↔ one [`Frame`] (docs/data.md#videos: frames are 8-bit PNG,
//! read as grey level / 255).

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

use super::frame::Frame;

/// Reads an 8-bit greyscale PNG into a frame with pixels k/255.
///
/// Errors (naming the file) when it cannot be opened or decoded, or is not 8-bit greyscale
/// (colour, alpha, palette or 1/2/4/16-bit files are refused rather than silently converted).
pub fn read_gray_png(path: &Path) -> Result<Frame, String> {
    let file = File::open(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))?;
    let mut decoder = png::Decoder::new(BufReader::new(file));
    decoder.set_transformations(png::Transformations::IDENTITY);
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("{}: not a readable PNG: {e}", path.display()))?;
    let info = reader.info();
    if info.color_type != png::ColorType::Grayscale || info.bit_depth != png::BitDepth::Eight {
        return Err(format!(
            "{}: PNG is {:?} with {}-bit samples; only 8-bit greyscale frames are supported",
            path.display(),
            info.color_type,
            info.bit_depth as u8
        ));
    }
    let (width, height) = (info.width as usize, info.height as usize);
    let mut bytes = vec![0u8; reader.output_buffer_size()];
    let out = reader
        .next_frame(&mut bytes)
        .map_err(|e| format!("{}: corrupt PNG data: {e}", path.display()))?;
    let stride = out.line_size;
    let mut pixels = Vec::with_capacity(width * height);
    for row in bytes.chunks(stride).take(height) {
        pixels.extend(row[..width].iter().map(|&b| f32::from(b) / 255.0));
    }
    Ok(Frame {
        height,
        width,
        pixels,
    })
}

/// Writes a frame as an 8-bit greyscale PNG (clamped to [0, 1], ×255, rounded half to even).
pub fn write_gray_png(path: &Path, frame: &Frame) -> Result<(), String> {
    let file = File::create(path).map_err(|e| format!("{}: cannot create: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(
        BufWriter::new(file),
        frame.width as u32,
        frame.height as u32,
    );
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let bytes: Vec<u8> = frame
        .pixels
        .iter()
        .map(|v| (v.clamp(0.0, 1.0) * 255.0).round_ties_even() as u8)
        .collect();
    encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&bytes))
        .map_err(|e| format!("{}: cannot write PNG: {e}", path.display()))
}
