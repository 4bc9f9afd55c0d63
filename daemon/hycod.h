/* hycod.h: the daemon's one context, owned by main.c, loop thread only. */
#ifndef HYCO_HYCOD_H
#define HYCO_HYCOD_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "proto.h"
#include "server.h"

#define HYCO_VERSION	"0.1.0"

struct job;

struct dispatch_stats {
	uint64_t	requests;	/* requests and notifications handled */
	uint64_t	errors[RPC_ERROR_COUNT]; /* error replies, by code */
	uint64_t	scans;		/* summary walks run */
};

struct hycod {
	uv_loop_t		*loop;
	struct hyco_config	 cfg;
	struct server		 server;
	uint64_t		 start_ns;	/* uv_hrtime() at start-up */
	uv_signal_t		 sigterm, sigint;
	/*
	 * Summaries share walks: requests that arrive while a walk runs wait
	 * for the next one, which starts after it and so sees their writes.
	 */
	bool			 scan_running;
	struct job		*scan_waiting;	/* answered by the running walk */
	struct job		*scan_next;	/* answered by the next walk */
	struct dispatch_stats	 stats;
};

#endif
