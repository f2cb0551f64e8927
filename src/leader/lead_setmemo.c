/*
 * lead_setmemo.c — a session's settings as its statements read them: by
 * name, memoized (lead_session_get, lead_session_ms).
 *
 * A TPC-B statement reads half a dozen settings (the planner's options and
 * time zone, statement_timeout, the lock timeouts, the quorum, the idle
 * timeouts at every ReadyForQuery), each a scan of the session's SETs and
 * then of the defaults (lead_session_lookup: ~17 strcmp), the timeouts
 * parsed from their text again (strtod): 4 % of the leader's CPU.  The memo
 * keeps, per name, the value lead_session_lookup found and, once asked, its
 * milliseconds.
 *
 * Invariants:
 *   1. An entry is used only while its gen is the session's settings_gen:
 *      every change of settings[] bumps it (lead_session_set, lead_setscope.c),
 *      and the value pointers lead_session_lookup returns (settings[i].value,
 *      static defaults, the session's and engine's startup buffers) stay
 *      valid and unchanged until then.
 *   2. A hit is checked against the name's text, not only its address (the
 *      entry's key and what picks its slots: callers pass literals, but a
 *      name may live in a buffer reused for another).
 *   3. Names whose value moves without a SET are never memoized
 *      (murphy.plan_cache_hits: the session's count, session_default), nor
 *      names too long for a slot.
 */
#include "leader/lead_int.h"

#include <stdint.h>
#include <string.h>

static const char *const unmemoized[] = {"murphy.plan_cache_hits"};

/* s's entry for name, its value looked up when not current; NULL when the
 * name is not memoized.  An entry is one of LEAD_SETTING_MEMO_PROBES slots
 * from the one the name's address picks: two hot names on one slot took
 * turns evicting each other. */
static lead_setting_memo *memo_of(lead_session *s, const char *name)
{
	uintptr_t a = (uintptr_t)name;
	unsigned h = (unsigned)((a >> 3) ^ (a >> 11));
	lead_setting_memo *m, *free_slot = NULL;
	size_t len;
	for (int i = 0; i < LEAD_SETTING_MEMO_PROBES; i++) {
		m = &s->memo[(h + (unsigned)i) % LEAD_SETTING_MEMOS];
		if (!m->used || m->gen != s->settings_gen) {
			if (!free_slot)
				free_slot = m;
		} else if (m->key == name && strcmp(m->name, name) == 0) {
			return m;
		}
	}
	if ((len = strlen(name)) >= sizeof m->name)
		return NULL;
	for (size_t i = 0; i < sizeof unmemoized / sizeof unmemoized[0]; i++)
		if (strcmp(unmemoized[i], name) == 0)
			return NULL;
	m = free_slot ? free_slot : &s->memo[h % LEAD_SETTING_MEMOS]; /* all in use: the first */
	m->key = name;
	memcpy(m->name, name, len + 1);
	m->value = lead_session_lookup(s, name);
	m->gen = s->settings_gen;
	m->has_ms = 0;
	m->used = 1;
	return m;
}

const char *lead_session_get(lead_session *s, const char *name)
{
	const lead_setting_memo *m = memo_of(s, name);
	return m ? m->value : lead_session_lookup(s, name);
}

uint64_t lead_session_ms(lead_session *s, const char *name)
{
	lead_setting_memo *m = memo_of(s, name);
	uint64_t ms;
	if (m && m->has_ms)
		return m->ms;
	ms = lead_setting_text_ms(name, m ? m->value : lead_session_lookup(s, name));
	if (m) {
		m->ms = ms;
		m->has_ms = 1;
	}
	return ms;
}
