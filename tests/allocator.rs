//! `BlockAllocator` installed as the global allocator, as the `ckptsim` binary and
//! bench-64 install it: ordinary collections work on it, the simulation's results do
//! not depend on it, and blocks are freed where they came from when it is switched
//! off. One test function, because the switch is global to the process.

use ckptsim::memory::{BlockAllocator, is_region_block, use_huge_page_blocks};
use ckptsim::scenario::load_file;

#[global_allocator]
static ALLOCATOR: BlockAllocator = BlockAllocator;

fn quickstart_digest() -> u64 {
    let scenario = load_file(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quickstart.yaml").as_ref())
        .expect("quickstart loads");
    ckptsim::run::simulate(scenario, |_| {}).unwrap().digest.value()
}

#[test]
fn the_allocator_serves_collections_and_leaves_results_unchanged() {
    // A vector grows through the region's sizes and out of them, keeping its contents.
    let mut values: Vec<u64> = Vec::new();
    let mut saw_region = false;
    for i in 0..20_000u64 {
        values.push(i * 3);
        let bytes = values.capacity() * 8;
        if cfg!(all(target_os = "linux", target_pointer_width = "64")) {
            assert_eq!(
                is_region_block(values.as_ptr().cast()),
                (4096..=65_536).contains(&bytes),
                "a buffer of {bytes} bytes"
            );
        }
        saw_region |= is_region_block(values.as_ptr().cast());
    }
    assert!(values.iter().enumerate().all(|(i, v)| *v == i as u64 * 3));
    assert_eq!(saw_region, cfg!(all(target_os = "linux", target_pointer_width = "64")));

    // A block allocated with the region on and freed with it off goes back to the
    // region: the next block of its class, the region on again, is the same one.
    let kept: Vec<u8> = Vec::with_capacity(45_000);
    let address = kept.as_ptr();
    use_huge_page_blocks(false);
    drop(kept);
    let outside: Vec<u8> = Vec::with_capacity(45_000);
    assert!(!is_region_block(outside.as_ptr()));
    let with_region_off = quickstart_digest();
    use_huge_page_blocks(true);
    let again: Vec<u8> = Vec::with_capacity(45_000);
    if cfg!(all(target_os = "linux", target_pointer_width = "64")) {
        assert_eq!(again.as_ptr(), address);
    }
    drop(outside);

    // The simulation's trace digest is the same on either allocator.
    assert_eq!(quickstart_digest(), with_region_off);
}
