//! Algorithm values carried by a state (`struct xfrm_algo`,
//! `xfrm_algo_auth`, `xfrm_algo_aead` of `include/uapi/linux/xfrm.h`).
//! Only the values: the kernel's algorithm tables live elsewhere.

/// `struct xfrm_algo`: encryption or compression algorithm with its key.
#[derive(Clone, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmAlgo {
    /// `alg_name` (at most 63 bytes on the wire).
    pub name: String,
    /// `alg_key_len`, in bits.
    pub key_len: u32,
    pub key: Vec<u8>,
}

/// `struct xfrm_algo_auth`: authentication algorithm with truncation length.
#[derive(Clone, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmAlgoAuth {
    pub name: String,
    /// `alg_key_len`, in bits.
    pub key_len: u32,
    /// `alg_trunc_len`, in bits (the ICV length).
    pub trunc_len: u32,
    pub key: Vec<u8>,
}

/// `struct xfrm_algo_aead`: combined-mode algorithm with ICV length.
#[derive(Clone, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmAlgoAead {
    pub name: String,
    /// `alg_key_len`, in bits.
    pub key_len: u32,
    /// `alg_icv_len`, in bits.
    pub icv_len: u32,
    pub key: Vec<u8>,
}

/// `xfrm_alg_len()`/`xfrm_alg_auth_len()`/`aead_len()`: key bytes for a
/// key length in bits, rounded up.
pub const fn key_bytes(key_len_bits: u32) -> usize {
    key_len_bits.div_ceil(8) as usize
}

impl XfrmAlgo {
    /// Key bytes implied by `key_len`.
    pub const fn key_bytes(&self) -> usize {
        key_bytes(self.key_len)
    }
}

impl XfrmAlgoAuth {
    /// Key bytes implied by `key_len`.
    pub const fn key_bytes(&self) -> usize {
        key_bytes(self.key_len)
    }
}

impl XfrmAlgoAead {
    /// Key bytes implied by `key_len`.
    pub const fn key_bytes(&self) -> usize {
        key_bytes(self.key_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_bytes_round_up() {
        assert_eq!(key_bytes(0), 0);
        assert_eq!(key_bytes(1), 1);
        assert_eq!(key_bytes(160), 20);
        assert_eq!(key_bytes(161), 21);
        let a = XfrmAlgoAead {
            name: "rfc4106(gcm(aes))".into(),
            key_len: 160,
            icv_len: 128,
            key: vec![0; 20],
        };
        assert_eq!(a.key_bytes(), a.key.len());
    }
}
