/*
 * interval.h — PostgreSQL's interval: months, days and microseconds, kept
 * apart as PostgreSQL keeps them (a month is not 30 days when added to a
 * date, a day is not 24 hours across a zone change).
 *
 * Stored form (value.h's table: TEXT): the interval's span — months * 30
 * days + days * 24 hours + microseconds, PostgreSQL's interval_cmp_value —
 * as MUR_IV_KEY_LEN hexadecimal digits of the 128-bit span with its sign
 * bit flipped, so that text order is span order, then " months days µs"
 * in decimal.  SQLite's byte comparison of two stored intervals thus
 * orders them as PostgreSQL does; equality as PostgreSQL's ('1 day' =
 * '24 hours') compares the key alone (mur_iv_key in emitted SQL, sql/).
 * Grouping, DISTINCT and hashing compare the key alone too (the collation
 * below, common/valkey.h); the shard hash sees the whole text, so an
 * interval is refused as a distribution column (0A000).
 *
 * Text input (mur_iv_parse) follows DecodeInterval / DecodeISO8601Interval
 * for the forms people write: '1 day 2 hours', '2 mons', '1.5 years',
 * '-1 week', '1:30:00', '@ 1 hour ago', 'P1Y2M3DT4H5M6S', 'P2W'.  Output
 * (mur_iv_out) is IntervalStyle postgres ('1 year 2 mons 3 days
 * 04:05:06.5').  Arithmetic follows timestamp.c: interval_mul /
 * interval_div spill fractional months into days and days into time,
 * timestamp + interval adds months (clamped to the month's end), then
 * days, then time; timestamp - timestamp is justify_hours of the
 * difference.
 */
#ifndef MUR_INTERVAL_H
#define MUR_INTERVAL_H

#include "common/buf.h"
#include "common/error.h"
#include "common/value.h"

#include <stdint.h>

/* The SQLite collation comparing stored intervals by their span key alone
 * ('1 day' = '24 hours'; storage/sqlfn_types.c registers it): GROUP BY
 * and DISTINCT of an interval on one node. */
#define MUR_IV_COLLATION "mur_interval"

/* Hex digits of the stored span key (128 bits: months * 30 days of
 * microseconds overflows 64). */
#define MUR_IV_KEY_LEN 32
#define MUR_IV_USEC_PER_DAY INT64_C(86400000000)
#define MUR_IV_DAYS_PER_MONTH 30

typedef struct mur_interval {
	int32_t months;
	int32_t days;
	int64_t us;
} mur_interval;

/* interval_in: text (len bytes) to *iv.  22007 on bad syntax, 22015 when
 * a field overflows. */
int mur_iv_parse(const char *text, size_t len, mur_interval *iv, mur_error *err);
/* interval_out, IntervalStyle postgres, appended to out. */
void mur_iv_out(const mur_interval *iv, mur_buf *out);
/* The stored form (file comment) appended to out. */
void mur_iv_store(const mur_interval *iv, mur_buf *out);
/* The stored form back; MUR_ERR when s is not one. */
int mur_iv_load(const char *s, size_t len, mur_interval *iv);

/* a + sign * b; 22008 "interval out of range" on overflow. */
int mur_iv_add(const mur_interval *a, const mur_interval *b, int sign, mur_interval *out,
	       mur_error *err);
/* interval_mul (factor) and interval_div (1 / factor, 22012 on 0). */
int mur_iv_mul(const mur_interval *a, double factor, int divide, mur_interval *out, mur_error *err);
/* justify_hours (what = 'h'), justify_days ('d'), justify_interval ('i');
 * MUR_ERR when a field leaves int32 (the caller's 22008). */
int mur_iv_justify(mur_interval *iv, int what);

/* *out = µs since 1970-01-01 plus sign * iv (timestamp_pl_interval: months
 * first, the day clamped to the month's last, then days, then time);
 * MUR_ERR when that overflows int64 µs (the caller's 22008). */
int mur_iv_add_to_us(int64_t us, const mur_interval *iv, int sign, int64_t *out);

/* age(t1, t2) (timestamp_age): the field-wise difference of two instants
 * given as µs since 1970-01-01, borrowing from the next larger field (a
 * month borrows the days of the earlier instant's month). */
void mur_iv_age(int64_t us1, int64_t us2, mur_interval *out);

/* A stored date or timestamp ('YYYY-MM-DD[ HH:MM:SS[.ffffff]]', value.h)
 * to µs since 1970-01-01; MUR_ERR for any other text (infinity). */
int mur_iv_ts_to_us(const char *s, size_t len, int64_t *us);
/* µs since 1970-01-01 as a stored timestamp, appended to out; MUR_ERR
 * (nothing appended) outside years 1..9999. */
int mur_iv_us_to_ts(int64_t us, mur_buf *out);

/* PostgreSQL's interval typmod (common/interval_typmod.c):
 * INTERVAL_TYPMOD(precision, range), range of INTERVAL_MASK bits. */
#define MUR_IV_MONTH (1 << 1)
#define MUR_IV_YEAR (1 << 2)
#define MUR_IV_DAY (1 << 3)
#define MUR_IV_HOUR (1 << 10)
#define MUR_IV_MINUTE (1 << 11)
#define MUR_IV_SECOND (1 << 12)
#define MUR_IV_FULL_RANGE 0x7FFF
#define MUR_IV_FULL_PRECISION 0xFFFF
#define MUR_IV_TYPMOD(precision, range) ((int32_t)(((range) << 16) | (precision)))
#define MUR_IV_TYPMOD_RANGE(t) (((t) >> 16) & 0x7FFF)
#define MUR_IV_TYPMOD_PRECISION(t) ((t)&0xFFFF)
/* A range PostgreSQL's grammar makes and a precision 0..6 or none. */
int mur_iv_typmod_ok(int range, int precision);
/* interval_in with a typmod (a literal: a trailing bare number counts the
 * smallest field), then mur_iv_adjust; typmod -1 is mur_iv_parse. */
int mur_iv_parse_typmod(const char *text, size_t len, int32_t typmod, mur_interval *iv,
			mur_error *err);
/* AdjustIntervalForTypmod: the fields below the range's smallest dropped,
 * the seconds rounded to the precision; nothing for typmod -1. */
void mur_iv_adjust(mur_interval *iv, int32_t typmod);

#endif
