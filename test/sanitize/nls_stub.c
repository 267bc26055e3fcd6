/*
 * nls_stub.c
 *		Message-catalogue binding that does nothing, preloaded after the
 *		AddressSanitizer runtime in the sanitizer run (test/portrait.sh).
 *
 * With libasan preloaded, glibc's bindtextdomain() in PostgreSQL's startup
 * (set_pglocale_pgservice) waits forever on the message-catalogue lock, so
 * the postmaster never starts; the tests run with lc_messages = C and need
 * no catalogues, so the server is given these instead.
 */
#include <stddef.h>

char	   *bindtextdomain(const char *domain, const char *dir);
char	   *bind_textdomain_codeset(const char *domain, const char *codeset);
char	   *textdomain(const char *domain);

/* Binding a domain to a directory: keep nothing, report the directory. */
char *
bindtextdomain(const char *domain, const char *dir)
{
	(void) domain;
	return (char *) dir;
}

/* Setting a domain's character set: keep nothing, report the set. */
char *
bind_textdomain_codeset(const char *domain, const char *codeset)
{
	(void) domain;
	return (char *) codeset;
}

/* Choosing the default domain: keep nothing, report it. */
char *
textdomain(const char *domain)
{
	return (char *) (domain != NULL ? domain : "messages");
}
