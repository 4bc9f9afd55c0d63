/* refresh.h: hycoctl summary --watch: output again and again, until Ctrl-C. */
#ifndef HYCO_REFRESH_H
#define HYCO_REFRESH_H

/* One round: print the output once (its failures said on stderr). */
typedef void (*refresh_fn)(void *arg);

/*
 * Call once(arg) every `every` seconds until SIGINT or SIGTERM (0), or
 * until stdout cannot be written (-1). On a terminal each round replaces
 * the last (ANSI clear and home); otherwise the rounds follow each
 * other. With header, each starts with "Every Ns: what" and the time.
 */
int	refresh_loop(double every, const char *what, int header,
	    refresh_fn once, void *arg);

#endif
