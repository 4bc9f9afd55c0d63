# bench/load_tree.sh: what bench/load.sh and bench/profile.sh share,
# sourced by both (POSIX sh).
#   load_tree DIR        a small tree under DIR: two datasets of
#                        tensors, ten cycles of predictions
#   load_spec SOCK M     loadgen's target for hycod method M on SOCK
#                        (the arguments each method needs)
#   reply_bytes SOCK M   the bytes of hycod's reply to method M on SOCK
#   wait_socket WHO SOCK LOG
#                        wait up to 10 s for the server WHO to make SOCK;
#                        if it does not, show LOG and exit 1

load_tree() {
	for ds in burgers_128 smoke_128; do
		mkdir -p "$1/tensors/$ds" "$1/evaluation/$ds"
		( cd "$1/tensors/$ds" && seq 100 | sed 's/^/sim_/; s/$/.pt/' |
		    xargs touch )
	done
	for c in 0 1 2 3 4 5 6 7 8 9; do
		d="$1/generated/synthetic_preds/cycle_00$c/burgers_128"
		mkdir -p "$d"
		( cd "$d" && seq 20 | sed 's/^/g_/; s/$/.pt/' | xargs touch )
	done
}

wait_socket() {
	for i in $(seq 200); do
		[ -S "$2" ] && return 0
		sleep 0.05
	done
	echo "$1 did not start:"
	cat "$3"
	exit 1
}

load_spec() {
	case $2 in
	get-cycle-dir) echo "msgpack:$1:$2:kind=synthetic,cycle=3" ;;
	disk-check) echo "msgpack:$1:$2:required_bytes=1" ;;
	*) echo "msgpack:$1:$2" ;;
	esac
}

reply_bytes() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import socket
import sys

import msgpack

s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(msgpack.packb([0, 1, sys.argv[2], []]))
u = msgpack.Unpacker()
n = 0
while True:
    b = s.recv(65536)
    if not b:
        sys.exit("reply_bytes: connection closed")
    n += len(b)
    u.feed(b)
    if next(u, None) is not None:
        print(n)
        break
EOF
}
