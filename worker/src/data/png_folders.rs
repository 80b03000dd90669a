//! Videos stored in XFusion's on-disk layout (docs/data.md#videos): `<root>/<clip>/<frame>.png`,
//! one folder per video, frames named `{index:08d}.png`.

use std::path::Path;

use super::frame::{Frame, Video};
use super::png_frame::read_gray_png;

/// Reads every clip folder under `root` as a video.
///
/// Clips are ordered numerically when their names are numbers (XFusion's clip names are
/// numeric strings), otherwise by name; frames are the folder's `*.png` files in name order,
/// so `00000000.png` is frame 0. Errors name the offending folder or file: an unreadable root,
/// a clip without frames, a non-8-bit-greyscale frame, or a frame whose size differs from the
/// clip's first frame.
pub fn read_video_folders(root: &Path) -> Result<Vec<Video>, String> {
    let mut clips = Vec::new();
    let entries = std::fs::read_dir(root)
        .map_err(|e| format!("{}: cannot list video folders: {e}", root.display()))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| format!("{}: cannot list video folders: {e}", root.display()))?;
        if entry.path().is_dir() {
            clips.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    if clips.is_empty() {
        return Err(format!(
            "{}: no video folders (expected <root>/<clip>/<frame:08d>.png)",
            root.display()
        ));
    }
    clips.sort_by_key(|name| (name.parse::<u64>().ok(), name.clone()));
    clips
        .iter()
        .map(|clip| read_clip(&root.join(clip), clip))
        .collect()
}

/// Reads the frames of one clip folder.
fn read_clip(dir: &Path, name: &str) -> Result<Video, String> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: cannot list frames: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("{}: cannot list frames: {e}", dir.display()))?
            .path();
        if path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("png"))
        {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(format!(
            "{}: video folder has no .png frames",
            dir.display()
        ));
    }
    files.sort();
    let mut frames: Vec<Frame> = Vec::with_capacity(files.len());
    for file in &files {
        let frame = read_gray_png(file)?;
        if let Some(first) = frames.first() {
            if (frame.height, frame.width) != (first.height, first.width) {
                return Err(format!(
                    "{}: frame is {}x{} (HxW) but {} is {}x{}; all frames of a video must have one size",
                    file.display(),
                    frame.height,
                    frame.width,
                    files[0].display(),
                    first.height,
                    first.width
                ));
            }
        }
        frames.push(frame);
    }
    Ok(Video {
        name: name.to_string(),
        frames,
    })
}
