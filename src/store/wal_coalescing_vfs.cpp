#include "store/wal_coalescing_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <vector>

namespace xchat::store {

namespace {

constexpr const char* kName = "xchat-wal-coalescing";
// Past this a transaction's frames go out before its commit: memory stays bounded for a
// huge transaction, and the cost of one more write per few MiB is nothing.
constexpr std::size_t kFlushBytes = std::size_t{4} << 20;
// The default VFS writes at most 128 KiB per call (unixWrite masks larger lengths); the
// buffer goes out in pieces of this size.
constexpr std::size_t kWriteBytes = std::size_t{64} << 10;
// SQLite's WAL layout (https://sqlite.org/fileformat.html#the_write_ahead_log).
constexpr int kFrameHeaderBytes = 24;
constexpr sqlite3_int64 kWalHeaderBytes = 32;

// Appends to one WAL file that have not been written yet.
struct PendingWrites {
  std::vector<unsigned char> bytes;
  sqlite3_int64 offset = 0;       // the file offset of bytes[0]
  bool commit_page_next = false;  // the last append was the header of a commit frame
};

// What SQLite allocates for each open file (the VFS's szOsFile): this, then the default
// VFS's own file object.
struct File {
  sqlite3_file base;  // first, so SQLite's sqlite3_file* is a File*
  sqlite3_file* real;
  PendingWrites* pending;  // only for a WAL file
};

sqlite3_vfs* base_vfs = nullptr;
sqlite3_vfs vfs;

File* as_file(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
sqlite3_file* real(sqlite3_file* f) { return as_file(f)->real; }
const sqlite3_io_methods& real_methods(sqlite3_file* f) { return *real(f)->pMethods; }

std::uint32_t big_endian32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

int flush(sqlite3_file* f) {
  PendingWrites& pending = *as_file(f)->pending;
  int rc = SQLITE_OK;
  for (std::size_t done = 0; done < pending.bytes.size() && rc == SQLITE_OK; done += kWriteBytes) {
    const std::size_t amount = std::min(kWriteBytes, pending.bytes.size() - done);
    rc = real_methods(f).xWrite(real(f), pending.bytes.data() + done, static_cast<int>(amount),
                                pending.offset + static_cast<sqlite3_int64>(done));
  }
  pending.bytes.clear();  // keeps its capacity: the next transaction allocates nothing
  pending.commit_page_next = false;
  return rc;
}

// --- Every file: straight through to the default VFS --------------------------------------

int pass_close(sqlite3_file* f) { return real_methods(f).xClose(real(f)); }
int pass_read(sqlite3_file* f, void* data, int amount, sqlite3_int64 offset) {
  return real_methods(f).xRead(real(f), data, amount, offset);
}
int pass_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  return real_methods(f).xWrite(real(f), data, amount, offset);
}
int pass_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real_methods(f).xTruncate(real(f), size);
}
int pass_sync(sqlite3_file* f, int flags) { return real_methods(f).xSync(real(f), flags); }
int pass_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_methods(f).xFileSize(real(f), size);
}
int pass_lock(sqlite3_file* f, int level) { return real_methods(f).xLock(real(f), level); }
int pass_unlock(sqlite3_file* f, int level) { return real_methods(f).xUnlock(real(f), level); }
int pass_check_reserved_lock(sqlite3_file* f, int* out) {
  return real_methods(f).xCheckReservedLock(real(f), out);
}
int pass_file_control(sqlite3_file* f, int op, void* arg) {
  return real_methods(f).xFileControl(real(f), op, arg);
}
int pass_sector_size(sqlite3_file* f) { return real_methods(f).xSectorSize(real(f)); }
int pass_device_characteristics(sqlite3_file* f) {
  return real_methods(f).xDeviceCharacteristics(real(f));
}
int pass_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real_methods(f).xShmMap(real(f), region, size, extend, out);
}
int pass_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_methods(f).xShmLock(real(f), offset, n, flags);
}
void pass_shm_barrier(sqlite3_file* f) { real_methods(f).xShmBarrier(real(f)); }
int pass_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real_methods(f).xShmUnmap(real(f), delete_flag);
}
int pass_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return real_methods(f).xFetch(real(f), offset, amount, out);
}
int pass_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  return real_methods(f).xUnfetch(real(f), offset, p);
}

// --- A WAL file: appends gathered, everything else sees the file up to date ---------------

int wal_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  PendingWrites& pending = *as_file(f)->pending;
  if (!pending.bytes.empty() &&
      offset != pending.offset + static_cast<sqlite3_int64>(pending.bytes.size())) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  if (pending.bytes.empty()) pending.offset = offset;
  const auto* bytes = static_cast<const unsigned char*>(data);
  try {
    pending.bytes.insert(pending.bytes.end(), bytes, bytes + amount);
  } catch (const std::bad_alloc&) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    return pass_write(f, data, amount, offset);
  }
  // The page that follows a commit frame's header ends the transaction's frames: they must
  // be in the file before SQLite makes the commit visible to other connections.
  const bool ends_commit = pending.commit_page_next;
  const bool commit_header = !ends_commit && amount == kFrameHeaderBytes &&
                             offset >= kWalHeaderBytes && big_endian32(bytes + 4) != 0;
  if (ends_commit || pending.bytes.size() >= kFlushBytes) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  pending.commit_page_next = commit_header;
  return SQLITE_OK;
}

int wal_close(sqlite3_file* f) {
  const int flushed = flush(f);
  delete as_file(f)->pending;
  as_file(f)->pending = nullptr;
  const int closed = pass_close(f);
  return flushed != SQLITE_OK ? flushed : closed;
}

// The pass-through method `Pass`, after writing out what is buffered: for whatever must see
// the file as SQLite wrote it (a sync, a read, a size query, a truncation, a file control).
template <auto Pass>
struct FlushFirst;
template <class... Args, int (*Pass)(sqlite3_file*, Args...)>
struct FlushFirst<Pass> {
  static int method(sqlite3_file* f, Args... args) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    return Pass(f, args...);
  }
};

constexpr sqlite3_io_methods kPassMethods = {3,
                                             pass_close,
                                             pass_read,
                                             pass_write,
                                             pass_truncate,
                                             pass_sync,
                                             pass_file_size,
                                             pass_lock,
                                             pass_unlock,
                                             pass_check_reserved_lock,
                                             pass_file_control,
                                             pass_sector_size,
                                             pass_device_characteristics,
                                             pass_shm_map,
                                             pass_shm_lock,
                                             pass_shm_barrier,
                                             pass_shm_unmap,
                                             pass_fetch,
                                             pass_unfetch};

constexpr sqlite3_io_methods kWalMethods = [] {
  sqlite3_io_methods m = kPassMethods;
  m.xClose = wal_close;
  m.xWrite = wal_write;
  m.xRead = FlushFirst<pass_read>::method;
  m.xTruncate = FlushFirst<pass_truncate>::method;
  m.xSync = FlushFirst<pass_sync>::method;
  m.xFileSize = FlushFirst<pass_file_size>::method;
  m.xFileControl = FlushFirst<pass_file_control>::method;
  return m;
}();

// --- The VFS: opens through the default one, everything else forwarded -------------------

int vfs_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  File* file = as_file(f);
  file->base.pMethods = nullptr;
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  file->pending = nullptr;
  const int rc = base_vfs->xOpen(base_vfs, name, file->real, flags, out_flags);
  // SQLite closes a file whose pMethods is set, even when the open failed; the default VFS
  // leaves its own null when there is nothing to close.
  if (file->real->pMethods == nullptr) return rc;
  // The pass-through table forwards the fetch and unfetch of version 3; a default VFS
  // without them has no business being wrapped.
  if (file->real->pMethods->iVersion < 3) {
    file->real->pMethods->xClose(file->real);
    return SQLITE_CANTOPEN;
  }
  if ((flags & SQLITE_OPEN_WAL) != 0) {
    file->pending = new (std::nothrow) PendingWrites;
    if (file->pending == nullptr) {
      file->real->pMethods->xClose(file->real);
      return SQLITE_NOMEM;
    }
    file->base.pMethods = &kWalMethods;
  } else {
    file->base.pMethods = &kPassMethods;
  }
  return rc;
}

int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return base_vfs->xDelete(base_vfs, name, sync_dir);
}
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return base_vfs->xAccess(base_vfs, name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return base_vfs->xFullPathname(base_vfs, name, size, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) { return base_vfs->xDlOpen(base_vfs, name); }
void vfs_dl_error(sqlite3_vfs*, int size, char* out) { base_vfs->xDlError(base_vfs, size, out); }
void (*vfs_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return base_vfs->xDlSym(base_vfs, handle, symbol);
}
void vfs_dl_close(sqlite3_vfs*, void* handle) { base_vfs->xDlClose(base_vfs, handle); }
int vfs_randomness(sqlite3_vfs*, int size, char* out) {
  return base_vfs->xRandomness(base_vfs, size, out);
}
int vfs_sleep(sqlite3_vfs*, int microseconds) { return base_vfs->xSleep(base_vfs, microseconds); }
int vfs_current_time(sqlite3_vfs*, double* out) { return base_vfs->xCurrentTime(base_vfs, out); }
int vfs_get_last_error(sqlite3_vfs*, int size, char* out) {
  return base_vfs->xGetLastError(base_vfs, size, out);
}
int vfs_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return base_vfs->xCurrentTimeInt64(base_vfs, out);
}

bool register_vfs() {
  base_vfs = sqlite3_vfs_find(nullptr);
  if (base_vfs == nullptr || base_vfs->iVersion < 2) return false;
  vfs = sqlite3_vfs{};
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(sizeof(File)) + base_vfs->szOsFile;
  vfs.mxPathname = base_vfs->mxPathname;
  vfs.zName = kName;
  vfs.xOpen = vfs_open;
  vfs.xDelete = vfs_delete;
  vfs.xAccess = vfs_access;
  vfs.xFullPathname = vfs_full_pathname;
  vfs.xDlOpen = vfs_dl_open;
  vfs.xDlError = vfs_dl_error;
  vfs.xDlSym = vfs_dl_sym;
  vfs.xDlClose = vfs_dl_close;
  vfs.xRandomness = vfs_randomness;
  vfs.xSleep = vfs_sleep;
  vfs.xCurrentTime = vfs_current_time;
  vfs.xGetLastError = vfs_get_last_error;
  vfs.xCurrentTimeInt64 = vfs_current_time_int64;
  return sqlite3_vfs_register(&vfs, /*makeDflt=*/0) == SQLITE_OK;
}

}  // namespace

const char* wal_coalescing_vfs() {
  // Without it (a platform whose default VFS is too old to wrap) SQLite's own is used:
  // slower, equally correct.
  static const bool registered = register_vfs();
  return registered ? kName : nullptr;
}

}  // namespace xchat::store
