//! `struct sadb_sens` followed by its sensitivity and integrity bitmaps
//! (SENSITIVITY; the kernel ignores it).

use sim_core::{Errno, KResult};

use super::consts::SADB_EXT_SENSITIVITY;
use super::field;

sadb_view! {
    /// A view of `struct sadb_sens` (16 bytes) and the bitmaps after it.
    view SadbSens, size 16;
    /// `sadb_sens_len`.
    len, set_len: u16 @ 0;
    /// `sadb_sens_exttype`.
    exttype, set_exttype: u16 @ 2;
    /// `sadb_sens_dpd`.
    dpd, set_dpd: u32 @ 4;
    /// `sadb_sens_sens_level`.
    sens_level, set_sens_level: u8 @ 8;
    /// `sadb_sens_sens_len`: sensitivity bitmap length in 64-bit words.
    sens_len, set_sens_len: u8 @ 9;
    /// `sadb_sens_integ_level`.
    integ_level, set_integ_level: u8 @ 10;
    /// `sadb_sens_integ_len`: integrity bitmap length in 64-bit words.
    integ_len, set_integ_len: u8 @ 11;
    /// `sadb_sens_reserved`.
    reserved, set_reserved: u32 @ 12;
}

/// `struct sadb_sens` with its bitmaps, as values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SadbSensRepr {
    /// `sadb_sens_dpd`.
    pub dpd: u32,
    /// `sadb_sens_sens_level`.
    pub sens_level: u8,
    /// `sadb_sens_integ_level`.
    pub integ_level: u8,
    /// `sadb_sens_reserved`.
    pub reserved: u32,
    /// `sadb_sens_bitmap[sens_len]`.
    pub sens_bitmap: Vec<u64>,
    /// `sadb_integ_bitmap[integ_len]`.
    pub integ_bitmap: Vec<u64>,
}

fn words(buf: &[u8], off: usize, n: usize) -> Vec<u64> {
    (0..n).map(|i| field::get_u64(buf, off + 8 * i)).collect()
}

impl SadbSensRepr {
    /// Reads the header and both bitmaps (`EINVAL` if they do not fit or
    /// the type is not SENSITIVITY).
    pub fn parse<T: AsRef<[u8]>>(view: &SadbSens<T>) -> KResult<Self> {
        let (s, i) = (usize::from(view.sens_len()), usize::from(view.integ_len()));
        if view.exttype() != SADB_EXT_SENSITIVITY || view.payload().len() < 8 * (s + i) {
            return Err(Errno::EINVAL);
        }
        Ok(SadbSensRepr {
            dpd: view.dpd(),
            sens_level: view.sens_level(),
            integ_level: view.integ_level(),
            reserved: view.reserved(),
            sens_bitmap: words(view.payload(), 0, s),
            integ_bitmap: words(view.payload(), 8 * s, i),
        })
    }

    /// Header plus both bitmaps.
    pub fn buffer_len(&self) -> usize {
        16 + 8 * (self.sens_bitmap.len() + self.integ_bitmap.len())
    }

    /// Writes the extension into at least `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, view: &mut SadbSens<T>) {
        let len = self.buffer_len();
        field::zero(view.buffer.as_mut(), 0, len);
        view.set_len((len / 8) as u16);
        view.set_exttype(SADB_EXT_SENSITIVITY);
        view.set_dpd(self.dpd);
        view.set_sens_level(self.sens_level);
        view.set_sens_len(self.sens_bitmap.len() as u8);
        view.set_integ_level(self.integ_level);
        view.set_integ_len(self.integ_bitmap.len() as u8);
        view.set_reserved(self.reserved);
        let payload = view.payload_mut();
        for (i, w) in self.sens_bitmap.iter().chain(&self.integ_bitmap).enumerate() {
            field::set_u64(payload, 8 * i, *w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmaps_round_trip() {
        let repr = SadbSensRepr {
            dpd: 1,
            sens_level: 2,
            integ_level: 3,
            reserved: 0,
            sens_bitmap: vec![0x0102],
            integ_bitmap: vec![5, 6],
        };
        let mut out = vec![0u8; repr.buffer_len()];
        repr.emit(&mut SadbSens::new_unchecked(&mut out[..]));
        assert_eq!(out[..16], [5, 0, 12, 0, 1, 0, 0, 0, 2, 1, 3, 2, 0, 0, 0, 0]);
        assert_eq!(out[16..18], [2, 1]);
        assert_eq!(out[24], 5);
        assert_eq!(out[32], 6);
        assert_eq!(SadbSensRepr::parse(&SadbSens::new_checked(&out[..]).expect("16")), Ok(repr));
        assert_eq!(
            SadbSensRepr::parse(&SadbSens::new_checked(&out[..39]).expect("16")),
            Err(Errno::EINVAL)
        );
    }
}
