//! Per-namespace sysctl tables (`register_net_sysctl_table`,
//! `net/sysctl_net.c`) with `proc_dointvec` entries.

use sim_core::lockdep::{LockClassKey, LockKind, SpinLock};
use sim_core::sync::Arc;
use sim_core::sync::atomic::{AtomicI32, Ordering};
use sim_core::{Errno, KResult};

use crate::cred::{CAP_NET_ADMIN, Cred, GLOBAL_ROOT_UID};
use crate::net::Net;

/// `sysctl_lock` (fs/proc/proc_sysctl.c): guards the registered tables.
static SYSCTL_LOCK: LockClassKey = LockClassKey::new("sysctl_lock", LockKind::Spin);

/// Runs after a successful write with the new value (a subsystem that
/// keeps a copy of the value elsewhere updates it here).
pub type SysctlPostWrite = Arc<dyn Fn(&Net, i32) + Send + Sync>;

/// `struct ctl_table` entry handled by `proc_dointvec`: one `int` that the
/// owning subsystem reads directly (`READ_ONCE`).
#[derive(Clone)]
pub struct CtlTable {
    /// Directory under `/proc/sys` (`"net/core"`).
    pub path: &'static str,
    /// `procname`.
    pub procname: &'static str,
    /// `mode` (0644 for the XFRM entries).
    pub mode: u16,
    /// `data`.
    pub data: Arc<AtomicI32>,
    /// Called after a write (`None`: plain `proc_dointvec`).
    pub post_write: Option<SysctlPostWrite>,
}

/// A handle returned by [`SysctlTable::register`], for
/// `unregister_net_sysctl_table`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysctlHeader(u64);

impl SysctlHeader {
    /// The handle as a non-zero integer (for storing in an atomic).
    pub fn raw(self) -> u64 {
        self.0
    }

    /// The handle stored with [`SysctlHeader::raw`].
    pub fn from_raw(raw: u64) -> Self {
        SysctlHeader(raw)
    }
}

/// The sysctl entries registered in one namespace.
pub struct SysctlTable {
    inner: SpinLock<Tables>,
}

struct Tables {
    next: u64,
    tables: Vec<(SysctlHeader, Vec<CtlTable>)>,
}

impl Default for SysctlTable {
    fn default() -> Self {
        Self::new()
    }
}

const MAY_WRITE: u16 = 2;
const MAY_READ: u16 = 4;

/// `/proc/sys/net/core/xfrm_acq_expires` or `net.core.xfrm_acq_expires`,
/// split into (directory, procname).
fn split_path(path: &str) -> Option<(String, &str)> {
    let path = path.trim_start_matches('/');
    let path = path.strip_prefix("proc/sys/").unwrap_or(path);
    let sep = if path.contains('/') { '/' } else { '.' };
    let (dir, name) = path.rsplit_once(sep)?;
    Some((dir.replace('.', "/"), name))
}

/// `proc_dointvec` parsing of a write: optional whitespace, an optional
/// sign, decimal digits that fit an `int`, optional trailing whitespace.
fn parse_int(text: &str) -> KResult<i32> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0');
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Errno::EINVAL);
    }
    let v: i64 = digits.parse().map_err(|_| Errno::EINVAL)?;
    let v = if neg { -v } else { v };
    i32::try_from(v).map_err(|_| Errno::EINVAL)
}

impl SysctlTable {
    /// A namespace's empty set of tables.
    pub fn new() -> Self {
        SysctlTable { inner: SpinLock::new(&SYSCTL_LOCK, Tables { next: 1, tables: Vec::new() }) }
    }

    /// `register_net_sysctl_table(net, path, table)`. An empty table is
    /// registered and shows nothing (the kernel's way of hiding a table).
    pub fn register(&self, table: Vec<CtlTable>) -> SysctlHeader {
        let mut t = self.inner.lock();
        let h = SysctlHeader(t.next);
        t.next += 1;
        t.tables.push((h, table));
        h
    }

    /// `unregister_net_sysctl_table(header)`.
    pub fn unregister(&self, h: SysctlHeader) {
        self.inner.lock().tables.retain(|(x, _)| *x != h);
    }

    fn find(&self, path: &str) -> KResult<CtlTable> {
        let (dir, name) = split_path(path).ok_or(Errno::ENOENT)?;
        let t = self.inner.lock();
        t.tables
            .iter()
            .flat_map(|(_, tab)| tab.iter())
            .find(|e| e.path == dir && e.procname == name)
            .cloned()
            .ok_or(Errno::ENOENT)
    }

    /// Every visible entry as `dir/procname`, in registration order.
    pub fn list(&self) -> Vec<String> {
        let t = self.inner.lock();
        t.tables
            .iter()
            .flat_map(|(_, tab)| tab.iter())
            .map(|e| format!("{}/{}", e.path, e.procname))
            .collect()
    }

    /// Reads an entry as `proc_dointvec` prints it (`"30\n"`); `ENOENT` if
    /// it is not registered in this namespace.
    pub fn read(&self, path: &str) -> KResult<String> {
        let e = self.find(path)?;
        if e.mode & (MAY_READ << 6) == 0 {
            return Err(Errno::EACCES);
        }
        Ok(format!("{}\n", e.data.load(Ordering::Relaxed)))
    }

    /// Writes an entry as `cred`. Permission as `net_ctl_permissions` +
    /// `test_perm`: with `CAP_NET_ADMIN` over the namespace the owner bits
    /// apply, otherwise global root gets the owner bits and everyone else the
    /// "other" bits (`EACCES`). Returns the bytes consumed.
    pub fn write(&self, net: &Net, cred: &Cred, path: &str, text: &str) -> KResult<usize> {
        let e = self.find(path)?;
        let mut mode = e.mode;
        if net.ns_capable(cred, CAP_NET_ADMIN).is_ok() {
            let owner = (mode >> 6) & 7;
            mode = (owner << 6) | (owner << 3) | owner;
        }
        let allowed = if cred.euid == GLOBAL_ROOT_UID { mode >> 6 } else { mode } & 7;
        if allowed & MAY_WRITE == 0 {
            return Err(Errno::EACCES);
        }
        let v = parse_int(text)?;
        e.data.store(v, Ordering::Relaxed);
        if let Some(hook) = &e.post_write {
            hook(net, v);
        }
        Ok(text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_both_spellings() {
        assert_eq!(split_path("net/core/x"), Some(("net/core".to_owned(), "x")));
        assert_eq!(split_path("net.core.x"), Some(("net/core".to_owned(), "x")));
        assert_eq!(split_path("/proc/sys/net/core/x"), Some(("net/core".to_owned(), "x")));
        assert_eq!(split_path("x"), None);
    }

    #[test]
    fn dointvec_parsing() {
        assert_eq!(parse_int("30\n"), Ok(30));
        assert_eq!(parse_int("  -7 "), Ok(-7));
        assert_eq!(parse_int("2147483647"), Ok(i32::MAX));
        assert_eq!(parse_int("2147483648"), Err(Errno::EINVAL));
        assert_eq!(parse_int(""), Err(Errno::EINVAL));
        assert_eq!(parse_int("abc"), Err(Errno::EINVAL));
        assert_eq!(parse_int("-"), Err(Errno::EINVAL));
        assert_eq!(parse_int("1x"), Err(Errno::EINVAL));
    }
}
