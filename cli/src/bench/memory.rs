//! Peak memory per stage, from Linux's per-process high-water mark.
//!
//! `VmHWM` in `/proc/self/status` is the peak resident set size (RSS) of the whole process. Writing `5`
//! to `/proc/self/clear_refs` resets it to the current RSS, so reading it after a stage gives the peak RSS
//! reached during that stage, *including* everything already resident when it began (loaded params and
//! keys, the model): the memory a process needs to run that stage. Elsewhere (or where the reset is not
//! permitted) the peak is the process's peak so far, and the report says so.

/// Peak-RSS tracking for one process.
#[derive(Debug, Clone, Copy)]
pub struct PeakMemory {
    /// Whether the kernel let us reset the high-water mark (per-stage peaks are then meaningful).
    pub resettable: bool,
}

impl PeakMemory {
    /// Probes whether the high-water mark can be reset.
    pub fn probe() -> Self {
        Self {
            resettable: reset() && read_kb("VmHWM:").is_some(),
        }
    }

    /// Starts a stage: resets the high-water mark to the current RSS.
    pub fn start(&self) {
        if self.resettable {
            reset();
        }
    }

    /// Peak RSS in bytes since the last [`PeakMemory::start`] (or since the process began), if known.
    pub fn peak_bytes(&self) -> Option<u64> {
        read_kb("VmHWM:").map(|kb| kb * 1024)
    }

    /// What the figures measure, for reports.
    pub fn method(&self) -> &'static str {
        if self.resettable {
            "peak RSS of the process during the stage (VmHWM reset through /proc/self/clear_refs at its start), including what was already resident"
        } else if read_kb("VmHWM:").is_some() {
            "peak RSS of the process so far (VmHWM; this kernel does not allow resetting it, so later stages include earlier peaks)"
        } else {
            "not available on this platform"
        }
    }
}

fn reset() -> bool {
    #[cfg(target_os = "linux")]
    {
        std::fs::write("/proc/self/clear_refs", "5").is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

fn read_kb(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_covers_an_allocation() {
        let m = PeakMemory::probe();
        if m.peak_bytes().is_none() {
            return; // not Linux
        }
        m.start();
        let v = vec![1u8; 64 << 20];
        let peak = m.peak_bytes().unwrap_or(0);
        assert!(v.iter().map(|&b| b as u64).sum::<u64>() == 64 << 20);
        assert!(peak >= 64 << 20, "peak {peak} after touching 64 MiB");
    }
}
