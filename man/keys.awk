# keys.awk: the lines of hycod --print-keys (key, type, default, allowed,
# doc; tab-separated, one a key, sections before their keys) into the
# mdoc key list of hyco.yaml(5): a subsection per top-level section.
BEGIN { FS = "\t"; open = 0 }

# Text lines: backslashes escaped, no leading control dot, each line
# at most 72 bytes (broken at spaces).
function text(s,    n, w, i, out, line) {
	gsub(/\\/, "\\e", s)
	n = split(s, w, " ")
	out = line = ""
	for (i = 1; i <= n; i++) {
		if (line != "" && length(line) + 1 + length(w[i]) > 72) {
			out = out safe(line) "\n"
			line = w[i]
		} else
			line = line == "" ? w[i] : line " " w[i]
	}
	return out safe(line)
}

function safe(line) {
	return line ~ /^[.']/ ? "\\&" line : line
}

# One quoted macro argument.
function arg(s) {
	gsub(/\\/, "\\e", s)
	gsub(/"/, "\\(dq", s)
	return "\"" s "\""
}

function sentence(s) {
	s = toupper(substr(s, 1, 1)) substr(s, 2)
	return s ~ /[.]$/ ? s : s "."
}

NF != 5 {
	print "keys.awk: line " NR ": " NF " fields, not 5" > "/dev/stderr"
	exit 1
}

$2 == "map" && index($1, ".") == 0 {
	if (open)
		print ".El"
	print ".Ss " $1
	print text(sentence($5))
	print ".Bl -tag -width Ds"
	open = 1
	next
}

{
	if (!open) {
		print ".Bl -tag -width Ds"
		open = 1
	}
	if ($2 == "map") {
		print ".It Cm " $1
		print "A section: " text(sentence($5))
		next
	}
	print ".It Cm " $1 " Pq Vt " $2
	print text(sentence($5))
	if ($3 == "-")
		print "No default."
	else {
		print "Default:"
		print ".Ql " arg($3) " ."
	}
	if ($4 != "-")
		print text("Allowed: " sentence($4))
}

END {
	if (open)
		print ".El"
}
