//! XFRM statistics (`net->mib.xfrm_statistics`, the `LINUX_MIB_XFRM*`
//! counters of include/uapi/linux/snmp.h) and their `/proc/net/xfrm_stat`
//! rendering (`xfrm_statistics_seq_show` in net/xfrm/xfrm_proc.c).

use core::fmt::Write as _;

use sim_core::sync::atomic::{AtomicU64, Ordering};

/// Declares the counters once: the enum, `ALL` in `/proc` order and each
/// counter's `SNMP_MIB_ITEM` name (`Xfrm` + the variant).
macro_rules! xfrm_mib {
    ($($v:ident),* $(,)?) => {
        /// The `LINUX_MIB_XFRM*` counters, in `/proc/net/xfrm_stat` order
        /// (Linux 6.10's `xfrm_mib_list`).
        #[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
        #[repr(usize)]
        pub enum LinuxMibXfrm { $($v,)* }

        impl LinuxMibXfrm {
            /// Every counter in `/proc` order.
            pub const ALL: [LinuxMibXfrm; LINUX_MIB_XFRMMAX] = [$(LinuxMibXfrm::$v,)*];

            /// The `SNMP_MIB_ITEM` name shown in `/proc/net/xfrm_stat`.
            pub const fn name(self) -> &'static str {
                match self { $(LinuxMibXfrm::$v => concat!("Xfrm", stringify!($v)),)* }
            }
        }
    };
}

xfrm_mib! {
    InError,
    InBufferError,
    InHdrError,
    InNoStates,
    InStateProtoError,
    InStateModeError,
    InStateSeqError,
    InStateExpired,
    InStateMismatch,
    InStateInvalid,
    InTmplMismatch,
    InNoPols,
    InPolBlock,
    InPolError,
    OutError,
    OutBundleGenError,
    OutBundleCheckError,
    OutNoStates,
    OutStateProtoError,
    OutStateModeError,
    OutStateSeqError,
    OutStateExpired,
    OutPolBlock,
    OutPolDead,
    OutPolError,
    FwdHdrError,
    OutStateInvalid,
    AcquireError,
    OutStateDirError,
    InStateDirError,
}

/// Number of counters.
pub const LINUX_MIB_XFRMMAX: usize = 30;

/// `net->mib.xfrm_statistics` of one namespace (the kernel's per-CPU
/// counters folded into one atomic each).
#[derive(Debug)]
pub struct XfrmMib {
    counters: [AtomicU64; LINUX_MIB_XFRMMAX],
}

impl Default for XfrmMib {
    fn default() -> Self {
        Self::new()
    }
}

impl XfrmMib {
    /// All zero (`xfrm_statistics_init`).
    pub fn new() -> Self {
        XfrmMib { counters: core::array::from_fn(|_| AtomicU64::new(0)) }
    }

    /// `XFRM_INC_STATS(net, field)`.
    pub fn inc(&self, field: LinuxMibXfrm) {
        if let Some(c) = self.counters.get(field as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `snmp_fold_field`: the counter's value.
    pub fn get(&self, field: LinuxMibXfrm) -> u64 {
        self.counters.get(field as usize).map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// `xfrm_statistics_seq_show`: one `"%-24s\t%lu\n"` line per counter.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(LINUX_MIB_XFRMMAX * 34);
        for f in LinuxMibXfrm::ALL {
            let _ = writeln!(s, "{:<24}\t{}", f.name(), self.get(f));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matches_discriminants() {
        for (i, f) in LinuxMibXfrm::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
    }

    #[test]
    fn render_is_proc_format() {
        let m = XfrmMib::new();
        m.inc(LinuxMibXfrm::OutNoStates);
        m.inc(LinuxMibXfrm::OutNoStates);
        m.inc(LinuxMibXfrm::AcquireError);
        let text = m.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), LINUX_MIB_XFRMMAX);
        assert_eq!(lines[0], "XfrmInError             \t0");
        assert_eq!(lines[17], "XfrmOutNoStates         \t2");
        assert_eq!(lines[27], "XfrmAcquireError        \t1");
        // Names longer than the field width are not truncated.
        assert_eq!(lines[16], "XfrmOutBundleCheckError \t0");
        assert!(text.ends_with('\n'));
    }
}
