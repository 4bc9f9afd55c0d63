/* format.c: figures as people read them, for hycoctl's text output. */
#include "format.h"

#include <stdio.h>

const char *
format_bytes(char *buf, size_t size, double v)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB",
	    "PB" };
	int u = 0;

	while (v >= 1000 && u < 5) {
		v /= 1000;
		u++;
	}
	snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
	return buf;
}

const char *
format_duration(char *buf, size_t size, double s)
{
	if (s < 120)
		snprintf(buf, size, "%.0f s", s);
	else if (s < 7200)
		snprintf(buf, size, "%.1f min", s / 60);
	else if (s < 172800)
		snprintf(buf, size, "%.1f h", s / 3600);
	else
		snprintf(buf, size, "%.1f days", s / 86400);
	return buf;
}

const char *
format_percent(char *buf, size_t size, uint64_t part, uint64_t whole)
{
	double p = whole > 0 ? 100.0 * (double)part / (double)whole : 0;

	snprintf(buf, size, p < 10 ? "%.1f%%" : "%.0f%%", p);
	return buf;
}
