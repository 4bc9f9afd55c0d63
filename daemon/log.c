/* log.c: leveled logging to stderr; errno is saved and restored. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

static const char *log_prog = "hycod";
static int log_level = LOG_LEVEL_INFO;
static bool log_to_journal;	/* stderr is the journal: <N> prefixes */

static const char *const level_names[] = { "debug", "info", "warn", "error",
    "crit" };
/* Syslog priorities by level, as the journal reads them (sd-daemon.h). */
static const char *const level_prefixes[] = { SD_DEBUG, SD_INFO, SD_WARNING,
    SD_ERR, SD_CRIT };

/*
 * $JOURNAL_STREAM names the stream systemd connected to the journal;
 * it must be stderr itself, not an inherited variable whose stderr was
 * redirected since (systemd.exec(5)).
 */
static bool
stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (v == NULL || sscanf(v, "%llu:%llu%c", &dev, &ino, &end) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, enum log_level level)
{
	log_prog = progname;
	log_level = level;
	log_to_journal = stderr_is_journal();
}

bool
log_journal(void)
{
	return log_to_journal;
}

void
log_lines(enum log_level level, char *const *lines, int n)
{
	for (int i = 0; i < n; i++)
		fprintf(stderr, "%s%s\n", log_to_journal ?
		    level_prefixes[level] : "", lines[i]);
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
	if (log_to_journal && with_errno)
		fprintf(stderr, "%s%s: %s\n", level_prefixes[level], msg,
		    strerror(saved));
	else if (log_to_journal)
		fprintf(stderr, "%s%s\n", level_prefixes[level], msg);
	else if (with_errno)
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
