//! Linux errno values (`include/uapi/asm-generic/errno-base.h`, `errno.h`,
//! and the kernel-internal `ERESTARTSYS` family of `include/linux/errno.h`).

use core::fmt;

macro_rules! errnos {
    ($( $(#[$m:meta])* $name:ident = $num:literal, $text:literal; )*) => {
        /// A Linux error number. The discriminant is the positive value the
        /// kernel returns negated.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(i32)]
        #[allow(clippy::upper_case_acronyms)]
        pub enum Errno {
            $( $(#[$m])* $name = $num, )*
        }

        impl Errno {
            /// Every errno this type knows, in numeric order.
            pub const ALL: &'static [Errno] = &[$(Errno::$name,)*];

            /// The symbolic name (`"EINVAL"`).
            pub const fn name(self) -> &'static str {
                match self { $( Errno::$name => stringify!($name), )* }
            }

            /// glibc's `strerror` text (or the kernel's comment for the
            /// kernel-internal codes).
            pub const fn description(self) -> &'static str {
                match self { $( Errno::$name => $text, )* }
            }

            /// The errno with this positive number, if known.
            pub const fn from_raw(n: i32) -> Option<Errno> {
                match n { $( $num => Some(Errno::$name), )* _ => None }
            }

            /// The errno with this symbolic name, if known.
            pub fn from_name(s: &str) -> Option<Errno> {
                match s { $( stringify!($name) => Some(Errno::$name), )* _ => None }
            }
        }
    };
}

errnos! {
    EPERM = 1, "Operation not permitted";
    ENOENT = 2, "No such file or directory";
    ESRCH = 3, "No such process";
    EINTR = 4, "Interrupted system call";
    EIO = 5, "Input/output error";
    ENXIO = 6, "No such device or address";
    E2BIG = 7, "Argument list too long";
    EBADF = 9, "Bad file descriptor";
    EAGAIN = 11, "Resource temporarily unavailable";
    ENOMEM = 12, "Cannot allocate memory";
    EACCES = 13, "Permission denied";
    EFAULT = 14, "Bad address";
    EBUSY = 16, "Device or resource busy";
    EEXIST = 17, "File exists";
    ENODEV = 19, "No such device";
    ENOTDIR = 20, "Not a directory";
    EINVAL = 22, "Invalid argument";
    ENFILE = 23, "Too many open files in system";
    EMFILE = 24, "Too many open files";
    ENOSPC = 28, "No space left on device";
    ESPIPE = 29, "Illegal seek";
    EPIPE = 32, "Broken pipe";
    ERANGE = 34, "Numerical result out of range";
    ENOSYS = 38, "Function not implemented";
    ENOTEMPTY = 39, "Directory not empty";
    ELOOP = 40, "Too many levels of symbolic links";
    ENOMSG = 42, "No message of desired type";
    ENODATA = 61, "No data available";
    ETIME = 62, "Timer expired";
    EPROTO = 71, "Protocol error";
    EBADMSG = 74, "Bad message";
    EOVERFLOW = 75, "Value too large for defined data type";
    /// `ERESTART`: what the old blocking `xfrm_lookup` returned on a signal.
    ERESTART = 85, "Interrupted system call should be restarted";
    ENOTSOCK = 88, "Socket operation on non-socket";
    EDESTADDRREQ = 89, "Destination address required";
    EMSGSIZE = 90, "Message too long";
    EPROTOTYPE = 91, "Protocol wrong type for socket";
    ENOPROTOOPT = 92, "Protocol not available";
    EPROTONOSUPPORT = 93, "Protocol not supported";
    ESOCKTNOSUPPORT = 94, "Socket type not supported";
    EOPNOTSUPP = 95, "Operation not supported";
    EPFNOSUPPORT = 96, "Protocol family not supported";
    EAFNOSUPPORT = 97, "Address family not supported by protocol";
    EADDRINUSE = 98, "Address already in use";
    EADDRNOTAVAIL = 99, "Cannot assign requested address";
    ENETDOWN = 100, "Network is down";
    ENETUNREACH = 101, "Network is unreachable";
    ECONNABORTED = 103, "Software caused connection abort";
    ECONNRESET = 104, "Connection reset by peer";
    ENOBUFS = 105, "No buffer space available";
    EISCONN = 106, "Transport endpoint is already connected";
    ENOTCONN = 107, "Transport endpoint is not connected";
    ESHUTDOWN = 108, "Cannot send after transport endpoint shutdown";
    ETIMEDOUT = 110, "Connection timed out";
    ECONNREFUSED = 111, "Connection refused";
    EHOSTUNREACH = 113, "No route to host";
    EALREADY = 114, "Operation already in progress";
    EINPROGRESS = 115, "Operation now in progress";
    /// Kernel-internal: restart the system call after the signal.
    ERESTARTSYS = 512, "Restart the system call (kernel-internal)";
    /// Kernel-internal: restart unless the handler says otherwise.
    ERESTARTNOINTR = 513, "Restart the system call, never EINTR (kernel-internal)";
    /// Kernel-internal: restart if no handler.
    ERESTARTNOHAND = 514, "Restart if no signal handler (kernel-internal)";
    /// Kernel-internal: the operation is not supported (`ENOTSUPP`).
    ENOTSUPP = 524, "Operation not supported (kernel-internal)";
}

impl Errno {
    /// The positive number.
    pub const fn raw(self) -> i32 {
        self as i32
    }

    /// The value a kernel function returns for this error (`-errno`).
    pub const fn neg(self) -> i32 {
        -(self as i32)
    }

    /// `EWOULDBLOCK` is `EAGAIN` on Linux.
    pub const EWOULDBLOCK: Errno = Errno::EAGAIN;
    /// `ENOTSUP` is `EOPNOTSUPP` on Linux.
    pub const ENOTSUP: Errno = Errno::EOPNOTSUPP;
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.description())
    }
}

impl std::error::Error for Errno {}

/// What kernel functions return.
pub type KResult<T> = Result<T, Errno>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_linux_numbers() {
        assert_eq!(Errno::EPERM.raw(), 1);
        assert_eq!(Errno::ESRCH.raw(), 3);
        assert_eq!(Errno::EAGAIN.raw(), 11);
        assert_eq!(Errno::EEXIST.raw(), 17);
        assert_eq!(Errno::EINVAL.raw(), 22);
        assert_eq!(Errno::ENOSPC.raw(), 28);
        assert_eq!(Errno::ENODATA.raw(), 61);
        assert_eq!(Errno::EMSGSIZE.raw(), 90);
        assert_eq!(Errno::EPROTONOSUPPORT.raw(), 93);
        assert_eq!(Errno::ESOCKTNOSUPPORT.raw(), 94);
        assert_eq!(Errno::EOPNOTSUPP.raw(), 95);
        assert_eq!(Errno::EAFNOSUPPORT.raw(), 97);
        assert_eq!(Errno::ENOBUFS.raw(), 105);
        assert_eq!(Errno::ECONNREFUSED.raw(), 111);
        assert_eq!(Errno::ERESTARTSYS.raw(), 512);
        assert_eq!(Errno::EINVAL.neg(), -22);
    }

    #[test]
    fn round_trips_by_number_and_name() {
        for &e in Errno::ALL {
            assert_eq!(Errno::from_raw(e.raw()), Some(e));
            assert_eq!(Errno::from_name(e.name()), Some(e));
        }
        assert_eq!(Errno::from_raw(0), None);
        assert_eq!(Errno::from_raw(8), None);
        assert_eq!(Errno::from_name("EFOO"), None);
        let mut sorted = Errno::ALL.to_vec();
        sorted.sort();
        assert_eq!(sorted, Errno::ALL, "table in numeric order");
    }
}
