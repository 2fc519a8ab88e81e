//! The global allocator of ckptsim's binaries: the system allocator, except that
//! blocks of 4 to 64 KiB come from one region backed by transparent huge pages.
//!
//! Why: a simulation keeps thousands of network buffers open at once (bench-64 has
//! 4,096 channels), each a separate allocation of about 10 KiB, and writes records
//! into them in an order scattered over all of them. On 4 KiB pages nearly every such
//! write needs its own TLB entry, more than the CPU has; in 2 MiB pages the same
//! buffers need a few dozen. The system allocator cannot be asked for huge pages, so
//! the blocks of that size are placed here: bench-64 simulates 7–16 % faster
//! (`cargo bench --bench bench64` measures both in one run). Smaller and larger
//! allocations go to the system allocator unchanged.
//!
//! How: a block's size, rounded up to whole 64-byte cache lines, is its class. A
//! freed block goes onto its class's free list and is handed out again for the next
//! block of that class; blocks are never returned to the system, so the region holds
//! at most the peak of each class. New blocks are cut from the region in address
//! order, so that blocks of one class start at many different offsets within a page:
//! page-aligned blocks would put the start of every buffer into the same few cache
//! sets, and bench-64 ran slower than on the system allocator that way. The first
//! 4 MiB of the region (`SMALL_RUN_BYTES`) stay on ordinary pages, so that a small
//! run does not clear a 2 MiB page for a few blocks.
//!
//! Whether a block is the region's is decided by its address, so blocks handed out
//! before [`use_huge_page_blocks`] switches the region off are still freed into it.
//! On systems other than 64-bit Linux everything goes to the system allocator.
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
#[cfg(target_pointer_width = "64")]
const REGION_BYTES: usize = 64 << 30;
#[cfg(not(target_pointer_width = "64"))]
const REGION_BYTES: usize = 0;

/// ckptsim's global allocator; see the module's documentation.
pub struct BlockAllocator;

/// Whether new blocks come from the region (true unless switched off).
static ENABLED: AtomicBool = AtomicBool::new(true);
/// The region's first address, or 0 while it is not reserved, or 1 if reserving failed.
static BASE: AtomicUsize = AtomicUsize::new(0);
const UNAVAILABLE: usize = 1;

struct Region {
    /// The next never-used address, and the end of the region (both 0 until reserved).
    next: usize,
    end: usize,
    /// The first freed block of each class; each free block holds the next one's address.
    free: [usize; CLASSES],
}

static REGION: Mutex<Region> = Mutex::new(Region {
    next: 0,
    end: 0,
    free: [0; CLASSES],
});

/// Switches the region on or off for blocks allocated from now on: off, every
/// allocation goes to the system allocator. For measuring what the region gains.
/// Blocks are freed where they came from, whatever the switch says then.
pub fn use_huge_page_blocks(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

/// Whether `ptr` points into the region: a block it handed out.
#[inline]
pub fn is_region_block(ptr: *const u8) -> bool {
    let base = BASE.load(Ordering::Acquire);
    base > UNAVAILABLE && (ptr as usize).wrapping_sub(base) < REGION_BYTES
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

/// A block the region handed out: `fresh` when it was never used, so still zero.
struct Block {
    ptr: *mut u8,
    fresh: bool,
}

impl BlockAllocator {
    /// A block of `class`, or `None` if the region cannot serve one.
    fn take(class: usize) -> Option<Block> {
        let mut region = REGION.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let head = region.free[class];
        if head != 0 {
            // SAFETY: a free block's first word holds the next free block's address.
            region.free[class] = unsafe { *(head as *const usize) };
            return Some(Block {
                ptr: head as *mut u8,
                fresh: false,
            });
        }
        if region.end == 0 {
            // Another thread may have failed to reserve it since this one looked.
            if BASE.load(Ordering::Acquire) == UNAVAILABLE {
                return None;
            }
            let base = reserve_region()?;
            (region.next, region.end) = (base, base + REGION_BYTES);
        }
        let bytes = class * LINE + SMALLEST;
        if bytes > region.end - region.next {
            return None;
        }
        let ptr = region.next as *mut u8;
        region.next += bytes;
        Some(Block { ptr, fresh: true })
    }

    fn give_back(ptr: *mut u8, class: usize) {
        let mut region = REGION.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // SAFETY: the block is the region's, at least 4 KiB long, and no longer used.
        unsafe { *(ptr as *mut usize) = region.free[class] };
        region.free[class] = ptr as usize;
    }

    /// A block of the region for `layout`, if the region serves it and has room;
    /// otherwise the caller asks the system allocator.
    #[inline]
    fn region_block(layout: Layout) -> Option<Block> {
        let class = class_of(layout)?;
        if !ENABLED.load(Ordering::Relaxed) || BASE.load(Ordering::Relaxed) == UNAVAILABLE {
            return None;
        }
        Self::take(class)
    }
}

// SAFETY: region blocks are aligned to a cache line (every layout the region serves
// asks for at most that), at least as large as asked, and each is handed out
// once until it is freed; everything else is the system allocator's. Nothing here
// allocates, unwinds or takes a lock other than the region's.
unsafe impl GlobalAlloc for BlockAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match Self::region_block(layout) {
            Some(block) => block.ptr,
            // SAFETY: the caller's contract, passed on.
            None => unsafe { System.alloc(layout) },
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match Self::region_block(layout) {
            Some(Block { ptr, fresh }) => {
                // A fresh block is untouched mapped memory, zero already: clearing it
                // would only fault its pages in.
                if !fresh {
                    // SAFETY: the block is at least `layout.size()` bytes long.
                    unsafe { std::ptr::write_bytes(ptr, 0, layout.size()) };
                }
                ptr
            }
            // SAFETY: the caller's contract, passed on.
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_region_block(ptr) {
            // A region block was allocated with a region size: the caller frees a
            // block with the layout it was allocated with.
            let Some(class) = class_of(layout) else {
                std::process::abort()
            };
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
        let old_in_region = is_region_block(ptr);
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
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn reserve_region() -> Option<usize> {
    const HUGE_PAGE: usize = 2 << 20;
    /// The start of the region that stays on ordinary pages.
    const SMALL_RUN_BYTES: usize = 4 << 20;
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
        BASE.store(UNAVAILABLE, Ordering::Release);
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
    BASE.store(base, Ordering::Release);
    Some(base)
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn reserve_region() -> Option<usize> {
    BASE.store(UNAVAILABLE, Ordering::Release);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    /// Fills a block with a pattern that depends on `seed` and the offset.
    unsafe fn fill(ptr: *mut u8, size: usize, seed: usize) {
        for i in 0..size {
            unsafe { *ptr.add(i) = (i.wrapping_mul(31) ^ seed) as u8 };
        }
    }

    /// Whether the first `size` bytes still hold the pattern of `seed`.
    unsafe fn holds(ptr: *const u8, size: usize, seed: usize) -> bool {
        (0..size).all(|i| unsafe { *ptr.add(i) } == (i.wrapping_mul(31) ^ seed) as u8)
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
        assert_eq!(class_of(Layout::from_size_align(8192, 64).unwrap()), Some(64));
        assert_eq!(class_of(Layout::from_size_align(8192, 128).unwrap()), None);
    }

    // The tests below share the one region; each class size above 40 KiB belongs to
    // one test alone, so that a block freed there is the next one handed out there.

    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    #[test]
    fn a_freed_block_is_handed_out_again_for_its_class() {
        let a = BlockAllocator;
        unsafe {
            let first = a.alloc(layout(50_000));
            assert!(is_region_block(first));
            assert_eq!(first as usize % LINE, 0);
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

    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    #[test]
    fn a_recycled_block_asked_for_zeroed_is_zero() {
        let a = BlockAllocator;
        unsafe {
            let used = a.alloc(layout(60_000));
            used.write_bytes(0xff, 60_000);
            a.dealloc(used, layout(60_000));
            let zeroed = a.alloc_zeroed(layout(60_000));
            assert_eq!(zeroed, used, "the freed block is handed out again");
            // Its first word held the free list's link.
            assert!((0..60_000).all(|i| *zeroed.add(i) == 0));
            a.dealloc(zeroed, layout(60_000));
        }
    }

    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    #[test]
    fn realloc_keeps_the_contents_across_classes_and_allocators() {
        let a = BlockAllocator;
        unsafe {
            let mut size = 300;
            let mut ptr = a.alloc(layout(size));
            fill(ptr, size, 7);
            // System to system, into the region, within a class (in place), across
            // classes, out to the system, and back in.
            for (new_size, in_place) in [
                (3_000, false),
                (5_000, false),
                (5_010, true),
                (20_000, false),
                (70_000, false),
                (9_000, false),
                (300, false),
            ] {
                let moved = a.realloc(ptr, layout(size), new_size);
                assert!(!moved.is_null());
                if in_place {
                    assert_eq!(moved, ptr, "{size} -> {new_size} stays in its block");
                }
                assert_eq!(is_region_block(moved), (SMALLEST..=LARGEST).contains(&new_size));
                assert!(
                    holds(moved, size.min(new_size), 7),
                    "contents after {size} -> {new_size}"
                );
                fill(moved, new_size, 7);
                (ptr, size) = (moved, new_size);
            }
            a.dealloc(ptr, layout(size));
        }
    }

    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    #[test]
    fn blocks_in_use_never_overlap_across_threads() {
        let threads: Vec<_> = (0..4usize)
            .map(|t| {
                std::thread::spawn(move || {
                    let a = BlockAllocator;
                    let mut held: Vec<(usize, usize, usize)> = Vec::new();
                    for round in 0..200usize {
                        // 4 to 36 KiB: below the classes the other tests keep to themselves.
                        let size = SMALLEST + (round * 977 + t * 131) % (32 << 10);
                        let seed = t * 1000 + round;
                        let ptr = unsafe { a.alloc(layout(size)) };
                        unsafe { fill(ptr, size, seed) };
                        held.push((ptr as usize, size, seed));
                        if round % 3 == 2 {
                            let (ptr, size, seed) = held.swap_remove(round % held.len());
                            assert!(unsafe { holds(ptr as *const u8, size, seed) });
                            unsafe { a.dealloc(ptr as *mut u8, layout(size)) };
                        }
                    }
                    for (ptr, size, seed) in held {
                        assert!(unsafe { holds(ptr as *const u8, size, seed) });
                        unsafe { a.dealloc(ptr as *mut u8, layout(size)) };
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
    }
}
