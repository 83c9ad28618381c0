//! The monthly chart as a PNG for the DOCX export (Word and LibreOffice do not all take SVG):
//! bars drawn into a pixel buffer, numbers and month names stay in the table next to it.
use super::figures::Figures;

const W: u32 = 720;
const H: u32 = 260;
const RECEIVED: [u8; 3] = [0x0b, 0x4f, 0x8a];
const CONCLUDED: [u8; 3] = [0x7f, 0xb0, 0x69];

pub fn monthly_png(f: &Figures) -> Result<Vec<u8>, png::EncodingError> {
    let mut pixels = vec![255u8; (W * H * 3) as usize];
    let mut fill = |x0: u32, y0: u32, x1: u32, y1: u32, color: [u8; 3]| {
        for y in y0.min(H)..y1.min(H) {
            for x in x0.min(W)..x1.min(W) {
                let i = ((y * W + x) * 3) as usize;
                pixels[i..i + 3].copy_from_slice(&color);
            }
        }
    };
    let (left, bottom, top) = (20u32, 20u32, 10u32);
    fill(left, H - bottom, W - 10, H - bottom + 2, [0x33, 0x33, 0x33]);
    let max = f
        .months
        .iter()
        .map(|m| {
            (m.corruption.received + m.general.received).max(m.corruption.concluded + m.general.concluded)
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let usable = u64::from(H - bottom - top);
    let slot = (W - left - 10) / 12;
    for (i, m) in f.months.iter().enumerate() {
        let x = left + slot * u32::try_from(i).unwrap_or(0) + slot / 6;
        let bar = slot / 3;
        let height = |n: u64| u32::try_from(n * usable / max).unwrap_or(0);
        let r = height(m.corruption.received + m.general.received);
        let c = height(m.corruption.concluded + m.general.concluded);
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
