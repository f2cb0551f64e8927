/*
 * fwal_ring.h — the follower WAL's io_uring: one group's write and
 * fdatasync submitted without waiting (storage/fwal.c uses it; the raw
 * system calls of <linux/io_uring.h>, no liburing).
 *
 * Why: the follower's loop thread ran each group's fdatasync itself and
 * could not run the next batch meanwhile; a pool thread for it cost two
 * user-thread wakeups per group (docs/decisions.md, "Follower writes run on
 * the loop thread").  With a ring the loop submits
 *
 *     [TIMEOUT delay (a test's slowed fsync)] ─link─► WRITE group bytes
 *        (at the file position, as write() does) ─link─► FSYNC DATASYNC
 *
 * or, when the WAL file is open O_DIRECT|O_DSYNC (fwal.c, "Direct
 * writes"), [TIMEOUT] ─link─► WRITE at its offset, which is durable when it
 * completes: no FSYNC, and no kernel worker thread either (the FSYNC always
 * runs on one of io_uring's workers: three more context switches a group)
 *
 * in one io_uring_enter and goes on; the kernel runs the fsync on its own
 * worker and posts a completion, which makes the ring's fd readable (the
 * loop polls it).  Successful TIMEOUT and WRITE post nothing
 * (IOSQE_CQE_SKIP_SUCCESS) unless last: the last request's completion ends
 * the group; a failed link before it posts its own and the last completes
 * -ECANCELED.
 *
 * Not thread-safe: the caller serializes submissions (fwal's mutex) and
 * completions (one reaper at a time).
 */
#ifndef MUR_STORAGE_FWAL_RING_H
#define MUR_STORAGE_FWAL_RING_H

#include <stddef.h>
#include <stdint.h>

typedef struct fwal_ring fwal_ring;

/* Completion tags: the low byte says which request, the rest is the
 * caller's group number.  END is the chain's last request (the FSYNC, or
 * the WRITE itself when the file is O_DIRECT|O_DSYNC): the group's end. */
enum { FWAL_RING_TIMEOUT = 1, FWAL_RING_WRITE = 2, FWAL_RING_END = 3, FWAL_RING_NOP = 4 };
#define FWAL_RING_TAG(seq, kind) ((uint64_t)(seq) << 8 | (uint64_t)(kind))
#define FWAL_RING_KIND(tag) ((int)((tag)&0xff))
#define FWAL_RING_SEQ(tag) ((tag) >> 8)

/* A ring, or NULL with errno (ENOSYS, EPERM: io_uring off here). */
fwal_ring *fwal_ring_open(void);
void fwal_ring_close(fwal_ring *r);
/* Readable when a completion waits. */
int fwal_ring_fd(const fwal_ring *r);
/* Submit the chain above for n bytes of buf on fd (buf must stay until
 * the END's completion); delay_ms 0: no TIMEOUT.  off -1: at the file
 * position, then the FSYNC; otherwise at off and no FSYNC (fd is
 * O_DIRECT|O_DSYNC: the WRITE's completion means durable).  0, or -errno
 * with nothing submitted. */
int fwal_ring_submit_group(fwal_ring *r, int fd, const void *buf, size_t n, int64_t off,
			   uint32_t delay_ms, uint64_t seq);
/* A no-op whose completion makes the fd readable (wakes the poller);
 * delay_ms > 0: after a TIMEOUT, linked (a test's slowed, failing fsync). */
int fwal_ring_submit_nop(fwal_ring *r, uint32_t delay_ms, uint64_t seq);
/* The next completion: 1 with *tag and *res (-errno or a byte count), 0
 * when none is there (wait 0) — wait 1 blocks until one is. */
int fwal_ring_next(fwal_ring *r, int wait, uint64_t *tag, int32_t *res);

#endif
