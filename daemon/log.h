/*
 * log.h: one line per event on stderr, OpenBGPD style.
 *
 * When stderr is the journal (systemd sets $JOURNAL_STREAM to its
 * "device:inode"), each line starts with its syslog priority, "<4>"
 * (sd-daemon(3)), and carries no "hycod: warn: " of its own: the
 * journal records the priority and the program. Otherwise lines are
 * "hycod: level: message".
 */
#ifndef HYCO_LOG_H
#define HYCO_LOG_H

#include <stdbool.h>

/* CRIT, above ERROR as in syslog, is for conditions an operator must act
   on (a critical disk alert); the daemon keeps running. */
enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR,
	LOG_LEVEL_CRIT };

/* Also looks whether stderr is the journal. */
void log_init(const char *progname, enum log_level level);
/* Whether stderr is the journal (log_init looked). */
bool log_journal(void);
/* Each line as it is, with its priority when stderr is the journal. */
void log_lines(enum log_level level, char *const *lines, int n);
void log_setlevel(enum log_level level);
/* Parse "debug", "info", "warn"/"warning", "error"; -1 if unknown. */
int log_parse_level(const char *name);

/* log_warn and fatal append ": strerror(errno)"; the x variants do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_crit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
