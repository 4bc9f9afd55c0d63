/* log.h: one line per event on stderr, OpenBGPD style. */
#ifndef HYCO_LOG_H
#define HYCO_LOG_H

/* CRIT, above ERROR as in syslog, is for conditions an operator must act
   on (a critical disk alert); the daemon keeps running. */
enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR,
	LOG_LEVEL_CRIT };

void log_init(const char *progname, enum log_level level);
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
