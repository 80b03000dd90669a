//! Rectangular crops of frames (the paired LR/HR crops of docs/data.md#one-training-sample).

use super::frame::Frame;

/// The `height × width` window of `frame` whose top-left pixel is (`top`, `left`).
///
/// Panics if the window leaves the frame: callers draw `top`/`left` inside the valid range.
pub fn crop(frame: &Frame, top: usize, left: usize, height: usize, width: usize) -> Frame {
    assert!(
        top + height <= frame.height && left + width <= frame.width,
        "crop window outside the frame"
    );
    Frame::from_fn(height, width, |y, x| frame.at(top + y, left + x))
}
