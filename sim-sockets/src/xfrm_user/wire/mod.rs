//! The fixed structures of `include/uapi/linux/xfrm.h` as they travel in
//! NETLINK_XFRM messages, laid out as on x86-64 Linux.
//!
//! Every structure has a checked view (`...Packet<T: AsRef<[u8]>>`, built
//! with `new_checked`, whose accessors cannot panic) and an owned
//! representation with `parse`, `buffer_len` and `emit`. Netlink is
//! host-endian (little-endian here); the fields the header declares
//! `__be16`/`__be32` (ports, SPIs) are network order on the wire and are
//! held in host numeric form by the representations. `emit` writes every
//! padding byte as zero, which is what the kernel leaves in its replies.

#[macro_use]
mod macros;

mod algo;
mod info;
mod policy;
mod sa;
mod selector;
mod tmpl;

pub use algo::*;
pub use info::*;
pub use policy::*;
pub use sa::*;
pub use selector::*;
pub use tmpl::*;

#[cfg(test)]
mod tests;

use core::fmt;

/// Why a buffer could not be parsed as a wire structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// The buffer is shorter than the structure (or its declared tail).
    Truncated,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated => f.write_str("buffer too short for the structure"),
        }
    }
}

/// Result of a wire parse.
pub type WireResult<T> = Result<T, WireError>;

/// Reads `N` bytes at `off`; bytes beyond the buffer read as zero. Views
/// only call it after `new_checked` proved the range is inside the buffer,
/// so the zero fill never shows; it just keeps the accessors panic-free.
pub(crate) fn read_array<const N: usize>(buf: &[u8], off: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = off.checked_add(N).and_then(|end| buf.get(off..end)) {
        out.copy_from_slice(src);
    }
    out
}

/// Writes `bytes` at `off` if the buffer holds them (emitters size their
/// buffers with `buffer_len` first).
pub(crate) fn write_bytes(buf: &mut [u8], off: usize, bytes: &[u8]) {
    debug_assert!(off + bytes.len() <= buf.len(), "emit buffer too short");
    if let Some(dst) = off.checked_add(bytes.len()).and_then(|end| buf.get_mut(off..end)) {
        dst.copy_from_slice(bytes);
    }
}

/// Writes the part of `bytes` that fits at `off`.
pub(crate) fn write_bytes_truncated(buf: &mut [u8], off: usize, bytes: &[u8]) {
    if let Some(dst) = buf.get_mut(off..) {
        let n = dst.len().min(bytes.len());
        dst[..n].copy_from_slice(&bytes[..n]);
    }
}

/// Zeroes `len` bytes at `off` (padding).
pub(crate) fn zero_bytes(buf: &mut [u8], off: usize, len: usize) {
    if let Some(dst) = off.checked_add(len).and_then(|end| buf.get_mut(off..end)) {
        dst.fill(0);
    }
}

/// How one field is stored on the wire: its length and its conversion
/// from and to bytes.
pub trait Codec {
    /// The field's value in a representation.
    type Value;
    /// Bytes the field takes.
    const LEN: usize;
    /// Decodes the field at `off` (caller guarantees the range).
    fn get(buf: &[u8], off: usize) -> Self::Value;
    /// Encodes the field at `off`.
    fn put(value: &Self::Value, buf: &mut [u8], off: usize);
}

macro_rules! int_codec {
    ($(#[$m:meta])* $name:ident, $ty:ty, $n:literal, $from:ident, $to:ident) => {
        $(#[$m])*
        #[derive(Debug)]
        pub enum $name {}
        impl Codec for $name {
            type Value = $ty;
            const LEN: usize = $n;
            fn get(buf: &[u8], off: usize) -> $ty {
                <$ty>::$from(read_array::<$n>(buf, off))
            }
            fn put(value: &$ty, buf: &mut [u8], off: usize) {
                write_bytes(buf, off, &value.$to());
            }
        }
    };
}

int_codec!(
    /// `__u8`.
    U8, u8, 1, from_le_bytes, to_le_bytes
);
int_codec!(
    /// Host-order `__u16` (little-endian on x86-64).
    U16, u16, 2, from_le_bytes, to_le_bytes
);
int_codec!(
    /// Host-order `__u32`.
    U32, u32, 4, from_le_bytes, to_le_bytes
);
int_codec!(
    /// Host-order `__u64`.
    U64, u64, 8, from_le_bytes, to_le_bytes
);
int_codec!(
    /// Host-order `int`.
    I32, i32, 4, from_le_bytes, to_le_bytes
);
int_codec!(
    /// `__be16`: network order on the wire, host numeric value in a repr.
    Be16, u16, 2, from_be_bytes, to_be_bytes
);
int_codec!(
    /// `__be32`: network order on the wire, host numeric value in a repr.
    Be32, u32, 4, from_be_bytes, to_be_bytes
);

/// `xfrm_address_t`: a 16-byte union (IPv4 in the first four bytes).
#[derive(Debug)]
pub enum Addr {}

impl Codec for Addr {
    type Value = [u8; 16];
    const LEN: usize = 16;
    fn get(buf: &[u8], off: usize) -> [u8; 16] {
        read_array::<16>(buf, off)
    }
    fn put(value: &[u8; 16], buf: &mut [u8], off: usize) {
        write_bytes(buf, off, value);
    }
}

/// `char alg_name[64]`, kept byte for byte.
#[derive(Debug)]
pub enum Name64 {}

impl Codec for Name64 {
    type Value = [u8; 64];
    const LEN: usize = 64;
    fn get(buf: &[u8], off: usize) -> [u8; 64] {
        read_array::<64>(buf, off)
    }
    fn put(value: &[u8; 64], buf: &mut [u8], off: usize) {
        write_bytes(buf, off, value);
    }
}

/// A fixed structure embedded in another one.
#[derive(Debug)]
pub struct Nested<R>(core::marker::PhantomData<R>);

impl<R: FixedRepr> Codec for Nested<R> {
    type Value = R;
    const LEN: usize = R::SIZE;
    fn get(buf: &[u8], off: usize) -> R {
        R::read_at(buf, off)
    }
    fn put(value: &R, buf: &mut [u8], off: usize) {
        value.write_at(buf, off);
    }
}

/// A structure with a fixed size (its `sizeof` on x86-64), readable and
/// writable at an offset of a larger buffer.
pub trait FixedRepr: Sized {
    /// `sizeof` of the C structure on x86-64, padding included.
    const SIZE: usize;
    /// Decodes the structure at `off` (bytes past the buffer read as zero;
    /// callers check the length first).
    fn read_at(buf: &[u8], off: usize) -> Self;
    /// Encodes the structure at `off`, padding bytes as zero.
    fn write_at(&self, buf: &mut [u8], off: usize);

    /// Parses the structure from the start of `buf`, which must hold
    /// [`FixedRepr::SIZE`] bytes (longer buffers are fine: the kernel's
    /// minimum-length rule).
    fn from_bytes(buf: &[u8]) -> WireResult<Self> {
        if buf.len() < Self::SIZE {
            return Err(WireError::Truncated);
        }
        Ok(Self::read_at(buf, 0))
    }

    /// The structure's bytes.
    fn to_bytes(&self) -> Vec<u8> {
        let mut v = vec![0u8; Self::SIZE];
        self.write_at(&mut v, 0);
        v
    }
}

/// `NLA_ALIGN`/`NLMSG_ALIGN`: rounds up to 4.
pub const fn align4(len: usize) -> usize {
    (len + 3) & !3
}
