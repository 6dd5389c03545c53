//! `/proc/net/pfkey` (`pfkey_seq_show`): one line per PF_KEY socket of the
//! namespace, newest first.

use std::fmt::Write;

use sim_core::rcu::rcu_read_lock;
use sim_netns::Net;

use super::PfKeyInner;

/// `pfkey_seq_show()` over the whole list: the header, then `sk RefCnt
/// Rmem Wmem User Inode` per socket. The `sk` column stands in for the
/// kernel pointer (`%pK` with `kptr_restrict` shows zeros to most readers):
/// a stable per-socket number. A socket in the table is referenced by its
/// file and by the table (RefCnt 2); PF_KEY never charges send memory.
pub fn pfkey_seq_show(pfk: &PfKeyInner, net: &Net) -> String {
    let mut out = String::from("sk       RefCnt Rmem   Wmem   User   Inode\n");
    let Ok(nt) = pfk.netns(net) else {
        return out;
    };
    let guard = rcu_read_lock();
    for sk in nt.table.iter(&guard) {
        let _ = writeln!(
            out,
            "{:016x} {:<6} {:<6} {:<6} {:<6} {:<6}",
            0xffff_8880_0000_0000u64 | (sk.ino << 12),
            2,
            sk.sk.rmem_alloc(),
            0,
            sk.uid,
            sk.ino
        );
    }
    out
}
