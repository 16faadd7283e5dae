/*
 * fuzz_org_json.c - libFuzzer target: org_parse_list_accounts on arbitrary
 * bytes, then the accounts built from whatever parsed. A parse either
 * fails leaving nothing to free, or yields a page whose invariants hold;
 * the built accounts always have valid, unique, sorted aliases.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/org.h"
#include "util/strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void s_check(int ok)
{
	if (!ok)
		abort();
}

static void s_check_alias(const char *a)
{
	size_t n = strlen(a);

	s_check(n > 0 && n < 64);
	for (size_t i = 0; i < n; i++)
		s_check((a[i] >= 'a' && a[i] <= 'z') || (a[i] >= '0' && a[i] <= '9') ||
			a[i] == '_' || a[i] == '-');
}

static void s_check_page(const struct org_account_page *p)
{
	s_check(p->n <= ORG_MAX_PAGE_ACCOUNTS);
	s_check((p->n == 0) == (p->accounts == NULL));
	s_check(p->next_token == NULL ||
		(p->next_token[0] != '\0' && strlen(p->next_token) <= ORG_MAX_TOKEN));
	for (size_t i = 0; i < p->n; i++) {
		char alias[64];

		s_check(p->accounts[i].id != NULL && strlen(p->accounts[i].id) == 12);
		s_check(strspn(p->accounts[i].id, "0123456789") == 12);
		s_check(p->accounts[i].status != NULL && p->accounts[i].status[0] != '\0');
		s_check(org_alias_from_name(p->accounts[i].name, p->accounts[i].id, alias,
					    sizeof(alias), NULL) == 0);
		s_check_alias(alias);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct org_account_page p;
	struct si_account *accs = NULL;
	struct si_err err;
	char *regions[] = { "us-east-1" };
	size_t n = 0;

	if (org_parse_list_accounts((const char *)data, size, &p, &err) != 0) {
		s_check(p.accounts == NULL && p.n == 0 && p.next_token == NULL);
		s_check(err.code == SI_ERR_INVALID || err.code == SI_ERR_LIMIT ||
			err.code == SI_ERR_NOMEM);
		return 0;
	}
	s_check_page(&p);
	if (org_accounts_build(p.accounts, p.n, "aws", "Reader", regions, 1, &accs, &n,
			       &err) == 0) {
		s_check(n <= p.n);
		for (size_t i = 0; i < n; i++) {
			s_check_alias(accs[i].alias);
			s_check(i == 0 || strcmp(accs[i - 1].alias, accs[i].alias) < 0);
			s_check(SI_HAS_PREFIX(accs[i].role_arn, "arn:aws:iam::"));
			s_check(accs[i].n_regions == 1);
		}
		org_accounts_free(accs, n);
	} else {
		/* Only a duplicate alias (or OOM) may refuse a parsed page. */
		s_check(accs == NULL && n == 0);
		s_check(err.code == SI_ERR_INVALID || err.code == SI_ERR_NOMEM);
	}
	org_account_page_clear(&p);
	return 0;
}
