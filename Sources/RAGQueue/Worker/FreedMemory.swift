import Foundation

/// Returns memory the process freed to the system. glibc's allocator keeps freed pages in each
/// thread's arena for reuse, so after a burst of thousands of jobs a worker would hold its peak
/// resident size for good; `malloc_trim(0)` hands back every whole free page of every arena.
enum FreedMemory {
    /// Trims on a thread of its own (it walks every arena, which may take milliseconds), off the
    /// cooperative pool. Elsewhere than Linux, nothing.
    static func release() {
        #if os(Linux)
        let thread = Thread { _ = mallocTrim(0) }
        thread.stackSize = 64 * 1024
        thread.start()
        #endif
    }
}

#if os(Linux)
/// glibc's `malloc_trim`, which its Swift module does not export (it is declared in malloc.h).
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
#endif
