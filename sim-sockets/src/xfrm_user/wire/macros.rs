//! The generator of fixed-layout views and representations.

/// Checks at compile time that the fields are in offset order, do not
/// overlap and lie inside the structure.
pub(crate) const fn check_layout(fields: &[(usize, usize)], size: usize) {
    let mut end = 0;
    let mut i = 0;
    while i < fields.len() {
        let (off, len) = fields[i];
        assert!(off >= end, "fields overlap or are out of order");
        end = off + len;
        i += 1;
    }
    assert!(end <= size, "field past the end of the structure");
}

/// Declares a fixed-size C structure: an owned representation with public
/// fields, a checked view with one getter and one setter per field, and
/// the [`FixedRepr`](super::FixedRepr) glue. Offsets are the x86-64
/// `offsetof` values; bytes not covered by a field are padding and are
/// emitted as zero.
macro_rules! wire_struct {
    (
        $(#[$rm:meta])*
        repr $repr:ident;
        $(#[$pm:meta])*
        packet $packet:ident;
        size $size:expr;
        {
            $( $(#[$fm:meta])* $field:ident / $setter:ident : $codec:ty => $off:expr ),* $(,)?
        }
    ) => {
        $(#[$rm])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $repr {
            $( $(#[$fm])* pub $field: <$codec as $crate::xfrm_user::wire::Codec>::Value, )*
        }

        const _: () = $crate::xfrm_user::wire::macros::check_layout(
            &[$(($off, <$codec as $crate::xfrm_user::wire::Codec>::LEN)),*],
            $size,
        );

        $(#[$pm])*
        #[derive(Debug, Clone)]
        pub struct $packet<T: AsRef<[u8]>> {
            buffer: T,
        }

        impl<T: AsRef<[u8]>> $packet<T> {
            /// Wraps a buffer without checking its length.
            pub const fn new_unchecked(buffer: T) -> Self {
                Self { buffer }
            }

            /// Wraps a buffer that must hold the whole structure.
            pub fn new_checked(buffer: T) -> $crate::xfrm_user::wire::WireResult<Self> {
                let packet = Self::new_unchecked(buffer);
                packet.check_len()?;
                Ok(packet)
            }

            /// `Err(Truncated)` if the buffer is shorter than the structure.
            pub fn check_len(&self) -> $crate::xfrm_user::wire::WireResult<()> {
                if self.buffer.as_ref().len() < $size {
                    Err($crate::xfrm_user::wire::WireError::Truncated)
                } else {
                    Ok(())
                }
            }

            /// The wrapped buffer.
            pub fn into_inner(self) -> T {
                self.buffer
            }

            $(
                $(#[$fm])*
                pub fn $field(&self) -> <$codec as $crate::xfrm_user::wire::Codec>::Value {
                    <$codec as $crate::xfrm_user::wire::Codec>::get(self.buffer.as_ref(), $off)
                }
            )*
        }

        impl<T: AsRef<[u8]> + AsMut<[u8]>> $packet<T> {
            $(
                $(#[$fm])*
                pub fn $setter(&mut self, value: <$codec as $crate::xfrm_user::wire::Codec>::Value) {
                    <$codec as $crate::xfrm_user::wire::Codec>::put(&value, self.buffer.as_mut(), $off)
                }
            )*
        }

        impl $crate::xfrm_user::wire::FixedRepr for $repr {
            const SIZE: usize = $size;

            fn read_at(buf: &[u8], off: usize) -> Self {
                Self {
                    $( $field: <$codec as $crate::xfrm_user::wire::Codec>::get(buf, off + $off), )*
                }
            }

            fn write_at(&self, buf: &mut [u8], off: usize) {
                // Through a fixed-size window the field offsets are
                // constants the compiler checks once.  Callers size their
                // buffers; a short one (a bug, asserted in debug builds)
                // still never panics in release: it gets what fits.
                let window = off
                    .checked_add($size)
                    .and_then(|end| buf.get_mut(off..end))
                    .and_then(|w| <&mut [u8; $size]>::try_from(w).ok());
                if let Some(w) = window {
                    w.fill(0);
                    $( <$codec as $crate::xfrm_user::wire::Codec>::put(&self.$field, w, $off); )*
                    return;
                }
                debug_assert!(false, "emit buffer too short");
                let mut whole = [0u8; $size];
                self.write_at(&mut whole, 0);
                $crate::xfrm_user::wire::write_bytes_truncated(buf, off, &whole);
            }
        }

        impl $repr {
            /// `sizeof` on x86-64.
            pub const SIZE: usize = $size;

            /// Reads the structure from a checked view.
            pub fn parse<T: AsRef<[u8]>>(
                packet: &$packet<T>,
            ) -> $crate::xfrm_user::wire::WireResult<Self> {
                packet.check_len()?;
                Ok(<Self as $crate::xfrm_user::wire::FixedRepr>::read_at(packet.buffer.as_ref(), 0))
            }

            /// Bytes [`emit`](Self::emit) writes.
            pub const fn buffer_len(&self) -> usize {
                $size
            }

            /// Writes the structure (padding zeroed) into a view's buffer.
            pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut $packet<T>) {
                <Self as $crate::xfrm_user::wire::FixedRepr>::write_at(self, packet.buffer.as_mut(), 0)
            }
        }
    };
}
