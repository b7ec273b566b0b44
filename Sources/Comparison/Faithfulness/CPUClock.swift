import Foundation

/// CPU time, so that timings mean something on a shared machine (docs/DESIGN.md §10.2): wall
/// time on a loaded machine includes waiting for a core, CPU time does not.
public enum CPUClock {
    /// CPU seconds of the calling thread.
    public static func thread() -> Double { read(CLOCK_THREAD_CPUTIME_ID) }
    /// CPU seconds of the whole process (all threads).
    public static func process() -> Double { read(CLOCK_PROCESS_CPUTIME_ID) }

    private static func read(_ clock: clockid_t) -> Double {
        var t = timespec()
        clock_gettime(clock, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
