#include "slack/replay.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/hmac.h"
#include "util/strutil.h"

/* "v0=" + 64 lower-case hex digits, the only form slack_sig.h accepts. */
#define S_SIG_PREFIX "v0="
#define S_SIG_PREFIX_LEN SI_LITLEN(S_SIG_PREFIX)
#define S_MAC_LEN SI_HMAC_SHA256_LEN
#define S_SIG_LEN (S_SIG_PREFIX_LEN + 2 * S_MAC_LEN)

/*
 * A signature lives only in the REPLAY_PROBE_MAX slots starting at its home
 * slot, so every lookup and insert touches at most that many entries
 * whatever the table holds: the probe length is bounded by construction,
 * not by luck. With the table at most half full at the rated capacity, a
 * run of 32 occupied slots is vanishingly rare for uniform keys (the unit
 * test fills a cache to its capacity and expects no eviction).
 */
#define REPLAY_PROBE_MAX 32

struct s_entry {
	uint8_t mac[S_MAC_LEN];
	int64_t seen;   /* first sighting, caller's clock */
	uint8_t used;
};

struct replay_cache {
	pthread_mutex_t lock;
	struct s_entry *slots;
	size_t n_slots;     /* power of two */
	size_t probe;       /* min(REPLAY_PROBE_MAX, n_slots) */
	int64_t window;
	size_t evictions;
};

const char *replay_status_name(enum replay_status s)
{
	switch (s) {
	case REPLAY_NEW: return "new";
	case REPLAY_DUPLICATE: return "duplicate";
	case REPLAY_RETRY: return "retry";
	case REPLAY_FULL: return "full";
	case REPLAY_INVALID: return "invalid";
	}
	return "unknown";
}

/* Contract in replay.h. Everything is allocated here, once: the table never
 * grows, so a flood of requests costs no allocation and the lookup cost is
 * bounded by REPLAY_PROBE_MAX. The limits are checked here, whatever the
 * caller validated. */
struct replay_cache *replay_cache_new(size_t capacity, int window_s,
				      struct si_err *err)
{
	struct replay_cache *c = NULL;
	size_t n = 1;

	if (capacity == 0 || window_s <= 0 || window_s > REPLAY_WINDOW_MAX) {
		si_err_set(err, SI_ERR_INVALID,
			   "replay cache: capacity must be >= 1 and window 1..%d s",
			   REPLAY_WINDOW_MAX);
		return NULL;
	}
	if (capacity > REPLAY_CAPACITY_MAX) {
		si_err_set(err, SI_ERR_LIMIT, "replay cache: capacity over %zu",
			   REPLAY_CAPACITY_MAX);
		return NULL;
	}
	/* Load factor at most 1/2 at the rated capacity keeps probe windows
	 * mostly free (see REPLAY_PROBE_MAX). Cannot overflow: capacity is at
	 * most 2^20. */
	while (n < 2 * capacity)
		n <<= 1;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto nomem;
	c->slots = calloc(n, sizeof(*c->slots));
	if (c->slots == NULL)
		goto nomem;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->slots);
		free(c);
		si_err_set(err, SI_ERR_INTERNAL, "replay cache: mutex init failed");
		return NULL;
	}
	c->n_slots = n;
	c->probe = n < REPLAY_PROBE_MAX ? n : REPLAY_PROBE_MAX;
	c->window = window_s;
	return c;
nomem:
	if (c != NULL)
		free(c->slots);
	free(c);
	si_err_set(err, SI_ERR_NOMEM, "replay cache: out of memory");
	return NULL;
}

void replay_cache_free(struct replay_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->slots);
	free(c);
}

/* Decode "v0=" + 64 lower-case hex into 32 bytes; -1 on anything else.
 * Keying on the raw MAC (not the text) leaves no second spelling of one
 * signature that could slip past the cache. */
static int s_parse_sig(const char *hdr, uint8_t mac[S_MAC_LEN])
{
	if (hdr == NULL || !SI_HAS_PREFIX(hdr, S_SIG_PREFIX))
		return -1;
	if (strnlen(hdr, S_SIG_LEN + 1) != S_SIG_LEN)
		return -1;
	hdr += S_SIG_PREFIX_LEN;
	for (size_t i = 0; i < S_MAC_LEN; i++) {
		int hi = si_hexval_lower((unsigned char)hdr[2 * i]);
		int lo = si_hexval_lower((unsigned char)hdr[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* |now - seen| <= window, without overflow for any pair of int64 values.
 * Symmetric like the verifier's skew check, so a clock stepped backwards
 * neither forgets recent entries nor pins old ones forever. */
static int s_live(const struct replay_cache *c, const struct s_entry *e, int64_t now)
{
	uint64_t d;

	if (!e->used)
		return 0;
	d = now >= e->seen ? (uint64_t)now - (uint64_t)e->seen
			   : (uint64_t)e->seen - (uint64_t)now;
	return d <= (uint64_t)c->window;
}

/*
 * The home slot is taken straight from the MAC's first bytes. No keyed hash
 * (SipHash) is needed: the MAC is HMAC-SHA256 under our signing secret, so
 * nobody without the secret can choose its bytes, and HMAC output is
 * uniformly distributed. This holds only for verified requests, which is
 * why callers check the signature first; even for chosen bytes the damage
 * is bounded to evictions inside one probe window.
 */
static size_t s_home(const struct replay_cache *c, const uint8_t mac[S_MAC_LEN])
{
	uint64_t h = 0;

	for (size_t i = 0; i < sizeof(h); i++)
		h = h << 8 | mac[i];
	return (size_t)(h & (uint64_t)(c->n_slots - 1));
}

/* Contract in replay.h. One lock around probe and insert, so two threads
 * seeing one signature at once cannot both get REPLAY_NEW. Assumes now is
 * the same clock the signature verifier used (tests pin it). */
enum replay_status replay_check(struct replay_cache *c,
				const char *signature_hdr, int is_retry,
				time_t now)
{
	uint8_t mac[S_MAC_LEN];
	struct s_entry *free_slot = NULL, *oldest = NULL, *victim;
	enum replay_status st = REPLAY_NEW;
	int64_t t = (int64_t)now;
	size_t home;

	if (c == NULL || s_parse_sig(signature_hdr, mac) != 0)
		return REPLAY_INVALID;
	home = s_home(c, mac);
	pthread_mutex_lock(&c->lock);
	/* The whole window is searched before inserting: expired slots leave
	 * holes, so an empty slot does not end the search. */
	for (size_t i = 0; i < c->probe; i++) {
		struct s_entry *e = &c->slots[(home + i) & (c->n_slots - 1)];

		if (!s_live(c, e, t)) {
			if (free_slot == NULL)
				free_slot = e;
			continue;
		}
		/* Not secret material: the MAC was received in the clear, so a
		 * plain compare leaks nothing. */
		if (memcmp(e->mac, mac, S_MAC_LEN) == 0) {
			st = is_retry ? REPLAY_RETRY : REPLAY_DUPLICATE;
			goto out;
		}
		if (oldest == NULL || e->seen < oldest->seen)
			oldest = e;
	}
	/*
	 * Window full of live entries: forget the oldest one rather than
	 * refuse. Only Slack (holder of the secret) can put entries here, so a
	 * full window means real traffic beyond the rated capacity, and
	 * refusing would turn that into an outage. The oldest entry is the one
	 * closest to leaving the verifier's window anyway; what we give up is
	 * refusing a replay of that one request for the rest of its life.
	 */
	victim = free_slot;
	if (victim == NULL) {
		victim = oldest;
		st = REPLAY_FULL;
		c->evictions++;
	}
	memcpy(victim->mac, mac, S_MAC_LEN);
	victim->seen = t;
	victim->used = 1;
out:
	pthread_mutex_unlock(&c->lock);
	return st;
}

void replay_cache_stats(struct replay_cache *c, time_t now,
			struct replay_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	out->slots = c->n_slots;
	out->evictions = c->evictions;
	for (size_t i = 0; i < c->n_slots; i++)
		out->live += (size_t)s_live(c, &c->slots[i], (int64_t)now);
	pthread_mutex_unlock(&c->lock);
}
