//! The monthly chart as a PNG for the DOCX export (Word and LibreOffice do not all take SVG):
//! bars drawn into a pixel buffer, numbers and month names stay in the table next to it.
use super::figures::Figures;

const W: u32 = 720;
const H: u32 = 260;
const RECEIVED: [u8; 3] = [0x0b, 0x4f, 0x8a];
const CONCLUDED: [u8; 3] = [0x7f, 0xb0, 0x69];

/// `label_share`: the part of the width left of the first month, where the data table under the
/// picture has its label column, so that each month's bars stand over its column.
pub fn monthly_png(f: &Figures, label_share: f64) -> Result<Vec<u8>, png::EncodingError> {
    let mut pixels = vec![255u8; (W * H * 3) as usize];
    let mut fill = |x0: u32, y0: u32, x1: u32, y1: u32, color: [u8; 3]| {
        for y in y0.min(H)..y1.min(H) {
            for x in x0.min(W)..x1.min(W) {
                let i = ((y * W + x) * 3) as usize;
                pixels[i..i + 3].copy_from_slice(&color);
            }
        }
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let left = (f64::from(W) * label_share.clamp(0.0, 0.5)) as u32;
    let (bottom, top) = (4u32, 10u32);
    fill(left, H - bottom, W, H - bottom + 2, [0x33, 0x33, 0x33]);
    let max = f.months.iter().filter_map(|m| m.totals().map(|(r, c)| r.max(c))).max().unwrap_or(0).max(1);
    let usable = u64::from(H - bottom - top);
    let slot = (W - left) / 12;
    // Light grid lines at each quarter of the highest value, and the axis.
    for q in 1..=4u32 {
        let y = H - bottom - (H - bottom - top) * q / 4;
        fill(left, y, W, y + 1, [0xcc, 0xcc, 0xcc]);
    }
    fill(left, top, left + 2, H - bottom, [0x33, 0x33, 0x33]);
    for (i, m) in f.months.iter().enumerate() {
        let x = left + slot * u32::try_from(i).unwrap_or(0) + slot / 6;
        let bar = slot / 3;
        let height = |n: u64| u32::try_from(n * usable / max).unwrap_or(0);
        let (r, c) = m.totals().unwrap_or((0, 0));
        let (r, c) = (height(r), height(c));
        fill(x, H - bottom - r, x + bar, H - bottom, RECEIVED);
        fill(x + bar, H - bottom - c, x + 2 * bar, H - bottom, CONCLUDED);
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, W, H);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
        writer.finish()?;
    }
    Ok(out)
}

pub const SIZE_PX: (u32, u32) = (W, H);
