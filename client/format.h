/* format.h: figures as people read them, for hycoctl's text output. */
#ifndef HYCO_FORMAT_H
#define HYCO_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes in the unit that suits them, powers of 1000: "85.5 GB". */
const char	*format_bytes(char *buf, size_t size, double v);
/* Seconds: "45 s", "12.5 min", "3.2 h", "4.0 days". */
const char	*format_duration(char *buf, size_t size, double s);
/* part of whole in percent, to a digit below 10%: "31%", "4.6%". */
const char	*format_percent(char *buf, size_t size, uint64_t part,
		    uint64_t whole);

#endif
