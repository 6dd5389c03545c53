//! Declarative generators for the fixed-layout PF_KEY structures: a checked
//! view (`new_checked`, one getter and setter per field) and, where the
//! whole structure is fixed, an owned representation (`parse`,
//! `buffer_len`, `emit`).

macro_rules! wire_ty {
    (u8) => {
        u8
    };
    (u16) => {
        u16
    };
    (u32) => {
        u32
    };
    (u64) => {
        u64
    };
    (be16) => {
        u16
    };
    (be32) => {
        u32
    };
    (bytes16) => {
        [u8; 16]
    };
}

macro_rules! wire_get {
    (u8, $b:expr, $o:expr) => {
        $crate::af_key::wire::field::get_u8($b, $o)
    };
    (u16, $b:expr, $o:expr) => {
        $crate::af_key::wire::field::get_u16($b, $o)
    };
    (u32, $b:expr, $o:expr) => {
        $crate::af_key::wire::field::get_u32($b, $o)
    };
    (u64, $b:expr, $o:expr) => {
        $crate::af_key::wire::field::get_u64($b, $o)
    };
    (be16, $b:expr, $o:expr) => {
        $crate::af_key::wire::field::get_be16($b, $o)
    };
    (be32, $b:expr, $o:expr) => {
        $crate::af_key::wire::field::get_be32($b, $o)
    };
    (bytes16, $b:expr, $o:expr) => {
        $crate::af_key::wire::field::get_bytes16($b, $o)
    };
}

macro_rules! wire_set {
    (u8, $b:expr, $o:expr, $v:expr) => {
        $crate::af_key::wire::field::set_u8($b, $o, $v)
    };
    (u16, $b:expr, $o:expr, $v:expr) => {
        $crate::af_key::wire::field::set_u16($b, $o, $v)
    };
    (u32, $b:expr, $o:expr, $v:expr) => {
        $crate::af_key::wire::field::set_u32($b, $o, $v)
    };
    (u64, $b:expr, $o:expr, $v:expr) => {
        $crate::af_key::wire::field::set_u64($b, $o, $v)
    };
    (be16, $b:expr, $o:expr, $v:expr) => {
        $crate::af_key::wire::field::set_be16($b, $o, $v)
    };
    (be32, $b:expr, $o:expr, $v:expr) => {
        $crate::af_key::wire::field::set_be32($b, $o, $v)
    };
    (bytes16, $b:expr, $o:expr, $v:expr) => {
        $crate::af_key::wire::field::set_bytes16($b, $o, $v)
    };
}

/// A checked view over a fixed-size structure (or the fixed head of a
/// variable one).
macro_rules! sadb_view {
    (
        $(#[$vmeta:meta])*
        view $View:ident, size $size:expr;
        $( $(#[$fmeta:meta])* $field:ident, $set:ident : $ty:tt @ $off:expr; )*
    ) => {
        $(#[$vmeta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $View<T: AsRef<[u8]>> {
            buffer: T,
        }

        // `len` is the wire field (8-byte units), not a collection length.
        #[allow(clippy::len_without_is_empty)]
        impl<T: AsRef<[u8]>> $View<T> {
            /// Size of the fixed structure in bytes.
            pub const SIZE: usize = $size;

            /// Wraps a buffer without checking its length (short buffers
            /// read as zeros).
            pub const fn new_unchecked(buffer: T) -> Self {
                Self { buffer }
            }

            /// Wraps a buffer that holds at least the fixed structure;
            /// `EINVAL` if it is shorter.
            pub fn new_checked(buffer: T) -> sim_core::KResult<Self> {
                if buffer.as_ref().len() < $size {
                    return Err(sim_core::Errno::EINVAL);
                }
                Ok(Self { buffer })
            }

            /// The wrapped buffer.
            pub fn into_inner(self) -> T {
                self.buffer
            }

            /// The bytes after the fixed structure.
            pub fn payload(&self) -> &[u8] {
                self.buffer.as_ref().get($size..).unwrap_or(&[])
            }

            $(
                $(#[$fmeta])*
                pub fn $field(&self) -> wire_ty!($ty) {
                    wire_get!($ty, self.buffer.as_ref(), $off)
                }
            )*
        }

        impl<T: AsRef<[u8]> + AsMut<[u8]>> $View<T> {
            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                pub fn $set(&mut self, value: wire_ty!($ty)) {
                    wire_set!($ty, self.buffer.as_mut(), $off, value)
                }
            )*

            /// The bytes after the fixed structure, writable.
            pub fn payload_mut(&mut self) -> &mut [u8] {
                self.buffer.as_mut().get_mut($size..).unwrap_or(&mut [])
            }
        }
    };
}

/// A view plus an owned representation of a fully fixed structure.
/// `ext` is `none` (not an extension), `fixed(TYPE)` (an extension of one
/// type: the representation leaves out length and type) or `var` (several
/// extension types share the layout: `exttype` is a representation field).
macro_rules! sadb_fixed {
    (
        $(#[$vmeta:meta])*
        view $View:ident, size $size:expr;
        $(#[$rmeta:meta])*
        repr $Repr:ident, ext $ext:ident $(($exttype:expr))?;
        $( $(#[$fmeta:meta])* $field:ident, $set:ident : $ty:tt @ $off:expr; )*
    ) => {
        sadb_view! {
            $(#[$vmeta])*
            view $View, size $size;
            $( $(#[$fmeta])* $field, $set : $ty @ $off; )*
        }

        $(#[$rmeta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $Repr {
            $( $(#[$fmeta])* pub $field: wire_ty!($ty), )*
        }

        impl $Repr {
            /// Reads the structure from a checked view.
            pub fn parse<T: AsRef<[u8]>>(view: &$View<T>) -> sim_core::KResult<Self> {
                sadb_fixed!(@check $ext $(($exttype))?, view);
                Ok(Self { $( $field: view.$field(), )* })
            }

            /// Bytes `emit` writes.
            pub const fn buffer_len(&self) -> usize {
                $size
            }

            /// Writes the structure (unlisted bytes zero) into a view over
            /// at least `buffer_len()` bytes.
            pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, view: &mut $View<T>) {
                $crate::af_key::wire::field::zero(view.buffer.as_mut(), 0, $size);
                sadb_fixed!(@emit_hdr $ext $(($exttype))?, view, $size);
                $( view.$set(self.$field); )*
            }
        }
    };
    (@check none, $view:ident) => {};
    (@check var, $view:ident) => {};
    (@check fixed($exttype:expr), $view:ident) => {
        if $crate::af_key::wire::field::get_u16($view.buffer.as_ref(), 2) != $exttype {
            return Err(sim_core::Errno::EINVAL);
        }
    };
    (@emit_hdr none, $view:ident, $size:expr) => {};
    (@emit_hdr var, $view:ident, $size:expr) => {
        $crate::af_key::wire::field::set_u16($view.buffer.as_mut(), 0, ($size / 8) as u16);
    };
    (@emit_hdr fixed($exttype:expr), $view:ident, $size:expr) => {
        $crate::af_key::wire::field::set_u16($view.buffer.as_mut(), 0, ($size / 8) as u16);
        $crate::af_key::wire::field::set_u16($view.buffer.as_mut(), 2, $exttype);
    };
}
