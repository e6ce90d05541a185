// Package checkpoint keeps versions of a memory (a []byte, such as a
// guest's physical memory) at page granularity, for a debugger that goes
// back in time.
//
// A Store takes a version by comparing each page that may hold data with
// the page's content in the latest kept version (exactly, byte for byte:
// no hashes) and storing a copy of only the pages that differ; the first
// version stores every page that holds data. Which pages may hold data
// comes from a function the caller passes in (rv64.Memory.Written in
// rvsim): a page outside its ranges reads as zero. So taking a version
// costs time in proportion to the memory written and space in proportion
// to what changed since the previous one. (Dirty-page tracking by the host
// kernel, such as Linux's soft-dirty bits, would avoid the compare; it is
// not available everywhere, and the compare needs nothing from the host.)
//
// A page stored at version j is the page's content for every version from
// j until the next version that stored the page. Restore writes back into
// the memory only the pages whose content differs from the version's,
// reporting each range written (so that decoded instructions there can be
// dropped). Drop forgets a version: each page it stored moves to the next
// kept version if that one stored none, else it is freed.
//
// The package imports nothing of rvsim.
package checkpoint
