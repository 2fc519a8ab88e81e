//! The global allocator of ckptsim's binaries: the system allocator, except that
//! blocks of 4 to 64 KiB come from one region backed by transparent huge pages.
//!
//! Why: a simulation keeps thousands of network buffers open at once (bench-64 has
//! 4,096 channels), each a separate allocation of about 10 KiB, and writes records
//! into them in an order scattered over all of them. On 4 KiB pages nearly every such
//! write needs its own TLB entry, more than the CPU has; in 2 MiB pages the same
//! buffers need a few dozen. The system allocator cannot be asked for huge pages, so
//! the blocks of that size are placed here: bench-64 simulates 12 % faster
//! (`cargo bench --bench bench64` measures both). Smaller and larger allocations go to the system allocator
//! unchanged.
//!
//! How: a block's size, rounded up to whole 64-byte cache lines, is its class. A
//! freed block goes onto its class's free list and is handed out again for the next
//! block of that class; blocks are never returned to the system, so the region holds
//! at most the peak of each class. New blocks are cut from the region in address
//! order, so that blocks of one class start at many different offsets within a page:
//! page-aligned blocks would put the start of every buffer into the same few cache
//! sets, and bench-64 ran slower than on the system allocator that way. The first
//! [`SMALL_RUN_BYTES`] of the region stay on ordinary pages, so a
//! small run never pays for clearing a 2 MiB page it barely uses.
//!
//! Whether a block is the region's is decided by its address, so blocks handed out
//! before [`use_huge_page_blocks`] switches the region off are still freed into it.
//! On systems other than Linux everything goes to the system allocator.
//!
//! The allocator touches nothing a simulation computes: the same scenario and seed
//! give the same trace digest with or without it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The unit of block sizes: a cache line.
const LINE: usize = 64;
/// The sizes the region serves, in bytes.
const SMALLEST: usize = 4 << 10;
const LARGEST: usize = 64 << 10;
/// One class per size in whole lines, from `SMALLEST` to `LARGEST`.
const CLASSES: usize = (LARGEST - SMALLEST) / LINE + 1;
/// Address space reserved for blocks. Only what is touched takes memory.
const REGION_BYTES: usize = 64 << 30;
/// The start of the region that stays on ordinary pages.
pub const SMALL_RUN_BYTES: usize = 4 << 20;
const HUGE_PAGE: usize = 2 << 20;

/// ckptsim's global allocator; see the module's documentation.
pub struct BlockAllocator;

/// Whether new blocks come from the region (true unless switched off).
static ENABLED: AtomicBool = AtomicBool::new(true);
/// The region's first address, or 0 while it is not reserved, or 1 if reserving failed.
static BASE: AtomicUsize = AtomicUsize::new(0);
const UNAVAILABLE: usize = 1;

struct Region {
    /// The next never-used address.
    next: usize,
    /// The first freed block of each class; each free block holds the next one's address.
    free: [usize; CLASSES],
}

static REGION: Mutex<Region> = Mutex::new(Region {
    next: 0,
    free: [0; CLASSES],
});

/// Switches the region on or off for blocks allocated from now on: off, every
/// allocation goes to the system allocator. For measuring what the region gains.
pub fn use_huge_page_blocks(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

/// The class of a block of this layout, if it is one the region serves.
#[inline]
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size();
    if (SMALLEST..=LARGEST).contains(&size) && layout.align() <= LINE {
        Some(size.div_ceil(LINE) - SMALLEST / LINE)
    } else {
        None
    }
}

/// Whether `ptr` is a block of the region.
#[inline]
fn in_region(ptr: *mut u8) -> bool {
    let base = BASE.load(Ordering::Relaxed);
    base > UNAVAILABLE && (ptr as usize).wrapping_sub(base) < REGION_BYTES
}

impl BlockAllocator {
    /// A block of `class`, or null if the region cannot serve one.
    fn take(class: usize) -> *mut u8 {
        let mut region = REGION.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let head = region.free[class];
        if head != 0 {
            // SAFETY: a free block's first word holds the next free block's address.
            region.free[class] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        if region.next == 0 {
            match reserve_region() {
                Some(base) => region.next = base,
                None => return std::ptr::null_mut(),
            }
        }
        let bytes = class * LINE + SMALLEST;
        let base = BASE.load(Ordering::Relaxed);
        if region.next + bytes > base + REGION_BYTES {
            return std::ptr::null_mut();
        }
        let block = region.next;
        region.next += bytes;
        block as *mut u8
    }

    fn give_back(ptr: *mut u8, class: usize) {
        let mut region = REGION.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // SAFETY: the block is the region's, at least 4 KiB long, and no longer used.
        unsafe { *(ptr as *mut usize) = region.free[class] };
        region.free[class] = ptr as usize;
    }

    /// Where a block of `layout` is allocated: from the region if it serves it and
    /// has room, else from the system allocator.
    #[inline]
    fn region_block(layout: Layout) -> Option<*mut u8> {
        let class = class_of(layout)?;
        if !ENABLED.load(Ordering::Relaxed) || BASE.load(Ordering::Relaxed) == UNAVAILABLE {
            return None;
        }
        let block = Self::take(class);
        (!block.is_null()).then_some(block)
    }
}

// SAFETY: region blocks are aligned to a cache line (every layout the region serves
// asks for at most that), at least as large as asked, and each is handed out
// once until it is freed; everything else is the system allocator's.
unsafe impl GlobalAlloc for BlockAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match Self::region_block(layout) {
            Some(block) => block,
            // SAFETY: the caller's contract, passed on.
            None => unsafe { System.alloc(layout) },
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match Self::region_block(layout) {
            Some(block) => {
                // SAFETY: the block is at least `layout.size()` bytes long.
                unsafe { std::ptr::write_bytes(block, 0, layout.size()) };
                block
            }
            // SAFETY: the caller's contract, passed on.
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if in_region(ptr) {
            let class = class_of(layout).expect("a region block has a region size");
            Self::give_back(ptr, class);
        } else {
            // SAFETY: the caller's contract, passed on; the block is the system's.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees that `new_size`, rounded to the alignment,
        // does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let old_in_region = in_region(ptr);
        if old_in_region && class_of(new_layout) == class_of(layout) {
            return ptr;
        }
        if !old_in_region && (class_of(new_layout).is_none() || !ENABLED.load(Ordering::Relaxed)) {
            // SAFETY: the caller's contract, passed on; the block is the system's.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // SAFETY: as `alloc`, `dealloc`; the copy stays inside both blocks.
        unsafe {
            let new = self.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

/// Reserves the region's address space and asks for huge pages beyond its start;
/// publishes its base in `BASE`. Called with the region's lock held.
#[cfg(target_os = "linux")]
fn reserve_region() -> Option<usize> {
    // SAFETY: a fresh anonymous mapping; nothing else refers to it.
    let mapped = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            REGION_BYTES + HUGE_PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if mapped == libc::MAP_FAILED {
        BASE.store(UNAVAILABLE, Ordering::Relaxed);
        return None;
    }
    // Huge pages need 2 MiB alignment.
    let base = (mapped as usize).next_multiple_of(HUGE_PAGE);
    // SAFETY: advice on the mapping just made; failing advice changes nothing but speed.
    unsafe {
        libc::madvise(
            (base + SMALL_RUN_BYTES) as *mut libc::c_void,
            REGION_BYTES - SMALL_RUN_BYTES,
            libc::MADV_HUGEPAGE,
        );
    }
    BASE.store(base, Ordering::Relaxed);
    Some(base)
}

#[cfg(not(target_os = "linux"))]
fn reserve_region() -> Option<usize> {
    BASE.store(UNAVAILABLE, Ordering::Relaxed);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    #[test]
    fn sizes_of_4_to_64_kib_have_a_class_per_cache_line_others_none() {
        assert_eq!(class_of(layout(4095)), None);
        assert_eq!(class_of(layout(4096)), Some(0));
        assert_eq!(class_of(layout(4097)), Some(1));
        assert_eq!(class_of(layout(4160)), Some(1));
        // A network buffer of 327 records of 32 bytes.
        assert_eq!(class_of(layout(10_464)), Some((10_496 - 4096) / 64));
        assert_eq!(class_of(layout(65_536)), Some(CLASSES - 1));
        assert_eq!(class_of(layout(65_537)), None);
        assert_eq!(class_of(Layout::from_size_align(8192, 128).unwrap()), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_freed_block_is_handed_out_again_for_its_class() {
        // No other test asks for blocks above 32 KiB, so this class is this test's own.
        let a = BlockAllocator;
        unsafe {
            let first = a.alloc(layout(50_000));
            assert!(in_region(first));
            assert_eq!(first as usize % LINE, 0);
            first.write_bytes(7, 50_000);
            let second = a.alloc(layout(50_000));
            assert!(second as usize >= first as usize + 50_000 || second as usize + 50_000 <= first as usize);
            a.dealloc(first, layout(50_000));
            // The same class, a few bytes less: the block just freed.
            let again = a.alloc(layout(49_990));
            assert_eq!(again, first);
            a.dealloc(again, layout(49_990));
            a.dealloc(second, layout(50_000));
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn realloc_keeps_the_contents_across_classes_and_allocators() {
        let a = BlockAllocator;
        unsafe {
            let mut size = 100;
            let mut ptr = a.alloc(layout(size));
            for i in 0..size {
                *ptr.add(i) = i as u8;
            }
            // From the system's small blocks through the region's classes and back out.
            for new_size in [5_000, 5_500, 20_000, 70_000, 9_000, 300] {
                ptr = a.realloc(ptr, layout(size), new_size);
                assert!(!ptr.is_null());
                for i in 0..size.min(new_size).min(100) {
                    assert_eq!(*ptr.add(i), i as u8, "byte {i} after growing to {new_size}");
                }
                assert_eq!(in_region(ptr), (SMALLEST..=LARGEST).contains(&new_size));
                size = new_size;
            }
            a.dealloc(ptr, layout(size));
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn blocks_in_use_never_overlap_across_threads() {
        let threads: Vec<_> = (0..4u8)
            .map(|t| {
                std::thread::spawn(move || {
                    let a = BlockAllocator;
                    let mut held = Vec::new();
                    for round in 0..200usize {
                        let size = SMALLEST + (round * 977 + t as usize * 131) % (32 << 10);
                        let ptr = unsafe { a.alloc_zeroed(layout(size)) };
                        assert!(unsafe { (0..size).all(|i| *ptr.add(i) == 0) });
                        unsafe { ptr.write_bytes(t + 1, size) };
                        held.push((ptr as usize, size));
                        if round % 3 == 2 {
                            let (ptr, size) = held.swap_remove(round % held.len());
                            let ptr = ptr as *mut u8;
                            assert!(unsafe { (0..size).all(|i| *ptr.add(i) == t + 1) });
                            unsafe { a.dealloc(ptr, layout(size)) };
                        }
                    }
                    for (ptr, size) in held {
                        let ptr = ptr as *mut u8;
                        assert!(unsafe { (0..size).all(|i| *ptr.add(i) == t + 1) });
                        unsafe { a.dealloc(ptr, layout(size)) };
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
    }
}
