/*
 * fwal_ring.c — a small io_uring for the follower WAL's group fsync
 * (fwal_ring.h has the chain submitted and why).
 *
 * The ring: 8 submission entries (a group is at most three, plus a no-op
 * to wake the poller), the kernel's default completion queue (16).  The
 * shared head/tail words are read with acquire and written with release
 * ordering, as io_uring(7) asks.  Needs IORING_FEAT_SINGLE_MMAP,
 * RW_CUR_POS (a WRITE at offset -1 uses and moves the file position, as
 * write() does: the synchronous path and this one share the fd) and
 * CQE_SKIP (kernel 5.17); without them fwal_ring_open fails (ENOTSUP) and
 * the WAL syncs synchronously.
 *
 * Memory: the struct is malloc'd by fwal_ring_open, the rings are one
 * mmap plus the SQE array's; fwal_ring_close unmaps and frees.
 */
#include "storage/fwal_ring.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RING_ENTRIES 8

struct fwal_ring {
	int fd;
	void *ring;      /* SQ and CQ rings, one mapping */
	size_t ring_len; /* its length */
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	unsigned sq_local; /* our tail, published at submit */
	struct __kernel_timespec delay;
};

static int uring_setup(unsigned entries, struct io_uring_params *p)
{
	return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int uring_enter(int fd, unsigned submit, unsigned min_complete, unsigned flags)
{
	return (int)syscall(__NR_io_uring_enter, fd, submit, min_complete, flags, NULL, 0);
}

fwal_ring *fwal_ring_open(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	int fd = uring_setup(RING_ENTRIES, &p);
	if (fd < 0)
		return NULL;
	unsigned need = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_RW_CUR_POS | IORING_FEAT_CQE_SKIP;
	fwal_ring *r = calloc(1, sizeof *r);
	if (!r || (p.features & need) != need) {
		free(r);
		close(fd);
		errno = r ? ENOTSUP : ENOMEM;
		return NULL;
	}
	r->fd = fd;
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	r->ring_len = sq_len > cq_len ? sq_len : cq_len;
	r->ring = mmap(NULL, r->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		       IORING_OFF_SQ_RING);
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = r->ring == MAP_FAILED ? MAP_FAILED
					: mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE,
					       MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (r->ring == MAP_FAILED || r->sqes == MAP_FAILED) {
		int e = errno;
		if (r->ring != MAP_FAILED)
			munmap(r->ring, r->ring_len);
		close(fd);
		free(r);
		errno = e;
		return NULL;
	}
	char *base = r->ring;
	r->sq_head = (unsigned *)(base + p.sq_off.head);
	r->sq_tail = (unsigned *)(base + p.sq_off.tail);
	r->sq_mask = (unsigned *)(base + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(base + p.sq_off.array);
	r->cq_head = (unsigned *)(base + p.cq_off.head);
	r->cq_tail = (unsigned *)(base + p.cq_off.tail);
	r->cq_mask = (unsigned *)(base + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(base + p.cq_off.cqes);
	r->sq_local = *r->sq_tail;
	return r;
}

void fwal_ring_close(fwal_ring *r)
{
	if (!r)
		return;
	munmap(r->sqes, r->sqes_len);
	munmap(r->ring, r->ring_len);
	close(r->fd);
	free(r);
}

int fwal_ring_fd(const fwal_ring *r) { return r->fd; }

/* Whether k more SQEs fit. */
static int room(const fwal_ring *r, unsigned k)
{
	unsigned head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
	return r->sq_local + k - head <= *r->sq_mask + 1;
}

/* The next free SQE, zeroed (room() said it fits). */
static struct io_uring_sqe *sqe_get(fwal_ring *r)
{
	unsigned i = r->sq_local++ & *r->sq_mask;
	r->sq_array[i] = i;
	memset(&r->sqes[i], 0, sizeof r->sqes[i]);
	return &r->sqes[i];
}

/* Publish the k SQEs taken and enter them (retrying an interrupted
 * call); on an error the kernel consumed none: take them back. */
static int submit(fwal_ring *r, unsigned k)
{
	__atomic_store_n(r->sq_tail, r->sq_local, __ATOMIC_RELEASE);
	for (;;) {
		int n = uring_enter(r->fd, k, 0, 0);
		if (n >= 0)
			return 0;
		if (errno != EINTR && errno != EAGAIN && errno != EBUSY) {
			int e = errno;
			r->sq_local -= k;
			__atomic_store_n(r->sq_tail, r->sq_local, __ATOMIC_RELEASE);
			return -e;
		}
	}
}

/* A TIMEOUT of delay_ms, linked to the next request. */
static void put_delay(fwal_ring *r, uint32_t delay_ms, uint64_t seq)
{
	r->delay.tv_sec = delay_ms / 1000;
	r->delay.tv_nsec = (long long)(delay_ms % 1000) * 1000000LL;
	struct io_uring_sqe *s = sqe_get(r);
	s->opcode = IORING_OP_TIMEOUT;
	s->fd = -1;
	s->addr = (uint64_t)(uintptr_t)&r->delay;
	s->len = 1;
	s->timeout_flags = IORING_TIMEOUT_ETIME_SUCCESS; /* expiry continues the link */
	s->flags = IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
	s->user_data = FWAL_RING_TAG(seq, FWAL_RING_TIMEOUT);
}

int fwal_ring_submit_group(fwal_ring *r, int fd, const void *buf, size_t n, int64_t off,
			   uint32_t delay_ms, uint64_t seq)
{
	int sync = off < 0;
	unsigned k = 1 + (delay_ms != 0) + sync;
	if (n > 0x7fffffff)
		return -EINVAL;
	if (!room(r, k))
		return -EBUSY;
	if (delay_ms)
		put_delay(r, delay_ms, seq);
	struct io_uring_sqe *s = sqe_get(r);
	s->opcode = IORING_OP_WRITE;
	s->fd = fd;
	s->addr = (uint64_t)(uintptr_t)buf;
	s->len = (uint32_t)n;
	s->off = sync ? (uint64_t)-1 : (uint64_t)off; /* -1: the file position, moved */
	s->user_data = FWAL_RING_TAG(seq, sync ? FWAL_RING_WRITE : FWAL_RING_END);
	if (sync) {
		s->flags = IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
		s = sqe_get(r);
		s->opcode = IORING_OP_FSYNC;
		s->fd = fd;
		s->fsync_flags = IORING_FSYNC_DATASYNC;
		s->user_data = FWAL_RING_TAG(seq, FWAL_RING_END);
	}
	return submit(r, k);
}

int fwal_ring_submit_nop(fwal_ring *r, uint32_t delay_ms, uint64_t seq)
{
	unsigned k = 1 + (delay_ms != 0);
	if (!room(r, k))
		return -EBUSY;
	if (delay_ms)
		put_delay(r, delay_ms, seq);
	struct io_uring_sqe *s = sqe_get(r);
	s->opcode = IORING_OP_NOP;
	s->user_data = FWAL_RING_TAG(seq, FWAL_RING_NOP);
	return submit(r, k);
}

int fwal_ring_next(fwal_ring *r, int wait, uint64_t *tag, int32_t *res)
{
	for (;;) {
		unsigned head = *r->cq_head;
		if (head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
			const struct io_uring_cqe *c = &r->cqes[head & *r->cq_mask];
			*tag = c->user_data;
			*res = c->res;
			__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
			return 1;
		}
		if (!wait)
			return 0;
		if (uring_enter(r->fd, 0, 1, IORING_ENTER_GETEVENTS) < 0 && errno != EINTR &&
		    errno != EAGAIN && errno != EBUSY)
			return -errno;
	}
}
