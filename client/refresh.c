/* refresh.c: a command's output again every interval, until Ctrl-C. */
#include "refresh.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void
on_interrupt(int signo)
{
	(void)signo;
	interrupted = 1;
}

int
refresh_loop(double every, const char *what, int header, refresh_fn once,
    void *arg)
{
	struct sigaction sa;
	int tty = isatty(STDOUT_FILENO);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;	/* no SA_RESTART: the sleep ends */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!interrupted) {
		struct timespec ts = { (time_t)every,
		    (long)((every - floor(every)) * 1e9) };
		time_t now = time(NULL);
		char when[64];

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
		    localtime(&now));
		if (tty)
			fputs("\033[H\033[2J", stdout);
		if (header)
			printf("Every %gs: %s%*s%s\n", every, what, 20, "", when);
		/* A failed round is said and tried again: hycod may restart. */
		once(arg);
		if (fflush(stdout) == EOF || ferror(stdout))
			return -1;
		while (!interrupted && nanosleep(&ts, &ts) == -1 &&
		    errno == EINTR)
			;
	}
	return 0;
}
