//! Hash maps keyed by small integers: the simulation's stand-ins for the
//! kernel's hash tables (`policy_byidx`, the netlink port table), hashed
//! with a cheap word hasher instead of SipHash.

use std::collections::HashMap;

/// The hasher of the simulation's integer-keyed maps (port ids, namespace
/// ids, policy indexes): a multiply-rotate word hasher (FxHash's), several
/// times cheaper than SipHash and the same in every run, as the rest of
/// the simulation is for a given seed.
#[derive(Default, Clone, Copy)]
pub struct WordHasher(u64);

impl WordHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(Self::K);
    }
}

impl std::hash::Hasher for WordHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // The product's entropy sits in its high bits; hashbrown indexes
        // buckets with the low ones (keys like policy indexes step by 8),
        // so fold the high half down.
        self.0 ^ (self.0 >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

/// Builds [`WordHasher`]s.
pub type WordHash = std::hash::BuildHasherDefault<WordHasher>;

/// A `HashMap` hashed with [`WordHasher`].
pub type WordHashMap<K, V> = HashMap<K, V, WordHash>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn word_hasher_is_deterministic_and_spreads_small_keys() {
        let h = WordHash::default();
        assert_eq!(h.hash_one((7u64, 3u32)), WordHash::default().hash_one((7u64, 3u32)));
        // Indexes stepping by 8 (policy indexes) spread over the buckets
        // of a small table (low bits) and over the tag bits (high bits).
        let low: std::collections::HashSet<u64> =
            (0..64u32).map(|i| h.hash_one(i * 8) & 63).collect();
        let high: std::collections::HashSet<u64> =
            (0..64u32).map(|i| h.hash_one(i * 8) >> 58).collect();
        assert!(low.len() > 32 && high.len() > 32, "{} / {} of 64", low.len(), high.len());
        let mut m: WordHashMap<u32, u32> = WordHashMap::default();
        m.insert(5, 6);
        assert_eq!(m.get(&5), Some(&6));
    }
}
