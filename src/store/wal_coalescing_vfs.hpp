#pragma once

namespace xchat::store {

// The name of an SQLite VFS that wraps the platform's default one and gathers the frames a
// transaction appends to its write-ahead log into one write.
//
// SQLite writes each WAL frame as two pwrite calls (the 24-byte frame header, then the
// page), so a group commit that dirties 1,000 pages costs 2,000 system calls before its
// single fsync; on a virtual machine every one of them is a trap. This VFS keeps the
// contiguous appends of a connection's WAL in a buffer and writes them out:
//  - when the commit frame's page arrives (a frame header with a non-zero "database size
//    after commit" field marks it), so a committed transaction is in the kernel before
//    SQLite publishes it in the wal-index, where other connections look for it, and before
//    a synchronous=NORMAL commit returns;
//  - before anything that must see the file as SQLite wrote it: a sync, a read (the
//    checkpointer reads frames back), a size query, a truncation, a file control, a close;
//  - when a write is not contiguous with the buffer, or the buffer passes a few MiB.
// Writes reach the file in the order SQLite issued them, so crash recovery is unchanged:
// the WAL's checksums end at the last whole frame written, as before.
//
// Every other file (the database, its shared-memory index, temporary files) passes straight
// through. Registered with SQLite on first use; safe to call from any thread.
const char* wal_coalescing_vfs();

}  // namespace xchat::store
