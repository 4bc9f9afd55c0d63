/* hycod.h: the daemon's one context, owned by main.c, loop thread only. */
#ifndef HYCO_HYCOD_H
#define HYCO_HYCOD_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "access.h"
#include "config.h"
#include "disk.h"
#include "events.h"
#include "lock.h"
#include "early.h"
#include "notify.h"
#include "proto.h"
#include "policy.h"
#include "reload.h"
#include "server.h"
#include "stats.h"
#include "textfile.h"
#include "trash.h"
#include "watch.h"

#define HYCO_VERSION	"0.1.0"

struct summary_cache;

/* Counted by rpc.c, reported by ping and summary (per method: stats). */
struct rpc_stats {
	uint64_t	requests;	/* requests and notifications handled */
	uint64_t	errors[RPC_ERROR_COUNT]; /* error replies, by code */
};

struct hycod {
	uv_loop_t		*loop;
	struct hyco_config	 cfg;
	struct server		 server;
	uint64_t		 start_ns;	/* uv_hrtime() at start-up */
	uv_signal_t		 sigterm, sigint;
	uv_signal_t		 sighup;	/* reload */
	uv_timer_t		 hup_timer;	/* a SIGHUP deferred (main.c) */
	uint64_t		 hup_next_ms;	/* uv_now before which one waits */
	struct reload_source	 src;		/* files read at start */
	struct notify		 notify;	/* systemd's sd_notify */
	struct early		 early;		/* requests waiting for the
						   start-up scan */
	struct watch		 watch;		/* the index and its inotify */
	struct trash		 trash;		/* removals finish here */
	struct policy		 policy;	/* retention and watermarks */
	struct disk		 disk;		/* free space, levels, alerts */
	struct rpc_stats	 rpc;
	struct access		 access;	/* daemon.access, live */
	struct locks		 locks;		/* the tree is ours alone */
	msgpack_sbuffer		 notify_out;	/* results of notifications */
	struct summary_cache	*summary;	/* summary's packed parts */
	struct events		 events;	/* subscribers */
	struct stats		 stats;		/* per method, per dataset */
	struct textfile		 textfile;	/* metrics.textfile */
};

#endif
