/*
 * inventory_story.h - the moments of the story the inventory's tests
 * tell (test_inventory.c on the store, test_index.c through the search):
 * an instance launched on 28 Nov holds 10.1.2.3, is terminated on 1 Dec at
 * 11:58:03, and a new one takes the address at 12:03; crawls at 30 Nov
 * 00:00, 1 Dec 12:30 and 13:00. Unix seconds, UTC.
 */
#ifndef SI_TEST_INVENTORY_STORY_H
#define SI_TEST_INVENTORY_STORY_H

#include <time.h>

#define T_OLD_LAUNCH ((time_t)1795857240)  /* 28 Nov 09:14 */
#define T_CRAWL1 ((time_t)1795996800)      /* 30 Nov 00:00 */
#define T_NIGHT ((time_t)1796007600)       /* 30 Nov 03:00 */
#define T_OLD_END ((time_t)1796126283)     /* 1 Dec 11:58:03 */
#define T_NOON ((time_t)1796126400)        /* 1 Dec 12:00 */
#define T_NEW_LAUNCH ((time_t)1796126580)  /* 1 Dec 12:03 */
#define T_CRAWL2 ((time_t)1796128200)      /* 1 Dec 12:30 */
#define T_AFTER ((time_t)1796130000)       /* 1 Dec 13:00 */

/* Accounts and the region of the story. */
#define A1 "111111111111"
#define A2 "222222222222"
#define R1 "eu-west-2"

#endif
