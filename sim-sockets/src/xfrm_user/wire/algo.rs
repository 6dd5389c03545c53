//! The variable-length structures: `xfrm_algo`, `xfrm_algo_auth`,
//! `xfrm_algo_aead` (key bytes follow the header), `xfrm_replay_state_esn`
//! (bitmap words follow) and `xfrm_user_sec_ctx` (context string follows).

use super::{Codec, Name64, U8, U16, U32, WireError, WireResult, write_bytes, zero_bytes};

/// Bytes of a key of `key_len_bits` bits: `(alg_key_len + 7) / 8`.
///
/// Computed in 32 bits like the kernel's `unsigned int`, so lengths near
/// `u32::MAX` wrap to a tiny key exactly as they do there.
pub const fn alg_key_bytes(key_len_bits: u32) -> usize {
    (key_len_bits.wrapping_add(7) / 8) as usize
}

/// `xfrm_alg_len`: `sizeof(struct xfrm_algo)` plus the key bytes.
pub const fn xfrm_alg_len(key_len_bits: u32) -> usize {
    XfrmAlgo::HEADER_LEN + alg_key_bytes(key_len_bits)
}

/// `xfrm_alg_auth_len`: `sizeof(struct xfrm_algo_auth)` plus the key.
pub const fn xfrm_alg_auth_len(key_len_bits: u32) -> usize {
    XfrmAlgoAuth::HEADER_LEN + alg_key_bytes(key_len_bits)
}

/// `aead_len`: `sizeof(struct xfrm_algo_aead)` plus the key.
pub const fn aead_len(key_len_bits: u32) -> usize {
    XfrmAlgoAead::HEADER_LEN + alg_key_bytes(key_len_bits)
}

/// The algorithm name up to its first NUL (the kernel forces `alg_name[63]`
/// to NUL before using it).
pub fn alg_name_str(name: &[u8; 64]) -> &[u8] {
    let end = name.iter().take(63).position(|&b| b == 0).unwrap_or(63);
    name.get(..end).unwrap_or_default()
}

/// An `alg_name` field holding `name` (truncated to 63 bytes, NUL padded).
pub fn alg_name_from(name: &str) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (d, s) in out.iter_mut().zip(name.as_bytes().iter().take(63)) {
        *d = *s;
    }
    out
}

macro_rules! algo_struct {
    (
        $(#[$rm:meta])* repr $repr:ident; $(#[$pm:meta])* packet $packet:ident;
        header $hlen:literal; $( $(#[$xm:meta])* extra $extra:ident / $set_extra:ident @ 68; )?
    ) => {
        $(#[$rm])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $repr {
            /// `char alg_name[64]`, byte for byte.
            pub alg_name: [u8; 64],
            /// Key length in bits.
            pub alg_key_len: u32,
            $( $(#[$xm])* pub $extra: u32, )?
            /// The key bytes (`(alg_key_len + 7) / 8` of them when parsed).
            pub alg_key: Vec<u8>,
        }

        $(#[$pm])*
        #[derive(Debug, Clone)]
        pub struct $packet<T: AsRef<[u8]>> {
            buffer: T,
        }

        impl<T: AsRef<[u8]>> $packet<T> {
            /// Wraps a buffer without checking it.
            pub const fn new_unchecked(buffer: T) -> Self {
                Self { buffer }
            }

            /// Wraps a buffer that holds at least the fixed header (the
            /// `nla_policy` minimum); use [`Self::check_key_len`] for the key.
            pub fn new_checked(buffer: T) -> WireResult<Self> {
                let p = Self::new_unchecked(buffer);
                if p.buffer.as_ref().len() < $hlen {
                    return Err(WireError::Truncated);
                }
                Ok(p)
            }

            /// `Err(Truncated)` unless the buffer holds the whole key.
            pub fn check_key_len(&self) -> WireResult<()> {
                if self.buffer.as_ref().len() < self.total_len() {
                    Err(WireError::Truncated)
                } else {
                    Ok(())
                }
            }

            /// Header plus key bytes, as the key length declares them.
            pub fn total_len(&self) -> usize {
                $hlen + alg_key_bytes(self.alg_key_len())
            }

            /// The wrapped buffer.
            pub fn into_inner(self) -> T {
                self.buffer
            }

            /// `alg_name`.
            pub fn alg_name(&self) -> [u8; 64] {
                Name64::get(self.buffer.as_ref(), 0)
            }

            /// `alg_key_len` (bits).
            pub fn alg_key_len(&self) -> u32 {
                U32::get(self.buffer.as_ref(), 64)
            }

            $(
                $(#[$xm])*
                pub fn $extra(&self) -> u32 {
                    U32::get(self.buffer.as_ref(), 68)
                }
            )?

            /// The key bytes present in the buffer (at most the declared
            /// length).
            pub fn alg_key(&self) -> &[u8] {
                let b = self.buffer.as_ref();
                let end = self.total_len().min(b.len());
                b.get($hlen..end).unwrap_or_default()
            }
        }

        impl<T: AsRef<[u8]> + AsMut<[u8]>> $packet<T> {
            /// Sets `alg_name`.
            pub fn set_alg_name(&mut self, v: [u8; 64]) {
                Name64::put(&v, self.buffer.as_mut(), 0)
            }

            /// Sets `alg_key_len` (bits).
            pub fn set_alg_key_len(&mut self, v: u32) {
                U32::put(&v, self.buffer.as_mut(), 64)
            }

            $(
                $(#[$xm])*
                pub fn $set_extra(&mut self, v: u32) {
                    U32::put(&v, self.buffer.as_mut(), 68)
                }
            )?
        }

        impl $repr {
            /// `sizeof` of the fixed part.
            pub const HEADER_LEN: usize = $hlen;

            /// Reads the header and the declared key bytes.
            pub fn parse<T: AsRef<[u8]>>(packet: &$packet<T>) -> WireResult<Self> {
                if packet.buffer.as_ref().len() < $hlen {
                    return Err(WireError::Truncated);
                }
                packet.check_key_len()?;
                Ok(Self {
                    alg_name: packet.alg_name(),
                    alg_key_len: packet.alg_key_len(),
                    $( $extra: packet.$extra(), )?
                    alg_key: packet.alg_key().to_vec(),
                })
            }

            /// Parses from raw bytes (an attribute payload).
            pub fn from_bytes(buf: &[u8]) -> WireResult<Self> {
                Self::parse(&$packet::new_checked(buf)?)
            }

            /// Header plus the key bytes held.
            pub fn buffer_len(&self) -> usize {
                $hlen + self.alg_key.len()
            }

            /// Writes header and key.
            pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut $packet<T>) {
                let buf = packet.buffer.as_mut();
                zero_bytes(buf, 0, $hlen);
                Name64::put(&self.alg_name, buf, 0);
                U32::put(&self.alg_key_len, buf, 64);
                $( U32::put(&self.$extra, buf, 68); )?
                write_bytes(buf, $hlen, &self.alg_key);
            }

            /// The encoded bytes.
            pub fn to_bytes(&self) -> Vec<u8> {
                let mut v = vec![0u8; self.buffer_len()];
                self.emit(&mut $packet::new_unchecked(&mut v[..]));
                v
            }
        }
    };
}

algo_struct! {
    /// `struct xfrm_algo` (68 bytes + key): `XFRMA_ALG_AUTH`, `_CRYPT`, `_COMP`.
    repr XfrmAlgo;
    /// Checked view of a `struct xfrm_algo`.
    packet XfrmAlgoPacket;
    header 68;
}

algo_struct! {
    /// `struct xfrm_algo_auth` (72 bytes + key): `XFRMA_ALG_AUTH_TRUNC`.
    repr XfrmAlgoAuth;
    /// Checked view of a `struct xfrm_algo_auth`.
    packet XfrmAlgoAuthPacket;
    header 72;
    /// ICV truncation length in bits.
    extra alg_trunc_len / set_alg_trunc_len @ 68;
}

algo_struct! {
    /// `struct xfrm_algo_aead` (72 bytes + key): `XFRMA_ALG_AEAD`.
    repr XfrmAlgoAead;
    /// Checked view of a `struct xfrm_algo_aead`.
    packet XfrmAlgoAeadPacket;
    header 72;
    /// ICV length in bits.
    extra alg_icv_len / set_alg_icv_len @ 68;
}

/// `xfrm_replay_state_esn_len`: header plus `bmp_len` bitmap words.
pub const fn xfrm_replay_state_esn_len(bmp_len: u32) -> usize {
    XfrmReplayStateEsn::HEADER_LEN + 4 * bmp_len as usize
}

/// `struct xfrm_replay_state_esn` (24 bytes + `bmp_len` 32-bit words):
/// `XFRMA_REPLAY_ESN_VAL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct XfrmReplayStateEsn {
    /// Bitmap length in 32-bit words.
    pub bmp_len: u32,
    /// Outbound sequence number (low 32 bits).
    pub oseq: u32,
    /// Inbound sequence number (low 32 bits).
    pub seq: u32,
    /// Outbound sequence number (high 32 bits).
    pub oseq_hi: u32,
    /// Inbound sequence number (high 32 bits).
    pub seq_hi: u32,
    /// Replay window in packets.
    pub replay_window: u32,
    /// The bitmap words.
    pub bmp: Vec<u32>,
}

/// Checked view of a `struct xfrm_replay_state_esn`.
#[derive(Debug, Clone)]
pub struct XfrmReplayStateEsnPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> XfrmReplayStateEsnPacket<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer holding at least the 24-byte header.
    pub fn new_checked(buffer: T) -> WireResult<Self> {
        let p = Self::new_unchecked(buffer);
        if p.buffer.as_ref().len() < XfrmReplayStateEsn::HEADER_LEN {
            return Err(WireError::Truncated);
        }
        Ok(p)
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// `bmp_len` (words).
    pub fn bmp_len(&self) -> u32 {
        U32::get(self.buffer.as_ref(), 0)
    }
    /// `oseq`.
    pub fn oseq(&self) -> u32 {
        U32::get(self.buffer.as_ref(), 4)
    }
    /// `seq`.
    pub fn seq(&self) -> u32 {
        U32::get(self.buffer.as_ref(), 8)
    }
    /// `oseq_hi`.
    pub fn oseq_hi(&self) -> u32 {
        U32::get(self.buffer.as_ref(), 12)
    }
    /// `seq_hi`.
    pub fn seq_hi(&self) -> u32 {
        U32::get(self.buffer.as_ref(), 16)
    }
    /// `replay_window`.
    pub fn replay_window(&self) -> u32 {
        U32::get(self.buffer.as_ref(), 20)
    }
    /// The full length `bmp_len` declares.
    pub fn total_len(&self) -> usize {
        xfrm_replay_state_esn_len(self.bmp_len())
    }
}

impl XfrmReplayStateEsn {
    /// `sizeof(struct xfrm_replay_state_esn)`.
    pub const HEADER_LEN: usize = 24;

    /// Reads the header and all `bmp_len` words (`Truncated` if the buffer
    /// does not hold them).
    pub fn parse<T: AsRef<[u8]>>(packet: &XfrmReplayStateEsnPacket<T>) -> WireResult<Self> {
        let buf = packet.buffer.as_ref();
        if buf.len() < Self::HEADER_LEN || buf.len() < packet.total_len() {
            return Err(WireError::Truncated);
        }
        let bmp = (0..packet.bmp_len() as usize)
            .map(|i| U32::get(buf, Self::HEADER_LEN + 4 * i))
            .collect();
        Ok(Self {
            bmp_len: packet.bmp_len(),
            oseq: packet.oseq(),
            seq: packet.seq(),
            oseq_hi: packet.oseq_hi(),
            seq_hi: packet.seq_hi(),
            replay_window: packet.replay_window(),
            bmp,
        })
    }

    /// Parses from raw bytes.
    pub fn from_bytes(buf: &[u8]) -> WireResult<Self> {
        Self::parse(&XfrmReplayStateEsnPacket::new_checked(buf)?)
    }

    /// Header plus the bitmap words held.
    pub fn buffer_len(&self) -> usize {
        Self::HEADER_LEN + 4 * self.bmp.len()
    }

    /// Writes header and bitmap.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut XfrmReplayStateEsnPacket<T>) {
        let buf = packet.buffer.as_mut();
        for (i, v) in
            [self.bmp_len, self.oseq, self.seq, self.oseq_hi, self.seq_hi, self.replay_window]
                .iter()
                .enumerate()
        {
            U32::put(v, buf, 4 * i);
        }
        for (i, w) in self.bmp.iter().enumerate() {
            U32::put(w, buf, Self::HEADER_LEN + 4 * i);
        }
    }

    /// The encoded bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = vec![0u8; self.buffer_len()];
        self.emit(&mut XfrmReplayStateEsnPacket::new_unchecked(&mut v[..]));
        v
    }
}

/// `struct xfrm_user_sec_ctx` (8 bytes + context): `XFRMA_SEC_CTX`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct XfrmUserSecCtx {
    /// Total length (header + context) as the sender declared it.
    pub len: u16,
    /// Extension type (`XFRMA_SEC_CTX` when the kernel emits it).
    pub exttype: u16,
    /// LSM algorithm (`XFRM_SC_ALG_*`).
    pub ctx_alg: u8,
    /// Domain of interpretation (`XFRM_SC_DOI_*`).
    pub ctx_doi: u8,
    /// Context string length.
    pub ctx_len: u16,
    /// Context string (`ctx_len` bytes when parsed).
    pub ctx: Vec<u8>,
}

/// Checked view of a `struct xfrm_user_sec_ctx`.
#[derive(Debug, Clone)]
pub struct XfrmUserSecCtxPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> XfrmUserSecCtxPacket<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer holding at least the 8-byte header.
    pub fn new_checked(buffer: T) -> WireResult<Self> {
        let p = Self::new_unchecked(buffer);
        if p.buffer.as_ref().len() < XfrmUserSecCtx::HEADER_LEN {
            return Err(WireError::Truncated);
        }
        Ok(p)
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// `len`.
    pub fn len(&self) -> u16 {
        U16::get(self.buffer.as_ref(), 0)
    }
    /// `exttype`.
    pub fn exttype(&self) -> u16 {
        U16::get(self.buffer.as_ref(), 2)
    }
    /// `ctx_alg`.
    pub fn ctx_alg(&self) -> u8 {
        U8::get(self.buffer.as_ref(), 4)
    }
    /// `ctx_doi`.
    pub fn ctx_doi(&self) -> u8 {
        U8::get(self.buffer.as_ref(), 5)
    }
    /// `ctx_len`.
    pub fn ctx_len(&self) -> u16 {
        U16::get(self.buffer.as_ref(), 6)
    }
    /// True if `len` is 0 (kept for clippy's `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl XfrmUserSecCtx {
    /// `sizeof(struct xfrm_user_sec_ctx)`.
    pub const HEADER_LEN: usize = 8;

    /// Reads the header and `ctx_len` context bytes.
    pub fn parse<T: AsRef<[u8]>>(packet: &XfrmUserSecCtxPacket<T>) -> WireResult<Self> {
        let buf = packet.buffer.as_ref();
        let end = Self::HEADER_LEN + packet.ctx_len() as usize;
        let ctx = buf.get(Self::HEADER_LEN..end).ok_or(WireError::Truncated)?.to_vec();
        Ok(Self {
            len: packet.len(),
            exttype: packet.exttype(),
            ctx_alg: packet.ctx_alg(),
            ctx_doi: packet.ctx_doi(),
            ctx_len: packet.ctx_len(),
            ctx,
        })
    }

    /// Parses from raw bytes.
    pub fn from_bytes(buf: &[u8]) -> WireResult<Self> {
        Self::parse(&XfrmUserSecCtxPacket::new_checked(buf)?)
    }

    /// Header plus the context bytes held.
    pub fn buffer_len(&self) -> usize {
        Self::HEADER_LEN + self.ctx.len()
    }

    /// Writes header and context.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut XfrmUserSecCtxPacket<T>) {
        let buf = packet.buffer.as_mut();
        U16::put(&self.len, buf, 0);
        U16::put(&self.exttype, buf, 2);
        U8::put(&self.ctx_alg, buf, 4);
        U8::put(&self.ctx_doi, buf, 5);
        U16::put(&self.ctx_len, buf, 6);
        write_bytes(buf, Self::HEADER_LEN, &self.ctx);
    }

    /// The encoded bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = vec![0u8; self.buffer_len()];
        self.emit(&mut XfrmUserSecCtxPacket::new_unchecked(&mut v[..]));
        v
    }
}
