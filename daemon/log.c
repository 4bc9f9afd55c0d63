/* log.c: leveled logging to stderr; errno is saved and restored. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_prog = "hycod";
static int log_level = LOG_LEVEL_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error",
    "crit" };

void
log_init(const char *progname, enum log_level level)
{
	log_prog = progname;
	log_level = level;
}

void
log_setlevel(enum log_level level)
{
	log_level = level;
}

int
log_parse_level(const char *name)
{
	/* crit is logged, never a threshold one would configure. */
	for (int i = 0; i <= LOG_LEVEL_ERROR; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	if (strcmp(name, "warning") == 0)
		return LOG_LEVEL_WARN;
	return -1;
}

static void
vlog(int level, int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	char msg[1024];

	if (level < log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One fprintf per line so concurrent writers do not interleave. */
	if (with_errno)
		fprintf(stderr, "%s: %s: %s: %s\n", log_prog, level_names[level],
		    msg, strerror(saved));
	else
		fprintf(stderr, "%s: %s: %s\n", log_prog, level_names[level], msg);
	errno = saved;
}

/* Each logging function: its level, whether errno is told, then what. */
#define LOGFN(name, level, with_errno, then)		\
void							\
name(const char *fmt, ...)				\
{							\
	va_list ap;					\
	va_start(ap, fmt);				\
	vlog(level, with_errno, fmt, ap);		\
	va_end(ap);					\
	then;						\
}

LOGFN(log_warn, LOG_LEVEL_WARN, 1, return)
LOGFN(log_warnx, LOG_LEVEL_WARN, 0, return)
LOGFN(log_crit, LOG_LEVEL_CRIT, 0, return)
LOGFN(log_info, LOG_LEVEL_INFO, 0, return)
LOGFN(log_debug, LOG_LEVEL_DEBUG, 0, return)
LOGFN(fatal, LOG_LEVEL_ERROR, 1, exit(1))
LOGFN(fatalx, LOG_LEVEL_ERROR, 0, exit(1))
