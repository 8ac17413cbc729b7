//! How the allocator hands freed memory back to the system.
//!
//! glibc serves an allocation of 128 KiB or more with its own `mmap`, and
//! unmaps it when freed — unless it has seen such a block freed, in which
//! case it raises that threshold to the block's size (up to 32 MiB) and
//! serves later ones from the heap, where a freed buffer stays resident as
//! long as anything above it is live. An import's upload, parsed rows and
//! batches are exactly such blocks: with the moving threshold media-service
//! kept about 35 MiB after each 5,000-row import and grew from import to
//! import (95 MiB peak by the third, 111 MiB after the other bench cases);
//! with it fixed, 78 MiB (`make bench`, `--cases fanout,bulk --rounds 3`).

/// The size from which an allocation gets pages of its own, returned when
/// freed: glibc's default, pinned.
const MMAP_THRESHOLD: i32 = 128 * 1024;

/// Pins the threshold, so large buffers are returned to the system when
/// freed. Called once, as each binary reads its configuration; does nothing on other
/// C libraries.
pub fn return_large_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter under the
    // allocator's own lock; no memory is handed over or read.
    #[expect(unsafe_code, reason = "the one call into the C allocator's settings")]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

/// Hands the heap's free pages back to the system, on a blocking thread.
/// glibc keeps what a large piece of work freed (an upload read, an import
/// applied) for the next allocation, scattered among live blocks; after a
/// 5,000-row import and the uploads of `make bench`, media-service stayed
/// at 66 MiB where 31 MiB were in use. Called as such work ends. One
/// thread trims at a time, at most once a second: a call while it trims
/// has it trim once more, a second later, so nothing freed is missed.
/// Does nothing on other C libraries, or outside a Tokio runtime.
pub fn hand_back_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    trim::request();
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod trim {
    use std::{
        sync::atomic::{AtomicBool, Ordering},
        time::Duration,
    };

    /// A trim is wanted.
    static WANTED: AtomicBool = AtomicBool::new(false);
    /// A thread is trimming (or about to).
    static TRIMMING: AtomicBool = AtomicBool::new(false);
    /// The least time between two trims.
    const PAUSE: Duration = Duration::from_secs(1);

    pub(super) fn request() {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        WANTED.store(true, Ordering::Release);
        if TRIMMING.swap(true, Ordering::AcqRel) {
            return;
        }
        let done = Done;
        runtime.spawn_blocking(move || {
            let _done = done;
            while WANTED.swap(false, Ordering::AcqRel) {
                // SAFETY: malloc_trim only releases pages the allocator
                // holds free, under its own locks; no live memory is
                // touched.
                #[expect(unsafe_code, reason = "the one call that trims the C allocator's heap")]
                unsafe {
                    libc::malloc_trim(0);
                }
                std::thread::sleep(PAUSE);
            }
        });
    }

    /// Lets the next request start a thread: when the trimming ends, or
    /// when its task is dropped unrun (the runtime shutting down).
    struct Done;

    impl Drop for Done {
        fn drop(&mut self) {
            TRIMMING.store(false, Ordering::Release);
            // Wanted after the last check, before this: trim for it.
            if WANTED.load(Ordering::Acquire) {
                request();
            }
        }
    }
}
