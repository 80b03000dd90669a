//! TIFF files ↔ frames (docs/data.md#detector-formats): every page (image file directory) of
//! a file is one frame, 8- or 16-bit greyscale; one file may hold one frame (a frame of a
//! folder) or a whole sequence (a multi-page stack, as ImageJ and the cameras' software
//! save them).

use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::Path;

use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::encoder::{colortype, TiffEncoder};
use tiff::ColorType;

use super::level_frame::{BitDepth, LevelFrame};
use super::sequence_error::{SequenceError, SequenceErrorKind};

/// Every page of the TIFF file at `path`, in file order, with its bit depth. `first_frame`
/// is the sequence index of the first page (for error messages).
pub fn read_tiff_pages(
    path: &Path,
    first_frame: usize,
) -> Result<Vec<(LevelFrame, BitDepth)>, SequenceError> {
    let file = File::open(path).map_err(|e| {
        SequenceError::new(path, SequenceErrorKind::Io(format!("cannot open: {e}")))
    })?;
    let corrupt = |frame: usize, e: tiff::TiffError| {
        SequenceError::at_frame(
            path,
            frame,
            SequenceErrorKind::Corrupt(format!("not a readable TIFF: {e}")),
        )
    };
    // A sequence of large frames is read page by page; the per-page limit is the only one.
    let mut decoder = Decoder::new(BufReader::new(file))
        .map_err(|e| corrupt(first_frame, e))?
        .with_limits(Limits::unlimited());
    let mut pages = Vec::new();
    loop {
        let frame = first_frame + pages.len();
        let (width, height) = decoder.dimensions().map_err(|e| corrupt(frame, e))?;
        let colour = decoder.colortype().map_err(|e| corrupt(frame, e))?;
        let image = decoder.read_image().map_err(|e| corrupt(frame, e))?;
        let (levels, depth) = match (colour, image) {
            (ColorType::Gray(8), DecodingResult::U8(v)) => {
                (v.into_iter().map(u16::from).collect(), BitDepth::Eight)
            }
            (ColorType::Gray(16), DecodingResult::U16(v)) => (v, BitDepth::Sixteen),
            (colour, image) => {
                return Err(SequenceError::at_frame(
                    path,
                    frame,
                    SequenceErrorKind::PixelType(format!(
                        "TIFF {colour:?} stored as {}",
                        sample_type(&image)
                    )),
                ))
            }
        };
        let (height, width) = (height as usize, width as usize);
        if levels.len() != height * width {
            return Err(SequenceError::at_frame(
                path,
                frame,
                SequenceErrorKind::Corrupt(format!(
                    "TIFF page holds {} samples for {height}x{width} pixels",
                    levels.len()
                )),
            ));
        }
        pages.push((
            LevelFrame {
                height,
                width,
                levels,
            },
            depth,
        ));
        if !decoder.more_images() {
            return Ok(pages);
        }
        decoder.next_image().map_err(|e| corrupt(frame + 1, e))?;
    }
}

/// The sample type of a decoded page, for messages.
fn sample_type(image: &DecodingResult) -> &'static str {
    match image {
        DecodingResult::U8(_) => "u8",
        DecodingResult::U16(_) => "u16",
        DecodingResult::U32(_) => "u32",
        DecodingResult::U64(_) => "u64",
        DecodingResult::F16(_) => "f16",
        DecodingResult::F32(_) => "f32",
        DecodingResult::F64(_) => "f64",
        DecodingResult::I8(_) => "i8",
        DecodingResult::I16(_) => "i16",
        DecodingResult::I32(_) => "i32",
        DecodingResult::I64(_) => "i64",
    }
}

/// Writes `frames` as the pages of one uncompressed greyscale TIFF file of `depth`.
pub fn write_tiff_pages(
    path: &Path,
    frames: &[LevelFrame],
    depth: BitDepth,
) -> Result<(), SequenceError> {
    let error = |e: &dyn std::fmt::Display| SequenceError::cannot_write(path, "TIFF", e);
    // Encoded in memory and written in one call, so that a failed write is reported (a
    // buffered file writer would lose it on drop).
    let mut bytes = Cursor::new(Vec::new());
    let mut encoder = TiffEncoder::new(&mut bytes).map_err(|e| error(&e))?;
    for frame in frames {
        let (w, h) = (frame.width as u32, frame.height as u32);
        let written = match depth {
            BitDepth::Eight => encoder.write_image::<colortype::Gray8>(w, h, &frame.to_u8()),
            BitDepth::Sixteen => encoder.write_image::<colortype::Gray16>(w, h, &frame.levels),
        };
        written.map_err(|e| error(&e))?;
    }
    drop(encoder);
    std::fs::write(path, bytes.into_inner()).map_err(|e| error(&e))
}
