//! Where a report's drawing threads run: off the CPU of the thread that starts them.
//!
//! Linux places a new thread on its parent's CPU and may leave it queued there while
//! the parent runs. On a virtual machine with two CPUs, a drawing thread started
//! before the simulation was seen to wait behind the whole simulation, or to share
//! its CPU while the other CPU sat idle, in about a third of quickstart runs; the
//! report then added 35 % to the run's wall time instead of 12–17 %. The starting
//! thread therefore moves each helper off its own CPU at once. The starting thread
//! itself is never pinned, and a machine with one CPU leaves everything as it is.

use std::thread::JoinHandle;

/// The CPU the calling thread runs on, when the system says.
#[cfg(target_os = "linux")]
pub fn current() -> Option<usize> {
    // SAFETY: sched_getcpu takes no arguments and touches no memory of ours.
    usize::try_from(unsafe { libc::sched_getcpu() }).ok()
}

/// Keeps `thread` off `cpu`, on the other CPUs the calling thread may use; leaves it
/// where it is when there are none.
#[cfg(target_os = "linux")]
pub fn keep_off<T>(thread: &JoinHandle<T>, cpu: Option<usize>) {
    use std::os::unix::thread::JoinHandleExt;
    let Some(cpu) = cpu.filter(|&cpu| cpu < libc::CPU_SETSIZE as usize) else {
        return;
    };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `allowed` is a plain bit set that the calls read and write within its
    // size, and `thread` has not been joined, so its pthread_t is valid. A failed
    // call leaves the thread where it was.
    unsafe {
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, size, &mut allowed) != 0 {
            return;
        }
        libc::CPU_CLR(cpu, &mut allowed);
        if libc::CPU_COUNT(&allowed) > 0 {
            libc::pthread_setaffinity_np(thread.as_pthread_t(), size, &allowed);
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub fn current() -> Option<usize> {
    None
}

#[cfg(not(target_os = "linux"))]
pub fn keep_off<T>(_: &JoinHandle<T>, _: Option<usize>) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The CPUs a thread may run on.
    fn allowed_cpus() -> Vec<usize> {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: as in keep_off.
        unsafe {
            let mut allowed: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(libc::sched_getaffinity(0, size, &mut allowed), 0);
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| libc::CPU_ISSET(c, &allowed))
                .collect()
        }
    }

    #[test]
    fn a_helper_keeps_off_the_given_cpu_and_keeps_the_others() {
        let mine = allowed_cpus();
        let avoided = mine[0];
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let helper = std::thread::spawn(move || {
            wait.recv().unwrap();
            allowed_cpus()
        });
        keep_off(&helper, Some(avoided));
        go.send(()).unwrap();
        let theirs = helper.join().unwrap();
        if mine.len() == 1 {
            // Nowhere else to go: the helper stays where it may run.
            assert_eq!(theirs, mine);
        } else {
            let expected: Vec<usize> = mine.into_iter().filter(|&c| c != avoided).collect();
            assert_eq!(theirs, expected);
        }
    }

    #[test]
    fn the_current_cpu_is_one_the_thread_may_run_on() {
        let cpu = current().expect("Linux names the current CPU");
        assert!(allowed_cpus().contains(&cpu));
    }
}
