//! Field access on validated buffers. The views check their length once in
//! `new_checked`; these functions still never index, so a view built with
//! `new_unchecked` over a short buffer reads zeros instead of panicking.

pub(crate) fn get_u8(b: &[u8], off: usize) -> u8 {
    b.get(off).copied().unwrap_or(0)
}

fn get_array<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    b.get(off..off + N).and_then(|s| <[u8; N]>::try_from(s).ok()).unwrap_or([0; N])
}

fn set_array<const N: usize>(b: &mut [u8], off: usize, v: [u8; N]) {
    if let Some(s) = b.get_mut(off..off + N) {
        s.copy_from_slice(&v);
    }
}

pub(crate) fn set_u8(b: &mut [u8], off: usize, v: u8) {
    if let Some(x) = b.get_mut(off) {
        *x = v;
    }
}

pub(crate) fn get_u16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(get_array(b, off))
}

pub(crate) fn set_u16(b: &mut [u8], off: usize, v: u16) {
    set_array(b, off, v.to_le_bytes())
}

pub(crate) fn get_u32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(get_array(b, off))
}

pub(crate) fn set_u32(b: &mut [u8], off: usize, v: u32) {
    set_array(b, off, v.to_le_bytes())
}

pub(crate) fn get_u64(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(get_array(b, off))
}

pub(crate) fn set_u64(b: &mut [u8], off: usize, v: u64) {
    set_array(b, off, v.to_le_bytes())
}

pub(crate) fn get_be16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes(get_array(b, off))
}

pub(crate) fn set_be16(b: &mut [u8], off: usize, v: u16) {
    set_array(b, off, v.to_be_bytes())
}

pub(crate) fn get_be32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes(get_array(b, off))
}

pub(crate) fn set_be32(b: &mut [u8], off: usize, v: u32) {
    set_array(b, off, v.to_be_bytes())
}

pub(crate) fn get_bytes16(b: &[u8], off: usize) -> [u8; 16] {
    get_array(b, off)
}

pub(crate) fn set_bytes16(b: &mut [u8], off: usize, v: [u8; 16]) {
    set_array(b, off, v)
}

/// Zero `len` bytes from `off` (as far as the buffer reaches).
pub(crate) fn zero(b: &mut [u8], off: usize, len: usize) {
    let end = off.saturating_add(len).min(b.len());
    if let Some(s) = b.get_mut(off.min(end)..end) {
        s.fill(0);
    }
}

/// Copy `src` to `off` (as far as the buffer reaches).
pub(crate) fn put(b: &mut [u8], off: usize, src: &[u8]) {
    let end = off.saturating_add(src.len()).min(b.len());
    if let (Some(dst), Some(src)) =
        (b.get_mut(off.min(end)..end), src.get(..end.saturating_sub(off)))
    {
        dst.copy_from_slice(src);
    }
}

/// `len` bytes from `off`, or an empty slice if they do not fit.
pub(crate) fn slice(b: &[u8], off: usize, len: usize) -> &[u8] {
    b.get(off..off.saturating_add(len)).unwrap_or(&[])
}
