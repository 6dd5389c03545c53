//! Lock classes of the XFRM layer, one static per kernel lock, for the
//! validated wrappers of [`crate::lockdep`].

use crate::lockdep::{LockClassKey, LockKind};

/// `net->xfrm.xfrm_state_lock`: the SAD tables and `state_all` (BH spinlock).
pub static XFRM_STATE_LOCK: LockClassKey = LockClassKey::new("xfrm_state_lock", LockKind::SpinBh);

/// `x->lock`: one state's mutable part (BH spinlock; lockdep's class name
/// for it is `&x->lock`). Order: `&x->lock` → `xfrm_state_lock`
/// (`__xfrm_state_delete` takes the table lock under the state lock).
pub static XFRM_STATE_X_LOCK: LockClassKey = LockClassKey::new("&x->lock", LockKind::SpinBh);

/// `net->xfrm.xfrm_policy_lock`: the SPD tables (BH spinlock).
pub static XFRM_POLICY_LOCK: LockClassKey = LockClassKey::new("xfrm_policy_lock", LockKind::SpinBh);

/// `xp->lock`: one policy's mutable part (`rwlock_t`; class `&xp->lock`).
pub static XFRM_POLICY_XP_LOCK: LockClassKey = LockClassKey::new("&xp->lock", LockKind::RwLock);

/// `net->xfrm.xfrm_cfg_mutex`: serialises configuration requests from the
/// front ends.
pub static XFRM_CFG_MUTEX: LockClassKey = LockClassKey::new("xfrm_cfg_mutex", LockKind::Mutex);

/// `pernet_ops_rwsem`: registration of pernet operations and namespace
/// creation/teardown (a sleeping rw-semaphore, so a mutex-kind class).
pub static PERNET_OPS_RWSEM: LockClassKey = LockClassKey::new("pernet_ops_rwsem", LockKind::Mutex);
