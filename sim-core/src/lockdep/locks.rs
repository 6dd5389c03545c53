//! Lock wrappers that report every acquisition to the validator.
//!
//! Each wrapper holds a facade lock and a `&'static LockClassKey`. The
//! acquisition is recorded *before* the lock is taken, as the kernel's
//! `lock_acquire` runs before spinning, so an inversion is reported even on
//! the run that would hang.

use std::ops::{Deref, DerefMut};

use super::{
    AcquireMode, LockClassKey, acquire, enabled, local_bh_disable, local_bh_enable, release,
};
use crate::sync;

/// What a guard must undo on release.
struct Held {
    class: &'static LockClassKey,
    recorded: bool,
    bh: bool,
}

impl Held {
    #[inline]
    fn take(class: &'static LockClassKey, mode: AcquireMode, bh: bool) -> Held {
        let bh = bh && enabled();
        if bh {
            local_bh_disable();
        }
        let recorded = acquire(class, mode, bh);
        Held { class, recorded, bh }
    }

    #[inline]
    fn drop_after_unlock(&self) {
        if self.recorded {
            release(self.class);
        }
        if self.bh {
            local_bh_enable();
        }
    }
}

macro_rules! guard_type {
    ($(#[$m:meta])* $name:ident, $inner:ident, $mutable:tt) => {
        $(#[$m])*
        pub struct $name<'a, T> {
            inner: Option<sync::$inner<'a, T>>,
            held: Held,
        }

        impl<T> Deref for $name<'_, T> {
            type Target = T;
            #[inline]
            fn deref(&self) -> &T {
                // Present until drop.
                match &self.inner {
                    Some(g) => g,
                    None => unreachable!("guard used after release"),
                }
            }
        }

        guard_type!(@mut $name, $mutable);

        impl<T> Drop for $name<'_, T> {
            #[inline]
            fn drop(&mut self) {
                drop(self.inner.take());
                self.held.drop_after_unlock();
            }
        }
    };
    (@mut $name:ident, mut) => {
        impl<T> DerefMut for $name<'_, T> {
            #[inline]
            fn deref_mut(&mut self) -> &mut T {
                match &mut self.inner {
                    Some(g) => g,
                    None => unreachable!("guard used after release"),
                }
            }
        }
    };
    (@mut $name:ident, ref) => {};
}

guard_type!(
    /// Guard of a [`SpinLock`].
    SpinLockGuard, MutexGuard, mut
);
guard_type!(
    /// Guard of a validated [`Mutex`].
    MutexGuard, MutexGuard, mut
);
guard_type!(
    /// Shared guard of a validated [`RwLock`].
    RwLockReadGuard, RwLockReadGuard, ref
);
guard_type!(
    /// Exclusive guard of a validated [`RwLock`].
    RwLockWriteGuard, RwLockWriteGuard, mut
);

/// `spinlock_t`: `lock()` is `spin_lock`, `lock_bh()` is `spin_lock_bh`.
pub struct SpinLock<T> {
    class: &'static LockClassKey,
    inner: sync::Mutex<T>,
}

impl<T> SpinLock<T> {
    pub fn new(class: &'static LockClassKey, v: T) -> Self {
        SpinLock { class, inner: sync::Mutex::new(v) }
    }

    /// `spin_lock()`.
    #[inline]
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        let held = Held::take(self.class, AcquireMode::Exclusive, false);
        SpinLockGuard { inner: Some(self.inner.lock()), held }
    }

    /// `spin_lock_bh()`: softirqs stay off on this simulated CPU while held.
    #[inline]
    pub fn lock_bh(&self) -> SpinLockGuard<'_, T> {
        let held = Held::take(self.class, AcquireMode::Exclusive, true);
        SpinLockGuard { inner: Some(self.inner.lock()), held }
    }

    /// `spin_trylock()`.
    pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
        let g = self.inner.try_lock()?;
        let held = Held::take(self.class, AcquireMode::Exclusive, false);
        Some(SpinLockGuard { inner: Some(g), held })
    }

    pub fn class(&self) -> &'static LockClassKey {
        self.class
    }

    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

/// `struct mutex`: a sleeping lock, process context only.
pub struct Mutex<T> {
    class: &'static LockClassKey,
    inner: sync::Mutex<T>,
}

impl<T> Mutex<T> {
    pub fn new(class: &'static LockClassKey, v: T) -> Self {
        Mutex { class, inner: sync::Mutex::new(v) }
    }

    /// `mutex_lock()`; reports sleeping while atomic where it may not sleep.
    #[inline]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        let held = Held::take(self.class, AcquireMode::Exclusive, false);
        MutexGuard { inner: Some(self.inner.lock()), held }
    }

    /// `mutex_trylock()` (never sleeps).
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let g = self.inner.try_lock()?;
        let held = Held::take(self.class, AcquireMode::Exclusive, false);
        Some(MutexGuard { inner: Some(g), held })
    }

    pub fn class(&self) -> &'static LockClassKey {
        self.class
    }

    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

/// `rwlock_t`: `read()`/`write()` and their `_bh` forms.
pub struct RwLock<T> {
    class: &'static LockClassKey,
    inner: sync::RwLock<T>,
}

impl<T> RwLock<T> {
    pub fn new(class: &'static LockClassKey, v: T) -> Self {
        RwLock { class, inner: sync::RwLock::new(v) }
    }

    /// `read_lock()`.
    #[inline]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        let held = Held::take(self.class, AcquireMode::Shared, false);
        RwLockReadGuard { inner: Some(self.inner.read()), held }
    }

    /// `read_lock_bh()`.
    #[inline]
    pub fn read_bh(&self) -> RwLockReadGuard<'_, T> {
        let held = Held::take(self.class, AcquireMode::Shared, true);
        RwLockReadGuard { inner: Some(self.inner.read()), held }
    }

    /// `write_lock()`.
    #[inline]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        let held = Held::take(self.class, AcquireMode::Exclusive, false);
        RwLockWriteGuard { inner: Some(self.inner.write()), held }
    }

    /// `write_lock_bh()`.
    #[inline]
    pub fn write_bh(&self) -> RwLockWriteGuard<'_, T> {
        let held = Held::take(self.class, AcquireMode::Exclusive, true);
        RwLockWriteGuard { inner: Some(self.inner.write()), held }
    }

    pub fn class(&self) -> &'static LockClassKey {
        self.class
    }

    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}
